import { fileURLToPath } from 'node:url';
import closeWithGrace from 'close-with-grace';
import { type ConsumerOptions, EventConsumer } from './consumer';
import { LeaseBalancer } from './consumer-lease';
import { admissionLimitsFor } from './admission';
import type { OperatedConsumer } from './dead-letters';
import { registerOpsRoutes } from './ops-routes';
import {
  createHttpServer,
  createManagementServer,
  type HttpServerOptions,
  type ManagementServer,
  type PlatformHttpServer,
  type ReadinessCheck,
} from './http';
import { createLogger, type DestinationStream, type Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import {
  connectNats,
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
  jetstreamManager,
  type NatsConnection,
} from './nats';
import { requireStreams } from './nats-provisioning';
import { DEFAULT_DATABASE_POOL_SIZE, type NatsClientEnv } from '@platform/config/env';
import { OutboxRelay, type SqlClient, type TransactionalSqlClient } from './outbox';
import { streams } from '@platform/contracts';
import { consumerDeclarationMismatch } from '@platform/contracts/consumers';
import { timerDeclarationMismatch } from '@platform/contracts/timers';
import { checkSchema, SchemaBehindError } from './migrations';
import { startTelemetry } from './telemetry';
import { AdjustableClock, type Clock } from './clock';
import { type TimerHandler, TimerWorker } from './timers';
import { onCommit } from './transaction-scope';
import { z } from 'zod';

export interface RuntimeEnv extends NatsClientEnv {
  LOG_LEVEL: string;
  HOST: string;
  PORT: number;
  CONSUMER_ACK_WAIT_MS?: number;
  /** A handler's failures on one message before it is dead-lettered (tests lower it). */
  CONSUMER_MAX_DELIVER?: number;
  SHUTDOWN_DRAIN_MS?: number;
  TEST_CLOCK_CONTROL?: boolean;
  DATABASE_POOL_SIZE?: number;
  HTTP_MAX_IN_FLIGHT?: number;
  HTTP_MAX_QUEUE?: number;
  HTTP_QUEUE_TIMEOUT_MS?: number;
  TRUSTED_PROXIES?: readonly string[];
  /** The service's own database, for services that have one; each durable consumer's lease is held there (docs/ordering.md). */
  DATABASE_URL?: string;
  /** A second listener for `/metrics` and operators' pages (the gateway's); unset: everything on PORT. */
  MANAGEMENT_PORT?: number;
}

/**
 * The HTTP server's limits from the environment: back-pressure sized to the database pool
 * unless set, and the callers trusted to name a flow.
 */
export function httpServerSettings(env: Omit<RuntimeEnv, 'LOG_LEVEL' | 'NATS_URL' | 'HOST' | 'PORT'>): Pick<HttpServerOptions, 'admission' | 'trustedProxies'> {
  return {
    admission: admissionLimitsFor(env.DATABASE_POOL_SIZE ?? DEFAULT_DATABASE_POOL_SIZE, {
      maxInFlight: env.HTTP_MAX_IN_FLIGHT,
      maxQueue: env.HTTP_MAX_QUEUE,
      maxWaitMs: env.HTTP_QUEUE_TIMEOUT_MS,
    }),
    trustedProxies: env.TRUSTED_PROXIES,
  };
}

/** Refuses to run on a database that lacks a migration of the code; a newer one is only reported. */
async function requireCurrentSchema(env: RuntimeEnv, migrations: URL | string, log: Logger, telemetry: { shutdown(): Promise<void> }): Promise<void> {
  const migrationsDir = migrations instanceof URL ? fileURLToPath(migrations) : migrations;
  try {
    if (!env.DATABASE_URL) throw new Error('the schema check needs DATABASE_URL');
    const { unknown } = await checkSchema({ databaseUrl: env.DATABASE_URL, migrationsDir });
    if (unknown.length > 0) {
      log.warn({ migrations: unknown }, 'the database has migrations this code does not know (a newer version applied them); starting anyway');
    }
  } catch (error) {
    if (error instanceof SchemaBehindError) log.fatal({ migration: error.migration }, error.message);
    await telemetry.shutdown();
    throw error;
  }
}

interface Messaging {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/**
 * Everything a service process shares with every other: telemetry, logs, metrics, NATS
 * (its streams checked: they are provisioned beforehand), and an ordered graceful shutdown. A service's `app.ts`
 * adds its database, outbox relay, timers, consumers and routes; `main.ts` then calls
 * `serve()`, which starts them. Tests start the same build with `startWorkers()` (or without
 * it, to drive handlers and timers themselves) and end it with `shutdown()`.
 */
export class ServiceRuntime {
  private readonly consumers: Array<OperatedConsumer & Pick<EventConsumer, 'start' | 'stop'>> = [];
  private readonly cleanups: Array<() => Promise<void>> = [];
  private relay: OutboxRelay | undefined;
  private balancer: LeaseBalancer | undefined;
  private readonly timerWorkers: Array<Pick<TimerWorker, 'notify' | 'pending'>> = [];
  private readonly readiness: Record<string, ReadinessCheck> = {};
  private readonly workers: Array<{ start(): void }> = [];

  private constructor(
    readonly name: string,
    readonly env: RuntimeEnv,
    readonly log: Logger,
    readonly metrics: Metrics,
    private readonly nats: Messaging | undefined,
    private readonly telemetry: { shutdown(): Promise<void> },
    private readonly adjustableClock: AdjustableClock,
  ) {}

  /**
   * `messaging: false` for a process that neither publishes nor consumes (the gateway);
   * `clock` for a test that restarts a service and keeps its time; `migrations`: the folder of
   * the code's migrations (`apps/<service>/prisma/migrations`, shipped in the image), which must
   * all be applied to DATABASE_URL or the start is refused (see `checkSchema`); `logDestination`
   * for a test that reads the service's log lines (default: stdout).
   */
  static async start(
    name: string,
    env: RuntimeEnv,
    options: { messaging?: boolean; clock?: AdjustableClock; migrations?: URL | string; logDestination?: DestinationStream } = {},
  ): Promise<ServiceRuntime> {
    const telemetry = startTelemetry(name);
    const log = createLogger(name, env.LOG_LEVEL, options.logDestination);
    const metrics = createMetrics(name);
    if (options.migrations) await requireCurrentSchema(env, options.migrations, log, telemetry);
    let messaging: Messaging | undefined;
    if (options.messaging ?? true) {
      const nc = await connectNats(env, name, log);
      const jsm = await jetstreamManager(nc);
      await requireStreams(jsm, name);
      messaging = { nc, js: jetstream(nc), jsm };
    }
    return new ServiceRuntime(name, env, log, metrics, messaging, telemetry, options.clock ?? new AdjustableClock());
  }

  /** The service's time. Only tests move it (`TEST_CLOCK_CONTROL`); see clock.ts. */
  get clock(): Clock {
    return this.adjustableClock;
  }

  get messaging(): Messaging {
    if (!this.nats) throw new Error(`${this.name} was started without messaging`);
    return this.nats;
  }

  /** Registers something to release at shutdown; run last-registered first, after HTTP and consumers stop. */
  onShutdown(cleanup: () => Promise<void>): void {
    this.cleanups.push(cleanup);
  }

  /**
   * The service's own database (a client made by `createPrismaClient`): checked by `/readyz`,
   * disconnected at shutdown, and its `processed_events` and `applied_versions` kept as long as an
   * event can still be replayed or retried (stream history plus dead-letter retention), then
   * deleted. Each of its commits, a request's, a consumer's or a timer's, wakes the outbox relay
   * when it recorded events, and tells the timer workers the timers it scheduled: one due now (a
   * notice to send now) fires at once instead of at the next poll, one due later sets the wake-up.
   */
  attachDatabase<D extends SqlClient & { $disconnect(): Promise<void> }>(db: D): D {
    onCommit(db, (written) => {
      if (written.events) this.relay?.notify();
      if (written.timers.length > 0) for (const worker of this.timerWorkers) worker.notify(written.timers);
    });
    this.readiness.database = async () => void (await db.$queryRaw`SELECT 1`);
    this.onShutdown(() => db.$disconnect());
    const keepDays = Math.ceil((streams.ORDERS.maxAgeMs + streams.DEAD_LETTERS.maxAgeMs) / 86_400_000);
    this.every('processed-events retention', 60 * 60 * 1000, async () => {
      await db.$executeRaw`DELETE FROM processed_events WHERE processed_at < now() - make_interval(days => ${keepDays})`;
      await db.$executeRaw`DELETE FROM applied_versions WHERE applied_at < now() - make_interval(days => ${keepDays})`;
    });
    return db;
  }

  /** Runs `task` every `intervalMs` until shutdown; failures are logged, never fatal. */
  every(name: string, intervalMs: number, task: () => Promise<void>): void {
    const timer = setInterval(() => {
      task().catch((error) => this.log.warn({ err: error, task: name }, 'periodic task failed'));
    }, intervalMs);
    timer.unref();
    this.onShutdown(async () => clearInterval(timer));
  }

  /**
   * NATS as `/readyz` reports it: a round trip. Reported, never failing readiness: while NATS is
   * away requests still commit (their events wait in the outbox) and consumers resume after, so
   * taking every replica out of rotation would turn a messaging outage into a full one.
   */
  private natsProbe(): Record<string, ReadinessCheck> {
    const nc = this.nats?.nc;
    if (!nc) return {};
    return {
      nats: async () => {
        if (nc.isClosed()) throw new Error('closed');
        await nc.flush();
      },
    };
  }

  /**
   * The HTTP server; `/readyz` checks the database and `readiness`, and reports NATS and `reported` (docs/probes.md).
   * With `MANAGEMENT_PORT` set, `/metrics` is left to `createManagementServer()`.
   */
  createHttpServer(readiness: Record<string, ReadinessCheck> = {}, reported: Record<string, ReadinessCheck> = {}): PlatformHttpServer {
    const app = createHttpServer({
      log: this.log,
      metrics: this.metrics,
      readiness: { ...this.readiness, ...readiness },
      reported: { ...this.natsProbe(), ...reported },
      serveMetrics: this.env.MANAGEMENT_PORT === undefined,
      ...httpServerSettings(this.env),
    });
    if (this.nats && this.consumers.length > 0) {
      registerOpsRoutes(app, { consumers: this.consumers, relay: () => this.relay, timers: () => this.timerWorkers, nats: this.nats, log: this.log });
    }
    if (this.env.TEST_CLOCK_CONTROL) {
      const clock = this.adjustableClock;
      this.log.warn('TEST_CLOCK_CONTROL is on: POST /_test/clock moves this service\'s time');
      app.get('/_test/clock', { schema: { hide: true } }, async () => ({ now: clock.now().toISOString(), offsetMs: clock.offset }));
      app.post(
        '/_test/clock',
        { schema: { hide: true, body: z.object({ advanceMs: z.number().int().nonnegative() }) } },
        async (request) => {
          const now = clock.advance(request.body.advanceMs);
          return { now: now.toISOString(), offsetMs: clock.offset };
        },
      );
    }
    return app;
  }

  /**
   * Fires this service's durable timers (see timers.ts) with `handlers` by kind, once the
   * service starts: exactly the kinds `@platform/contracts/timers` declares for the service.
   * Moving the test clock wakes the worker.
   */
  addTimers<Tx extends SqlClient>(
    db: TransactionalSqlClient<Tx>,
    handlers: Record<string, TimerHandler<Tx>>,
    options: { pollIntervalMs?: number; concurrency?: number } = {},
  ): TimerWorker<Tx> {
    const mismatch = timerDeclarationMismatch(this.name, Object.keys(handlers));
    if (mismatch) throw new Error(mismatch);
    const worker = new TimerWorker<Tx>({
      db,
      clock: this.adjustableClock,
      log: this.log,
      handlers,
      pollIntervalMs: options.pollIntervalMs,
      concurrency: options.concurrency,
      metrics: this.metrics,
    });
    this.adjustableClock.onAdvance(() => worker.notify());
    this.timerWorkers.push(worker);
    this.workers.push(worker);
    this.onShutdown(() => worker.stop());
    return worker;
  }

  /**
   * Publishes the service's outbox once the service starts, through `db`: a client of its own
   * on the service's database (one connection), so a committed event never waits behind
   * requests and consumers for a pooled connection. Disconnected after the relay stops.
   */
  addOutboxRelay(db: TransactionalSqlClient & { $disconnect(): Promise<void> }): OutboxRelay {
    const relay = new OutboxRelay({ db, js: this.messaging.js, log: this.log, metrics: this.metrics });
    this.relay = relay;
    this.workers.push(relay);
    // Cleanups run last-registered first: the relay stops before its client goes.
    this.onShutdown(() => db.$disconnect());
    this.onShutdown(() => relay.stop());
    return relay;
  }

  /**
   * A durable consumer, started with the service. One declared in
   * `@platform/contracts/consumers` must read its declared stream and handle its declared events.
   */
  addConsumer<Tx extends SqlClient>(
    options: Omit<ConsumerOptions<Tx>, 'js' | 'jsm' | 'log' | 'metrics'>,
  ): EventConsumer<Tx> {
    const mismatch = consumerDeclarationMismatch({ name: options.name, stream: options.stream, events: options.subscriptions });
    if (mismatch) throw new Error(mismatch);
    const consumer = new EventConsumer<Tx>({
      ackWaitMs: this.env.CONSUMER_ACK_WAIT_MS,
      maxDeliver: this.env.CONSUMER_MAX_DELIVER,
      // One replica at a time handles a durable consumer: per-aggregate order holds with replicas.
      ...(this.env.DATABASE_URL && { lease: this.leaseBalancer(this.env.DATABASE_URL).lease(options.name) }),
      ...options,
      js: this.messaging.js,
      jsm: this.messaging.jsm,
      log: this.log,
      metrics: this.metrics,
    });
    this.consumers.push(consumer);
    return consumer;
  }

  /** The consumers' leases, spread over the service's replicas; started before and stopped after the consumers. */
  private leaseBalancer(databaseUrl: string): LeaseBalancer {
    if (!this.balancer) {
      const balancer = new LeaseBalancer(databaseUrl, this.name, this.log, this.metrics);
      this.balancer = balancer;
      this.onShutdown(() => balancer.stop());
    }
    return this.balancer;
  }

  /** Starts what was added: the outbox relay, the timers, the lease balance and the consumers. */
  async startWorkers(): Promise<void> {
    for (const worker of this.workers) worker.start();
    await this.balancer?.start();
    for (const consumer of this.consumers) await consumer.start();
  }

  /**
   * The management listener (on `MANAGEMENT_PORT`): `/metrics`, `/healthz`, `/readyz` with the
   * same checks as the public server's `readiness`; the service adds its operators' pages.
   */
  createManagementServer(readiness: Record<string, ReadinessCheck> = {}, reported: Record<string, ReadinessCheck> = {}): ManagementServer {
    return createManagementServer({
      log: this.log,
      metrics: this.metrics,
      readiness: { ...this.readiness, ...readiness },
      reported: { ...this.natsProbe(), ...reported },
    });
  }

  /** Starts the workers, listens (and `management` on MANAGEMENT_PORT), and wires SIGTERM/SIGINT to a graceful shutdown. */
  async serve(app: PlatformHttpServer, management?: ManagementServer): Promise<void> {
    await this.startWorkers();
    await app.listen({ host: this.env.HOST, port: this.env.PORT });
    if (management) await management.listen({ host: this.env.HOST, port: this.env.MANAGEMENT_PORT });
    closeWithGrace({ delay: 15_000 + (this.env.SHUTDOWN_DRAIN_MS ?? 0), logger: this.log }, async ({ signal, err }) => {
      if (err) this.log.error({ err }, 'shutting down after an error');
      this.log.info({ signal }, 'shutting down');
      await this.shutdown(app, management);
    });
  }

  /** Readiness 503, drain, HTTP closed, consumers stopped, then what was added, last first; NATS drained. */
  async shutdown(app: PlatformHttpServer, management?: ManagementServer): Promise<void> {
    app.markShuttingDown();
    management?.markShuttingDown();
    if (this.env.SHUTDOWN_DRAIN_MS) await new Promise((resolve) => setTimeout(resolve, this.env.SHUTDOWN_DRAIN_MS));
    await app.close();
    // Last of the listeners: metrics stay scrapeable while requests drain.
    await management?.close();
    await Promise.all(this.consumers.map((c) => c.stop()));
    for (const cleanup of this.cleanups.reverse()) await cleanup();
    await this.nats?.nc.drain();
    await this.telemetry.shutdown();
  }
}
