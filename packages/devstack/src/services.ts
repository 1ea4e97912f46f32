/** The platform's six services and how to run one of them from its build output. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { closeLog, exitOf, LogTail, onLines, openLog, pollUntil, stopChild } from './child';
import { repoRoot } from './paths';
import { guardChild } from './process-guard';

export const SERVICE_NAMES = ['gateway', 'orders', 'fulfillment', 'tracking', 'notifications', 'billing'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface ServiceInfo {
  name: ServiceName;
  /** Folder relative to the repo root. */
  dir: string;
  /** Default PORT (the README (Services, Configuration)). */
  port: number;
  /** Database name, or null for services without one (gateway). */
  database: string | null;
  /** Prefix of the per-service variables of the platform command: `<PREFIX>_PORT`, `<PREFIX>_DATABASE_URL`. */
  envPrefix: string;
}

export const SERVICES: Record<ServiceName, ServiceInfo> = {
  gateway: { name: 'gateway', dir: 'apps/gateway', port: 8080, database: null, envPrefix: 'GATEWAY' },
  orders: { name: 'orders', dir: 'apps/orders', port: 8081, database: 'orders', envPrefix: 'ORDERS' },
  fulfillment: { name: 'fulfillment', dir: 'apps/fulfillment', port: 8082, database: 'fulfillment', envPrefix: 'FULFILLMENT' },
  tracking: { name: 'tracking', dir: 'apps/tracking', port: 8083, database: 'tracking', envPrefix: 'TRACKING' },
  notifications: {
    name: 'notifications',
    dir: 'apps/notifications',
    port: 8084,
    database: 'notifications',
    envPrefix: 'NOTIFICATIONS',
  },
  billing: { name: 'billing', dir: 'apps/billing', port: 8085, database: 'billing', envPrefix: 'BILLING' },
};

/** Absolute path of a service's bundle. */
export function serviceEntry(name: ServiceName): string {
  return join(repoRoot, SERVICES[name].dir, 'dist', 'main.js');
}

/**
 * The V8 old-space cap every service runs with, as in deploy/k8s (`NODE_OPTIONS`; checked equal by
 * deploy/test/k8s.test.ts): without it V8 sizes the heap from the machine's memory and lets it fill
 * before collecting, so the development stack and the bench would show memory no pod has
 * (docs/performance.md, fifteenth round).
 */
export const SERVICE_HEAP_MB = 256;

/** `nodeOptions` with the heap cap added, unless it sets one already. */
export function withHeapCap(nodeOptions: string | undefined): string {
  if (nodeOptions?.includes('--max-old-space-size')) return nodeOptions;
  return [nodeOptions, `--max-old-space-size=${SERVICE_HEAP_MB}`].filter(Boolean).join(' ');
}

export interface StartServiceOptions {
  name: ServiceName;
  /** Added to this process's environment (PORT is set from `port`). */
  env: Record<string, string | undefined>;
  port: number;
  /** Append output here (raw lines); otherwise lines go to this process's stdout prefixed `[name] `. */
  logFile?: string;
  /** Also print lines to stdout when logging to a file, through this formatter (e.g. pretty pino). */
  /** Prints a log line on the console in its own form; `undefined` keeps it to the log file. */
  echo?: (line: string) => string | undefined;
  /** Script to run instead of `apps/<name>/dist/main.js` (tests of the tooling itself). */
  entry?: string;
}

export interface ServiceHandle {
  name: ServiceName;
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  pid: number;
  /** Polls GET /readyz until 200; rejects when the process exits first or on timeout. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** SIGTERM, then SIGKILL after `timeoutMs` (default 10 s); resolves once the process is gone. */
  stop(timeoutMs?: number): Promise<void>;
  /** Sends a signal (e.g. SIGKILL to simulate a crash). */
  kill(signal?: NodeJS.Signals): void;
  /** Exit code (null when ended by a signal). */
  exited: Promise<number | null>;
  /** How the process ended: its exit code, or the signal that ended it. */
  exit: Promise<ServiceExit>;
  /** Whether `stop()` was called: the process is ending on purpose (a supervisor does not restart it). */
  readonly stopRequested: boolean;
  /** The last lines the service printed (for assertion messages). */
  logTail(): string;
}

