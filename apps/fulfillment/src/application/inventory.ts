import { randomUUID } from 'node:crypto';
import { DomainError } from '@platform/contracts/errors';
import { cancelTimer, scheduleTimer } from '@platform/runtime/timers';
import type { Database, Transaction } from '../adapters/database';
import type { WorkflowContext } from '../domain/order-workflow';
import { FULFILLMENT_ORDER_TRANSITIONS, type FulfillmentOrderStatus, statusesBefore } from '../domain/parcels';
import { type HubCandidate, planRouting, priorityOf, type RouteLine } from '../domain/routing';
import { placementLines } from '../domain/supplier-placement';
import { type Fulfillment, TIMER_KINDS } from './context';

/** Reservations that still hold stock. */
const HOLDING = ['held', 'confirmed'];
/** Hub fulfillment orders that have not all left yet. */
export const UNSHIPPED: FulfillmentOrderStatus[] = ['ready_to_prepare', 'awaiting_shipment'];

export type ReservationOutcome = { ok: true } | { ok: false; reason: string };

/**
 * Routes the order's own-stock items to hubs and reserves them (FUL-02/03), unless the order
 * already holds its stock. Each hub's share becomes a fulfillment order (`ready_to_prepare`).
 * The reservation is `held` for the TTL until the placement confirms it.
 */
export async function ensureReservations(tx: Transaction, fulfillment: Fulfillment, context: WorkflowContext, now: Date): Promise<ReservationOutcome> {
  const { orderId } = context;
  const lines = placementLines(context.order.items, context.failedParts)
    .filter((item) => item.supplierSource === 'own_stock')
    .map(({ sku, name, quantity }) => ({ sku, name, quantity }));
  if (lines.length === 0) return { ok: true };
  if ((await tx.reservation.count({ where: { orderId, status: { in: HOLDING } } })) > 0) return { ok: true };
  return reserveAtHubs(tx, fulfillment, context, lines, now);
}

/**
 * Routes `lines` to hubs and reserves them (`held`, with the TTL), one fulfillment order per hub;
 * also used for the units of a failed source re-routed to hub stock (FUL-05).
 */
export async function reserveAtHubs(tx: Transaction, fulfillment: Fulfillment, context: WorkflowContext, lines: RouteLine[], now: Date): Promise<ReservationOutcome> {
  const { orderId, order } = context;
  const skus = [...new Set(lines.map((l) => l.sku))];
  const stock = await tx.hubStock.findMany({ where: { sku: { in: skus }, hub: { active: true } }, include: { hub: true } });
  const hubs = new Map<string, HubCandidate>();
  for (const row of stock) {
    const hub = hubs.get(row.hubId) ?? { id: row.hubId, country: row.hub.country, zone: row.hub.zone, costPerItem: row.hub.costPerItem, available: {} };
    hub.available[row.sku] = row.onHand - row.reserved;
    hubs.set(row.hubId, hub);
  }
  const plan = planRouting(lines, [...hubs.values()], order.shippingAddress.country);
  if (!plan.ok) {
    return { ok: false, reason: `Insufficient stock: ${plan.shortages.map((s) => `${s.sku} (requested ${s.requested}, available ${s.available})`).join(', ')}` };
  }

  const expiresAt = new Date(now.getTime() + fulfillment.settings.reservationTtlMs);
  const priority = priorityOf(order, now);
  for (const allocation of plan.allocations) {
    const fulfillmentOrderId = randomUUID();
    await tx.fulfillmentOrder.create({
      data: { id: fulfillmentOrderId, orderId, hubId: allocation.hubId, status: 'ready_to_prepare', priority, attempt: context.retryCount + 1, createdAt: now, updatedAt: now },
    });
    for (const line of allocation.lines) {
      // Conditional: never reserves more than is free, whatever another order did since routing read the stock.
      const reserved = await tx.$executeRaw`
        UPDATE hub_stock SET reserved = reserved + ${line.quantity}, updated_at = ${now}
        WHERE hub_id = ${allocation.hubId} AND sku = ${line.sku} AND on_hand - reserved >= ${line.quantity}`;
      if (reserved === 0) throw new Error(`stock of ${line.sku} at ${allocation.hubId} changed while reserving; will retry`);
      await tx.reservation.create({
        data: { id: randomUUID(), orderId, hubId: allocation.hubId, sku: line.sku, quantity: line.quantity, status: 'held', expiresAt, createdAt: now, updatedAt: now },
      });
      await tx.fulfillmentOrderItem.create({
        data: { id: randomUUID(), fulfillmentOrderId, sku: line.sku, name: line.name, quantity: line.quantity, remainingQuantity: line.quantity },
      });
    }
  }
  await scheduleTimer(tx, { kind: TIMER_KINDS.reservationExpiry, key: orderId, fireAt: expiresAt });
  return { ok: true };
}

/** The placement succeeded: the stock stays held until shipment (no more TTL). */
export async function confirmReservations(tx: Transaction, orderId: string, now: Date): Promise<void> {
  await tx.reservation.updateMany({ where: { orderId, status: 'held' }, data: { status: 'confirmed', expiresAt: null, updatedAt: now } });
  await tx.fulfillmentOrder.updateMany({
    where: { orderId, status: { in: statusesBefore(FULFILLMENT_ORDER_TRANSITIONS, 'awaiting_shipment') } },
    data: { status: 'awaiting_shipment', updatedAt: now },
  });
  await cancelTimer(tx, TIMER_KINDS.reservationExpiry, orderId);
}

