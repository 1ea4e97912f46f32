/**
 * The project's own applier for Prisma-format migrations.
 *
 * `prisma migrate deploy` needs Prisma's native schema engine, which cannot be downloaded on every
 * machine we run on. This applier reads the same layout
 * (`<migrationsDir>/<yyyymmddhhmmss>_<name>/migration.sql`) and records each migration in
 * `_prisma_migrations` exactly the way Prisma does, so either tool can take over a database the
 * other one migrated.
 *
 * - Runs under Prisma's session advisory lock (`pg_advisory_lock(72707369)`), so concurrent
 *   appliers (several services or test workers starting at once) apply each migration once.
 * - Each migration runs in its own transaction; the history row is written first (like Prisma), so
 *   a failed migration stays visible as `finished_at IS NULL` with the error in `logs`.
 * - An applied migration whose file changed, or an earlier failed migration, stops the run with an
 *   error naming it.
 *
 * `checkSchema` is the services' side: at start, a service whose database lacks a migration of
 * its code (or holds it failed) refuses to run, naming it; migrations the code does not know are
 * only reported, since during a rolling deploy the old version runs on the newer schema.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';

export interface ApplyMigrationsOptions {
  /** postgresql:// URL of the database to migrate. */
  databaseUrl: string;
  /** Folder holding `<timestamp>_<name>/migration.sql` folders (e.g. `apps/orders/prisma/migrations`). */
  migrationsDir: string;
  /** Progress messages (one line each); silent when omitted. */
  log?: (message: string) => void;
}

export interface ApplyMigrationsResult {
  /** Names of the migrations applied by this call, in order. */
  applied: string[];
}

/** Prisma's advisory lock key (schema-engine, PostgreSQL flavour). */
export const PRISMA_ADVISORY_LOCK_KEY = 72707369;

/** The DDL Prisma's schema engine uses for its history table on PostgreSQL. */
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

interface LocalMigration {
  name: string;
  script: string;
  checksum: string;
}

interface MigrationRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
}

/** sha256 hex of the migration file's bytes: the value Prisma stores in `checksum`. */
export function migrationChecksum(script: Buffer | string): string {
  return createHash('sha256').update(script).digest('hex');
}

/** Like Prisma, accept the same script with other line endings (git may rewrite them). */
function matchesChecksum(script: string, checksum: string): boolean {
  const variants = [script, script.replace(/\r\n/g, '\n'), script.replace(/\r?\n/g, '\r\n')];
  return variants.some((variant) => migrationChecksum(variant) === checksum);
}

export async function readMigrations(migrationsDir: string): Promise<LocalMigration[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const migrations: LocalMigration[] = [];
  for (const name of names) {
    const file = join(migrationsDir, name, 'migration.sql');
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      throw new Error(`Migration ${name} has no migration.sql (${file})`, { cause: error });
    }
    migrations.push({ name, script: bytes.toString('utf8'), checksum: migrationChecksum(bytes) });
  }
  return migrations;
}

export async function applyMigrations(options: ApplyMigrationsOptions): Promise<ApplyMigrationsResult> {
  const { databaseUrl, migrationsDir } = options;
  const log = options.log ?? (() => {});
  const migrations = await readMigrations(migrationsDir);

  const client = new pg.Client({ connectionString: databaseUrl });
  // A dropped connection would otherwise surface as an unhandled 'error' event.
  client.on('error', () => {});
  await client.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK_KEY]);
    try {
      await client.query(CREATE_MIGRATIONS_TABLE);
      const { rows } = await client.query<MigrationRow>(
        `SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at
           FROM "_prisma_migrations" ORDER BY started_at, migration_name`,
      );
      // Rolled-back attempts (`prisma migrate resolve --rolled-back`) do not count.
      const live = rows.filter((row) => row.rolled_back_at === null);

      const failed = live.find((row) => row.finished_at === null);
      if (failed) {
        throw new Error(
          `Migration ${failed.migration_name} failed earlier and was not rolled back` +
            (failed.logs ? `: ${failed.logs.split('\n')[0]}` : '') +
            `. Fix the database, then mark it rolled back ` +
            `(UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE id = '${failed.id}') and run again.`,
        );
      }

      const done = new Map(live.map((row) => [row.migration_name, row]));
      for (const migration of migrations) {
        const row = done.get(migration.name);
        if (row && !matchesChecksum(migration.script, row.checksum)) {
          throw new Error(
            `Migration ${migration.name} was modified after it was applied ` +
              `(recorded checksum ${row.checksum}, file checksum ${migration.checksum}). ` +
              `Restore the original migration.sql and put changes in a new migration.`,
          );
        }
      }
      const known = new Set(migrations.map((migration) => migration.name));
      for (const row of live) {
        if (!known.has(row.migration_name)) {
          log(`migration ${row.migration_name} is applied but missing from ${migrationsDir}`);
        }
      }

      for (const migration of migrations) {
        if (done.has(migration.name)) continue;
        await applyOne(client, migration);
        applied.push(migration.name);
        log(`applied migration ${migration.name}`);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK_KEY]).catch(() => {});
    }
  } finally {
    await client.end().catch(() => {});
  }
  return { applied };
}

