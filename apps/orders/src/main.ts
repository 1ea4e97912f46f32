import { loadEnvOrExit } from '@platform/config/env';
import { ServiceRuntime } from '@platform/runtime/service';
import { buildOrders } from './app';
import { ordersEnv } from './config';

const env = loadEnvOrExit(ordersEnv);
// The image ships prisma/migrations beside dist/: the start is refused on an older schema.
const runtime = await ServiceRuntime.start('orders', env, { migrations: new URL('../prisma/migrations', import.meta.url) });
const { app } = await buildOrders(runtime, env);
await runtime.serve(app);
