import { loadEnvOrExit } from '@platform/config/env';
import { ServiceRuntime } from '@platform/runtime/service';
import { buildTracking } from './app';
import { trackingEnv } from './config';

const env = loadEnvOrExit(trackingEnv);
const runtime = await ServiceRuntime.start('tracking', env);
const { app } = buildTracking(runtime, env);
await runtime.serve(app);
