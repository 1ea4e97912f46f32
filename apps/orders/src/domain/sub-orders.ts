import type { EventData, Parcel, progressChanged, UnitCounts } from '@platform/contracts';
import type { FulfillmentStatus, OrderStatus } from './order-status';
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

/** One vendor's part: `position` is the number's suffix. */
export interface VendorPart {
  vendor: Vendor;
  position: number;
  itemIds: string[];
  subtotal: number;
  /** Units ordered of this vendor. */
  quantity: number;
}

export function subOrderNumber(parentNumber: string, position: number): string {
  return `${parentNumber}-${position}`;
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

export const isLive = (status: OrderStatus) => !ENDED.includes(status);

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
 * sub-order; null: nothing beyond what the sub-order has (nothing shipped yet). `shipped` counts
 * every unit that left, delivered ones included, so a part is shipped when nothing live is left
 * to ship.
 */
export function statusFromVendorProgress(progress: { fulfillmentStatus: FulfillmentStatus; units: UnitCounts }): OrderStatus | null {
  const live = progress.units.ordered - progress.units.cancelled;
  switch (progress.fulfillmentStatus) {
    case 'cancelled':
      return 'cancelled';
    case 'returned':
      return 'returned';
    case 'fulfilled':
    case 'partially_returned':
      return 'delivered';
    case 'shipped':
      return 'shipped';
    case 'partially_fulfilled':
      return progress.units.shipped >= live ? 'shipped' : 'processing';
    case 'partially_shipped':
      return 'processing';
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

/**
 * The parent's fulfillment status from its parts' (cancelled parts ignored unless all are):
 * all alike → that; else anything returned → partially_returned; anything delivered →
 * partially_fulfilled; anything shipped → partially_shipped; else not_fulfilled.
 */
export function rollUpFulfillment(statuses: readonly FulfillmentStatus[]): FulfillmentStatus {
  const live = statuses.filter((status) => status !== 'cancelled');
  if (live.length === 0) return 'cancelled';
  if (live.every((status) => status === live[0])) return live[0]!;
  const any = (...wanted: FulfillmentStatus[]) => live.some((status) => wanted.includes(status));
  if (any('returned', 'partially_returned')) return 'partially_returned';
  if (any('fulfilled', 'partially_fulfilled')) return 'partially_fulfilled';
  if (any('shipped', 'partially_shipped')) return 'partially_shipped';
  return 'not_fulfilled';
}

/**
 * The parent's status from its parts': as far as its least advanced live part (shipped only
 * when every live part shipped, delivered only when every one is delivered); no live part
 * left → cancelled.
 */
export function rollUpStatus(statuses: readonly OrderStatus[]): OrderStatus {
  const live = statuses.filter(isLive);
  if (live.length === 0) return 'cancelled';
  return live.reduce((least, status) => ((PHASE[status] ?? 0) < (PHASE[least] ?? 0) ? status : least));
}

export interface RollUp {
  status: OrderStatus;
  fulfillmentStatus: FulfillmentStatus;
}

export function rollUp(parts: readonly PartState[]): RollUp {
  return { status: rollUpStatus(parts.map((part) => part.status)), fulfillmentStatus: rollUpFulfillment(parts.map((part) => part.fulfillmentStatus)) };
}

const ROLLED_UP_DETAILS: Partial<Record<OrderStatus, string>> = {
  processing: 'Every part is being prepared',
  shipped: 'Every part has shipped',
  delivered: 'Every part was delivered',
  returned: 'Every part was returned',
  cancelled: 'Every part was cancelled',
};

/**
 * What a change of the parts means for the parent: the rolled-up fulfillment status, and the
 * rolled-up status only when the parts moved it. So a parent's own news the parts do not
 * carry (a delay the carrier reported) stays until the parts move on.
 */
export function progressFromRollUp(before: RollUp, after: RollUp, parent: PartState): Progress | null {
  const to = after.status !== before.status && after.status !== parent.status ? after.status : undefined;
  if (!to && after.fulfillmentStatus === parent.fulfillmentStatus) return null;
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
