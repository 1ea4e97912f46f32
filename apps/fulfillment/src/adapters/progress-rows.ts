import type { Transaction } from './database';

/** A shipment as the order's progress counts it (timestamps as ISO strings). */
export interface ProgressShipmentRow {
  id: string;
  source: string;
  status: string;
  trackingNumber: string | null;
  carrier: string | null;
  items: Array<{ sku: string; quantity: number; vendorId?: string }>;
  shippedAt: string | null;
  deliveredAt: string | null;
}

export interface ProgressRows {
  /** Oldest first. */
  shipments: ProgressShipmentRow[];
  /** Supplier orders in one of `liveStatuses`. */
  liveSupplierOrders: number;
  /** Hub fulfillment orders in one of `unshippedStatuses` with units left to allocate. */
  openHubOrders: number;
  /** The items of every cancellation of the order. */
  cancelled: Array<Array<{ sku: string; quantity: number; vendorId: string }>>;
  /** Every return of the order, with its status. */
  returns: Array<{ status: string; items: Array<{ sku: string; vendorId: string; quantity: number }> }>;
}

const ISO = 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"';

/**
 * Everything the order's progress is computed from, in one statement: it is read whenever a
 * parcel ships or arrives, units are cancelled or come back (six model queries before).
 */
export async function selectProgressRows(tx: Transaction, orderId: string, liveStatuses: string[], unshippedStatuses: string[]): Promise<ProgressRows> {
  const [row] = await tx.$queryRaw<ProgressRows[]>`
    SELECT
      (SELECT coalesce(json_agg(json_build_object(
                'id', s.id, 'source', s.source, 'status', s.status, 'trackingNumber', s.tracking_number, 'carrier', s.carrier, 'items', s.items,
                'shippedAt', to_char(s.shipped_at AT TIME ZONE 'UTC', ${ISO}), 'deliveredAt', to_char(s.delivered_at AT TIME ZONE 'UTC', ${ISO}))
              ORDER BY s.created_at), '[]'::json)
         FROM shipments s WHERE s.order_id = ${orderId}::uuid) AS shipments,
      (SELECT count(*)::int FROM supplier_orders WHERE order_id = ${orderId}::uuid AND status = ANY(${liveStatuses}::text[])) AS "liveSupplierOrders",
      (SELECT count(*)::int FROM fulfillment_orders f
         WHERE f.order_id = ${orderId}::uuid AND f.status = ANY(${unshippedStatuses}::text[])
           AND EXISTS (SELECT 1 FROM fulfillment_order_items i WHERE i.fulfillment_order_id = f.id AND i.remaining_quantity > 0)) AS "openHubOrders",
      (SELECT coalesce(json_agg(c.items), '[]'::json) FROM item_cancellations c WHERE c.order_id = ${orderId}::uuid) AS cancelled,
      (SELECT coalesce(json_agg(json_build_object('status', r.status, 'items', r.items)), '[]'::json) FROM returns r WHERE r.order_id = ${orderId}::uuid) AS returns`;
  return row!;
}
