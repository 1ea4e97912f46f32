import { ORDERS_AT_ONCE } from '@platform/runtime/consumer';
import type { ServiceRuntime } from '@platform/runtime/service';
import { supplierSchema } from '@platform/contracts';
import { z } from 'zod';
import { createBusinessMetrics } from './adapters/business-metrics';
import { configuredChannels, parsePairs } from './adapters/channels';
import { createDatabase, type Transaction } from './adapters/database';
import {
  CHANNEL_PULL_TIMER,
  CHANNEL_SHIPMENT_TIMER,
  CHANNEL_SYNC_TIMER,
  type ChannelDeps,
  ensureChannelPulls,
  pullChannel,
  sendChannelShipment,
  syncChannelOrder,
} from './application/channel-orders';
import { PROMISE_DEADLINE_TIMER } from './application/delivery-promise';
import { promiseDeadlinePassed } from './application/promise-watch';
import { deleteExpiredIdempotencyKeys } from './adapters/idempotency';
import { insertMissingPriceBookEntries } from './adapters/price-book-repository';
import type { OrdersDeps } from './application/dependencies';
import type { OrdersEnv } from './config';
import { registerAvailabilityConsumer } from './consumers/availability-consumer';
import { registerNotificationOutcomesConsumer } from './consumers/notification-outcomes-consumer';
import { registerProgressConsumers } from './consumers/order-progress-consumers';
import { DEMO_PRICE_BOOK } from './domain/demo-price-book';
import { registerChannelWebhookRoutes } from './http/channel-webhook-routes';
import { registerOrderRoutes } from './http/order-routes';
import { registerPriceRoutes } from './http/price-routes';
import { registerPromiseRoutes } from './http/promise-routes';
import { registerSubOrderRoutes } from './http/sub-order-routes';

/**
 * The pool: DATABASE_POOL_SIZE is the HTTP side's (its admission limit follows it); the three
 * progress consumers' lanes, the availability and notification-outcome consumers' and the timer
 * worker's (sales channels) come on top, so they never starve requests.
 */
export const databasePoolSize = (httpConnections: number) => httpConnections + 3 * ORDERS_AT_ONCE + 3;

/**
 * The orders service on a runtime: database, outbox relay, idempotency-key expiry, the demo
 * price book, the progress, availability and notification-outcome consumers (with the others
 * they feed the order's timeline), the sales channels' timers (order sync, periodic pull,
 * ship-back), the delivery promise's deadline timer and the HTTP routes with the channels' webhooks. `main.ts` serves the app; tests
 * start the same build (`@platform/test-support/service`).
 */
export async function buildOrders(runtime: ServiceRuntime, env: OrdersEnv) {
  const db = runtime.attachDatabase(createDatabase(env.DATABASE_URL, databasePoolSize(env.DATABASE_POOL_SIZE)));
  const relay = runtime.addOutboxRelay(createDatabase(env.DATABASE_URL, 1));
  runtime.every('idempotency-key expiry', 15 * 60 * 1000, () => deleteExpiredIdempotencyKeys(db));
  if (env.SEED_DEMO_PRICE_BOOK) {
    const added = await insertMissingPriceBookEntries(db, DEMO_PRICE_BOOK, runtime.clock.now());
    if (added > 0) runtime.log.info({ added }, 'demo price book entries added');
  }

  const deps: OrdersDeps = {
    db,
    clock: runtime.clock,
    log: runtime.log,
    metrics: createBusinessMetrics(runtime.metrics.registry),
    leadTimes: env.DELIVERY_SOURCES,
  };
  registerProgressConsumers(runtime, db, deps);
  registerAvailabilityConsumer(runtime, db);
  registerNotificationOutcomesConsumer(runtime, db);

  const channelDeps: ChannelDeps = {
    ...deps,
    channels: configuredChannels(env),
    channelVendor: { id: env.TIKTOK_SHOP_VENDOR_ID, type: env.TIKTOK_SHOP_VENDOR_TYPE },
    channelSources: z.record(z.string(), supplierSchema).parse(parsePairs(env.TIKTOK_SHOP_SKU_SOURCES)),
    pullIntervalMs: env.CHANNEL_PULL_INTERVAL_MS,
    pullLookbackMs: env.CHANNEL_PULL_LOOKBACK_MS,
  };
  const timers = runtime.addTimers<Transaction>(db, {
    [CHANNEL_SYNC_TIMER]: (timer, tx) => syncChannelOrder(tx, channelDeps, timer.payload),
    [CHANNEL_PULL_TIMER]: (timer, tx, now) => pullChannel(tx, channelDeps, timer.payload, now),
    [CHANNEL_SHIPMENT_TIMER]: (timer, tx) => sendChannelShipment(tx, channelDeps, timer.key),
    [PROMISE_DEADLINE_TIMER]: (timer, tx) => promiseDeadlinePassed(tx, deps, timer.key),
  });
  await ensureChannelPulls(db, channelDeps);

  const app = runtime.createHttpServer();
  registerChannelWebhookRoutes(app, channelDeps);
  registerOrderRoutes(app, deps);
  registerPriceRoutes(app, deps);
  registerSubOrderRoutes(app, deps);
  registerPromiseRoutes(app, deps);
  return { app, db, deps, relay, channelDeps, timers };
}
