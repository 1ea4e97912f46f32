import type { TimelineEntry } from '@platform/contracts/api/timeline';
import { Prisma } from '../generated/prisma/client';
import type { Database, Transaction } from './database';

/** Stores the entries not stored yet (ids come from their source facts); returns those it stored, in order. */
export async function insertTimelineEntries(tx: Transaction, customerId: string, entries: readonly TimelineEntry[]): Promise<TimelineEntry[]> {
  if (entries.length === 0) return [];
  const values = entries.map(
    (e) => Prisma.sql`(${e.id}, ${e.orderId}::uuid, ${customerId}, ${e.at}::timestamptz, ${e.audience}, ${e.kind}, ${JSON.stringify(e)}::jsonb)`,
  );
  const inserted = await tx.$queryRaw<Array<{ id: string }>>(Prisma.sql`
    INSERT INTO timeline_entries (id, order_id, customer_id, at, audience, kind, entry)
    VALUES ${Prisma.join(values)}
    ON CONFLICT (id) DO NOTHING
    RETURNING id`);
  const ids = new Set(inserted.map((row) => row.id));
  return entries.filter((entry) => ids.has(entry.id));
}

/** The order's entries in time order (ties: the order they were written in). */
export async function listTimelineEntries(db: Database, orderId: string, audience: 'customer' | 'all'): Promise<TimelineEntry[]> {
  const rows = await db.timelineEntry.findMany({
    where: { orderId, ...(audience === 'customer' && { audience: 'customer' }) },
    orderBy: [{ at: 'asc' }, { sequence: 'asc' }],
    select: { entry: true },
  });
  return rows.map((row) => row.entry as TimelineEntry);
}

/** The customer of an order, or null for an order this service does not know. */
export async function customerOfOrder(tx: Transaction, orderId: string): Promise<string | null> {
  const row = await tx.order.findUnique({ where: { id: orderId }, select: { customerId: true } });
  return row?.customerId ?? null;
}
