import { loadEnvOrExit } from '@platform/config/env';
import { ServiceRuntime } from '@platform/runtime/service';
import { buildGatewayServers } from './app';
import { gatewayEnv } from './config';

const env = loadEnvOrExit(gatewayEnv);
const runtime = await ServiceRuntime.start('gateway', env, { messaging: false });
const { app, management } = await buildGatewayServers(runtime, env);
await runtime.serve(app, management);
