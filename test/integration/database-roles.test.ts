import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type PostgresHandle, repoRoot, startPostgres } from '@platform/devstack';
import { APPS_WITH_DATABASE } from '@platform/test-support/databases';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The init script of compose's and Kubernetes' PostgreSQL (create-databases.sql), run as the
 * postgres image runs it (psql, once, on an empty cluster) against a cluster of its own: one role
 * per service, owning its database only. The Kubernetes copy must be the same file.
 */
const INIT_SCRIPT = join(repoRoot, 'deploy', 'k8s', 'base', 'postgres', 'create-databases.sql');
const password = (service: string) => `${service}-secret-${service.length}`;

let root: string;
let postgres: PostgresHandle;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'database-roles-'));
  postgres = await startPostgres({ dataDir: join(root, 'pg'), port: await freePort(), persistent: false });
}, 120_000);

afterAll(async () => {
  await postgres?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** psql -f as the image's entrypoint does, with the passwords in the environment. */
function runInitScript(env: Record<string, string>): { status: number | null; output: string } {
  const run = spawnSync('psql', ['-v', 'ON_ERROR_STOP=1', '--no-psqlrc', '-q', '-d', postgres.urlFor('postgres'), '-f', INIT_SCRIPT], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
  });
  if (run.error) throw new Error(`psql (postgresql-client 15+) is needed to run the init script: ${run.error.message}`);
  return { status: run.status, output: run.stdout + run.stderr };
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const roleUrl = (role: string, database: string, secret = password(role)) =>
  `postgresql://${role}:${encodeURIComponent(secret)}@127.0.0.1:${postgres.port}/${database}`;

describe('create-databases.sql (compose and Kubernetes)', () => {
  it('fails when a password is missing from the environment (no role without one)', () => {
    const run = runInitScript({ ORDERS_DATABASE_PASSWORD: password('orders') });
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/Set every service role password: ORDERS_, FULFILLMENT_, .* BILLING_DATABASE_PASSWORD/);
    expect(run.output).toMatch(/a service role password is not set/);
  });

  it('creates one role per service that owns its database only and is no superuser', async () => {
    // The failed run above created nothing.
    expect(await query(postgres.urlFor('postgres'), `SELECT rolname FROM pg_roles WHERE rolname = 'orders'`)).toEqual([]);
    const run = runInitScript(Object.fromEntries(APPS_WITH_DATABASE.map((s) => [`${s.toUpperCase()}_DATABASE_PASSWORD`, password(s)])));
    expect(run.output).toBe('');
    expect(run.status).toBe(0);

    for (const service of APPS_WITH_DATABASE) {
      const url = roleUrl(service, service);
      const [self] = await query(
        url,
        `SELECT current_user AS role, rolsuper, rolcreatedb, rolcreaterole, pg_get_userbyid(d.datdba) AS owner
           FROM pg_roles r, pg_database d WHERE r.rolname = current_user AND d.datname = current_database()`,
      );
      expect(self).toEqual({ role: service, rolsuper: false, rolcreatedb: false, rolcreaterole: false, owner: service });
      // Its migrations run as it: tables of its own.
      await query(url, 'CREATE TABLE probe (v int); INSERT INTO probe VALUES (1); DROP TABLE probe');
      await expect(query(url, `CREATE ROLE intruder_${service}`)).rejects.toThrow(/permission denied to create role/);
      await expect(query(url, `CREATE DATABASE other_${service}`)).rejects.toThrow(/permission denied to create database/);
      for (const other of APPS_WITH_DATABASE.filter((name) => name !== service)) {
        await expect(query(roleUrl(service, other), 'SELECT 1')).rejects.toThrow(`permission denied for database "${other}"`);
      }
    }
    await expect(query(roleUrl('orders', 'orders', password('billing')), 'SELECT 1')).rejects.toThrow(/password authentication failed/);
  });
});