export interface ServiceExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** `code 3` or `signal SIGKILL`. */
export function describeExit({ code, signal }: ServiceExit): string {
  return signal ? `signal ${signal}` : `code ${code}`;
}

/** When to start a service again after it died: `initialDelayMs`, doubling up to `maxDelayMs`. */
export interface RestartPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  /** A process that stayed up this long before dying starts the back-off over. */
  resetAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { initialDelayMs: 500, maxDelayMs: 30_000, resetAfterMs: 60_000 };

/** Exponential back-off between restarts of one service, as an orchestrator does for a crash-looping container. */
export class RestartBackoff {
  private nextDelayMs: number;
  private restarts = 0;

  constructor(private readonly policy: RestartPolicy = DEFAULT_RESTART_POLICY) {
    this.nextDelayMs = policy.initialDelayMs;
  }

  /** The process died after `upMs`: how long to wait before restart number `restart`. */
  next(upMs: number): { delayMs: number; restart: number } {
    if (upMs >= this.policy.resetAfterMs) this.nextDelayMs = this.policy.initialDelayMs;
    const delayMs = this.nextDelayMs;
    this.nextDelayMs = Math.min(delayMs * 2, this.policy.maxDelayMs);
    this.restarts += 1;
    return { delayMs, restart: this.restarts };
  }
}

export async function startService(options: StartServiceOptions): Promise<ServiceHandle> {
  const { name, port } = options;
  const entry = options.entry ?? serviceEntry(name);
  if (!existsSync(entry)) {
    throw new Error(`${name} is not built (${entry} is missing). Build it with: pnpm --filter @platform/${name} build`);
  }
  const log = options.logFile ? openLog(options.logFile) : undefined;
  const tail = new LogTail(60);
  const child = spawn(process.execPath, ['--enable-source-maps', entry], {
    cwd: repoRoot,
    env: { ...process.env, ...options.env, NODE_OPTIONS: withHeapCap(options.env.NODE_OPTIONS ?? process.env.NODE_OPTIONS), PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: Ctrl-C reaches only the parent, which stops services in order.
    detached: true,
  });
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  spawnError.catch(() => {});
  if (child.pid === undefined) await spawnError;
  const pid = child.pid as number;
  const release = guardChild(pid, 'SIGTERM');

  const prefix = `[${name}] `;
  const onLine = (line: string): void => {
    tail.push(line);
    if (log) {
      log.write(line + '\n');
      const shown = options.echo?.(line);
      if (shown !== undefined) process.stdout.write(shown + '\n');
    } else {
      process.stdout.write(prefix + line + '\n');
    }
  };
  onLines(child.stdout, onLine);
  onLines(child.stderr, onLine);

  const exit = exitOf(child).then(async (): Promise<ServiceExit> => {
    release();
    await closeLog(log);
    return { code: child.exitCode, signal: child.signalCode };
  });
  const exited = exit.then(({ code }) => code);
  const url = `http://127.0.0.1:${port}`;
  let stopRequested = false;

  return {
    name,
    url,
    port,
    pid,
    exited,
    exit,
    get stopRequested() {
      return stopRequested;
    },
    logTail: () => tail.text(),
    waitReady: async (timeoutMs = 30_000) => {
      const died = exited.then((code) => {
        throw new Error(
          `${name} exited (code ${code ?? child.signalCode}) before it was ready. Last output:\n${tail.text()}`,
        );
      });
      await pollUntil(
        async () => {
          const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
          await response.body?.cancel();
          return response.status === 200;
        },
        { timeoutMs, intervalMs: 150, what: `${name} ${url}/readyz to return 200`, abort: died },
      ).catch((error: unknown) => {
        if (error instanceof Error && error.message.startsWith('Timed out')) {
          throw new Error(`${error.message}. Last output:\n${tail.text()}`);
        }
        throw error;
      });
    },
    stop: async (timeoutMs = 10_000) => {
      stopRequested = true;
      await stopChild(child, 'SIGTERM', timeoutMs);
      await exited;
    },
    kill: (signal = 'SIGTERM') => {
      child.kill(signal);
    },
  };
}
