/** Runs a local nats-server with JetStream (Debian's 2.9.x binary, or any newer one on PATH). */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import { closeLog, exitOf, LogTail, onLines, openLog, pollUntil, stopChild } from './child';
import { freePort } from './ports';
import { guardChild, isAlive } from './process-guard';

export interface NatsOptions {
  /** Client port; a free one when omitted. */
  port?: number;
  /** HTTP monitoring port; a free one when omitted. */
  monitorPort?: number;
  /** JetStream store directory (kept across restarts). */
  storeDir: string;
  /** Append the server's log here; otherwise only the last lines are kept for error messages. */
  logFile?: string;
  /** How long to wait for JetStream to come up (default 20 s). */
  readyTimeoutMs?: number;
  /** nats-server configuration to run with, e.g. `authorizationConfig()`, a `tls` block (written to `<storeDir>/nats.conf`). */
  config?: string;
  /** Variables for the server, e.g. `natsPasswordEnv()` for the passwords the authorization refers to. */
  env?: Record<string, string>;
}

export interface NatsHandle {
  /** nats://127.0.0.1:<port> */
  url: string;
  port: number;
  monitorPort: number;
  /** http://127.0.0.1:<monitorPort> */
  monitorUrl: string;
  /** pid of the running server (undefined while stopped). */
  pid(): number | undefined;
  /** SIGTERM, wait for the exit (SIGKILL after 10 s). Idempotent. */
  stop(): Promise<void>;
  /** Stops, then starts again on the same ports and store dir; resolves when JetStream is ready. */
  restart(): Promise<void>;
}

const INSTALL_HINT = 'Install it with: apt-get update && apt-get install -y nats-server (as root).';

/** Path of the nats-server binary: PATH first, then /usr/sbin/nats-server (Debian's package). */
export function findNatsServer(
  searchPath = process.env.PATH ?? '',
  fallbacks: readonly string[] = ['/usr/sbin/nats-server', '/usr/local/bin/nats-server'],
): string {
  const candidates = searchPath
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, 'nats-server'));
  candidates.push(...fallbacks);
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error(`nats-server was not found on PATH nor at /usr/sbin/nats-server. ${INSTALL_HINT}`);
}

export interface SpawnNatsServerOptions {
  args: string[];
  /** Variables for the server (the passwords its `authorization` block refers to). */
  env?: Record<string, string>;
  /** Append the server's output here; the last lines go into error messages either way. */
  logFile?: string;
  /** What is awaited, for the timeout message (`nats-server n1 healthy`). */
  what: string;
  ready: () => Promise<boolean>;
  readyTimeoutMs: number;
  intervalMs?: number;
  /** Called with the process as soon as it is spawned (before it is ready), and once it exited. */
  onSpawn?: (proc: ChildProcess) => void;
  onExit?: (proc: ChildProcess) => void;
}

/**
 * Spawns nats-server in its own process group (killed with this process: process-guard), logs its
 * output, and resolves once `ready` holds; when it exits or is not ready in time it is killed and
 * this rejects with the server's last lines. Shared by `startNats` and `startNatsCluster`.
 */
export async function spawnNatsServer(options: SpawnNatsServerOptions): Promise<ChildProcess> {
  const log = options.logFile ? openLog(options.logFile) : undefined;
  const tail = new LogTail();
  const proc = spawn(findNatsServer(), options.args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, ...options.env } });
  const spawnError = new Promise<never>((_, reject) => proc.once('error', reject));
  spawnError.catch(() => {});
  const release = proc.pid ? guardChild(proc.pid, 'SIGTERM') : () => {};
  const onLine = (line: string): void => {
    tail.push(line);
    log?.write(line + '\n');
  };
  onLines(proc.stdout, onLine);
  onLines(proc.stderr, onLine);
  const exited = exitOf(proc).then(() => {
    release();
    options.onExit?.(proc);
    return closeLog(log);
  });
  options.onSpawn?.(proc);
  const died = Promise.race([
    spawnError,
    exited.then(() => {
      throw new Error(`${options.what}: nats-server exited during startup (code ${proc.exitCode ?? proc.signalCode}):\n${tail.text()}`);
    }),
  ]) as Promise<never>;
  try {
    await pollUntil(options.ready, { timeoutMs: options.readyTimeoutMs, intervalMs: options.intervalMs, what: options.what, abort: died });
  } catch (error) {
    await stopChild(proc, 'SIGKILL', 5_000);
    throw error;
  }
  return proc;
}

