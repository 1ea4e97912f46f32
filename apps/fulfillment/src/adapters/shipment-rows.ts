import type { Shipment } from '../generated/prisma/client';
import type { Transaction } from './database';

/** Shipments on the tracking path in raw SQL: every tracking update of every parcel reads and moves one. */

/** The shipment `id`, or null. */
export async function selectShipment(tx: Transaction, id: string): Promise<Shipment | null> {
  const [row] = await tx.$queryRaw<Shipment[]>`
    SELECT id, order_id AS "orderId", source, fulfillment_order_id AS "fulfillmentOrderId", supplier_order_id AS "supplierOrderId", status,
           tracking_number AS "trackingNumber", carrier, address, items, shipped_at AS "shippedAt", delivered_at AS "deliveredAt",
           created_at AS "createdAt", updated_at AS "updatedAt"
    FROM shipments WHERE id = ${id}::uuid`;
  return row ?? null;
}

/** The parcel arrived. */
export async function markShipmentDelivered(tx: Transaction, id: string, deliveredAt: Date, now: Date): Promise<void> {
  await tx.$executeRaw`UPDATE shipments SET status = 'delivered', delivered_at = ${deliveredAt}, updated_at = ${now} WHERE id = ${id}::uuid`;
}

/**
 * Completes the hub fulfillment order when it is in one of `from` (all of it left) and every
 * parcel of it arrived or was cancelled: one conditional statement.
 */
export async function completeHubOrderIfDelivered(tx: Transaction, fulfillmentOrderId: string, from: string[], now: Date): Promise<void> {
  await tx.$executeRaw`
    UPDATE fulfillment_orders f SET status = 'completed', updated_at = ${now}
    WHERE f.id = ${fulfillmentOrderId}::uuid AND f.status = ANY(${from}::text[])
      AND NOT EXISTS (SELECT 1 FROM shipments s WHERE s.fulfillment_order_id = f.id AND s.status NOT IN ('delivered', 'cancelled'))`;
}

/** The automation scenarios ops declared for `skus`. */
export function selectAutomationRules(tx: Transaction, skus: string[]): Promise<Array<{ sku: string; scenario: string }>> {
  return tx.$queryRaw`SELECT sku, scenario FROM automation_rules WHERE sku = ANY(${skus}::text[])`;
}

/** A supplier parcel as its insert left it: the new one, or the one of the order with that tracking number. */
export interface SupplierParcel {
  id: string;
  status: string;
  items: unknown;
  deliveredAt: Date | null;
}

/**
 * A supplier's parcel, already on its way (`in_transit`, shipped now), in one statement. Suppliers
 * may hand their parts over in one parcel (one tracking number): a parcel of the order's suppliers
 * with that number then takes these items too. The parcel, whose id is `row.id` when it is new;
 * null when a hub parcel of the order has that number (a hub parcel's items are its own allocations).
 */
export async function insertSupplierShipment(
  tx: Transaction,
  row: { id: string; orderId: string; source: string; fulfillmentOrderId: string | null; supplierOrderId: string | null; trackingNumber: string; carrier: string | null; address: object; items: object[]; now: Date },
): Promise<SupplierParcel | null> {
  const { now } = row;
  const [parcel] = await tx.$queryRaw<SupplierParcel[]>`
    INSERT INTO shipments (id, order_id, source, fulfillment_order_id, supplier_order_id, status, tracking_number, carrier, address, items, shipped_at, created_at, updated_at)
    VALUES (${row.id}::uuid, ${row.orderId}::uuid, ${row.source}, ${row.fulfillmentOrderId}::uuid, ${row.supplierOrderId}::uuid, 'in_transit', ${row.trackingNumber},
            ${row.carrier}, ${JSON.stringify(row.address)}::jsonb, ${JSON.stringify(row.items)}::jsonb, ${now}, ${now}, ${now})
    ON CONFLICT (order_id, tracking_number) DO UPDATE SET items = shipments.items || EXCLUDED.items, updated_at = EXCLUDED.updated_at
      WHERE shipments.fulfillment_order_id IS NULL
    RETURNING id::text, status, items, delivered_at AS "deliveredAt"`;
  return parcel ?? null;
}
