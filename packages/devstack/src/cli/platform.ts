/**
 * Command one: `pnpm platform` (also what `npm start` runs after bootstrap).
 * Starts NATS JetStream, PostgreSQL, the SMTP sink and the six services on the default ports of
 * the README (Services, Configuration), keeping state in `<repo>/.data` across runs. A service
 * that dies is restarted with back-off (0.5 s doubling to 30 s). Ctrl-C stops everything.
 *
 * Logs: every service writes raw JSON lines to `.data/logs/<service>.log` (NATS and PostgreSQL to
 * `nats.log` / `postgres.log`); the terminal shows warnings, errors and one line per gateway
 * request, compactly (log-format.ts); `--verbose` (or PLATFORM_VERBOSE=true) shows every line.
 */
import { join, relative } from 'node:path';
import { PROVIDERS } from '@platform/simulators';
import { isPortFree } from '../ports';
import { repoRoot } from '../paths';
import { localNatsPassword } from '../nats-auth';
import { SERVICE_NAMES, SERVICES, type ServiceName } from '../services';
import { startStack, type StackHandle, type StackPorts } from '../stack';
import { createLogFormatter } from './log-format';

interface PortSetting {
  key: keyof StackPorts;
  label: string;
  envVar: string;
  fallback: number;
  /** Not needed when this override variable is set. */
  skipIf?: (env: NodeJS.ProcessEnv) => boolean;
}

const allDatabasesGiven = (env: NodeJS.ProcessEnv): boolean =>
  SERVICE_NAMES.every((name) => SERVICES[name].database === null || Boolean(env[`${SERVICES[name].envPrefix}_DATABASE_URL`]));

const PORTS: PortSetting[] = [
  { key: 'nats', label: 'NATS', envVar: 'NATS_PORT', fallback: 4222, skipIf: (env) => Boolean(env.NATS_URL) },
  { key: 'natsMonitor', label: 'NATS monitoring', envVar: 'NATS_MONITOR_PORT', fallback: 8222, skipIf: (env) => Boolean(env.NATS_URL) },
  { key: 'postgres', label: 'PostgreSQL', envVar: 'POSTGRES_PORT', fallback: 54329, skipIf: allDatabasesGiven },
  { key: 'smtp', label: 'SMTP sink', envVar: 'SMTP_PORT', fallback: 1025, skipIf: (env) => Boolean(env.SMTP_URL) },
  { key: 'smtpHttp', label: 'mail inbox', envVar: 'SMTP_HTTP_PORT', fallback: 8025, skipIf: (env) => Boolean(env.SMTP_URL) },
  { key: 'simulators', label: 'provider simulators', envVar: 'SIMULATORS_PORT', fallback: 8090, skipIf: (env) => env.SIMULATORS === 'off' },
  ...SERVICE_NAMES.map(
    (name): PortSetting => ({ key: name, label: name, envVar: `${SERVICES[name].envPrefix}_PORT`, fallback: SERVICES[name].port }),
  ),
  { key: 'gatewayManagement', label: 'gateway management (metrics, API docs)', envVar: 'GATEWAY_MANAGEMENT_PORT', fallback: 9090 },
];

function fail(message: string): never {
  process.stderr.write(`\n${message}\n`);
  process.exit(1);
}

async function resolvePorts(env: NodeJS.ProcessEnv): Promise<StackPorts> {
  const ports: Partial<StackPorts> = {};
  const problems: string[] = [];
  for (const setting of PORTS) {
    const raw = env[setting.envVar];
    const port = raw ? Number(raw) : setting.fallback;
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      problems.push(`${setting.envVar}=${raw} is not a valid port.`);
      continue;
    }
    ports[setting.key] = port;
  }
  const used = new Map<number, string>();
  for (const setting of PORTS) {
    const port = ports[setting.key];
    if (port === undefined || setting.skipIf?.(env)) continue;
    const clash = used.get(port);
    if (clash) problems.push(`Port ${port} is configured twice (${clash} and ${setting.envVar}).`);
    used.set(port, setting.envVar);
    if (!(await isPortFree(port))) {
      problems.push(`Port ${port} (${setting.label}) is already in use. Stop what uses it, or set ${setting.envVar} to another port.`);
    }
  }
  if (problems.length > 0) fail(`Cannot start the platform:\n  ${problems.join('\n  ')}`);
  return ports as StackPorts;
}

