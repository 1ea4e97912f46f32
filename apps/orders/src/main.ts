import { loadEnvOrExit } from '@platform/config/env';
import { ServiceRuntime } from '@platform/runtime/service';
import { buildOrders } from './app';
import { ordersEnv } from './config';

const env = loadEnvOrExit(ordersEnv);
const runtime = await ServiceRuntime.start('orders', env);
const { app } = await buildOrders(runtime, env);
await runtime.serve(app);
