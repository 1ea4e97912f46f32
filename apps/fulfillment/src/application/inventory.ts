import { randomUUID } from 'node:crypto';
import { newEvent, recordEvent } from '@platform/runtime/outbox';
import { cancelTimer, scheduleTimer } from '@platform/runtime/timers';
import { itemsBackordered, itemsSubstituted, type ShortStockPolicy } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { closeHubOrders, confirmHeldStock, insertHubAllocation, selectActiveHubs, selectHeldStock, selectStockPolicies } from '../adapters/stock-rows';
import type { WorkflowContext } from '../domain/order-workflow';
import { FULFILLMENT_ORDER_TRANSITIONS, type FulfillmentOrderStatus, SHIPMENT_TRANSITIONS, statusesBefore } from '../domain/parcels';
import { availableBySku, compareHubs, type HubCandidate, planRouting, priorityOf } from '../domain/routing';
import { type OrderLine, resolveShortStock, type ShortStockPlan, withoutCancelled } from '../domain/short-stock';
import { placementLines } from '../domain/supplier-placement';
import { nextRestocks } from './availability';
import { changeStockAtCommit } from './stock-changes';
import { type Fulfillment, SERVICE, TIMER_KINDS } from './context';
import { cancelItems } from './progress';
import { loadWorkflow } from './workflow-store';

/** Reservations that still hold stock. */
const HOLDING = ['held', 'confirmed'];
/** Hub fulfillment orders that have not all left yet. */
export const UNSHIPPED: FulfillmentOrderStatus[] = ['ready_to_prepare', 'awaiting_shipment'];

export type ReservationOutcome = { ok: true } | { ok: false; reason: string };

/** The active hubs as routing sees them, with their free units of `skus`, and those SKUs' next restocks. */
async function hubCandidates(tx: Transaction, skus: readonly string[], now: Date) {
  const hubs = await selectActiveHubs(tx, [...skus]);
  const candidates: HubCandidate[] = hubs.map((hub) => ({
    id: hub.id,
    country: hub.country,
    zone: hub.zone,
    priority: hub.priority,
    costPerItem: hub.costPerItem,
    costPerShipment: hub.costPerShipment,
    available: Object.fromEntries(hub.stock.map((s) => [s.sku, s.onHand - s.reserved])),
  }));
  const stock = hubs.flatMap((hub) => hub.stock);
  /** When a hub expects its next units of a SKU, keyed `hub/sku`. */
  const hubRestocks = new Map(stock.flatMap((s) => (s.restockExpectedAt && s.restockExpectedAt >= now ? [[`${s.hubId}/${s.sku}`, s.restockExpectedAt.getTime()] as const] : [])));
  return { candidates, hubRestocks, restocks: nextRestocks(stock, now) };
}

/**
 * Routes the order's own-stock items to hubs and reserves them (FUL-02/03), unless the order
 * already holds its stock. Units the hubs do not have follow the short-stock policy
 * (`domain/short-stock.ts`): substitutes are reserved instead, partial units are cancelled
 * (`fulfillment.items.cancelled`, refunded), backordered ones wait for a restock; without a
 * policy the attempt fails. Each hub's share becomes a fulfillment order (`ready_to_prepare`);
 * the reservation is `held` for the TTL until the placement confirms it.
 */
