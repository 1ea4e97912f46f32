import { randomUUID } from 'node:crypto';
import { type EventData, type itemsCancelled, type progressChanged, subOrderStatusChanged, type UnitCounts } from '@platform/contracts';
import type { Order, SubOrder } from '@platform/contracts/api/orders';
import type { Clock } from '@platform/runtime/clock';
import { newEvent, recordEvent } from '@platform/runtime/outbox';
import type { Transaction } from '../adapters/database';
import {
  insertSubOrder,
  insertSubOrderHistory,
  listSubOrderRows,
  lockOrder,
  type SubOrderRow,
  toSubOrder,
  updateSubOrderAtVersion,
} from '../adapters/sub-order-repository';
import type { FulfillmentStatus, OrderStatus } from '../domain/order-status';
import {
  advance,
  cancelUnits,
  parcelsOfVendor,
  progressDetails,
  resplit,
  type RollUp,
  rollUp,
  splitByVendor,
  statusFollowingParent,
  statusFromVendorProgress,
  subOrderNumber,
  type VendorPart,
} from '../domain/sub-orders';
import { SERVICE } from './dependencies';

/*
 * Sub-orders (docs/requirements.md#ord-05-vendor-split): written only under the parent's row
 * lock, every status or fulfillment status change with a history entry and
 * `orders.sub_order.status_changed` (its own aggregate: the row is written first, so one
 * sub-order's events keep their order).
 */

interface Change {
  status: OrderStatus;
  fulfillmentStatus: FulfillmentStatus;
  details: string | null;
  actor: string;
}

async function recordChange(tx: Transaction, clock: Clock, sub: SubOrderRow, previousStatus: OrderStatus | null, change: Change): Promise<void> {
  const now = clock.now();
  await insertSubOrderHistory(tx, {
    id: randomUUID(),
    subOrderId: sub.id,
    status: change.status,
    previousStatus,
    fulfillmentStatus: change.fulfillmentStatus,
    details: change.details,
    actor: change.actor,
    createdAt: now,
  });
  const view = toSubOrder(sub);
  await recordEvent(
    tx,
    newEvent(subOrderStatusChanged, {
      aggregateId: sub.id,
      source: SERVICE,
      occurredAt: now,
      data: {
        subOrderId: sub.id,
        number: sub.number,
        orderId: sub.orderId,
        vendor: view.vendor,
        status: change.status,
        previousStatus,
        fulfillmentStatus: change.fulfillmentStatus,
        subtotal: sub.subtotal,
        currency: view.currency,
        details: change.details,
        actor: change.actor,
        version: sub.version,
        changedAt: now.toISOString(),
      },
    }),
  );
}

const noUnits = (ordered: number): UnitCounts => ({ ordered, shipped: 0, delivered: 0, returned: 0, cancelled: 0 });

async function createSubOrder(tx: Transaction, clock: Clock, order: Order, part: VendorPart, actor: string): Promise<void> {
  const now = clock.now();
  const sub = await insertSubOrder(tx, {
    id: randomUUID(),
    orderId: order.id,
    position: part.position,
    number: subOrderNumber(order.number, part.position),
    vendorId: part.vendor.id,
    vendorType: part.vendor.type,
    itemIds: part.itemIds,
    subtotal: part.subtotal,
    status: order.status,
    fulfillmentStatus: 'not_fulfilled',
    units: noUnits(part.quantity),
    createdAt: now,
    updatedAt: now,
  });
  await recordChange(tx, clock, sub, null, { status: order.status, fulfillmentStatus: 'not_fulfilled', details: 'Split from the order by vendor', actor });
}

/** Moves one sub-order, recording the change when its status or fulfillment status moved. */
async function moveSubOrder(
  tx: Transaction,
  clock: Clock,
  sub: SubOrderRow,
  change: Change & { units?: UnitCounts; parcels?: SubOrder['parcels'] },
): Promise<SubOrderRow> {
  const moved = change.status !== sub.status || change.fulfillmentStatus !== sub.fulfillmentStatus;
  const facts = change.units !== undefined || change.parcels !== undefined;
  if (!moved && !facts) return sub;
  const updated = await updateSubOrderAtVersion(tx, sub, {
    status: change.status,
    fulfillmentStatus: change.fulfillmentStatus,
    ...(change.units && { units: change.units }),
    ...(change.parcels && { parcels: change.parcels }),
    updatedAt: clock.now(),
  });
  if (moved) await recordChange(tx, clock, updated, sub.status as OrderStatus, change);
  return updated;
}

/** The split of a new order: one sub-order per vendor, in the parent's status. Called where the order is inserted. */
export async function splitNewOrder(tx: Transaction, clock: Clock, order: Order, actor: string): Promise<void> {
  for (const part of splitByVendor(order.items)) await createSubOrder(tx, clock, order, part, actor);
}

