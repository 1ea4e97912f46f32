import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startPostgres, type PostgresHandle } from '@platform/devstack';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations, checkSchema } from '../src/migrations';
import { ServiceRuntime } from '../src/service';

let postgres: PostgresHandle;
let root: string;
let dbCounter = 0;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'migrations-test-'));
  postgres = await startPostgres({ dataDir: join(root, 'pg'), port: await freePort(), persistent: false });
}, 120_000);

afterAll(async () => {
  await postgres?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** A fresh database and an empty migrations folder. */
async function fixture(): Promise<{ url: string; dir: string; add: (name: string, sql: string) => string }> {
  const name = `m${++dbCounter}`;
  await postgres.ensureDatabase(name);
  const dir = join(root, `migrations-${name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
  return {
    url: postgres.urlFor(name),
    dir,
    add: (migration, sql) => {
      mkdirSync(join(dir, migration), { recursive: true });
      const file = join(dir, migration, 'migration.sql');
      writeFileSync(file, sql);
      return file;
    },
  };
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

interface Row {
  id: string;
  checksum: string;
  migration_name: string;
  finished_at: Date | null;
  started_at: Date;
  rolled_back_at: Date | null;
  applied_steps_count: number;
  logs: string | null;
}
const history = (url: string): Promise<Row[]> =>
  query<Row>(url, 'SELECT * FROM "_prisma_migrations" ORDER BY migration_name, started_at');

const INIT = 'CREATE TABLE "Order" ("id" TEXT NOT NULL, CONSTRAINT "Order_pkey" PRIMARY KEY ("id"));\n';
const ADD_COLUMN = '-- AlterTable\nALTER TABLE "Order" ADD COLUMN "total" INTEGER NOT NULL DEFAULT 0;\n';

describe('applyMigrations', () => {
  it('applies migrations in folder order and records them like Prisma', async () => {
    const { url, dir, add } = await fixture();
    // Written out of order on purpose: the folder name decides.
    const second = add('20250102000000_add_total', ADD_COLUMN);
    const first = add('20250101000000_init', INIT);

    const result = await applyMigrations({ databaseUrl: url, migrationsDir: dir });
    expect(result.applied).toEqual(['20250101000000_init', '20250102000000_add_total']);

    await query(url, `INSERT INTO "Order" (id, total) VALUES ('o1', 5)`);
    const rows = await history(url);
    expect(rows.map((row) => row.migration_name)).toEqual(['20250101000000_init', '20250102000000_add_total']);
    const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
    expect(rows[0]?.checksum).toBe(sha(first));
    expect(rows[1]?.checksum).toBe(sha(second));
    for (const row of rows) {
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
      expect(row.applied_steps_count).toBe(1);
      expect(row.rolled_back_at).toBeNull();
      expect(row.logs).toBeNull();
    }
  });

  it('creates _prisma_migrations with the DDL Prisma uses', async () => {
    const { url, dir, add } = await fixture();
    add('20250101000000_init', INIT);
    await applyMigrations({ databaseUrl: url, migrationsDir: dir });
    const columns = await query<{ column_name: string; data_type: string; is_nullable: string; len: number | null; column_default: string | null }>(
      url,
      `SELECT column_name, data_type, is_nullable, character_maximum_length AS len, column_default
         FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns).toEqual([
      { column_name: 'id', data_type: 'character varying', is_nullable: 'NO', len: 36, column_default: null },
      { column_name: 'checksum', data_type: 'character varying', is_nullable: 'NO', len: 64, column_default: null },
      { column_name: 'finished_at', data_type: 'timestamp with time zone', is_nullable: 'YES', len: null, column_default: null },
      { column_name: 'migration_name', data_type: 'character varying', is_nullable: 'NO', len: 255, column_default: null },
      { column_name: 'logs', data_type: 'text', is_nullable: 'YES', len: null, column_default: null },
      { column_name: 'rolled_back_at', data_type: 'timestamp with time zone', is_nullable: 'YES', len: null, column_default: null },
      { column_name: 'started_at', data_type: 'timestamp with time zone', is_nullable: 'NO', len: null, column_default: 'now()' },
      { column_name: 'applied_steps_count', data_type: 'integer', is_nullable: 'NO', len: null, column_default: '0' },
    ]);
    const [pk] = await query<{ column: string }>(
      url,
      `SELECT a.attname AS column FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = '"_prisma_migrations"'::regclass AND i.indisprimary`,
    );
    expect(pk?.column).toBe('id');
  });

  it('is idempotent and applies only new migrations on later runs', async () => {
    const { url, dir, add } = await fixture();
    add('20250101000000_init', INIT);
    expect((await applyMigrations({ databaseUrl: url, migrationsDir: dir })).applied).toEqual(['20250101000000_init']);
    expect((await applyMigrations({ databaseUrl: url, migrationsDir: dir })).applied).toEqual([]);
    add('20250102000000_add_total', ADD_COLUMN);
    const messages: string[] = [];
    const again = await applyMigrations({ databaseUrl: url, migrationsDir: dir, log: (message) => messages.push(message) });
    expect(again.applied).toEqual(['20250102000000_add_total']);
    expect(messages).toContain('applied migration 20250102000000_add_total');
    expect(await history(url)).toHaveLength(2);
  });

  it('refuses to run when an applied migration was modified, naming it', async () => {
    const { url, dir, add } = await fixture();
    add('20250101000000_init', INIT);
    add('20250102000000_add_total', ADD_COLUMN);
    await applyMigrations({ databaseUrl: url, migrationsDir: dir });
    add('20250102000000_add_total', ADD_COLUMN.replace('DEFAULT 0', 'DEFAULT 1'));
    add('20250103000000_more', 'CREATE TABLE "More" ("id" TEXT PRIMARY KEY);');
    await expect(applyMigrations({ databaseUrl: url, migrationsDir: dir })).rejects.toThrow(
      /20250102000000_add_total was modified/,
    );
    // Nothing after the check ran.
    expect((await history(url)).map((row) => row.migration_name)).not.toContain('20250103000000_more');
  });

  it('tolerates line-ending-only changes (git autocrlf), like Prisma', async () => {
    const { url, dir, add } = await fixture();
    add('20250101000000_init', 'CREATE TABLE "A" ("id" TEXT);\nCREATE TABLE "B" ("id" TEXT);\n');
    await applyMigrations({ databaseUrl: url, migrationsDir: dir });
    add('20250101000000_init', 'CREATE TABLE "A" ("id" TEXT);\r\nCREATE TABLE "B" ("id" TEXT);\r\n');
    expect((await applyMigrations({ databaseUrl: url, migrationsDir: dir })).applied).toEqual([]);
  });

  it('rolls back a failing migration, records the failure, and blocks later runs until resolved', async () => {
    const { url, dir, add } = await fixture();
    add('20250101000000_init', INIT);
    add('20250102000000_broken', 'CREATE TABLE "Half" ("id" TEXT);\nSELECT * FROM "does_not_exist";\n');
    add('20250103000000_after', 'CREATE TABLE "After" ("id" TEXT);');

    await expect(applyMigrations({ databaseUrl: url, migrationsDir: dir })).rejects.toThrow(
      /Migration 20250102000000_broken failed: .*does_not_exist/,
    );
    const tables = await query<{ table_name: string }>(
      url,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    // The broken migration's own transaction was rolled back; the one after it never ran.
    expect(tables.map((row) => row.table_name)).toEqual(['Order', '_prisma_migrations']);
    const broken = (await history(url)).find((row) => row.migration_name === '20250102000000_broken');
    expect(broken?.finished_at).toBeNull();
    expect(broken?.logs).toMatch(/does_not_exist/);

    // Even with the file fixed, the recorded failure blocks until someone resolves it.
    add('20250102000000_broken', 'CREATE TABLE "Half" ("id" TEXT);\n');
    await expect(applyMigrations({ databaseUrl: url, migrationsDir: dir })).rejects.toThrow(
      /20250102000000_broken failed earlier/,
    );

    // `prisma migrate resolve --rolled-back` equivalent, then the fixed migration applies.
    await query(url, `UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = $1`, ['20250102000000_broken']);
    const result = await applyMigrations({ databaseUrl: url, migrationsDir: dir });
    expect(result.applied).toEqual(['20250102000000_broken', '20250103000000_after']);
  });

  it('applies each migration exactly once when several appliers run concurrently', async () => {
    const { url, dir, add } = await fixture();
    add('20250101000000_init', 'SELECT pg_sleep(0.3);\n' + INIT);
    add('20250102000000_add_total', ADD_COLUMN);
    add('20250103000000_counter', 'CREATE TABLE "Runs" ("n" INTEGER);\nINSERT INTO "Runs" VALUES (1);\n');

    const results = await Promise.all(
      Array.from({ length: 4 }, () => applyMigrations({ databaseUrl: url, migrationsDir: dir })),
    );
    const all = results.flatMap((result) => result.applied).sort();
    expect(all).toEqual(['20250101000000_init', '20250102000000_add_total', '20250103000000_counter']);
    expect(await history(url)).toHaveLength(3);
    expect(await query(url, 'SELECT * FROM "Runs"')).toEqual([{ n: 1 }]);
  });

  it('fails clearly when a migration folder has no migration.sql', async () => {
    const { url, dir, add } = await fixture();
    add('20250101000000_init', INIT);
    mkdirSync(join(dir, '20250102000000_empty'));
    await expect(applyMigrations({ databaseUrl: url, migrationsDir: dir })).rejects.toThrow(
      /20250102000000_empty has no migration.sql/,
    );
  });
});

