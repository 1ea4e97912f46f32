import type { EventData, Parcel, progressChanged, UnitCounts } from '@platform/contracts';
import { type FulfillmentStatus, followsFulfillmentProgress, type OrderStatus } from './order-status';
import type { Progress } from './progress-rules';

/*
 * The vendor split (docs/requirements.md#ord-05-vendor-split): one sub-order per vendor, its
 * status following its vendor's progress and the parent's journey, and the parent's status
 * rolled up from its sub-orders. Pure: the application layer reads and writes the rows.
 */

export interface Vendor {
  id: string;
  type: 'brand' | 'distributor';
}

/** What the split reads of an order item. */
export interface SplitItem {
  id: string;
  vendor: Vendor;
  quantity: number;
  lineTotal: number;
}

/** One vendor's part: `position` is its number's suffix (`ORD-000123-2`). */
export interface VendorPart {
  vendor: Vendor;
  position: number;
  itemIds: string[];
  subtotal: number;
  /** Units ordered of this vendor. */
  quantity: number;
}

/**
 * Groups items by vendor, vendors numbered 1, 2, … in order of first appearance. Every order,
 * one vendor included, has sub-orders, so a vendor always finds its part the same way.
 */
export function splitByVendor(items: readonly SplitItem[]): VendorPart[] {
  const parts = new Map<string, VendorPart>();
  for (const item of items) {
    let part = parts.get(item.vendor.id);
    if (!part) {
      part = { vendor: item.vendor, position: parts.size + 1, itemIds: [], subtotal: 0, quantity: 0 };
      parts.set(item.vendor.id, part);
    }
    part.itemIds.push(item.id);
    part.subtotal += item.lineTotal;
    part.quantity += item.quantity;
  }
  return [...parts.values()];
}

/**
 * The split after a modification: a vendor keeps its sub-order (and number) for as long as the
 * order exists, even one whose items went and came back; a new vendor takes the next number;
 * a vendor whose items are all gone is `removed` (its sub-order is cancelled).
 */
export function resplit(
  existing: readonly { vendorId: string; position: number }[],
  items: readonly SplitItem[],
): { parts: (VendorPart & { isNew: boolean })[]; removed: string[] } {
  const known = new Map(existing.map((sub) => [sub.vendorId, sub.position]));
  let next = Math.max(0, ...existing.map((sub) => sub.position));
  const parts = splitByVendor(items).map((part) => {
    const position = known.get(part.vendor.id);
    return position === undefined ? { ...part, position: ++next, isNew: true } : { ...part, position, isNew: false };
  });
  const present = new Set(parts.map((part) => part.vendor.id));
  return { parts, removed: existing.filter((sub) => !present.has(sub.vendorId)).map((sub) => sub.vendorId) };
}

/** How far a live sub-order has come; cancelled and refunded are off this line. */
const PHASE: Partial<Record<OrderStatus, number>> = { pending: 0, confirmed: 1, processing: 2, shipped: 3, delivered: 4, returned: 5 };
const ENDED: readonly OrderStatus[] = ['cancelled', 'refunded'];

const isLive = (status: OrderStatus) => !ENDED.includes(status);

/**
 * The one rule for moving a sub-order: forward only along pending → confirmed → processing →
 * shipped → delivered → returned (a late or repeated fact changes nothing); `cancelled` only
 * before anything shipped; `refunded` only after `cancelled` or `returned`.
 */
export function advance(current: OrderStatus, proposed: OrderStatus | null): OrderStatus {
  if (proposed === null || proposed === current) return current;
  if (proposed === 'refunded') return current === 'cancelled' || current === 'returned' ? 'refunded' : current;
  if (!isLive(current)) return current;
  if (proposed === 'cancelled') return (PHASE[current] ?? 0) < PHASE.shipped! ? 'cancelled' : current;
  const to = PHASE[proposed];
  return to !== undefined && to > (PHASE[current] ?? 0) ? proposed : current;
}

/** What the parent's own journey means for its sub-orders: payment, fulfillment started, cancel, refund. */
export function statusFollowingParent(parent: OrderStatus): OrderStatus | null {
  return parent === 'confirmed' || parent === 'processing' || parent === 'cancelled' || parent === 'refunded' ? parent : null;
}

/**
 * The status a vendor's progress (`fulfillment.progress.changed`, `vendors[]`) implies for its
 * sub-order, as fulfillment's workflow does for the order: `shipped` once any of its units
 * left (its fulfillment status says whether all did), `delivered` once every live unit
 * arrived; null: nothing has left yet.
 */
export function statusFromVendorProgress(fulfillmentStatus: FulfillmentStatus): OrderStatus | null {
  switch (fulfillmentStatus) {
    case 'cancelled':
      return 'cancelled';
    case 'returned':
      return 'returned';
    case 'fulfilled':
    case 'partially_returned':
      return 'delivered';
    case 'shipped':
    case 'partially_shipped':
    case 'partially_fulfilled':
      return 'shipped';
    case 'not_fulfilled':
      return null;
  }
}

