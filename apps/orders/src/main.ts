import { databaseEnv, envHelpers, loadEnvOrExit, ServiceRuntime, serviceEnv } from '@platform/config';
import { createDatabase } from './adapters/database';
import { registerOrderRoutes } from './http/order-routes';

const env = loadEnvOrExit(serviceEnv.extend(databaseEnv.shape).extend({ PORT: envHelpers.port.default(8081) }));
const runtime = await ServiceRuntime.start('orders', env);
const db = runtime.attachDatabase(createDatabase(env.DATABASE_URL));
const relay = runtime.startOutboxRelay(db);

const app = runtime.createHttpServer();
registerOrderRoutes(app, { db, onEventsRecorded: () => relay.notify() });
await runtime.serve(app);
