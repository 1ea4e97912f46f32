import { loadEnvOrExit } from '@platform/config/env';
import { ServiceRuntime } from '@platform/runtime/service';
import { buildNotifications } from './app';
import { notificationsEnv } from './config';

const env = loadEnvOrExit(notificationsEnv);
const runtime = await ServiceRuntime.start('notifications', env);
const { app } = buildNotifications(runtime, env);
await runtime.serve(app);
