import { z } from 'zod';
import { databaseEnv, envHelpers, loadEnvOrExit, serviceEnv } from '@platform/config/env';
import { ServiceRuntime } from '@platform/runtime/service';
import { createDatabase } from './adapters/database';
import { deleteExpiredIdempotencyKeys } from './adapters/idempotency';
import { insertMissingPriceBookEntries } from './adapters/price-book-repository';
import { registerProgressConsumers } from './consumers/order-progress-consumers';
import { DEMO_PRICE_BOOK } from './domain/demo-price-book';
import { registerOrderRoutes } from './http/order-routes';
import { registerPriceRoutes } from './http/price-routes';

const env = loadEnvOrExit(
  serviceEnv
    .extend(databaseEnv.shape)
    .extend({ PORT: envHelpers.port.default(8081), SEED_DEMO_PRICE_BOOK: z.stringbool().default(true) }),
);
const runtime = await ServiceRuntime.start('orders', env);
const db = runtime.attachDatabase(createDatabase(env.DATABASE_URL, env.DATABASE_POOL_SIZE));
const relay = runtime.startOutboxRelay(db);
runtime.every('idempotency-key expiry', 15 * 60 * 1000, () => deleteExpiredIdempotencyKeys(db));
if (env.SEED_DEMO_PRICE_BOOK) {
  const added = await insertMissingPriceBookEntries(db, DEMO_PRICE_BOOK, runtime.clock.now());
  if (added > 0) runtime.log.info({ added }, 'demo price book entries added');
}

const deps = { db, clock: runtime.clock, log: runtime.log, onEventsRecorded: () => relay.notify() };
registerProgressConsumers(runtime, db, deps);
const app = runtime.createHttpServer();
registerOrderRoutes(app, deps);
registerPriceRoutes(app, deps);
await runtime.serve(app);
