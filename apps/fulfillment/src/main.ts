import { loadEnvOrExit } from '@platform/config/env';
import { ServiceRuntime } from '@platform/runtime/service';
import { buildFulfillment } from './app';
import { fulfillmentEnv } from './config';

const env = loadEnvOrExit(fulfillmentEnv);
const runtime = await ServiceRuntime.start('fulfillment', env);
const { app } = await buildFulfillment(runtime, env);
await runtime.serve(app);