describe('a service start checks the schema against its code (ServiceRuntime.start with migrations)', () => {
  const start = (url: string, dir: string) =>
    ServiceRuntime.start('schema-test', { LOG_LEVEL: 'silent', NATS_URL: 'nats://unused:4222', HOST: '127.0.0.1', PORT: 0, DATABASE_URL: url }, { messaging: false, migrations: dir });
  /** Started, then shut down again: resolves when the start was allowed. */
  const starts = async (url: string, dir: string): Promise<boolean> => {
    const runtime = await start(url, dir);
    await runtime.shutdown(runtime.createHttpServer());
    return true;
  };

  it('starts when every migration of the code is applied', async () => {
    const { url, dir, add } = await fixture();
    add('20250101000000_init', INIT);
    await applyMigrations({ databaseUrl: url, migrationsDir: dir });
    expect(await starts(url, dir)).toBe(true);
  });

  it('refuses a database that lacks a migration of the code, naming the first one missing', async () => {
    const { url, dir, add } = await fixture();
    add('20250101000000_init', INIT);
    await applyMigrations({ databaseUrl: url, migrationsDir: dir });
    add('20250102000000_add_total', ADD_COLUMN);
    add('20250103000000_counter', 'CREATE TABLE "Runs" ("n" INTEGER);\n');
    await expect(start(url, dir)).rejects.toThrow(
      /older than this code: migration 20250102000000_add_total is not applied \(2 of the code's migrations are missing\)/,
    );
    await expect(checkSchema({ databaseUrl: url, migrationsDir: dir })).rejects.toMatchObject({ migration: '20250102000000_add_total' });
  });

  it('refuses a database never migrated (no history table)', async () => {
    const { url, dir, add } = await fixture();
    add('20250101000000_init', INIT);
    await expect(start(url, dir)).rejects.toThrow(/migration 20250101000000_init is not applied\./);
  });

  it('refuses a database where a migration of the code failed, naming it and its error', async () => {
    const { url, dir, add } = await fixture();
    add('20250101000000_init', INIT);
    add('20250102000000_broken', 'ALTER TABLE "Nope" ADD COLUMN "x" INTEGER;\n');
    await expect(applyMigrations({ databaseUrl: url, migrationsDir: dir })).rejects.toThrow(/20250102000000_broken failed/);
    await expect(start(url, dir)).rejects.toThrow(/migration 20250102000000_broken failed \(relation "Nope" does not exist\)/);
  });

  it('starts on a database newer than the code (a rolling deploy), reporting the migration it does not know', async () => {
    const { url, dir, add } = await fixture();
    add('20250101000000_init', INIT);
    const newer = join(root, `newer-${dbCounter}`);
    cpSync(dir, newer, { recursive: true });
    mkdirSync(join(newer, '20250102000000_add_total'));
    writeFileSync(join(newer, '20250102000000_add_total', 'migration.sql'), ADD_COLUMN);
    await applyMigrations({ databaseUrl: url, migrationsDir: newer });
    expect(await starts(url, dir)).toBe(true);
    expect(await checkSchema({ databaseUrl: url, migrationsDir: dir })).toEqual({ unknown: ['20250102000000_add_total'] });
  });
});
