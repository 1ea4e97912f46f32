import { Prisma, type SupplierOrder } from '../generated/prisma/client';
import type { Transaction } from './database';

/**
 * Supplier orders on the placement and polling path in raw SQL: every poll of every open order
 * reads and updates them, where the model API costs about three times the statement.
 */

const COLUMNS = Prisma.sql`
  id, order_id AS "orderId", supplier, attempt, status, external_order_id AS "externalOrderId", items, reason,
  tracking_number AS "trackingNumber", carrier, replaces, created_at AS "createdAt", updated_at AS "updatedAt"`;

/** The supplier orders of one attempt, oldest first (then by supplier). */
export function selectAttemptSupplierOrders(tx: Transaction, orderId: string, attempt: number): Promise<SupplierOrder[]> {
  return tx.$queryRaw<SupplierOrder[]>`
    SELECT ${COLUMNS} FROM supplier_orders WHERE order_id = ${orderId}::uuid AND attempt = ${attempt} ORDER BY created_at, supplier`;
}

/** How many supplier orders of the order, of any attempt, are in one of `statuses`. */
export async function countSupplierOrdersIn(tx: Transaction, orderId: string, statuses: string[]): Promise<number> {
  const [row] = await tx.$queryRaw<Array<{ count: number }>>`
    SELECT count(*)::int AS count FROM supplier_orders WHERE order_id = ${orderId}::uuid AND status = ANY(${statuses}::text[])`;
  return row!.count;
}

/** Stores a placement's outcome under its reference (a retried placement overwrites all but `createdAt`); returns the row as stored. */
export async function upsertSupplierOrder(tx: Transaction, row: Omit<SupplierOrder, 'trackingNumber' | 'carrier'>): Promise<SupplierOrder> {
  const [stored] = await tx.$queryRaw<SupplierOrder[]>`
    INSERT INTO supplier_orders (id, order_id, supplier, attempt, status, external_order_id, items, reason, replaces, created_at, updated_at)
    VALUES (${row.id}::uuid, ${row.orderId}::uuid, ${row.supplier}, ${row.attempt}, ${row.status}, ${row.externalOrderId},
            ${JSON.stringify(row.items)}::jsonb, ${row.reason}, ${row.replaces}::uuid, ${row.createdAt}, ${row.updatedAt})
    ON CONFLICT (id) DO UPDATE SET
      order_id = EXCLUDED.order_id, supplier = EXCLUDED.supplier, attempt = EXCLUDED.attempt, status = EXCLUDED.status,
      external_order_id = EXCLUDED.external_order_id, items = EXCLUDED.items, reason = EXCLUDED.reason, replaces = EXCLUDED.replaces,
      updated_at = EXCLUDED.updated_at
    RETURNING ${COLUMNS}`;
  return stored!;
}

/** A supplier order's new status, with the fields that change with it. */
export async function updateSupplierOrder(
  tx: Transaction,
  id: string,
  change: { status: string; reason?: string | null; trackingNumber?: string | null; carrier?: string | null },
  now: Date,
): Promise<void> {
  const sets = [Prisma.sql`status = ${change.status}`, Prisma.sql`updated_at = ${now}`];
  if (change.reason !== undefined) sets.push(Prisma.sql`reason = ${change.reason}`);
  if (change.trackingNumber !== undefined) sets.push(Prisma.sql`tracking_number = ${change.trackingNumber}`);
  if (change.carrier !== undefined) sets.push(Prisma.sql`carrier = ${change.carrier}`);
  await tx.$executeRaw`UPDATE supplier_orders SET ${Prisma.join(sets)} WHERE id = ${id}::uuid`;
}