async function main(): Promise<void> {
  const env = process.env;
  const dataDir = env.PLATFORM_DATA_DIR ?? join(repoRoot, '.data');
  const logDir = join(dataDir, 'logs');
  const ports = await resolvePorts(env);
  const show = (path: string): string => (path.startsWith(repoRoot) ? relative(repoRoot, path) || '.' : path);
  const say = (message: string): void => void process.stdout.write(`platform: ${message}\n`);

  // Provider variables (STRIPE_API_URL, ...) reach the services through the environment as they are.
  const overrides: Record<string, string | undefined> = {
    NATS_URL: env.NATS_URL,
    SMTP_URL: env.SMTP_URL,
    SIMULATORS: env.SIMULATORS,
    // Locally, suppliers are polled every 10 s (production default: 15 min) so a demo order moves along.
    SUPPLIER_POLL_INTERVAL_MS: env.SUPPLIER_POLL_INTERVAL_MS ?? '10000',
  };
  for (const name of SERVICE_NAMES) {
    const key = `${SERVICES[name].envPrefix}_DATABASE_URL`;
    if (env[key]) overrides[key] = env[key];
  }
  for (const key of Object.keys(overrides)) if (!overrides[key]) delete overrides[key];

  const verbose = process.argv.includes('--verbose') || env.PLATFORM_VERBOSE === 'true';
  const format = createLogFormatter(SERVICE_NAMES, { color: Boolean(process.stdout.isTTY) && !env.NO_COLOR, verbose });
  const aborter = new AbortController();
  let stack: StackHandle | undefined;
  let stopping = false;

  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      say(`${signal} again: exiting without waiting (children are signalled on exit)`);
      process.exit(1);
    }
    stopping = true;
    if (!stack) {
      say(`${signal}: aborting startup…`);
      aborter.abort(new Error(`interrupted by ${signal}`));
      return;
    }
    say(`${signal}: stopping services, then SMTP sink, NATS, PostgreSQL…`);
    stack.stop().then(
      () => {
        say('stopped.');
        process.exit(0);
      },
      (error: unknown) => {
        say(`stopped with errors: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  say(`starting (data in ${show(dataDir)}, logs in ${show(logDir)})…`);
  try {
    stack = await startStack({
      dataDir,
      logDir,
      ports,
      persistent: true,
      env: overrides,
      echo: (name: ServiceName, line: string) => format(name, line),
      log: say,
      signal: aborter.signal,
      // A service that dies is started again with back-off, as an orchestrator would.
      restartOnExit: true,
    });
  } catch (error) {
    if (aborter.signal.aborted) {
      say('startup aborted; everything started so far was stopped.');
      process.exit(0);
    }
    fail(`platform: failed to start: ${(error as Error).message}\nLogs: ${show(logDir)}`);
  }

  const postgresLine = stack.postgres
    ? `postgresql://<service>:<service>-local@127.0.0.1:${stack.postgres.port}/<service>  (a role and db per service: ${SERVICE_NAMES.filter((name) => SERVICES[name].database).join(', ')}; superuser postgres:postgres)`
    : 'external (<SERVICE>_DATABASE_URL)';
  const lines = [
    '',
    '  Platform is up.',
    `  Gateway      ${stack.gatewayUrl}   (metrics, docs and OpenAPI on the management listener ${stack.gatewayManagementUrl})`,
    `  Mail inbox   ${stack.smtp ? `${stack.smtp.httpUrl}   (SMTP ${stack.smtp.smtpUrl})` : `external (${stack.env.SMTP_URL})`}`,
    `  NATS         ${stack.nats ? `${stack.nats.url}   (monitoring ${stack.nats.monitorUrl})` : `external (${stack.env.NATS_URL})`}`,
    `               users per service; nats CLI: --user operator --password ${localNatsPassword('operator')}`,
    `  PostgreSQL   ${postgresLine}`,
    `  Providers    ${stack.simulators ? `simulators on ${stack.simulators.url} (${Object.keys(PROVIDERS).map((prefix) => `/${prefix}`).join(' ')})` : 'real providers (SIMULATORS=off)'}`,
    // With API_KEYS set the gateway refuses the development keys: advertise them only when they work.
    `  API docs     ${stack.gatewayManagementUrl}/docs   ${env.API_KEYS ? '(keys: those in API_KEYS)' : '(dev keys: dev-admin-key, dev-ops-key, dev-customer-key for customer cust-demo, dev-vendor-key for vendor acme)'}`,
    `  Logs         ${show(logDir)}/<service>.log (raw JSON), nats.log, postgres.log; below: warnings, errors, gateway requests${verbose ? ' and every other line (--verbose)' : ' (--verbose for every line)'}`,
    `  Data         ${show(dataDir)} (kept between runs; delete it to start fresh)`,
    '  Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((error: unknown) => fail(`platform: ${(error as Error).stack ?? String(error)}`));