async function applyOne(client: pg.Client, migration: LocalMigration): Promise<void> {
  const id = randomUUID();
  // Like Prisma: the history row exists before the script runs, so a failure stays on record.
  await client.query(
    `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
     VALUES ($1, $2, $3, now(), 0)`,
    [id, migration.checksum, migration.name],
  );
  try {
    await client.query('BEGIN');
    // Simple-query protocol (no parameters), so a multi-statement script runs as written.
    await client.query(migration.script);
    await client.query(
      `UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1`,
      [id],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    const message = error instanceof Error ? error.message : String(error);
    await client
      .query(`UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1`, [id, message])
      .catch(() => {});
    throw new Error(`Migration ${migration.name} failed: ${message}`, { cause: error });
  }
}

/** The database lacks (or holds failed) a migration of the code: the service must not start on it. */
export class SchemaBehindError extends Error {
  constructor(
    message: string,
    /** The first migration of the code that is not applied. */
    readonly migration: string,
  ) {
    super(message);
    this.name = 'SchemaBehindError';
  }
}

export interface CheckSchemaResult {
  /** Applied migrations the code does not know (a newer version migrated the database). */
  unknown: string[];
}

/**
 * Compares the code's migrations (`migrationsDir`) with the database's `_prisma_migrations`;
 * throws a SchemaBehindError naming the first migration of the code that is not applied or failed.
 * Reads only: the role it connects as needs no more than the service's own.
 */
export async function checkSchema(options: { databaseUrl: string; migrationsDir: string }): Promise<CheckSchemaResult> {
  const migrations = await readMigrations(options.migrationsDir);
  const client = new pg.Client({ connectionString: options.databaseUrl });
  client.on('error', () => {});
  await client.connect();
  let rows: Pick<MigrationRow, 'migration_name' | 'finished_at' | 'logs'>[] = [];
  try {
    const { rows: table } = await client.query<{ t: string | null }>(`SELECT to_regclass('"_prisma_migrations"')::text AS t`);
    if (table[0]?.t) {
      ({ rows } = await client.query<MigrationRow>(
        `SELECT migration_name, finished_at, logs FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`,
      ));
    }
  } finally {
    await client.end().catch(() => {});
  }
  const finished = new Set(rows.filter((row) => row.finished_at !== null).map((row) => row.migration_name));
  const missing = migrations.filter((migration) => !finished.has(migration.name));
  const first = missing[0];
  if (first) {
    const failed = rows.find((row) => row.migration_name === first.name);
    const state = failed ? `failed${failed.logs ? ` (${failed.logs.split('\n')[0]})` : ''}` : 'is not applied';
    throw new SchemaBehindError(
      `The database is older than this code: migration ${first.name} ${state}` +
        (missing.length > 1 ? ` (${missing.length} of the code's migrations are missing)` : '') +
        '. Apply the migrations of this version (its migrate image, or prisma migrate deploy) before starting it.',
      first.name,
    );
  }
  const known = new Set(migrations.map((migration) => migration.name));
  return { unknown: [...new Set(rows.map((row) => row.migration_name))].filter((name) => !known.has(name)).sort() };
}
