import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { applyMigrations } from '@platform/runtime/migrations';
import { ensureServiceDatabase, repoRoot, serviceRolePassword } from '@platform/devstack';
import { inject } from 'vitest';
// The vitest context the global setup provides (natsUrl, postgresAdminUrl).
import type {} from './infrastructure';

export const APPS_WITH_DATABASE = ['orders', 'fulfillment', 'tracking', 'notifications', 'billing'] as const;
export type AppWithDatabase = (typeof APPS_WITH_DATABASE)[number];

/** The app's migrations, which its runtime also checks the database against at start. */
export const migrationsDirOf = (app: AppWithDatabase): string => join(repoRoot, 'apps', app, 'prisma', 'migrations');

/**
 * A new, empty database on the shared test server, owned by `app`'s role as in the stack (see
 * `ensureServiceDatabase`), with `app`'s migrations applied as that role; returns the role's URL.
 */
export async function migratedDatabase(app: AppWithDatabase): Promise<string> {
  const database = `${app}_${randomBytes(4).toString('hex')}`;
  const url = await ensureServiceDatabase(inject('postgresAdminUrl'), { database, role: app, password: serviceRolePassword(app) });
  await applyMigrations({ databaseUrl: url, migrationsDir: migrationsDirOf(app) });
  return url;
}
