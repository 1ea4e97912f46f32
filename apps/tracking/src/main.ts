import { databaseEnv, envHelpers, loadEnvOrExit, serviceEnv } from '@platform/config/env';
import { createHttpClient } from '@platform/runtime/http-client';
import { ServiceRuntime } from '@platform/runtime/service';
import { shipmentShipped, streams } from '@platform/contracts';
import { providerCredentialSchema } from '@platform/contracts/api/tracking';
import { AftershipProvider } from './adapters/aftership';
import { createDatabase, type Transaction } from './adapters/database';
import { SeventeenTrackProvider } from './adapters/seventeen-track';
import { TrackingProviders } from './adapters/tracking-providers';
import { POLL_TIMER, pollShipment, type TrackingDeps } from './application/shipments';
import { trackShippedShipments } from './consumers/shipment-shipped';
import { registerQueryRoutes } from './http/queries';
import { registerWebhookRoutes } from './http/webhooks';

const env = loadEnvOrExit(
  serviceEnv.extend(databaseEnv.shape).extend({
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
    PROVIDER_TIMEOUT_MS: envHelpers.positiveInt.default(5_000),
    BREAKER_CONSECUTIVE_FAILURES: envHelpers.positiveInt.default(5),
    BREAKER_HALF_OPEN_AFTER_MS: envHelpers.positiveInt.default(30_000),
  }),
);
const runtime = await ServiceRuntime.start('tracking', env);
const db = runtime.attachDatabase(createDatabase(env.DATABASE_URL, env.DATABASE_POOL_SIZE));
runtime.startOutboxRelay(db);

const http = (url: string) => createHttpClient({ prefixUrl: url, timeoutMs: env.PROVIDER_TIMEOUT_MS, userAgent: 'platform-tracking' });
const providers = new TrackingProviders(
  new SeventeenTrackProvider(http(env.SEVENTEEN_TRACK_API_URL), env.SEVENTEEN_TRACK_API_KEY),
  env.AFTERSHIP_API_KEY ? new AftershipProvider(http(env.AFTERSHIP_API_URL), env.AFTERSHIP_API_KEY) : null,
  { consecutiveFailures: env.BREAKER_CONSECUTIVE_FAILURES, halfOpenAfterMs: env.BREAKER_HALF_OPEN_AFTER_MS },
  runtime.metrics.registry,
  runtime.log,
);
const deps: TrackingDeps = {
  providers,
  clock: runtime.clock,
  poll: { firstMs: env.TRACKING_POLL_FIRST_MS, everyMs: env.TRACKING_POLL_EVERY_MS },
  log: runtime.log,
};

runtime.addConsumer<Transaction>({
  name: 'tracking--shipments',
  stream: streams.FULFILLMENT.name,
  filterSubject: shipmentShipped.type,
  db,
  subscriptions: [trackShippedShipments(deps)],
  // Both providers down is an outage, not a bad message: retry for about an hour before dead-lettering.
  backoffMs: [5_000, 30_000, 60_000, 300_000],
  maxDeliver: 16,
  transactionTimeoutMs: 4 * env.PROVIDER_TIMEOUT_MS + 10_000,
});
runtime.startTimers<Transaction>(db, { [POLL_TIMER]: pollShipment(deps) });

const app = runtime.createHttpServer();
registerWebhookRoutes(app, db, deps, { seventeenTrackApiKey: env.SEVENTEEN_TRACK_API_KEY, aftershipWebhookSecret: env.AFTERSHIP_WEBHOOK_SECRET });
registerQueryRoutes(app, db, providers);
await runtime.serve(app);
