import { randomUUID } from 'node:crypto';
import type { Transaction } from './database';
import type { HubCandidate } from '../domain/routing';

/**
 * Hub stock on the reservation path in raw SQL: every order with own-stock items routes and
 * reserves once (and checks again at placement), where the model API costs about three times
 * the statement.
 */

/** One SKU's stock at a hub. */
export interface StockRow {
  hubId: string;
  sku: string;
  onHand: number;
  reserved: number;
  restockExpectedAt: Date | null;
}

/** An active hub as routing sees it, with its stock of the SKUs asked for. */
export type HubRow = Omit<HubCandidate, 'available'> & { stock: StockRow[] };

/** What an order already holds: the items of its short-stock cancellations, and how many reservations are in `statuses`. */
export async function selectHeldStock(tx: Transaction, orderId: string, statuses: string[]): Promise<{ shortCancelled: Array<Array<{ sku: string; vendorId: string; quantity: number }>>; holding: number }> {
  const [row] = await tx.$queryRaw<Array<{ shortCancelled: Array<Array<{ sku: string; vendorId: string; quantity: number }>>; holding: number }>>`
    SELECT
      (SELECT coalesce(json_agg(items), '[]'::json) FROM item_cancellations
         WHERE order_id = ${orderId}::uuid AND cause = 'stock_short' AND source = 'own_stock') AS "shortCancelled",
      (SELECT count(*)::int FROM reservations WHERE order_id = ${orderId}::uuid AND status = ANY(${statuses}::text[])) AS holding`;
  return row!;
}

/** The short-stock policies of `skus`. */
export function selectStockPolicies(tx: Transaction, skus: string[]): Promise<Array<{ sku: string; policy: string | null; substituteSku: string | null }>> {
  return tx.$queryRaw`SELECT sku, policy, substitute_sku AS "substituteSku" FROM stock_policies WHERE sku = ANY(${skus}::text[])`;
}

/** The active hubs, each with its stock of `skus` (one statement). */
export async function selectActiveHubs(tx: Transaction, skus: string[]): Promise<HubRow[]> {
  const hubs = await tx.$queryRaw<Array<Omit<HubRow, 'stock'> & { stock: Array<Omit<StockRow, 'restockExpectedAt'> & { restockExpectedAt: string | null }> }>>`
    SELECT h.id, h.country, h.zone, h.priority, h.cost_per_item AS "costPerItem", h.cost_per_shipment AS "costPerShipment",
           coalesce((SELECT json_agg(json_build_object('hubId', s.hub_id, 'sku', s.sku, 'onHand', s.on_hand, 'reserved', s.reserved,
                                                       'restockExpectedAt', s.restock_expected_at))
                     FROM hub_stock s WHERE s.hub_id = h.id AND s.sku = ANY(${skus}::text[])), '[]'::json) AS stock
    FROM hubs h WHERE h.active`;
  return hubs.map((hub) => ({ ...hub, stock: hub.stock.map((s) => ({ ...s, restockExpectedAt: s.restockExpectedAt === null ? null : new Date(s.restockExpectedAt) })) }));
}

/** The stock of `skus` at active hubs, and their policies (one statement). */
export async function selectAvailability(
  tx: Transaction,
  skus: string[],
): Promise<{ stock: StockRow[]; policies: Array<{ sku: string; policy: string | null; substituteSku: string | null }> }> {
  const [row] = await tx.$queryRaw<Array<{ stock: Array<Omit<StockRow, 'restockExpectedAt'> & { restockExpectedAt: string | null }>; policies: Array<{ sku: string; policy: string | null; substituteSku: string | null }> }>>`
    SELECT
      (SELECT coalesce(json_agg(json_build_object('hubId', s.hub_id, 'sku', s.sku, 'onHand', s.on_hand, 'reserved', s.reserved, 'restockExpectedAt', s.restock_expected_at)), '[]'::json)
         FROM hub_stock s JOIN hubs h ON h.id = s.hub_id WHERE h.active AND s.sku = ANY(${skus}::text[])) AS stock,
      (SELECT coalesce(json_agg(json_build_object('sku', p.sku, 'policy', p.policy, 'substituteSku', p.substitute_sku)), '[]'::json)
         FROM stock_policies p WHERE p.sku = ANY(${skus}::text[])) AS policies`;
  return { stock: row!.stock.map((s) => ({ ...s, restockExpectedAt: s.restockExpectedAt === null ? null : new Date(s.restockExpectedAt) })), policies: row!.policies };
}

/** One order line's units reserved at a hub. */
export interface AllocatedLine {
  sku: string;
  name: string;
  quantity: number;
  substituteFor: string | null;
  vendorId: string | null;
}

/**
 * A hub's share of an order in one statement: the fulfillment order (`ready_to_prepare`), a
 * `held` reservation and a fulfillment order item per line. The stock it takes is changed at the
 * commit (application/stock-changes.ts), which fails if the units are no longer free.
 */
