import { randomUUID } from 'node:crypto';
import { type EventData, type itemsCancelled, type progressChanged, subOrderStatusChanged, type UnitCounts } from '@platform/contracts';
import type { Order, SubOrder } from '@platform/contracts/api/orders';
import type { Clock } from '@platform/runtime/clock';
import { newEvent, recordEvents } from '@platform/runtime/outbox';
import type { Transaction } from '../adapters/database';
import { lockOrder, type OrderRow } from '../adapters/order-repository';
import {
  insertSubOrders,
  listSubOrders,
  type NewSubOrder,
  type SubOrderRecord,
  type SubOrderUpdate,
  updateSubOrdersAtVersion,
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
  type SplitItem,
  statusFollowingParent,
  statusFromVendorProgress,
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

/** The event of one history entry, carrying the sub-order as written. */
function changeEvent(now: Date, sub: SubOrderRecord, currency: string, previousStatus: OrderStatus | null, change: Change) {
  return newEvent(subOrderStatusChanged, {
      aggregateId: sub.id,
      source: SERVICE,
      occurredAt: now,
      data: {
        subOrderId: sub.id,
        number: sub.number,
        orderId: sub.orderId,
        vendor: { id: sub.vendorId, type: sub.vendorType as SubOrder['vendor']['type'] },
        status: change.status,
        previousStatus,
        fulfillmentStatus: change.fulfillmentStatus,
        subtotal: sub.subtotal,
        currency,
        details: change.details,
        actor: change.actor,
        version: sub.version,
        changedAt: now.toISOString(),
      },
    });
}

const noUnits = (ordered: number): UnitCounts => ({ ordered, shipped: 0, delivered: 0, returned: 0, cancelled: 0 });

/** Sub-orders to write for vendors' parts, in the order's status. */
function newSubOrders(order: { id: string; status: OrderStatus }, parts: readonly VendorPart[], actor: string, now: Date): NewSubOrder[] {
  return parts.map((part) => ({
    id: randomUUID(),
    orderId: order.id,
    position: part.position,
    vendorId: part.vendor.id,
    vendorType: part.vendor.type,
    itemIds: part.itemIds,
    subtotal: part.subtotal,
    status: order.status,
    fulfillmentStatus: 'not_fulfilled',
    units: noUnits(part.quantity),
    createdAt: now,
    history: { id: randomUUID(), details: 'Split from the order by vendor', actor },
  }));
}

/** The split of a new order: one sub-order per vendor, in the parent's status, for `insertOrder` to write with it. */
export function splitNewOrder(order: { id: string; status: OrderStatus; items: readonly SplitItem[] }, actor: string, now: Date): NewSubOrder[] {
  return newSubOrders(order, splitByVendor(order.items), actor, now);
}

/** The events of sub-orders the split wrote (`written`, as returned for `split`), for the caller to record with its own. */
export function splitEvents(now: Date, currency: string, split: readonly NewSubOrder[], written: readonly SubOrderRecord[]) {
  return written.map((sub, index) => {
    const { status, fulfillmentStatus, history } = split[index]!;
    return changeEvent(now, sub, currency, null, {
      status: status as OrderStatus,
      fulfillmentStatus: fulfillmentStatus as FulfillmentStatus,
      details: history.details,
      actor: history.actor,
    });
  });
}

type Move = Change & { units?: UnitCounts; parcels?: SubOrder['parcels'] };

/**
 * Moves the sub-orders `moveOf` names, all in one statement, recording each change of status or
 * fulfillment status (history entry and event). Returns every sub-order as it now is.
 */
async function moveSubOrders(
  tx: Transaction,
  clock: Clock,
  currency: string,
  subs: readonly SubOrderRecord[],
  moveOf: (sub: SubOrderRecord) => Move | null,
): Promise<SubOrderRecord[]> {
  const planned = subs.flatMap((sub) => {
    const move = moveOf(sub);
    if (!move) return [];
    const moved = move.status !== sub.status || move.fulfillmentStatus !== sub.fulfillmentStatus;
    const facts = move.units !== undefined || move.parcels !== undefined;
    return moved || facts ? [{ sub, move, moved }] : [];
  });
  if (planned.length === 0) return [...subs];
  const updates: SubOrderUpdate[] = planned.map(({ sub, move, moved }) => ({
    id: sub.id,
    version: sub.version,
    status: move.status,
    fulfillmentStatus: move.fulfillmentStatus,
    ...(move.units && { units: move.units }),
    ...(move.parcels && { parcels: move.parcels }),
    ...(moved && { history: { id: randomUUID(), previousStatus: sub.status, details: move.details, actor: move.actor } }),
  }));
  const now = clock.now();
  const written = new Map((await updateSubOrdersAtVersion(tx, updates, now)).map((row) => [row.id, row]));
  await recordEvents(
    tx,
    planned.flatMap(({ sub, move, moved }) => (moved ? [changeEvent(now, written.get(sub.id)!, currency, sub.status as OrderStatus, move)] : [])),
  );
  return subs.map((sub) => written.get(sub.id) ?? sub);
}

/**
 * The split again after a modification (items replaced): a remaining vendor's sub-order takes
 * its new items (one whose items had gone comes back in the parent's status), a new vendor
 * gets a new sub-order, a vendor no longer in the order has its sub-order cancelled.
 */
export async function resplitOrder(tx: Transaction, clock: Clock, order: Order, actor: string): Promise<void> {
  const existing = await listSubOrders(tx, order.id);
  const { parts, removed } = resplit(existing, order.items);
  for (const part of parts) {
    const sub = existing.find((candidate) => candidate.vendorId === part.vendor.id);
    if (!sub) {
      const now = clock.now();
      const split = newSubOrders(order, [part], actor, now);
      await recordEvents(tx, splitEvents(now, order.currency, split, await insertSubOrders(tx, split)));
      continue;
    }
    const [kept] = await updateSubOrdersAtVersion(
      tx,
      [{ id: sub.id, version: sub.version, itemIds: part.itemIds, subtotal: part.subtotal, vendorType: part.vendor.type, units: noUnits(part.quantity) }],
      clock.now(),
    );
    if (sub.status !== order.status) {
      await moveSubOrders(tx, clock, order.currency, [kept!], () => ({
        status: order.status,
        fulfillmentStatus: 'not_fulfilled',
        details: "The vendor's items are back in the order",
        actor,
      }));
    }
  }
  await moveSubOrders(tx, clock, order.currency, existing, (sub) =>
    removed.includes(sub.vendorId)
      ? { status: advance(sub.status as OrderStatus, 'cancelled'), fulfillmentStatus: 'cancelled', details: "The vendor's items were removed from the order", actor }
      : null,
  );
}

/** The parent's own journey (payment, fulfillment started, cancel, refund) carried to its sub-orders; called by every parent status change. */
export async function subOrdersFollowParent(tx: Transaction, clock: Clock, order: Order, change: { to: OrderStatus; details: string | null; actor: string }): Promise<void> {
  const proposed = statusFollowingParent(change.to);
  if (!proposed) return;
  await moveSubOrders(tx, clock, order.currency, await listSubOrders(tx, order.id), (sub) => {
    const status = advance(sub.status as OrderStatus, proposed);
    const fulfillmentStatus = status === 'cancelled' ? 'cancelled' : (sub.fulfillmentStatus as FulfillmentStatus);
    return { status, fulfillmentStatus, details: change.details, actor: change.actor };
  });
}

const stateOf = (sub: SubOrderRecord) => ({ status: sub.status as OrderStatus, fulfillmentStatus: sub.fulfillmentStatus as FulfillmentStatus });

/** The parts' roll-up before and after a change, for the parent to follow, and the parent as read under its lock; null when the order has no sub-orders. */
export interface PartsMoved {
  before: RollUp;
  after: RollUp;
  order: OrderRow;
}

async function changeParts(tx: Transaction, clock: Clock, orderId: string, moveOf: (sub: SubOrderRecord) => Move | null): Promise<PartsMoved | null> {
  const order = await lockOrder(tx, orderId);
  if (!order) return null;
  const subs = await listSubOrders(tx, orderId);
  if (subs.length === 0) return null;
  const after = await moveSubOrders(tx, clock, order.currency, subs, moveOf);
  return { before: rollUp(subs.map(stateOf)), after: rollUp(after.map(stateOf)), order };
}

/** `fulfillment.progress.changed`: each vendor's sub-order takes its vendor's fulfillment status, units and parcels. */
export function applyVendorProgress(tx: Transaction, clock: Clock, data: EventData<typeof progressChanged>): Promise<PartsMoved | null> {
  const details = progressDetails(data);
  return changeParts(tx, clock, data.orderId, (sub) => {
    const vendor = data.vendors.find((candidate) => candidate.vendorId === sub.vendorId);
    if (!vendor) return null;
    return {
      status: advance(sub.status as OrderStatus, statusFromVendorProgress(vendor.fulfillmentStatus)),
      fulfillmentStatus: vendor.fulfillmentStatus,
      units: vendor.units,
      parcels: parcelsOfVendor(data.parcels, sub.vendorId),
      details,
      actor: 'fulfillment',
    };
  });
}

/** `fulfillment.items.cancelled`: the units are counted against their vendor's part; all of them cancels it. */
export function applyItemsCancelled(tx: Transaction, clock: Clock, data: EventData<typeof itemsCancelled>): Promise<PartsMoved | null> {
  return changeParts(tx, clock, data.orderId, (sub) => {
    const quantity = data.items.filter((item) => item.vendorId === sub.vendorId).reduce((sum, item) => sum + item.quantity, 0);
    if (quantity === 0) return null;
    const { units, allCancelled } = cancelUnits(sub.units as UnitCounts, quantity);
    const status = allCancelled ? advance(sub.status as OrderStatus, 'cancelled') : (sub.status as OrderStatus);
    const fulfillmentStatus = status === 'cancelled' ? 'cancelled' : (sub.fulfillmentStatus as FulfillmentStatus);
    return { status, fulfillmentStatus, units, details: data.reason, actor: 'fulfillment' };
  });
}