export async function ensureReservations(tx: Transaction, fulfillment: Fulfillment, context: WorkflowContext, now: Date): Promise<ReservationOutcome> {
  const { orderId, order } = context;
  // Without the units of failed sources refunded or moved elsewhere (FUL-05); with those moved to hub stock.
  const ordered: OrderLine[] = placementLines(order.items, context.failedParts)
    .filter((item) => item.supplierSource === 'own_stock')
    .map(({ sku, variantId, name, quantity, vendorId }) => ({ sku, variantId, name, quantity, vendorId }));
  if (ordered.length === 0) return { ok: true };
  const held = await selectHeldStock(tx, orderId, [...HOLDING, 'backordered']);
  const lines = withoutCancelled(ordered, held.shortCancelled.flat());
  if (lines.length === 0) return { ok: true };
  if (held.holding > 0) return { ok: true };

  const skus = [...new Set(lines.map((l) => l.sku))];
  const policies = await selectStockPolicies(tx, skus);
  const substitutes = policies.flatMap((p) => (p.substituteSku ? [p.substituteSku] : []));
  const { candidates, hubRestocks, restocks } = await hubCandidates(tx, [...skus, ...substitutes], now);
  const decision = resolveShortStock(lines, {
    free: availableBySku(candidates),
    policies: new Map(policies.map((p) => [p.sku, { policy: p.policy as ShortStockPolicy | null, substituteSku: p.substituteSku }])),
    orderPolicy: order.shortStockPolicy ?? null,
    restockAt: restocks,
  });
  if (!decision.ok) return { ok: false, reason: insufficient(decision.shortages) };
  if (decision.backordered.length > 0 && candidates.length === 0) return { ok: false, reason: 'No active hub to hold a backorder' };
  const reserved = await allocateAtHubs(tx, fulfillment, context, decision.lines, candidates, now);
  if (!reserved.ok) return reserved;
  for (const line of decision.backordered) {
    // Held at the hub expected to receive the SKU first (else the best hub for the line); served wherever it arrives.
    const restockAt = (hub: HubCandidate) => hubRestocks.get(`${hub.id}/${line.sku}`) ?? Infinity;
    const [waitAt] = [...candidates].sort((a, b) => restockAt(a) - restockAt(b) || compareHubs(a, b, [line], order.shippingAddress.country));
    await tx.reservation.create({
      data: { id: randomUUID(), orderId, hubId: waitAt!.id, sku: line.sku, quantity: line.quantity, status: 'backordered', expectedAt: line.expectedAt, createdAt: now, updatedAt: now },
    });
  }
  await recordShortStockOutcome(tx, fulfillment, orderId, decision, now);
  return { ok: true };
}

/**
 * Routes `lines` to hubs and reserves them (`held`, with the TTL), one fulfillment order per hub;
 * also used for the units of a failed source re-routed to hub stock (FUL-05).
 */
export async function reserveAtHubs(tx: Transaction, fulfillment: Fulfillment, context: WorkflowContext, lines: OrderLine[], now: Date): Promise<ReservationOutcome> {
  const { candidates } = await hubCandidates(tx, [...new Set(lines.map((l) => l.sku))], now);
  return allocateAtHubs(tx, fulfillment, context, lines, candidates, now);
}

async function allocateAtHubs(
  tx: Transaction,
  fulfillment: Fulfillment,
  context: WorkflowContext,
  lines: OrderLine[],
  candidates: HubCandidate[],
  now: Date,
): Promise<ReservationOutcome> {
  const { orderId, order } = context;
  const plan = planRouting(lines, candidates, order.shippingAddress.country);
  if (!plan.ok) return { ok: false, reason: insufficient(plan.shortages) };
  const expiresAt = new Date(now.getTime() + fulfillment.settings.reservationTtlMs);
  const priority = priorityOf(order, now);
  for (const allocation of plan.allocations) {
    const lines = allocation.lines.map((line) => ({ sku: line.sku, name: line.name, quantity: line.quantity, substituteFor: line.substituteFor ?? null, vendorId: line.vendorId ?? null }));
    await reserveHubShare(tx, { orderId, hubId: allocation.hubId, priority, attempt: context.retryCount + 1, expiresAt, now, lines });
  }
  if (plan.allocations.length > 0) await scheduleTimer(tx, { kind: TIMER_KINDS.reservationExpiry, key: orderId, fireAt: expiresAt });
  return { ok: true };
}

/**
 * A hub's share of an order: its fulfillment order, reservations and items now, its units taken
 * from the hub's stock at the commit, which rolls back if another order took them since routing
 * read the stock (the caller's retry routes again).
 */
export async function reserveHubShare(tx: Transaction, share: Parameters<typeof insertHubAllocation>[1]): Promise<void> {
  await insertHubAllocation(tx, share);
  for (const line of share.lines) {
    changeStockAtCommit(tx, { hubId: share.hubId, sku: line.sku, reserved: line.quantity, onHand: 0, free: line.quantity }, share.now);
  }
}

function insufficient(shortages: ReadonlyArray<{ sku: string; requested: number; available: number }>): string {
  return `Insufficient stock: ${shortages.map((s) => `${s.sku} (requested ${s.requested}, available ${s.available})`).join(', ')}`;
}

/** Tells billing, orders and the customer what the policy did: substitutes, backorders, cancelled units (`item_cancellations`: never cancelled twice). */
async function recordShortStockOutcome(tx: Transaction, fulfillment: Fulfillment, orderId: string, plan: ShortStockPlan, now: Date): Promise<void> {
  const at = now.toISOString();
  if (plan.substituted.length > 0) {
    await recordEvent(tx, newEvent(itemsSubstituted, { aggregateId: orderId, source: SERVICE, occurredAt: now, data: { orderId, items: plan.substituted, at } }));
  }
  if (plan.backordered.length > 0) {
    const items = plan.backordered.map(({ sku, vendorId, quantity, expectedAt }) => ({ sku, vendorId, quantity, expectedAt: expectedAt?.toISOString() ?? null }));
    await recordEvent(tx, newEvent(itemsBackordered, { aggregateId: orderId, source: SERVICE, occurredAt: now, data: { orderId, items, at } }));
  }
  if (plan.cancelled.length > 0) {
    const reason = `Short in stock: ${plan.cancelled.map((c) => `${c.quantity} × ${c.sku}`).join(', ')}`;
    await cancelItems(tx, fulfillment, { orderId, cause: 'stock_short', source: 'own_stock', reason, items: plan.cancelled });
  }
}

