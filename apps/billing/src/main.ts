import { loadEnvOrExit } from '@platform/config/env';
import { ServiceRuntime } from '@platform/runtime/service';
import { buildBilling } from './app';
import { billingEnv } from './config';

const env = loadEnvOrExit(billingEnv);
// The image ships prisma/migrations beside dist/: the start is refused on an older schema.
const runtime = await ServiceRuntime.start('billing', env, { migrations: new URL('../prisma/migrations', import.meta.url) });
const { app } = await buildBilling(runtime, env);
await runtime.serve(app);
