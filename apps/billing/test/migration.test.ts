import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyMigrations } from '@platform/runtime/migrations';
import { ensureServiceDatabase, repoRoot, serviceRolePassword } from '@platform/devstack';
import pg from 'pg';
import { expect, inject, it } from 'vitest';
import { REFUND_ON_CHANNEL_REQUIRED } from '../src/domain/channel-refunds';
// The vitest context the integration setup provides (natsUrl, postgresAdminUrl).
import type {} from '@platform/test-support/infrastructure';

const MIGRATIONS = join(repoRoot, 'apps', 'billing', 'prisma', 'migrations');
const PENDING_REASON = '20261204140000_refund_pending_reason';

/**
 * Refunds recorded while a pending one's reason lived in `failure_reason` read the same after the
 * migration that gave it its own column: the channel refund's reason moves to `pending_reason`,
 * a failed refund keeps its failure.
 */
it('moves a pending channel refund\'s reason from failure_reason to pending_reason, and leaves failures alone', async () => {
  const database = `billing_migrate_${randomUUID().slice(0, 8)}`;
  const url = await ensureServiceDatabase(inject('postgresAdminUrl'), { database, role: 'billing', password: serviceRolePassword('billing') });
  const before = await mkdtemp(join(tmpdir(), 'billing-before-'));
  const client = new pg.Client({ connectionString: url });
  try {
    for (const name of (await readdir(MIGRATIONS)).filter((name) => name < PENDING_REASON)) {
      await cp(join(MIGRATIONS, name), join(before, name), { recursive: true });
    }
    await applyMigrations({ databaseUrl: url, migrationsDir: before });
    await client.connect();
    const [orderId, paymentId] = [randomUUID(), randomUUID()];
    await client.query(
      `INSERT INTO payments (id, order_id, kind, provider, status, amount, currency, amount_received, created_at, updated_at)
       VALUES ($1, $2, 'order', 'tiktok_shop', 'succeeded', 3499, 'EUR', 3499, now(), now())`,
      [paymentId, orderId],
    );
    const refund = (status: string, failureReason: string | null) => [randomUUID(), orderId, paymentId, status, failureReason];
    const rows = [refund('pending', REFUND_ON_CHANNEL_REQUIRED), refund('failed', 'card_declined'), refund('pending', null)];
    for (const row of rows) {
      await client.query(
        `INSERT INTO refunds (id, order_id, payment_id, amount, currency, reason, status, failure_reason, created_at, updated_at)
         VALUES ($1, $2, $3, 100, 'EUR', 'cancelled', $4, $5, now(), now())`,
        row,
      );
    }

    // Every migration from that one on, in order (later ones join the list by themselves).
    const later = (await readdir(MIGRATIONS)).filter((name) => name >= PENDING_REASON && /^\d{14}_/.test(name)).sort();
    expect(later[0]).toBe(PENDING_REASON);
    expect((await applyMigrations({ databaseUrl: url, migrationsDir: MIGRATIONS })).applied).toEqual(later);

    const after = await client.query('SELECT id, status, failure_reason, pending_reason FROM refunds');
    const byId = new Map(after.rows.map((row) => [row.id, row]));
    expect(rows.map(([id]) => byId.get(id))).toEqual([
      { id: rows[0]![0], status: 'pending', failure_reason: null, pending_reason: REFUND_ON_CHANNEL_REQUIRED },
      { id: rows[1]![0], status: 'failed', failure_reason: 'card_declined', pending_reason: null },
      { id: rows[2]![0], status: 'pending', failure_reason: null, pending_reason: null },
    ]);
  } finally {
    await client.end().catch(() => {});
    await rm(before, { recursive: true, force: true });
  }
});
