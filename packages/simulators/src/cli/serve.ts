/**
 * The provider simulators on their own: `node --import tsx packages/simulators/src/cli/serve.ts`.
 * Command one starts them itself; this is for docker-compose and for running services by hand.
 * PORT (default 8090), HOST (default 127.0.0.1), WEBHOOK_BASE_URL (the gateway, default http://127.0.0.1:8080),
 * STATE_FILE (keep stored objects and switches there across restarts; default: memory only).
 */
import { PROVIDERS, startSimulators } from '../server';

const port = Number(process.env.PORT ?? 8090);
const host = process.env.HOST ?? '127.0.0.1';
const webhookBaseUrl = process.env.WEBHOOK_BASE_URL ?? 'http://127.0.0.1:8080';
const stateFile = process.env.STATE_FILE || undefined;

const simulators = await startSimulators({ port, host, webhookBaseUrl, stateFile });
process.stdout.write(
  `provider simulators on ${simulators.url} (${Object.keys(PROVIDERS).map((p) => `/${p}`).join(' ')}); webhooks to ${webhookBaseUrl}; state ${stateFile ?? 'in memory'}\n`,
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void simulators.stop().then(() => process.exit(0));
  });
}
