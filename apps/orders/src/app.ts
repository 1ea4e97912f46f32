import { ORDERS_AT_ONCE } from '@platform/runtime/consumer';
import type { ServiceRuntime } from '@platform/runtime/service';
import { createDatabase } from './adapters/database';
import { deleteExpiredIdempotencyKeys } from './adapters/idempotency';
import { insertMissingPriceBookEntries } from './adapters/price-book-repository';
import type { OrdersDeps } from './application/dependencies';
import type { OrdersEnv } from './config';
import { registerAvailabilityConsumer } from './consumers/availability-consumer';
import { registerProgressConsumers } from './consumers/order-progress-consumers';
import { DEMO_PRICE_BOOK } from './domain/demo-price-book';
import { registerOrderRoutes } from './http/order-routes';
import { registerPriceRoutes } from './http/price-routes';
import { registerPromiseRoutes } from './http/promise-routes';
import { registerSubOrderRoutes } from './http/sub-order-routes';

/**
 * The pool: DATABASE_POOL_SIZE is the HTTP side's (its admission limit follows it); the three
 * progress consumers' lanes and the availability consumer's come on top, so they never starve requests.
 */
export const databasePoolSize = (httpConnections: number) => httpConnections + 3 * ORDERS_AT_ONCE + 1;

/**
 * The orders service on a runtime: database, outbox relay, idempotency-key expiry, the demo
 * price book, the progress and availability consumers and the HTTP routes. `main.ts` serves the app; tests
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

  const deps: OrdersDeps = { db, clock: runtime.clock, log: runtime.log, onEventsRecorded: () => relay.notify(), leadTimes: env.DELIVERY_SOURCES };
  registerProgressConsumers(runtime, db, deps);
  registerAvailabilityConsumer(runtime, db);
  const app = runtime.createHttpServer();
  registerOrderRoutes(app, deps);
  registerPriceRoutes(app, deps);
  registerSubOrderRoutes(app, deps);
  registerPromiseRoutes(app, deps);
  return { app, db, deps };
}