/**
 * The split again after a modification (items replaced): a remaining vendor's sub-order takes
 * its new items (one whose items had gone comes back in the parent's status), a new vendor
 * gets a new sub-order, a vendor no longer in the order has its sub-order cancelled.
 */
export async function resplitOrder(tx: Transaction, clock: Clock, order: Order, actor: string): Promise<void> {
  const existing = await listSubOrderRows(tx, order.id);
  const { parts, removed } = resplit(existing, order.items);
  for (const part of parts) {
    const sub = existing.find((candidate) => candidate.vendorId === part.vendor.id);
    if (!sub) {
      await createSubOrder(tx, clock, order, part, actor);
      continue;
    }
    const kept = await updateSubOrderAtVersion(tx, sub, {
      itemIds: part.itemIds,
      subtotal: part.subtotal,
      vendorType: part.vendor.type,
      units: noUnits(part.quantity),
      updatedAt: clock.now(),
    });
    if (sub.status !== order.status) {
      await moveSubOrder(tx, clock, kept, { status: order.status, fulfillmentStatus: 'not_fulfilled', details: "The vendor's items are back in the order", actor });
    }
  }
  for (const sub of existing.filter((candidate) => removed.includes(candidate.vendorId))) {
    const status = advance(sub.status as OrderStatus, 'cancelled');
    await moveSubOrder(tx, clock, sub, { status, fulfillmentStatus: 'cancelled', details: "The vendor's items were removed from the order", actor });
  }
}

/** The parent's own journey (payment, fulfillment started, cancel, refund) carried to its sub-orders; called by every parent status change. */
export async function subOrdersFollowParent(tx: Transaction, clock: Clock, order: Order, change: { to: OrderStatus; details: string | null; actor: string }): Promise<void> {
  const proposed = statusFollowingParent(change.to);
  if (!proposed) return;
  for (const sub of await listSubOrderRows(tx, order.id)) {
    const status = advance(sub.status as OrderStatus, proposed);
    const fulfillmentStatus = status === 'cancelled' ? 'cancelled' : (sub.fulfillmentStatus as FulfillmentStatus);
    await moveSubOrder(tx, clock, sub, { status, fulfillmentStatus, details: change.details, actor: change.actor });
  }
}

const stateOf = (sub: SubOrderRow) => ({ status: sub.status as OrderStatus, fulfillmentStatus: sub.fulfillmentStatus as FulfillmentStatus });

/** The parts' roll-up before and after a change, for the parent to follow; null when the order has no sub-orders. */
export interface PartsMoved {
  before: RollUp;
  after: RollUp;
}

async function changeParts(
  tx: Transaction,
  orderId: string,
  change: (sub: SubOrderRow) => Promise<SubOrderRow>,
): Promise<PartsMoved | null> {
  if (!(await lockOrder(tx, orderId))) return null;
  const subs = await listSubOrderRows(tx, orderId);
  if (subs.length === 0) return null;
  const after: SubOrderRow[] = [];
  for (const sub of subs) after.push(await change(sub));
  return { before: rollUp(subs.map(stateOf)), after: rollUp(after.map(stateOf)) };
}

/** `fulfillment.progress.changed`: each vendor's sub-order takes its vendor's fulfillment status, units and parcels. */
export function applyVendorProgress(tx: Transaction, clock: Clock, data: EventData<typeof progressChanged>): Promise<PartsMoved | null> {
  const details = progressDetails(data);
  return changeParts(tx, data.orderId, (sub) => {
    const vendor = data.vendors.find((candidate) => candidate.vendorId === sub.vendorId);
    if (!vendor) return Promise.resolve(sub);
    return moveSubOrder(tx, clock, sub, {
      status: advance(sub.status as OrderStatus, statusFromVendorProgress(vendor.fulfillmentStatus)),
      fulfillmentStatus: vendor.fulfillmentStatus,
      units: vendor.units,
      parcels: parcelsOfVendor(data.parcels, sub.vendorId),
      details,
      actor: 'fulfillment',
    });
  });
}

/** `fulfillment.items.cancelled`: the units are counted against their vendor's part; all of them cancels it. */
export function applyItemsCancelled(tx: Transaction, clock: Clock, data: EventData<typeof itemsCancelled>): Promise<PartsMoved | null> {
  return changeParts(tx, data.orderId, (sub) => {
    const quantity = data.items.filter((item) => item.vendorId === sub.vendorId).reduce((sum, item) => sum + item.quantity, 0);
    if (quantity === 0) return Promise.resolve(sub);
    const { units, allCancelled } = cancelUnits(sub.units as UnitCounts, quantity);
    const status = allCancelled ? advance(sub.status as OrderStatus, 'cancelled') : (sub.status as OrderStatus);
    const fulfillmentStatus = status === 'cancelled' ? 'cancelled' : (sub.fulfillmentStatus as FulfillmentStatus);
    return moveSubOrder(tx, clock, sub, { status, fulfillmentStatus, units, details: data.reason, actor: 'fulfillment' });
  });
}
