import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { applyMigrations } from '@platform/runtime/migrations';
import { ensureDatabase, repoRoot } from '@platform/devstack';
import { inject } from 'vitest';
// The vitest context the global setup provides (natsUrl, postgresAdminUrl).
import type {} from './infrastructure';

export const APPS_WITH_DATABASE = ['orders', 'fulfillment', 'tracking', 'notifications', 'billing'] as const;
export type AppWithDatabase = (typeof APPS_WITH_DATABASE)[number];

/** The app's migrations, which its runtime also checks the database against at start. */
export const migrationsDirOf = (app: AppWithDatabase): string => join(repoRoot, 'apps', app, 'prisma', 'migrations');

/** A new, empty database on the shared test server with `app`'s migrations applied; returns its URL. */
export async function migratedDatabase(app: AppWithDatabase): Promise<string> {
  const admin = new URL(inject('postgresAdminUrl'));
  const name = `${app}_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(admin.toString(), name);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  await applyMigrations({ databaseUrl: url.toString(), migrationsDir: migrationsDirOf(app) });
  return url.toString();
}
