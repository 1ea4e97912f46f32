import { envHelpers, loadEnvOrExit, ServiceRuntime, serviceEnv } from '@platform/config';
import { Upstream } from './adapters/upstream';
import { registerOrderRoutes } from './http/order-routes';

const serviceUrl = (port: number) => envHelpers.url(['http:', 'https:']).default(`http://127.0.0.1:${port}`);
const env = loadEnvOrExit(
  serviceEnv.extend({
    PORT: envHelpers.port.default(8080),
    ORDERS_URL: serviceUrl(8081),
    UPSTREAM_TIMEOUT_MS: envHelpers.positiveInt.default(5_000),
  }),
);
const runtime = await ServiceRuntime.start('gateway', env, { messaging: false });
const app = runtime.createHttpServer();
registerOrderRoutes(app, new Upstream('orders', env.ORDERS_URL, env.UPSTREAM_TIMEOUT_MS));
await runtime.serve(app);
