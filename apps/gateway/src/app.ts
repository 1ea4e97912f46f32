import { fileURLToPath } from 'node:url';
import type { PlatformHttpServer } from '@platform/runtime/http';
import { AdjustableClock, type Clock } from '@platform/runtime/clock';
import type { Logger } from '@platform/runtime/logger';
import { PageRenderer } from './adapters/page-renderer';
import { StreamFollower } from '@platform/runtime/stream-follower';
import { Upstream } from './adapters/upstream';
import type { GatewayEnv } from './config';
import { type ApiKeyEntry, ApiKeyring, DEVELOPMENT_KEYS } from './domain/api-keys';
import { registerAuthentication } from './http/auth';
import { limitConnections } from './http/connection-limits';
import { registerCustomerPages } from './http/customer-pages';
import { CustomerScopes } from './http/customer-scope';
import { registerForwardRoutes, type Upstreams } from './http/forward-routes';
import { registerLiveRoutes } from './http/live-routes';
import { registerOpenApi } from './http/openapi';
import { registerOrderDetailRoute } from './http/order-detail';
import { registerSecurity } from './http/security';
import { registerWebhookRoutes } from './http/webhook-routes';

/** `API_KEYS`, or outside production the documented development keys (with a warning). */
export function apiKeyring(env: Pick<GatewayEnv, 'API_KEYS' | 'NODE_ENV'>, log: Logger, clock?: Clock): ApiKeyring {
  if (env.API_KEYS) return new ApiKeyring(env.API_KEYS, clock);
  if (env.NODE_ENV === 'production') throw new Error('API_KEYS is required when NODE_ENV=production');
  log.warn({ keys: DEVELOPMENT_KEYS.map(({ id, role }) => ({ id, role })) }, 'API_KEYS is not set: accepting the development keys (dev-admin-key, dev-ops-key, dev-customer-key, dev-vendor-key)');
  return new ApiKeyring(DEVELOPMENT_KEYS satisfies ApiKeyEntry[], clock);
}

/**
 * The gateway on a platform HTTP server: connection limits, security headers, CORS, rate limits, API keys,
 * the OpenAPI document and docs page, then the `/v1` routes (table forwards, the composed
 * order detail, the timeline and live streams, raw webhooks) and the customer pages (order,
 * tracking, payment return). `clock`: the runtime's (key and link expiry); tests pass one they move.
 */
export async function buildGateway(app: PlatformHttpServer, env: GatewayEnv, clock: Clock = new AdjustableClock()): Promise<PlatformHttpServer> {
  limitConnections(app, env);
  const keyring = apiKeyring(env, app.log, clock);
  const upstream = (name: keyof Upstreams, url: string) => new Upstream(name, url, env.UPSTREAM_TIMEOUT_MS);
  const upstreams: Upstreams = {
    orders: upstream('orders', env.ORDERS_URL),
    billing: upstream('billing', env.BILLING_URL),
    fulfillment: upstream('fulfillment', env.FULFILLMENT_URL),
    tracking: upstream('tracking', env.TRACKING_URL),
    notifications: upstream('notifications', env.NOTIFICATIONS_URL),
  };
  const scopes = new CustomerScopes(upstreams.orders, upstreams.billing);

  await registerSecurity(app, { keyring, ratePerMinute: env.RATE_LIMIT_PER_MINUTE, corsOrigins: env.CORS_ORIGINS, publicBaseUrl: env.PUBLIC_BASE_URL });
  registerAuthentication(app, keyring);
  await registerOpenApi(app, env.PUBLIC_BASE_URL);
  registerOrderDetailRoute(app, upstreams, env.COMPOSE_TIMEOUT_MS);
  // Live streams read NATS; the gateway starts and serves everything else without it.
  const follower = new StreamFollower(env, 'gateway', app.log);
  follower.start();
  app.addHook('onClose', () => follower.close());
  registerLiveRoutes(app, {
    upstreams,
    scopes,
    keyring,
    follower,
    clock,
    orderLinkSecret: env.ORDER_LINK_SECRET,
    heartbeatMs: env.LIVE_HEARTBEAT_MS,
    maxStreams: env.LIVE_MAX_STREAMS,
  });
  registerForwardRoutes(app, upstreams, scopes);
  registerWebhookRoutes(app, upstreams, { max: env.WEBHOOK_RATE_LIMIT_PER_MINUTE });
  // pages/ sits beside src/ and dist/, so the same path works from source and from the bundle.
  const renderer = new PageRenderer(fileURLToPath(new URL('../pages', import.meta.url)));
  registerCustomerPages(app, upstreams, scopes, renderer, { orderLinkSecret: env.ORDER_LINK_SECRET, composeTimeoutMs: env.COMPOSE_TIMEOUT_MS, now: () => clock.now() });
  return app;
}