export async function insertHubAllocation(
  tx: Transaction,
  allocation: { orderId: string; hubId: string; priority: string; attempt: number; expiresAt: Date; now: Date; lines: AllocatedLine[] },
): Promise<void> {
  const { orderId, hubId, now, lines } = allocation;
  await tx.$executeRaw`
    WITH lines AS (
      SELECT * FROM unnest(${lines.map(() => randomUUID())}::uuid[], ${lines.map(() => randomUUID())}::uuid[], ${lines.map((l) => l.sku)}::text[],
                           ${lines.map((l) => l.name)}::text[], ${lines.map((l) => l.quantity)}::int[], ${lines.map((l) => l.substituteFor)}::text[],
                           ${lines.map((l) => l.vendorId)}::text[])
        AS l(reservation_id, item_id, sku, name, quantity, substitute_for, vendor_id)),
    hub_order AS (
      INSERT INTO fulfillment_orders (id, order_id, hub_id, status, priority, attempt, created_at, updated_at)
      VALUES (${randomUUID()}::uuid, ${orderId}::uuid, ${hubId}, 'ready_to_prepare', ${allocation.priority}, ${allocation.attempt}, ${now}, ${now})
      RETURNING id),
    held AS (
      INSERT INTO reservations (id, order_id, hub_id, sku, quantity, status, expires_at, created_at, updated_at)
      SELECT reservation_id, ${orderId}::uuid, ${hubId}, sku, quantity, 'held', ${allocation.expiresAt}, ${now}, ${now} FROM lines)
    INSERT INTO fulfillment_order_items (id, fulfillment_order_id, sku, name, quantity, remaining_quantity, substitute_for, vendor_id)
    SELECT l.item_id, o.id, l.sku, l.name, l.quantity, l.quantity, l.substitute_for, l.vendor_id FROM lines l CROSS JOIN hub_order o`;
}

/** A change to one SKU's stock at a hub: units added to `reserved` and `on_hand` (negative: taken off). */
export interface StockDelta {
  hubId: string;
  sku: string;
  reserved: number;
  onHand: number;
  /** Units that must be free (on hand minus reserved) for the change to apply: a reservation's; 0 for none. */
  free: number;
}

/**
 * Applies `deltas` (one per hub and SKU) in one statement, locking their rows in (hub, SKU)
 * order; a delta whose units are not free is not applied. Returns those refused.
 */
export async function applyStockDeltas(tx: Transaction, deltas: readonly StockDelta[], now: Date): Promise<Array<{ hubId: string; sku: string }>> {
  return tx.$queryRaw`
    WITH n AS (
      SELECT * FROM unnest(${deltas.map((d) => d.hubId)}::text[], ${deltas.map((d) => d.sku)}::text[], ${deltas.map((d) => d.reserved)}::int[],
                           ${deltas.map((d) => d.onHand)}::int[], ${deltas.map((d) => d.free)}::int[])
        AS n(hub_id, sku, reserved, on_hand, free)),
    -- Locked in (hub, SKU) order first: two transactions changing the same rows cannot deadlock.
    locked AS (
      SELECT s.hub_id, s.sku FROM hub_stock s JOIN n ON n.hub_id = s.hub_id AND n.sku = s.sku
      ORDER BY s.hub_id, s.sku FOR UPDATE OF s),
    changed AS (
      -- A release never takes reserved below zero (as before it went at the commit).
      UPDATE hub_stock s SET reserved = GREATEST(s.reserved + n.reserved, 0), on_hand = s.on_hand + n.on_hand, updated_at = ${now}
      FROM n
      WHERE s.hub_id = n.hub_id AND s.sku = n.sku AND (s.hub_id, s.sku) IN (SELECT hub_id, sku FROM locked)
        AND (n.free = 0 OR s.on_hand - s.reserved >= n.free)
      RETURNING s.hub_id, s.sku)
    SELECT n.hub_id AS "hubId", n.sku FROM n
    WHERE n.free > 0 AND NOT EXISTS (SELECT 1 FROM changed c WHERE c.hub_id = n.hub_id AND c.sku = n.sku)`;
}

/** The placement went through: the order's held reservations confirmed (no more TTL) and its hub orders in `from` awaiting shipment (one statement). */
export async function confirmHeldStock(tx: Transaction, orderId: string, from: string[], now: Date): Promise<void> {
  await tx.$executeRaw`
    WITH confirmed AS (
      UPDATE reservations SET status = 'confirmed', expires_at = NULL, updated_at = ${now}
      WHERE order_id = ${orderId}::uuid AND status = 'held')
    UPDATE fulfillment_orders SET status = 'awaiting_shipment', updated_at = ${now}
    WHERE order_id = ${orderId}::uuid AND status = ANY(${from}::text[])`;
}

/**
 * The order is done: its hub orders in `toComplete` completed, those in `toCancel` cancelled
 * (one statement); returns its reservations still in `holding`, to release.
 */
export function closeHubOrders(
  tx: Transaction,
  orderId: string,
  statuses: { toComplete: string[]; toCancel: string[]; holding: string[] },
  now: Date,
): Promise<Array<{ id: string; hubId: string; sku: string; quantity: number }>> {
  return tx.$queryRaw`
    WITH closed AS (
      UPDATE fulfillment_orders
      SET status = CASE WHEN status = ANY(${statuses.toComplete}::text[]) THEN 'completed' ELSE 'cancelled' END, updated_at = ${now}
      WHERE order_id = ${orderId}::uuid AND (status = ANY(${statuses.toComplete}::text[]) OR status = ANY(${statuses.toCancel}::text[])))
    SELECT id, hub_id AS "hubId", sku, quantity FROM reservations WHERE order_id = ${orderId}::uuid AND status = ANY(${statuses.holding}::text[])`;
}
