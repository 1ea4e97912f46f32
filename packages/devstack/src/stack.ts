/**
 * The whole platform on one machine: NATS JetStream, PostgreSQL, the SMTP sink and the six
 * services, wired with the environment of the README (Services, Configuration). Used by the platform command (fixed
 * ports, persistent `.data`) and by end-to-end tests (free ports, temp dir, not persistent).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { applyMigrations } from '@platform/runtime/migrations';
import type { NatsClientEnv } from '@platform/runtime/nats';
import { provisionNats } from '@platform/runtime/nats-provisioning';
import type { NatsUser } from '@platform/contracts/nats-users';
import { startNats, type NatsHandle } from './nats';
import { authorizationConfig, localNatsUser, natsPasswordEnv } from './nats-auth';
import { freePorts } from './ports';
import { repoRoot } from './paths';
import { startPostgres, type PostgresHandle } from './postgres';
import {
  DEFAULT_RESTART_POLICY,
  describeExit,
  RestartBackoff,
  type RestartPolicy,
  SERVICE_NAMES,
  SERVICES,
  serviceEntry,
  startService,
  type ServiceHandle,
  type ServiceName,
} from './services';
import { startSmtpSink, type SmtpSinkHandle } from './smtp-sink';
import { type SimulatorHandle, startSimulators } from '@platform/simulators';
import { providerEnvFor } from './providers';
import { DEMO_DATA } from './demo-data';

export type StackPorts = {
  nats: number;
  natsMonitor: number;
  postgres: number;
  smtp: number;
  smtpHttp: number;
  simulators: number;
  /** The gateway's management listener (metrics, docs page). */
  gatewayManagement: number;
} & Record<ServiceName, number>;

/** A free port for every part of the stack (tests run beside the platform command this way). */
export async function freeStackPorts(): Promise<StackPorts> {
  const [nats, natsMonitor, postgres, smtp, smtpHttp, simulators, gatewayManagement, ...services] = await freePorts(7 + SERVICE_NAMES.length);
  const ports = { nats, natsMonitor, postgres, smtp, smtpHttp, simulators, gatewayManagement } as StackPorts;
  SERVICE_NAMES.forEach((name, index) => (ports[name] = services[index]!));
  return ports;
}

export interface StartStackOptions {
  /** Root for state: `<dataDir>/nats`, `<dataDir>/postgres`, `<dataDir>/simulators.json`. */
  dataDir: string;
  ports: StackPorts;
  /**
   * false: PostgreSQL's data is deleted on stop and the simulators keep their state in memory
   * only (tests). NATS' store is left to the caller's dataDir.
   */
  persistent: boolean;
  /**
   * Overrides and extra variables. `NATS_URL`, `SMTP_URL` and `<SERVICE>_DATABASE_URL` switch off
   * the matching local infrastructure (a NATS of one's own gets the local users' passwords:
   * `startNatsCluster` with `authorizationConfig()`, or none at all); `NATS_STREAM_REPLICAS` is
   * what the streams are provisioned with (default 1); `SIMULATORS=off` starts no provider simulators (set the
   * providers' variables instead: README, "Real providers"), and any provider variable
   * (`STRIPE_API_URL`, ...) replaces its simulator value; `HOST`, `LOG_LEVEL`, `OTEL_*` and anything else are passed to
   * every service.
   */
  env?: Record<string, string | undefined>;
  /** Extra variables for one service only (e.g. `{ orders: { PLATFORM_CRASH_AT: 'x' } }`). */
  serviceEnv?: Partial<Record<ServiceName, Record<string, string | undefined>>>;
  /** Write `<svc>.log`, `nats.log`, `postgres.log` here; otherwise service output is printed prefixed. */
  logDir?: string;
  /** With `logDir`: also print service lines through this formatter (`undefined`: file only). */
  echo?: (service: ServiceName, line: string) => string | undefined;
  /** Subset of services to start (default: all six). */
  services?: readonly ServiceName[];
  /** Scripts to run instead of `apps/<svc>/dist/main.js` (tests of the tooling itself). */
  entries?: Partial<Record<ServiceName, string>>;
  /** Per-service readiness timeout (default 60 s). */
  readyTimeoutMs?: number;
  /** Progress messages. */
  log?: (message: string) => void;
  /** Abort a start in progress (e.g. Ctrl-C while services boot): what started is stopped, then it throws. */
  signal?: AbortSignal;
  /**
   * Once the stack is up, start a service again when its process exits without being stopped
   * (`service.stop()`, `stopService`, `restartService`, `stop()`), after a back-off (default
   * 0.5 s doubling to 30 s, reset after 60 s up), announced through `log`
   * (`orders exited (signal SIGKILL); restarting in 1 s (restart 2)`). Off by default.
   */
  restartOnExit?: boolean | Partial<RestartPolicy>;
}