/** The placement succeeded: the stock stays held until shipment (no more TTL). */
export async function confirmReservations(tx: Transaction, orderId: string, now: Date): Promise<void> {
  await confirmHeldStock(tx, orderId, statusesBefore(FULFILLMENT_ORDER_TRANSITIONS, 'awaiting_shipment'), now);
  await cancelTimer(tx, TIMER_KINDS.reservationExpiry, orderId);
}

/** The units go back to stock at the commit (`changeStockAtCommit`, with the availability they leave). */
async function release(tx: Transaction, reservations: Array<{ id: string; hubId: string; sku: string; quantity: number }>, reason: string, now: Date): Promise<void> {
  if (reservations.length === 0) return;
  for (const r of reservations) changeStockAtCommit(tx, { hubId: r.hubId, sku: r.sku, reserved: -r.quantity, onHand: 0, free: 0 }, now);
  await tx.reservation.updateMany({ where: { id: { in: reservations.map((r) => r.id) } }, data: { status: 'released', releaseReason: reason, expiresAt: null, updatedAt: now } });
}

/** Cancel or failed attempt: every reservation goes back to stock (backorders stop waiting), unshipped fulfillment orders are cancelled. */
export async function releaseOrderStock(tx: Transaction, orderId: string, reason: string, now: Date): Promise<void> {
  await release(tx, await tx.reservation.findMany({ where: { orderId, status: { in: HOLDING } } }), reason, now);
  await tx.reservation.updateMany({ where: { orderId, status: 'backordered' }, data: { status: 'released', releaseReason: reason, updatedAt: now } });
  await tx.fulfillmentOrder.updateMany({
    where: { orderId, status: { in: statusesBefore(FULFILLMENT_ORDER_TRANSITIONS, 'cancelled', UNSHIPPED) } },
    data: { status: 'cancelled', updatedAt: now },
  });
  // Parcels still being prepared at the hub will not leave.
  await tx.shipment.updateMany({ where: { orderId, status: { in: statusesBefore(SHIPMENT_TRANSITIONS, 'cancelled', ['draft', 'ready']) } }, data: { status: 'cancelled', updatedAt: now } });
  await cancelTimer(tx, TIMER_KINDS.reservationExpiry, orderId);
}

/** The TTL passed before the placement confirmed them (suppliers down): the stock goes back. */
export async function releaseExpiredReservations(tx: Transaction, orderId: string, now: Date): Promise<number> {
  const expired = await tx.reservation.findMany({ where: { orderId, status: 'held', expiresAt: { lte: now } } });
  await release(tx, expired, 'expired', now);
  if (expired.length > 0) {
    await tx.fulfillmentOrder.updateMany({ where: { orderId, status: 'ready_to_prepare' }, data: { status: 'cancelled', updatedAt: now } });
  }
  return expired.length;
}

/** Shipped units leave the hub: reservation consumed, on-hand and reserved both go down. */
export async function consumeReservation(tx: Transaction, orderId: string, hubId: string, sku: string, quantity: number, now: Date): Promise<void> {
  let left = quantity;
  for (const r of await tx.reservation.findMany({ where: { orderId, hubId, sku, status: 'confirmed' }, orderBy: { createdAt: 'asc' } })) {
    if (left === 0) break;
    const take = Math.min(left, r.quantity);
    changeStockAtCommit(tx, { hubId, sku, reserved: -take, onHand: -take, free: 0 }, now);
    if (take === r.quantity) {
      await tx.reservation.update({ where: { id: r.id }, data: { status: 'consumed', updatedAt: now } });
    } else {
      await tx.reservation.update({ where: { id: r.id }, data: { quantity: r.quantity - take, updatedAt: now } });
      await tx.reservation.create({ data: { id: randomUUID(), orderId, hubId, sku, quantity: take, status: 'consumed', createdAt: now, updatedAt: now } });
    }
    left -= take;
  }
}

