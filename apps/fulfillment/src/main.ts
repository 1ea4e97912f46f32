import { loadEnvOrExit } from '@platform/config/env';
import { ServiceRuntime } from '@platform/runtime/service';
import { buildFulfillment } from './app';
import { fulfillmentEnv } from './config';

const env = loadEnvOrExit(fulfillmentEnv);
// The image ships prisma/migrations beside dist/: the start is refused on an older schema.
const runtime = await ServiceRuntime.start('fulfillment', env, { migrations: new URL('../prisma/migrations', import.meta.url) });
const { app } = await buildFulfillment(runtime, env);
await runtime.serve(app);
