import { envHelpers, serviceEnv } from '@platform/config';
import { z } from 'zod';
import { apiKeysSchema } from './domain/api-keys';

const serviceUrl = (port: number) => envHelpers.url(['http:', 'https:']).default(`http://127.0.0.1:${port}`);

/** Comma-separated origins; empty means no cross-origin caller is allowed. */
const originList = z
  .string()
  .default('')
  .transform((value) => value.split(',').map((origin) => origin.trim()).filter(Boolean))
  .pipe(z.array(z.url()));

export const gatewayEnv = serviceEnv
  .extend({
    NODE_ENV: z.string().default('development'),
    PORT: envHelpers.port.default(8080),
    ORDERS_URL: serviceUrl(8081),
    FULFILLMENT_URL: serviceUrl(8082),
    TRACKING_URL: serviceUrl(8083),
    NOTIFICATIONS_URL: serviceUrl(8084),
    BILLING_URL: serviceUrl(8085),
    /** How long a forwarded request may take before the gateway answers 504. */
    UPSTREAM_TIMEOUT_MS: envHelpers.positiveInt.default(5_000),
    /** How long the order detail waits for each secondary service before leaving its part out. */
    COMPOSE_TIMEOUT_MS: envHelpers.positiveInt.default(1_500),
    /** JSON array of {id, key | keySha256, role, customerId?}; unset = development keys (refused in production). */
    API_KEYS: apiKeysSchema.optional(),
    /** Requests per minute per API key (per IP for anonymous callers). */
    RATE_LIMIT_PER_MINUTE: envHelpers.positiveInt.default(600),
    /** Requests per minute per IP on the webhook routes (providers burst). */
    WEBHOOK_RATE_LIMIT_PER_MINUTE: envHelpers.positiveInt.default(6_000),
    CORS_ORIGINS: originList,
    /** The gateway's public address, as the OpenAPI document's server. */
    PUBLIC_BASE_URL: envHelpers.url(['http:', 'https:']).default('http://127.0.0.1:8080'),
  })
  .superRefine((env, context) => {
    if (env.NODE_ENV === 'production' && env.API_KEYS === undefined) {
      context.addIssue({ code: 'custom', path: ['API_KEYS'], message: 'is required when NODE_ENV=production (the development keys are refused)' });
    }
  });

export type GatewayEnv = z.infer<typeof gatewayEnv>;
