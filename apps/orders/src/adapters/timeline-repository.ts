import type { TimelineEntry } from '@platform/contracts/api/timeline';
import { Prisma } from '../generated/prisma/client';
import type { Database, Transaction } from './database';

/**
 * Stores the entries not stored yet (ids come from their source facts), each under its order's
 * customer, looked up in the same statement; an entry for an order this service does not know is
 * not stored. Returns those stored, in order, with their customer.
 */
export async function insertTimelineEntries(tx: Transaction, entries: readonly TimelineEntry[]): Promise<Array<{ entry: TimelineEntry; customerId: string }>> {
  if (entries.length === 0) return [];
  const values = entries.map(
    (e, position) =>
      Prisma.sql`(${position}::int, ${e.id}, ${e.orderId}::uuid, ${e.at}::timestamptz, ${e.audience}, ${e.kind}, ${JSON.stringify(e)}::jsonb)`,
  );
  // Inserted in the given order: the sequence breaks ties between entries of the same instant.
  const inserted = await tx.$queryRaw<Array<{ id: string; customer_id: string }>>(Prisma.sql`
    INSERT INTO timeline_entries (id, order_id, customer_id, at, audience, kind, entry)
    SELECT v.id, v.order_id, o.customer_id, v.at, v.audience, v.kind, v.entry
    FROM (VALUES ${Prisma.join(values)}) AS v(position, id, order_id, at, audience, kind, entry)
    JOIN orders o ON o.id = v.order_id
    ORDER BY v.position
    ON CONFLICT (id) DO NOTHING
    RETURNING id, customer_id`);
  const customers = new Map(inserted.map((row) => [row.id, row.customer_id]));
  return entries.filter((entry) => customers.has(entry.id)).map((entry) => ({ entry, customerId: customers.get(entry.id)! }));
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