/** Units of a vendor cancelled by fulfillment (a source refused, short stock): all of them cancels the part. */
export function cancelUnits(units: UnitCounts, quantity: number): { units: UnitCounts; allCancelled: boolean } {
  const cancelled = Math.min(units.ordered, units.cancelled + quantity);
  return { units: { ...units, cancelled }, allCancelled: cancelled >= units.ordered };
}

export interface PartState {
  status: OrderStatus;
  fulfillmentStatus: FulfillmentStatus;
}

const SHIPPED_ALL: readonly FulfillmentStatus[] = ['shipped', 'partially_fulfilled', 'fulfilled'];
const DELIVERED_SOME: readonly FulfillmentStatus[] = ['partially_fulfilled', 'fulfilled'];

/**
 * The parent's fulfillment status from its parts' (cancelled parts ignored unless all are):
 * the same answer fulfillment's unit count gives for the whole order. All alike → that;
 * anything returned → partially_returned; every part wholly shipped and something delivered
 * → partially_fulfilled; something shipped → partially_shipped; else not_fulfilled.
 */
export function rollUpFulfillment(statuses: readonly FulfillmentStatus[]): FulfillmentStatus {
  const live = statuses.filter((status) => status !== 'cancelled');
  if (live.length === 0) return 'cancelled';
  if (live.every((status) => status === live[0])) return live[0]!;
  if (live.some((status) => status === 'returned' || status === 'partially_returned')) return 'partially_returned';
  if (live.every((status) => SHIPPED_ALL.includes(status))) return live.some((status) => DELIVERED_SOME.includes(status)) ? 'partially_fulfilled' : 'shipped';
  return live.some((status) => status !== 'not_fulfilled') ? 'partially_shipped' : 'not_fulfilled';
}

/**
 * What the parts say of the parent's status: `cancelled` once no part is live, `returned` once
 * every live part came back (docs/returns.md). Along the way (shipped, delivered) the parent
 * follows fulfillment's workflow, which decides from the same units: shipped when a first
 * part's parcel leaves, delivered with the last live unit.
 */
export function rollUpStatus(statuses: readonly OrderStatus[]): OrderStatus | null {
  if (statuses.length === 0) return null;
  const live = statuses.filter(isLive);
  if (live.length === 0) return 'cancelled';
  return live.every((status) => status === 'returned') ? 'returned' : null;
}

const ROLLED_UP_DETAILS: Partial<Record<OrderStatus, string>> = { cancelled: 'Every part was cancelled', returned: 'Every delivered unit came back' };

export interface RollUp {
  status: OrderStatus | null;
  fulfillmentStatus: FulfillmentStatus;
}

export function rollUp(parts: readonly PartState[]): RollUp {
  return { status: rollUpStatus(parts.map((part) => part.status)), fulfillmentStatus: rollUpFulfillment(parts.map((part) => part.fulfillmentStatus)) };
}

/**
 * What a change of the parts means for the parent: the rolled-up fulfillment status (unless
 * the parent is cancelled, refunded or returned, whose fulfillment status orders decides),
 * `cancelled` when the change left no part live, and `returned` when every live part came back.
 */
export function progressFromRollUp(before: RollUp, after: RollUp, parent: PartState): Progress | null {
  const to = after.status !== null && after.status !== before.status && after.status !== parent.status ? after.status : undefined;
  const follows = followsFulfillmentProgress(parent.status) && after.fulfillmentStatus !== parent.fulfillmentStatus;
  if (!to && !follows) return null;
  return { fulfillmentStatus: after.fulfillmentStatus, ...(to && { to, details: ROLLED_UP_DETAILS[to] ?? null }) };
}
/** The parcels carrying a vendor's items, each listing only that vendor's items: what its sub-order shows. */
export function parcelsOfVendor(parcels: readonly Parcel[], vendorId: string): Parcel[] {
  return parcels
    .filter((parcel) => parcel.items.some((item) => item.vendorId === vendorId))
    .map((parcel) => ({ ...parcel, items: parcel.items.filter((item) => item.vendorId === vendorId) }));
}

/** A sub-order history entry's words for a progress event: the parcel it is about, if any. */
export function progressDetails(data: Pick<EventData<typeof progressChanged>, 'cause' | 'parcels'>): string {
  const parcel = data.parcels.find((candidate) => candidate.shipmentId === data.cause.shipmentId);
  const which = parcel ? `Parcel ${parcel.number} of ${parcel.of}` : 'A parcel';
  const tracking = parcel?.trackingNumber ? ` (${parcel.carrier ?? 'carrier'} ${parcel.trackingNumber})` : '';
  switch (data.cause.kind) {
    case 'parcel_shipped':
      return `${which} shipped${tracking}`;
    case 'parcel_delivered':
      return `${which} delivered${tracking}`;
    case 'units_cancelled':
      return 'Units cancelled';
    case 'units_returned':
      return 'Units returned';
  }
}
