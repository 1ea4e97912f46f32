import { loadEnvOrExit } from '@platform/config/env';
import { ServiceRuntime } from '@platform/runtime/service';
import { buildBilling } from './app';
import { billingEnv } from './config';

const env = loadEnvOrExit(billingEnv);
const runtime = await ServiceRuntime.start('billing', env);
const { app } = await buildBilling(runtime, env);
await runtime.serve(app);