export async function startNats(options: NatsOptions): Promise<NatsHandle> {
  const port = options.port ?? (await freePort());
  const monitorPort = options.monitorPort ?? (await freePort());
  const storeDir = resolve(options.storeDir);
  const pidFile = join(storeDir, 'nats-server.pid');
  const configFile = join(storeDir, 'nats.conf');
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  mkdirSync(storeDir, { recursive: true });

  let child: ChildProcess | undefined;
  let stopping: Promise<void> | undefined;

  const start = async (): Promise<void> => {
    refuseLeftover(pidFile, storeDir);
    const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir, '-m', String(monitorPort), '-P', pidFile];
    if (options.config) {
      // The flags above override the file: it adds only what they cannot say (users, TLS).
      writeFileSync(configFile, options.config);
      args.unshift('-c', configFile);
    }
    await spawnNatsServer({
      args,
      env: options.env,
      logFile: options.logFile,
      what: `nats-server JetStream on 127.0.0.1:${port}`,
      ready: () => isReady(port, monitorPort, storeDir),
      readyTimeoutMs,
      onSpawn: (proc) => (child = proc),
    });
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    if (!proc) return;
    stopping ??= stopChild(proc, 'SIGTERM', 10_000).finally(() => {
      child = undefined;
      stopping = undefined;
    });
    await stopping;
  };

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    monitorPort,
    monitorUrl: `http://127.0.0.1:${monitorPort}`,
    pid: () => child?.pid,
    stop,
    restart: async () => {
      await stop();
      await start();
    },
  };
}

/**
 * Ready when: JetStream reports healthy on our monitor port, the monitor belongs to the server using
 * our store dir, and the client port is served by that same server (another server squatting on
 * one of the ports must not pass for ours).
 */
async function isReady(port: number, monitorPort: number, storeDir: string): Promise<boolean> {
  const monitor = `http://127.0.0.1:${monitorPort}`;
  const health = await fetch(`${monitor}/healthz?js-enabled-only=true`, { signal: AbortSignal.timeout(1_000) });
  await health.body?.cancel();
  if (!health.ok) return false;
  const jsz = (await (await fetch(`${monitor}/jsz`, { signal: AbortSignal.timeout(1_000) })).json()) as {
    server_id?: string;
    config?: { store_dir?: string };
  };
  if (!jsz.server_id || !jsz.config?.store_dir?.startsWith(storeDir)) return false;
  return (await clientServerId(port)) === jsz.server_id;
}

/** The server_id in the INFO line a NATS server sends on connect (null when nothing answers). */
function clientServerId(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let buffer = '';
    const done = (id: string | null): void => {
      socket.destroy();
      resolve(id);
    };
    socket.setTimeout(1_000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const end = buffer.indexOf('\r\n');
      if (end < 0) return;
      const line = buffer.slice(0, end);
      try {
        done(line.startsWith('INFO ') ? ((JSON.parse(line.slice(5)) as { server_id?: string }).server_id ?? null) : null);
      } catch {
        done(null);
      }
    });
    socket.once('error', () => done(null));
    socket.once('timeout', () => done(null));
    socket.once('end', () => done(null));
  });
}

/** A nats-server left over from an earlier run (e.g. a killed test) still owns this store dir. */
function refuseLeftover(pidFile: string, storeDir: string): void {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return;
  }
  if (cmdline.includes('nats-server') && cmdline.includes(storeDir)) {
    throw new Error(
      `A nats-server from an earlier run (pid ${pid}) is still using ${storeDir}. Stop it first: kill ${pid}`,
    );
  }
}
