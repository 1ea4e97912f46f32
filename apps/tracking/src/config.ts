import { databaseEnv, envHelpers, serviceEnv } from '@platform/config/env';
import { providerCredentialSchema } from '@platform/contracts/api/tracking';

export const trackingEnv = serviceEnv.extend(databaseEnv.shape).extend({
  PORT: envHelpers.port.default(8083),
  SEVENTEEN_TRACK_API_URL: envHelpers.url(['https:', 'http:']).default('https://api.17track.net/track/v2.2'),
  /** 17TRACK API key: the `17token` header, and the key webhooks are signed with. */
  SEVENTEEN_TRACK_API_KEY: providerCredentialSchema,
  AFTERSHIP_API_URL: envHelpers.url(['https:', 'http:']).default('https://api.aftership.com/tracking/2025-01'),
  /** AfterShip `as-api-key`; without it there is no fallback provider. */
  AFTERSHIP_API_KEY: providerCredentialSchema.optional(),
  AFTERSHIP_WEBHOOK_SECRET: providerCredentialSchema,
  TRACKING_POLL_FIRST_MS: envHelpers.positiveInt.default(60 * 60 * 1000),
  TRACKING_POLL_EVERY_MS: envHelpers.positiveInt.default(6 * 60 * 60 * 1000),
  /** A shipment on its way with no new scan for this long is reported silent (its order flagged late). */
  NO_SCAN_ALERT_MS: envHelpers.positiveInt.default(3 * 24 * 60 * 60 * 1000),
  PROVIDER_TIMEOUT_MS: envHelpers.positiveInt.default(5_000),
  BREAKER_CONSECUTIVE_FAILURES: envHelpers.positiveInt.default(5),
  BREAKER_HALF_OPEN_AFTER_MS: envHelpers.positiveInt.default(30_000),
});

export type TrackingEnv = ReturnType<typeof trackingEnv.parse>;