/**
 * The order is delivered (every unit delivered or cancelled): hub fulfillment orders on their
 * way are done, ones whose remaining units were cancelled instead are cancelled, and stock
 * still held for units that will not ship goes back.
 */
export async function completeFulfillmentOrders(tx: Transaction, orderId: string, now: Date): Promise<void> {
  const holding = await closeHubOrders(
    tx,
    orderId,
    {
      toComplete: statusesBefore(FULFILLMENT_ORDER_TRANSITIONS, 'completed'),
      toCancel: statusesBefore(FULFILLMENT_ORDER_TRANSITIONS, 'cancelled', UNSHIPPED),
      holding: HOLDING,
    },
    now,
  );
  await release(tx, holding, 'not_shipped', now);
}

/**
 * A restock locks the SKUs' backorders before their stock rows, in the order of their orders: a
 * cancel or a consumer's batch releases an order's reservations (backorders included) first and
 * changes the stock at its commit, so both take reservations, then stock, and a restock never
 * waits on a release that waits on it.
 */
export async function lockBackorders(tx: Transaction, skus: readonly string[]): Promise<void> {
  await tx.$executeRaw`SELECT 1 FROM reservations WHERE sku = ANY(${skus}::text[]) AND status = 'backordered' ORDER BY order_id, id FOR UPDATE`;
}

/**
 * Units of `sku` arrived at a hub: backorders of that SKU are served oldest first, as far as the
 * free units go (the last one served may be split). A served backorder is confirmed at once (its
 * order's placement already went through) and joins the order's fulfillment order at that hub,
 * which ops then ships like any other.
 */
export async function serveBackorders(tx: Transaction, fulfillment: Fulfillment, hubId: string, sku: string, now: Date): Promise<void> {
  const waiting = await tx.reservation.findMany({ where: { sku, status: 'backordered' }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  for (const backorder of waiting) {
    const stock = await tx.hubStock.findUniqueOrThrow({ where: { hubId_sku: { hubId, sku } } });
    const take = Math.min(stock.onHand - stock.reserved, backorder.quantity);
    if (take <= 0) break;
    await tx.$executeRaw`UPDATE hub_stock SET reserved = reserved + ${take}, updated_at = ${now} WHERE hub_id = ${hubId} AND sku = ${sku}`;
    if (take < backorder.quantity) {
      await tx.reservation.update({ where: { id: backorder.id }, data: { quantity: backorder.quantity - take, updatedAt: now } });
    }
    const served = { orderId: backorder.orderId, hubId, sku, quantity: take, status: 'confirmed', createdAt: now, updatedAt: now };
    if (take === backorder.quantity) await tx.reservation.update({ where: { id: backorder.id }, data: { ...served, expectedAt: null, createdAt: undefined } });
    else await tx.reservation.create({ data: { id: randomUUID(), ...served } });
    await addToHubOrder(tx, fulfillment, backorder.orderId, hubId, sku, take, now);
    fulfillment.log.info({ orderId: backorder.orderId, hubId, sku, quantity: take }, 'backorder served from a restock');
  }
}

async function addToHubOrder(tx: Transaction, fulfillment: Fulfillment, orderId: string, hubId: string, sku: string, quantity: number, now: Date): Promise<void> {
  const workflow = await loadWorkflow(tx, fulfillment, orderId);
  if (!workflow) throw new Error(`backorder of ${orderId} without a workflow`);
  const { order, retryCount } = workflow.snapshot.context;
  const existing = await tx.fulfillmentOrder.findFirst({ where: { orderId, hubId, status: 'awaiting_shipment' }, orderBy: { createdAt: 'desc' } });
  const fulfillmentOrderId = existing?.id ?? randomUUID();
  if (!existing) {
    await tx.fulfillmentOrder.create({
      data: { id: fulfillmentOrderId, orderId, hubId, status: 'awaiting_shipment', priority: priorityOf(order, now), attempt: retryCount + 1, createdAt: now, updatedAt: now },
    });
  }
  // A backorder is kept per SKU: its units are the order line of that SKU.
  const line = order.items.find((item) => item.sku === sku);
  await tx.fulfillmentOrderItem.create({
    data: { id: randomUUID(), fulfillmentOrderId, sku, name: line?.name ?? sku, quantity, remainingQuantity: quantity, vendorId: line?.vendorId ?? null },
  });
}

/** Units free to reserve (on hand minus reserved) across the active hubs, by SKU: what routing would see. */
export async function freeAtHubs(tx: Transaction, skus: string[], now: Date): Promise<Record<string, number>> {
  return Object.fromEntries(availableBySku((await hubCandidates(tx, skus, now)).candidates));
}
