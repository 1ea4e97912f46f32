import { fileURLToPath } from 'node:url';
import type { ManagementServer, PlatformHttpServer } from '@platform/runtime/http';
import type { ServiceRuntime } from '@platform/runtime/service';
import { AdjustableClock, type Clock } from '@platform/runtime/clock';
import type { Logger } from '@platform/runtime/logger';
import { PageRenderer } from './adapters/page-renderer';
import { StreamFollower } from '@platform/runtime/stream-follower';
import { BackgroundNats } from '@platform/runtime/background-nats';
import type { Metrics } from '@platform/runtime/metrics';
import { Counter } from 'prom-client';
import { SharedCounter, sharedRateLimitStore } from './adapters/rate-limit-store';
import { Upstream } from './adapters/upstream';
import type { GatewayEnv } from './config';
import { type ApiKeyEntry, ApiKeyring, DEVELOPMENT_KEYS } from './domain/api-keys';
import { registerAuthentication } from './http/auth';
import { limitConnections } from './http/connection-limits';
import { registerConsole } from './http/console';
import { registerCustomerPages } from './http/customer-pages';
import { CustomerScopes } from './http/customer-scope';
import { registerForwardRoutes, type Upstreams } from './http/forward-routes';
import { registerLiveRoutes } from './http/live-routes';
import { registerDocs, registerOpenApi } from './http/openapi';
import { registerOpsRoutes } from './http/ops-routes';
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

export interface GatewayDeps {
  /** The process's metrics (the rate-limit store counts its failures there). */
  metrics: Metrics;
  /** Live streams and rate limits read NATS; started here, closed with the server. */
  nats: BackgroundNats;
  /** The runtime's clock (key and link expiry); tests pass one they move. */
  clock?: Clock;
}

/**
 * The gateway on a platform HTTP server: connection limits, security headers, CORS, rate limits
 * (counted in NATS KV, shared by every replica), API keys, the OpenAPI document (served by
 * `registerDocs` on the management listener), then the `/v1` routes (table forwards, the composed
 * order detail, the timeline and live streams, raw webhooks) and the customer pages (order,
 * tracking, payment return).
 */
export async function buildGateway(app: PlatformHttpServer, env: GatewayEnv, deps: GatewayDeps): Promise<PlatformHttpServer> {
  const clock = deps.clock ?? new AdjustableClock();
  limitConnections(app, env);
  const keyring = apiKeyring(env, app.log, clock);
  // The gateway starts and serves everything but live streams without NATS.
  const { nats } = deps;
  nats.start();
  app.addHook('onClose', () => nats.close());
  const counter = new SharedCounter({
    nats,
    log: app.log,
    failures: new Counter({
      name: 'gateway_rate_limit_store_failures_total',
      help: 'Requests let through uncounted because the shared rate-limit store (NATS KV) failed, by reason',
      labelNames: ['reason'] as const,
      registers: [deps.metrics.registry],
    }),
  });
  const upstream = (name: keyof Upstreams, url: string) => new Upstream(name, url, env.UPSTREAM_TIMEOUT_MS);
  const upstreams: Upstreams = {
    orders: upstream('orders', env.ORDERS_URL),
    billing: upstream('billing', env.BILLING_URL),
    fulfillment: upstream('fulfillment', env.FULFILLMENT_URL),
    tracking: upstream('tracking', env.TRACKING_URL),
    notifications: upstream('notifications', env.NOTIFICATIONS_URL),
  };
  const scopes = new CustomerScopes(upstreams.orders, upstreams.billing);

  await registerSecurity(app, {
    keyring,
    ratePerMinute: env.RATE_LIMIT_PER_MINUTE,
    corsOrigins: env.CORS_ORIGINS,
    publicBaseUrl: env.PUBLIC_BASE_URL,
    rateLimitStore: sharedRateLimitStore(counter),
  });
  registerAuthentication(app, keyring);
  await registerOpenApi(app, env.PUBLIC_BASE_URL);
  registerOrderDetailRoute(app, upstreams, env.COMPOSE_TIMEOUT_MS);
  registerOpsRoutes(app, upstreams, env.COMPOSE_TIMEOUT_MS, () => clock.now());
  const follower = new StreamFollower(nats, app.log);
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
  registerConsole(app, fileURLToPath(new URL('../console', import.meta.url)));
  registerCustomerPages(app, upstreams, scopes, renderer, { orderLinkSecret: env.ORDER_LINK_SECRET, composeTimeoutMs: env.COMPOSE_TIMEOUT_MS, now: () => clock.now() });
  return app;
}

/**
 * The gateway as `main.ts` serves it: the public server, and the management listener with the
 * metrics, probes and the docs of the public routes (collected once they are all registered).
 */
export async function buildGatewayServers(runtime: ServiceRuntime, env: GatewayEnv): Promise<{ app: PlatformHttpServer; management: ManagementServer }> {
  const nats = new BackgroundNats(env, 'gateway', runtime.log);
  // Reported, not required: without NATS only live streams fail, and rate limits let requests through.
  const reported = {
    nats: async () => {
      if (!nats.connection) throw new Error('not connected');
    },
  };
  const app = await buildGateway(runtime.createHttpServer({}, reported), env, { metrics: runtime.metrics, clock: runtime.clock, nats });
  await app.ready();
  const management = runtime.createManagementServer({}, reported);
  await registerDocs(management, app);
  return { app, management };
}