export interface RestartOptions {
  /**
   * The service is armed to crash (`PLATFORM_CRASH_AT`) and may exit at any time, also before it
   * reports ready: the restart then resolves once it is ready or has exited, whichever comes
   * first, and logs which (the handle's `exit` tells the caller); it still rejects when neither happens within the readiness timeout.
   */
  mayExit?: boolean;
}

export interface StackHandle {
  /** Undefined when NATS_URL was given. */
  nats?: NatsHandle;
  /** Undefined when every database URL was given. */
  postgres?: PostgresHandle;
  /** Undefined when SMTP_URL was given. */
  smtp?: SmtpSinkHandle;
  /** The provider simulators (payment, suppliers, tracking, SMS, push); undefined with SIMULATORS=off. */
  simulators?: SimulatorHandle;
  /** The running handle of each service (replaced when a service is restarted: read it again after a kill). */
  services: Partial<Record<ServiceName, ServiceHandle>>;
  gatewayUrl: string;
  /** How a user of the stack's NATS connects (tests read as `operator`). */
  natsUser(user: NatsUser): NatsClientEnv;
  /** The gateway's management listener: `/metrics`, `/docs`, `/openapi.json` (never the public one). */
  gatewayManagementUrl: string;
  /**
   * The wiring: NATS_URL, SMTP_URL, `<SERVICE>_DATABASE_URL` and `<SERVICE>_URL` for every service
   * (e.g. ORDERS_DATABASE_URL, ORDERS_URL, GATEWAY_URL).
   */
  env: Record<string, string>;
  /** Stops services (SIGTERM, in parallel), then the sink, NATS, PostgreSQL. Idempotent. */
  stop(): Promise<void>;
  /**
   * Stops `name` if it still runs and starts it again with the stack's wiring plus `env`
   * (the start-time `serviceEnv` is not reapplied); resolves when it is ready. Kill tests use it.
   */
  restartService(name: ServiceName, env?: Record<string, string | undefined>, options?: RestartOptions): Promise<ServiceHandle>;
  /** Stops `name` on purpose: with `restartOnExit` it stays down until `restartService`. */
  stopService(name: ServiceName): Promise<void>;
}

