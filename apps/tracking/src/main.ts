import { loadEnvOrExit } from '@platform/config/env';
import { ServiceRuntime } from '@platform/runtime/service';
import { buildTracking } from './app';
import { trackingEnv } from './config';

const env = loadEnvOrExit(trackingEnv);
// The image ships prisma/migrations beside dist/: the start is refused on an older schema.
const runtime = await ServiceRuntime.start('tracking', env, { migrations: new URL('../prisma/migrations', import.meta.url) });
const { app } = buildTracking(runtime, env);
await runtime.serve(app);
