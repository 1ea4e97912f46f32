import { loadEnvOrExit } from '@platform/config/env';
import { ServiceRuntime } from '@platform/runtime/service';
import { buildGateway } from './app';
import { gatewayEnv } from './config';

const env = loadEnvOrExit(gatewayEnv);
const runtime = await ServiceRuntime.start('gateway', env, { messaging: false });
const app = await buildGateway(runtime.createHttpServer(), env, runtime.clock);
await runtime.serve(app);
