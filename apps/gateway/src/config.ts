import { envHelpers, serviceEnv } from '@platform/config/env';
import { orderLinkSecret } from '@platform/config/order-links';
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
    /** Operators' listener: /metrics, /docs, /openapi.json, /healthz, /readyz. Never route the public to it. */
    MANAGEMENT_PORT: envHelpers.port.default(9090),
    ORDERS_URL: serviceUrl(8081),
    FULFILLMENT_URL: serviceUrl(8082),
    TRACKING_URL: serviceUrl(8083),
    NOTIFICATIONS_URL: serviceUrl(8084),
    BILLING_URL: serviceUrl(8085),
    /** How long a forwarded request may take before the gateway answers 504. */
    UPSTREAM_TIMEOUT_MS: envHelpers.positiveInt.default(5_000),
    /** How long the order detail waits for each secondary service before leaving its part out. */
    COMPOSE_TIMEOUT_MS: envHelpers.positiveInt.default(1_500),
    /** JSON array of {id, key | keySha256, role, customerId?, vendorId?}; unset = development keys (refused in production). */
    API_KEYS: apiKeysSchema.optional(),
    /** Requests per minute per API key (per IP for anonymous callers). */
    RATE_LIMIT_PER_MINUTE: envHelpers.positiveInt.default(600),
    /** Requests per minute per IP on the webhook routes (providers burst). */
    WEBHOOK_RATE_LIMIT_PER_MINUTE: envHelpers.positiveInt.default(6_000),
    CORS_ORIGINS: originList,
    /**
     * Callers that may name a request's flow (x-request-id, x-correlation-id, traceparent) and
     * whose X-Forwarded-For is believed. Loopback only by default: on the internet nobody is.
     */
    TRUSTED_PROXIES: envHelpers.cidrList.default(['127.0.0.0/8', '::1']),
    /**
     * Requests handled at once. No pool to size it by: about what one service admits (its pool,
     * 10, plus its queue, 20), so a burst at one service is shed here rather than there.
     */
    HTTP_MAX_IN_FLIGHT: envHelpers.positiveInt.default(32),
    /** How long a client may take to send a whole request (headers and body) before a 408. */
    HTTP_REQUEST_TIMEOUT_MS: envHelpers.positiveInt.default(30_000),
    /** How long a client may take to send the request headers. */
    HTTP_HEADERS_TIMEOUT_MS: envHelpers.positiveInt.default(10_000),
    /** How long an idle keep-alive connection stays open (longer than a load balancer's idle timeout). */
    HTTP_KEEP_ALIVE_TIMEOUT_MS: envHelpers.positiveInt.default(72_000),
    /** Open connections at most; more are closed as they arrive. */
    HTTP_MAX_CONNECTIONS: envHelpers.positiveInt.default(1_000),
    /** The gateway's public address, as the OpenAPI document's server. */
    PUBLIC_BASE_URL: envHelpers.url(['http:', 'https:']).default('http://127.0.0.1:8080'),
    /** Verifies signed order links (`?t=`, signed by notifications and billing); unset: links are refused (required in production). */
    ORDER_LINK_SECRET: orderLinkSecret.optional(),
    /**
     * Live streams (GW-03) read the TIMELINE stream from NATS (`NATS_URL`). Without NATS only they
     * answer 503: the gateway stays ready for everything else. A comment line every
     * `LIVE_HEARTBEAT_MS` keeps proxies from closing a quiet stream and re-checks the caller's access.
     */
    LIVE_HEARTBEAT_MS: envHelpers.positiveInt.default(15_000),
    /** Live streams open at once on this replica; more are answered 503 (they hold no request turn). */
    LIVE_MAX_STREAMS: envHelpers.positiveInt.default(500),
  })
  .superRefine((env, context) => {
    if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
      context.addIssue({ code: 'custom', path: ['HTTP_HEADERS_TIMEOUT_MS'], message: 'must not exceed HTTP_REQUEST_TIMEOUT_MS' });
    }
    if (env.NODE_ENV === 'production' && env.API_KEYS === undefined) {
      context.addIssue({ code: 'custom', path: ['API_KEYS'], message: 'is required when NODE_ENV=production (the development keys are refused)' });
    }
    if (env.NODE_ENV === 'production' && env.ORDER_LINK_SECRET === undefined) {
      context.addIssue({ code: 'custom', path: ['ORDER_LINK_SECRET'], message: 'is required when NODE_ENV=production (every email links the order page with it)' });
    }
  });

export type GatewayEnv = z.infer<typeof gatewayEnv>;