async function release(tx: Transaction, reservations: Array<{ id: string; hubId: string; sku: string; quantity: number }>, reason: string, now: Date): Promise<void> {
  for (const r of reservations) {
    await tx.$executeRaw`
      UPDATE hub_stock SET reserved = GREATEST(reserved - ${r.quantity}, 0), updated_at = ${now} WHERE hub_id = ${r.hubId} AND sku = ${r.sku}`;
    await tx.reservation.update({ where: { id: r.id }, data: { status: 'released', releaseReason: reason, expiresAt: null, updatedAt: now } });
  }
}

/** Cancel or failed attempt: every reservation goes back to stock, unshipped fulfillment orders are cancelled. */
export async function releaseOrderStock(tx: Transaction, orderId: string, reason: string, now: Date): Promise<void> {
  await release(tx, await tx.reservation.findMany({ where: { orderId, status: { in: HOLDING } } }), reason, now);
  await tx.fulfillmentOrder.updateMany({
    where: { orderId, status: { in: statusesBefore(FULFILLMENT_ORDER_TRANSITIONS, 'cancelled', UNSHIPPED) } },
    data: { status: 'cancelled', updatedAt: now },
  });
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
    await tx.$executeRaw`
      UPDATE hub_stock SET on_hand = on_hand - ${take}, reserved = reserved - ${take}, updated_at = ${now}
      WHERE hub_id = ${hubId} AND sku = ${sku}`;
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
  await tx.fulfillmentOrder.updateMany({
    where: { orderId, status: { in: statusesBefore(FULFILLMENT_ORDER_TRANSITIONS, 'completed') } },
    data: { status: 'completed', updatedAt: now },
  });
  await tx.fulfillmentOrder.updateMany({
    where: { orderId, status: { in: statusesBefore(FULFILLMENT_ORDER_TRANSITIONS, 'cancelled', UNSHIPPED) } },
    data: { status: 'cancelled', updatedAt: now },
  });
  await release(tx, await tx.reservation.findMany({ where: { orderId, status: { in: HOLDING } } }), 'not_shipped', now);
}

/** Stock adjustment (PUT /hubs/:id/stock): on hand can't go below what is reserved. */
export async function setStock(fulfillment: Fulfillment, hubId: string, sku: string, onHand: number) {
  const now = fulfillment.clock.now();
  const stock = await fulfillment.db.$transaction(async (tx) => {
    const hub = await tx.hub.findUnique({ where: { id: hubId } });
    if (!hub) throw new DomainError('not_found', 'HUB_NOT_FOUND', `No hub ${hubId}`);
    await tx.$executeRaw`
      INSERT INTO hub_stock (hub_id, sku, on_hand, reserved, updated_at) VALUES (${hubId}, ${sku}, 0, 0, ${now})
      ON CONFLICT (hub_id, sku) DO NOTHING`;
    const updated = await tx.$executeRaw`
      UPDATE hub_stock SET on_hand = ${onHand}, updated_at = ${now} WHERE hub_id = ${hubId} AND sku = ${sku} AND reserved <= ${onHand}`;
    if (updated === 0) {
      throw new DomainError('conflict', 'STOCK_BELOW_RESERVED', `${sku} at ${hubId} has more units reserved than ${onHand}`);
    }
    return tx.hubStock.findUniqueOrThrow({ where: { hubId_sku: { hubId, sku } } });
  });
  return { hubId: stock.hubId, sku: stock.sku, onHand: stock.onHand, reserved: stock.reserved, available: stock.onHand - stock.reserved };
}

/**
 * Demo hubs with stock of the demo SKUs, inserted into a database without any hub (first
 * start). At start-up rather than in the migration: migrations must leave every table empty
 * (test/integration/database-schemas.test.ts writes and reads back one row per table).
 */
export const DEMO_HUBS = [
  { id: 'hub-madrid', name: 'Madrid hub', country: 'ES', zone: 'EU', costPerItem: 120, stock: { 'TSHIRT-BLK-M': 50, 'MUG-WHT': 40, 'CHARGER-USB-C': 30 } },
  { id: 'hub-berlin', name: 'Berlin hub', country: 'DE', zone: 'EU', costPerItem: 150, stock: { 'TSHIRT-BLK-M': 30, 'MUG-WHT': 10, 'CHARGER-USB-C': 60 } },
  { id: 'hub-newark', name: 'Newark hub', country: 'US', zone: 'NA', costPerItem: 180, stock: { 'TSHIRT-BLK-M': 40, 'MUG-WHT': 25, 'CHARGER-USB-C': 40 } },
] as const;

export async function ensureDemoHubs(db: Database): Promise<void> {
  if ((await db.hub.count()) > 0) return;
  for (const hub of DEMO_HUBS) {
    await db.hub.upsert({ where: { id: hub.id }, create: { id: hub.id, name: hub.name, country: hub.country, zone: hub.zone, costPerItem: hub.costPerItem }, update: {} });
    for (const [sku, onHand] of Object.entries(hub.stock)) {
      await db.hubStock.upsert({ where: { hubId_sku: { hubId: hub.id, sku } }, create: { hubId: hub.id, sku, onHand }, update: {} });
    }
  }
}

/** Units free to reserve (on hand minus reserved) across the active hubs, by SKU. */
export async function freeAtHubs(tx: Transaction, skus: string[]): Promise<Record<string, number>> {
  const rows = await tx.hubStock.findMany({ where: { sku: { in: skus }, hub: { active: true } } });
  const free: Record<string, number> = {};
  for (const row of rows) free[row.sku] = (free[row.sku] ?? 0) + Math.max(0, row.onHand - row.reserved);
  return free;
}