export async function startStack(options: StartStackOptions): Promise<StackHandle> {
  const { dataDir, ports, persistent, logDir } = options;
  const overrides = options.env ?? {};
  const log = options.log ?? (() => {});
  const selected = options.services ?? SERVICE_NAMES;
  const entryOf = (name: ServiceName): string => options.entries?.[name] ?? serviceEntry(name);
  const missing = selected.map(entryOf).filter((entry) => !existsSync(entry));
  if (missing.length > 0) {
    throw new Error(
      `Not built: ${missing.join(', ')}. ` +
        `Build with: pnpm exec turbo run build (or pnpm --filter @platform/<service> build)`,
    );
  }
  mkdirSync(dataDir, { recursive: true });
  if (logDir) mkdirSync(logDir, { recursive: true });
  const logFile = (name: string): string | undefined => (logDir ? join(logDir, `${name}.log`) : undefined);

  const handle: StackHandle = {
    services: {},
    gatewayUrl: `http://127.0.0.1:${ports.gateway}`,
    gatewayManagementUrl: `http://127.0.0.1:${ports.gatewayManagement}`,
    env: {},
    natsUser: (user) => localNatsUser(user, handle.env.NATS_URL ?? ''),
    stop: async () => {},
    restartService: async () => {
      throw new Error('the stack is still starting');
    },
    stopService: async () => {
      throw new Error('the stack is still starting');
    },
  };
  const restartPolicy = options.restartOnExit
    ? { ...DEFAULT_RESTART_POLICY, ...(options.restartOnExit === true ? {} : options.restartOnExit) }
    : undefined;
  /** Per service: its back-off, the pending restart and restarts under way (awaited by stop()). */
  const restarts = new Map<ServiceName, { backoff: RestartBackoff; timer?: NodeJS.Timeout }>();
  const restarting = new Set<Promise<void>>();
  let supervising = false;
  const cancelRestart = (name: ServiceName): void => clearTimeout(restarts.get(name)?.timer);
  let stopping: Promise<void> | undefined;
  handle.stop = () =>
    (stopping ??= (async () => {
      for (const name of restarts.keys()) cancelRestart(name);
      await Promise.allSettled(restarting);
      await stopAll(handle, log);
    })());

  try {
    const dbServices = SERVICE_NAMES.filter((name) => SERVICES[name].database !== null);
    const dbOverride = (name: ServiceName): string | undefined => overrides[`${SERVICES[name].envPrefix}_DATABASE_URL`];
    const needPostgres = dbServices.some((name) => !dbOverride(name));

    // Infrastructure in parallel; whatever started is kept on `handle` so stop() can undo it.
    const infra = await Promise.allSettled([
      overrides.NATS_URL
        ? Promise.resolve(undefined)
        : startNats({
            port: ports.nats,
            monitorPort: ports.natsMonitor,
            storeDir: join(dataDir, 'nats'),
            logFile: logFile('nats'),
            // The users and permissions a deployment has, with the local passwords.
            config: authorizationConfig(),
            env: natsPasswordEnv(),
          }).then((nats) => (handle.nats = nats)),
      needPostgres
        ? startPostgres({
            dataDir: join(dataDir, 'postgres'),
            port: ports.postgres,
            persistent,
            logFile: logFile('postgres'),
          }).then((postgres) => (handle.postgres = postgres))
        : Promise.resolve(undefined),
      overrides.SMTP_URL
        ? Promise.resolve(undefined)
        : startSmtpSink({ smtpPort: ports.smtp, httpPort: ports.smtpHttp }).then((smtp) => (handle.smtp = smtp)),
      overrides.SIMULATORS === 'off'
        ? Promise.resolve(undefined)
        : startSimulators({
            port: ports.simulators,
            webhookBaseUrl: handle.gatewayUrl,
            // Pending checkouts, supplier orders, parcels and switches survive a restart, as the data does.
            stateFile: persistent ? join(dataDir, 'simulators.json') : undefined,
          }).then((sims) => (handle.simulators = sims)),
    ]);
    options.signal?.throwIfAborted();
    const failed = infra.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
    if (handle.nats) log(`NATS JetStream on ${handle.nats.url}`);
    if (handle.postgres) log(`PostgreSQL on 127.0.0.1:${handle.postgres.port}`);
    if (handle.smtp) log(`SMTP sink on ${handle.smtp.smtpUrl} (inbox ${handle.smtp.httpUrl})`);
    if (handle.simulators) log(`provider simulators on ${handle.simulators.url} (payment, suppliers, tracking, SMS, push)`);

    const natsUrl = overrides.NATS_URL ?? (handle.nats as NatsHandle).url;
    const env: Record<string, string> = {
      NATS_URL: natsUrl,
      SMTP_URL: overrides.SMTP_URL ?? (handle.smtp as SmtpSinkHandle).smtpUrl,
    };
    for (const name of SERVICE_NAMES) env[`${SERVICES[name].envPrefix}_URL`] = `http://127.0.0.1:${ports[name]}`;
    if (handle.simulators) env.SIMULATORS_URL = handle.simulators.url;

    // One database per service, owned by the service's own role (not the superuser), which also
    // applies the migrations: the tables then belong to the role the service connects as.
    await Promise.all(
      dbServices.map(async (name) => {
        const database = SERVICES[name].database as string;
        const url = dbOverride(name) ?? (await (handle.postgres as PostgresHandle).ensureServiceDatabase(database));
        env[`${SERVICES[name].envPrefix}_DATABASE_URL`] = url;
        const migrationsDir = join(repoRoot, SERVICES[name].dir, 'prisma', 'migrations');
        if (!existsSync(migrationsDir)) return;
        const { applied } = await applyMigrations({ databaseUrl: url, migrationsDir });
        if (applied.length > 0) log(`${name}: applied ${applied.length} migration(s): ${applied.join(', ')}`);
      }),
    );
    handle.env = env;
    options.signal?.throwIfAborted();

    // Streams exist before any service starts, created as a deployment creates them: by the provisioner.
    const replicas = Number(overrides.NATS_STREAM_REPLICAS ?? 1);
    const provisioned = await provisionNats(handle.natsUser('provisioner'), replicas);
    const created = Object.keys(provisioned).filter((stream) => provisioned[stream] !== 'unchanged');
    if (created.length > 0) log(`NATS: provisioned stream(s) ${created.join(', ')}`);
    options.signal?.throwIfAborted();

    // Variables for every service: the demo switches, the caller's extras, minus the infrastructure switches.
    // The demo data (price book, hubs with stock) is on for the local stack only; never deployed.
    // ORDER_LINK_SECRET signs the order links in emails (notifications) and checks them (gateway): a fixed
    // local value, so a link from an earlier run still opens; a deployment sets its own secret.
    const common: Record<string, string | undefined> = {
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: handle.gatewayUrl,
      ORDER_LINK_SECRET: 'local-stack-order-link-secret-not-for-deployment',
      ...DEMO_DATA,
      ...overrides,
    };
    delete common.SIMULATORS;
    delete common.NATS_STREAM_REPLICAS;
    for (const name of SERVICE_NAMES) delete common[`${SERVICES[name].envPrefix}_DATABASE_URL`];
    common.NATS_URL = env.NATS_URL;

    /** Starts one service with the stack's wiring plus `extra` variables. */
    const launch = async (name: ServiceName, extra: Record<string, string | undefined>): Promise<ServiceHandle> => {
      // Each service is its own NATS user (unless the caller set one).
      const serviceEnv: Record<string, string | undefined> = { ...localNatsUser(name, natsUrl), ...common, OTEL_SERVICE_NAME: name };
      const database = env[`${SERVICES[name].envPrefix}_DATABASE_URL`];
      if (database) serviceEnv.DATABASE_URL = database;
      if (name === 'notifications') {
        serviceEnv.SMTP_URL = env.SMTP_URL;
        // The local sink answers Mailpit's search: a lost email outcome is checked, not guessed.
        if (handle.smtp) serviceEnv.EMAIL_LOOKUP_URL = handle.smtp.httpUrl;
        // The Twilio simulator posts each SMS's status callbacks to the gateway's webhook: SMS become delivered.
        if (handle.simulators) serviceEnv.TWILIO_STATUS_CALLBACK_URL ??= `${handle.gatewayUrl}/v1/webhooks/twilio`;
        // Links in messages go through the click redirect (/c/<token>), so the analytics count clicks; a fixed local value.
        serviceEnv.CLICK_LINK_SECRET ??= 'local-stack-click-link-secret-not-for-deployment';
      }
      Object.assign(serviceEnv, providerEnvFor(name, handle.simulators?.url, overrides));
      if (name === 'gateway') {
        serviceEnv.MANAGEMENT_PORT = String(ports.gatewayManagement);
        for (const target of SERVICE_NAMES) {
          if (target !== 'gateway') serviceEnv[`${SERVICES[target].envPrefix}_URL`] = env[`${SERVICES[target].envPrefix}_URL`];
        }
      }
      Object.assign(serviceEnv, extra);
      const echo = options.echo;
      const service = await startService({
        name,
        port: ports[name],
        env: serviceEnv,
        logFile: logFile(name),
        echo: echo ? (line) => echo(name, line) : undefined,
        entry: options.entries?.[name],
      });
      handle.services[name] = service;
      if (restartPolicy) superviseExit(service, extra);
      return service;
    };

    /** Starts `dead` again after its back-off unless it was stopped, replaced, or the stack is stopping. */
    const scheduleRestart = (dead: ServiceHandle, extra: Record<string, string | undefined>, upMs: number, what: string): void => {
      const name = dead.name;
      let state = restarts.get(name);
      if (!state) restarts.set(name, (state = { backoff: new RestartBackoff(restartPolicy) }));
      const { delayMs, restart } = state.backoff.next(upMs);
      log(`${name} ${what}; restarting in ${delayMs / 1000} s (restart ${restart})`);
      clearTimeout(state.timer);
      state.timer = setTimeout(() => {
        if (stopping || handle.services[name] !== dead) return;
        const attempt = launch(name, extra).then(
          () => {},
          (error: unknown) => scheduleRestart(dead, extra, 0, `could not be started (${(error as Error).message})`),
        );
        restarting.add(attempt);
        void attempt.finally(() => restarting.delete(attempt));
      }, delayMs);
    };
    const superviseExit = (service: ServiceHandle, extra: Record<string, string | undefined>): void => {
      const startedAt = Date.now();
      void service.exit.then((exit) => {
        if (!supervising || stopping || service.stopRequested || handle.services[service.name] !== service) return;
        scheduleRestart(service, extra, Date.now() - startedAt, `exited (${describeExit(exit)})`);
      });
    };

    handle.restartService = async (name, extra = {}, restart = {}) => {
      cancelRestart(name);
      await handle.services[name]?.stop();
      const service = await launch(name, extra);
      const ready = service.waitReady(options.readyTimeoutMs ?? 60_000);
      if (!restart.mayExit) {
        await ready;
        return service;
      }
      // An exit settles `exit` before `waitReady` rejects for it (that rejection waits on `exit`), so an armed crash wins the race.
      ready.catch(() => {});
      const outcome = await Promise.race([service.exit.then((exit) => `exited (${describeExit(exit)})`), ready.then(() => 'ready')]);
      log(`${name} restarted armed to crash: ${outcome}`);
      return service;
    };
    handle.stopService = async (name) => {
      cancelRestart(name);
      await handle.services[name]?.stop();
    };

    const started = await Promise.allSettled(selected.map((name) => launch(name, options.serviceEnv?.[name] ?? {})));
    const notStarted = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (notStarted) throw notStarted.reason;

    const timeoutMs = options.readyTimeoutMs ?? 60_000;
    const ready = await Promise.allSettled(
      Object.values(handle.services).map((service) => abortable(service.waitReady(timeoutMs), options.signal)),
    );
    options.signal?.throwIfAborted();
    const notReady = ready.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (notReady.length > 0) {
      throw new Error(notReady.map((result) => (result.reason as Error).message ?? String(result.reason)).join('\n\n'));
    }
    log(`all services ready; gateway on ${handle.gatewayUrl}`);
    supervising = true;
    return handle;
  } catch (error) {
    await handle.stop().catch(() => {});
    throw error;
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function stopAll(handle: StackHandle, log: (message: string) => void): Promise<void> {
  const errors: unknown[] = [];
  const attempt = async (what: string, stop: (() => Promise<void>) | undefined): Promise<void> => {
    if (!stop) return;
    try {
      await stop();
    } catch (error) {
      errors.push(error);
      log(`stopping ${what} failed: ${(error as Error).message}`);
    }
  };
  await Promise.all(Object.values(handle.services).map((service) => attempt(service.name, () => service.stop())));
  await attempt('SMTP sink', handle.smtp?.stop);
  await attempt('provider simulators', handle.simulators?.stop);
  await attempt('NATS', handle.nats?.stop);
  await attempt('PostgreSQL', handle.postgres?.stop);
  if (errors.length > 0) throw new AggregateError(errors, 'Some parts of the stack did not stop cleanly');
}
