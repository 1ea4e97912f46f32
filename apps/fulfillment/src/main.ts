import { databaseEnv, envHelpers, loadEnvOrExit, ServiceRuntime, serviceEnv } from '@platform/config';
import { createDatabase } from './adapters/database';

const env = loadEnvOrExit(serviceEnv.extend(databaseEnv.shape).extend({ PORT: envHelpers.port.default(8082) }));
const runtime = await ServiceRuntime.start('fulfillment', env);
const db = runtime.attachDatabase(createDatabase(env.DATABASE_URL));
runtime.startOutboxRelay(db);
await runtime.serve(runtime.createHttpServer());
