import { loadEnvOrExit } from '@platform/config/env';
import { ServiceRuntime } from '@platform/runtime/service';
import { buildNotifications } from './app';
import { notificationsEnv } from './config';

const env = loadEnvOrExit(notificationsEnv);
// The image ships prisma/migrations beside dist/: the start is refused on an older schema.
const runtime = await ServiceRuntime.start('notifications', env, { migrations: new URL('../prisma/migrations', import.meta.url) });
const { app } = buildNotifications(runtime, env);
await runtime.serve(app);
