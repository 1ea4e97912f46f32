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
 * A hub's share of an order in one statement: the stock reserved (conditionally: never more than
 * is free), the fulfillment order (`ready_to_prepare`), a `held` reservation and a fulfillment
 * order item per line. Returns the SKUs whose stock was not free any more (the caller rolls back).
 */
export async function insertHubAllocation(
  tx: Transaction,
  allocation: { orderId: string; hubId: string; priority: string; attempt: number; expiresAt: Date; now: Date; lines: AllocatedLine[] },
): Promise<string[]> {
  const { orderId, hubId, now, lines } = allocation;
  const needed = new Map<string, number>();
  for (const line of lines) needed.set(line.sku, (needed.get(line.sku) ?? 0) + line.quantity);
  const rows = await tx.$queryRaw<Array<{ sku: string }>>`
    WITH lines AS (
      SELECT * FROM unnest(${lines.map(() => randomUUID())}::uuid[], ${lines.map(() => randomUUID())}::uuid[], ${lines.map((l) => l.sku)}::text[],
                           ${lines.map((l) => l.name)}::text[], ${lines.map((l) => l.quantity)}::int[], ${lines.map((l) => l.substituteFor)}::text[],
                           ${lines.map((l) => l.vendorId)}::text[])
        AS l(reservation_id, item_id, sku, name, quantity, substitute_for, vendor_id)),
    -- The stock rows locked in SKU order first: two orders taking the same SKUs at once cannot deadlock.
    locked AS (
      SELECT s.sku FROM hub_stock s WHERE s.hub_id = ${hubId} AND s.sku = ANY(${[...needed.keys()]}::text[])
      ORDER BY s.sku FOR UPDATE),
    taken AS (
      UPDATE hub_stock s SET reserved = s.reserved + n.quantity, updated_at = ${now}
      FROM unnest(${[...needed.keys()]}::text[], ${[...needed.values()]}::int[]) AS n(sku, quantity)
      WHERE s.hub_id = ${hubId} AND s.sku = n.sku AND s.sku IN (SELECT sku FROM locked) AND s.on_hand - s.reserved >= n.quantity
      RETURNING s.sku),
    hub_order AS (
      INSERT INTO fulfillment_orders (id, order_id, hub_id, status, priority, attempt, created_at, updated_at)
      VALUES (${randomUUID()}::uuid, ${orderId}::uuid, ${hubId}, 'ready_to_prepare', ${allocation.priority}, ${allocation.attempt}, ${now}, ${now})
      RETURNING id),
    held AS (
      INSERT INTO reservations (id, order_id, hub_id, sku, quantity, status, expires_at, created_at, updated_at)
      SELECT reservation_id, ${orderId}::uuid, ${hubId}, sku, quantity, 'held', ${allocation.expiresAt}, ${now}, ${now} FROM lines),
    items AS (
      INSERT INTO fulfillment_order_items (id, fulfillment_order_id, sku, name, quantity, remaining_quantity, substitute_for, vendor_id)
      SELECT l.item_id, o.id, l.sku, l.name, l.quantity, l.quantity, l.substitute_for, l.vendor_id FROM lines l CROSS JOIN hub_order o)
    SELECT sku FROM taken`;
  const taken = new Set(rows.map((r) => r.sku));
  return [...needed.keys()].filter((sku) => !taken.has(sku));
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
