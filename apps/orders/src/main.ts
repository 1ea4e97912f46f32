import { databaseEnv, envHelpers, loadEnvOrExit, ServiceRuntime, serviceEnv } from '@platform/config';
import { createDatabase } from './adapters/database';
import { deleteExpiredIdempotencyKeys } from './adapters/idempotency';
import { registerOrderRoutes } from './http/order-routes';

const env = loadEnvOrExit(serviceEnv.extend(databaseEnv.shape).extend({ PORT: envHelpers.port.default(8081) }));
const runtime = await ServiceRuntime.start('orders', env);
const db = runtime.attachDatabase(createDatabase(env.DATABASE_URL));
const relay = runtime.startOutboxRelay(db);
runtime.every('idempotency-key expiry', 15 * 60 * 1000, () => deleteExpiredIdempotencyKeys(db));

const app = runtime.createHttpServer();
registerOrderRoutes(app, { db, onEventsRecorded: () => relay.notify() });
await runtime.serve(app);
