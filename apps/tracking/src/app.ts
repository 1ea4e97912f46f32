import { createHttpClient } from '@platform/runtime/http-client';
import type { ServiceRuntime } from '@platform/runtime/service';
import { streams } from '@platform/contracts';
import { AftershipProvider } from './adapters/aftership';
import { createBusinessMetrics } from './adapters/business-metrics';
import { createDatabase, type Transaction } from './adapters/database';
import { SeventeenTrackProvider } from './adapters/seventeen-track';
import { TrackingProviders } from './adapters/tracking-providers';
import { NO_SCAN_TIMER, POLL_TIMER, pollShipment, reportSilence, type TrackingDeps } from './application/shipments';
import type { TrackingEnv } from './config';
import { trackReturnParcels, trackShippedShipments } from './consumers/shipment-shipped';
import { registerQueryRoutes } from './http/queries';
import { registerWebhookRoutes } from './http/webhooks';

/**
 * The tracking service on a runtime: database, outbox relay, 17TRACK with AfterShip as the
 * fallback, the shipped-shipments and return-parcels consumers, the poll timer, the webhooks and the queries.
 * `main.ts` serves the app; tests start the same build (`@platform/test-support/service`).
 */
export function buildTracking(runtime: ServiceRuntime, env: TrackingEnv) {
  const db = runtime.attachDatabase(createDatabase(env.DATABASE_URL, env.DATABASE_POOL_SIZE));
  runtime.addOutboxRelay(createDatabase(env.DATABASE_URL, 1));

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
    noScanAlertMs: env.NO_SCAN_ALERT_MS,
    log: runtime.log,
    metrics: createBusinessMetrics(runtime.metrics.registry),
  };

  // Both providers down is an outage, not a bad message: retry for about an hour before dead-lettering.
  const registering = { backoffMs: [5_000, 30_000, 60_000, 300_000], maxDeliver: 16, transactionTimeoutMs: 4 * env.PROVIDER_TIMEOUT_MS + 10_000 };
  // A consumer each, so the server delivers each only its own subject (NATS 2.9 takes one filter per consumer).
  for (const [name, subscription] of [
    ['tracking--shipments', trackShippedShipments(deps)],
    ['tracking--returns', trackReturnParcels(deps)],
  ] as const) {
    runtime.addConsumer<Transaction>({ name, stream: streams.FULFILLMENT.name, db, subscriptions: [subscription], ...registering });
  }
  runtime.addTimers<Transaction>(db, { [POLL_TIMER]: pollShipment(deps), [NO_SCAN_TIMER]: reportSilence(deps) });

  const app = runtime.createHttpServer();
  registerWebhookRoutes(app, db, deps, { seventeenTrackApiKey: env.SEVENTEEN_TRACK_API_KEY, aftershipWebhookSecret: env.AFTERSHIP_WEBHOOK_SECRET });
  registerQueryRoutes(app, db, providers);
  return { app, db };
}
