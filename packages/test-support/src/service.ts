import { loadEnv } from '@platform/config/env';
import { AdjustableClock } from '@platform/runtime/clock';
import type { PlatformHttpServer } from '@platform/runtime/http';
import { type RuntimeEnv, ServiceRuntime } from '@platform/runtime/service';
import { inject } from 'vitest';
import type { z } from 'zod';
import { type AppWithDatabase, migratedDatabase, migrationsDirOf } from './databases';

export interface ServiceOptions<Schema> {
  /** Which service: its migrations and its runtime's name. */
  name: AppWithDatabase;
  /** The service's environment schema, as its `main.ts` loads it. */
  env: Schema;
  /** Variables over the test defaults (silent logs, the test NATS, the service's database, any free port). */
  variables?: Record<string, string | undefined>;
  /** An existing database: the service restarted. Default: a fresh one with the migrations applied. */
  databaseUrl?: string;
  /** The service's clock; a restarted service is given the one it had. */
  clock?: AdjustableClock;
  /**
   * Starts the outbox relay, timers and consumers as `serve` does (default). `false`: the test
   * calls handlers and fires timers itself, and publishes nothing to the streams other test files share.
   */
  workers?: boolean;
  /** Keeps the service's log lines (at `info` unless `variables` set LOG_LEVEL) for `logLines()`, rather than none. */
  captureLog?: boolean;
}

export type StartedService<Built> = Built & {
  runtime: ServiceRuntime;
  clock: AdjustableClock;
  databaseUrl: string;
  /** Where it listens (`http://127.0.0.1:<port>`). */
  url: string;
  /** The JSON lines the service logged so far (with `captureLog`; none otherwise). */
  logLines(): Array<Record<string, unknown>>;
  /** The runtime's graceful shutdown. */
  stop(): Promise<void>;
};

/**
 * A service in process as its `main.ts` runs it (environment → runtime → its `app.ts` build →
 * workers and HTTP), on the NATS and PostgreSQL of the integration setup.
 */
export async function startService<Schema extends z.ZodObject & z.ZodType<RuntimeEnv>, Built extends { app: PlatformHttpServer }>(
  build: (runtime: ServiceRuntime, env: z.infer<Schema>) => Built | Promise<Built>,
  options: ServiceOptions<Schema>,
): Promise<StartedService<Built>> {
  const databaseUrl = options.databaseUrl ?? (await migratedDatabase(options.name));
  const env = loadEnv(options.env, {
    LOG_LEVEL: options.captureLog ? 'info' : 'silent',
    NATS_URL: inject('natsUrl'),
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: databaseUrl,
    ...options.variables,
  });
  const clock = options.clock ?? new AdjustableClock();
  const lines: string[] = [];
  const logDestination = options.captureLog ? { write: (line: string) => void lines.push(line) } : undefined;
  const runtime = await ServiceRuntime.start(options.name, env, { clock, migrations: migrationsDirOf(options.name), logDestination });
  const built = await build(runtime, env);
  if (options.workers ?? true) await runtime.startWorkers();
  const url = await built.app.listen({ host: env.HOST, port: env.PORT });
  const logLines = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { ...built, runtime, clock, databaseUrl, url, logLines, stop: () => runtime.shutdown(built.app) };
}
