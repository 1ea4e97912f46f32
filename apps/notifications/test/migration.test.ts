import { randomBytes, randomUUID } from 'node:crypto';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyMigrations } from '@platform/runtime/migrations';
import { ensureDatabase, repoRoot } from '@platform/devstack';
import pg from 'pg';
import { expect, inject, it } from 'vitest';
import { notificationId } from '../src/application/notifications';
// The vitest context the integration setup provides (natsUrl, postgresAdminUrl).
import type {} from '@platform/test-support/infrastructure';

const MIGRATIONS = join(repoRoot, 'apps', 'notifications', 'prisma', 'migrations');

/**
 * A database that sent confirmation emails before the lifecycle migration keeps them: each
 * row becomes the `confirmed` notification of its order (its notice too, once notices exist),
 * so the unique key, (order, status, channel) then (order, notice, channel), stops a second
 * confirmation email for those orders.
 */
it('migrates notifications sent before per-status notifications to the confirmed status', async () => {
  const admin = new URL(inject('postgresAdminUrl'));
  const url = new URL(admin);
  url.pathname = `/notifications_migrate_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(admin.toString(), url.pathname.slice(1));
  const initOnly = await mkdtemp(join(tmpdir(), 'notifications-init-'));
  const client = new pg.Client({ connectionString: url.toString() });
  try {
    await cp(join(MIGRATIONS, '20261122000000_init'), join(initOnly, '20261122000000_init'), { recursive: true });
    await applyMigrations({ databaseUrl: url.toString(), migrationsDir: initOnly });
    await client.connect();
    const orderId = randomUUID();
    const oldId = randomUUID();
    await client.query(
      `INSERT INTO notifications (id, order_id, template, channel, recipient, locale, status, attempts, causation_event_id, sent_at)
       VALUES ($1, $2, 'order-confirmation', 'email', 'ana@example.com', 'es', 'sent', 1, $3, now())`,
      [oldId, orderId, randomUUID()],
    );

    // Every migration after the first, in order (later ones join the list by themselves).
    const later = (await readdir(MIGRATIONS)).filter((name) => name > '20261122000000_init' && /^\d{14}_/.test(name)).sort();
    expect(later).toContain('20261122100000_lifecycle');
    expect((await applyMigrations({ databaseUrl: url.toString(), migrationsDir: MIGRATIONS })).applied).toEqual(later);

    const { rows } = await client.query('SELECT id, order_status, notice, status FROM notifications WHERE order_id = $1', [orderId]);
    expect(rows).toEqual([{ id: oldId, order_status: 'confirmed', notice: 'confirmed', status: 'sent' }]);
    // What the consumer does for a `confirmed` change of that order: the insert is a no-op.
    const inserted = await client.query(
      `INSERT INTO notifications (id, order_id, order_status, notice, template, channel, recipient, locale, status, causation_event_id)
       VALUES ($1, $2, 'confirmed', 'confirmed', 'order-confirmation', 'email', 'ana@example.com', 'es', 'pending', $3) ON CONFLICT DO NOTHING`,
      [notificationId(orderId, 'confirmed', 'email'), orderId, randomUUID()],
    );
    expect(inserted.rowCount).toBe(0);
  } finally {
    await client.end().catch(() => {});
    await rm(initOnly, { recursive: true, force: true });
  }
});
