import { DomainError } from '@platform/contracts/errors';
import { type TransitionTable, transitions } from '@platform/contracts/transitions';
import type { Parcel, ShipmentStatus, SupplierSource, UnitCounts } from '@platform/contracts';
import type { FulfillmentStatus } from '@platform/contracts/primitives';

/**
 * Where an order's units are (docs/requirements.md#ord-03-order-statuses,
 * docs/requirements.md#ful-04-fulfillment-orders-and-shipments): decided from the quantities
 * ordered per line, never from which parcels happen to exist so far. An order in two parcels
 * is delivered when both are, not when the first one is.
 */

/** Units of one order line; a line is a SKU of a vendor. */
export interface LineUnits {
  sku: string;
  vendorId: string;
  quantity: number;
}

/** A parcel as recorded: its status and the units it carries. */
export interface ShipmentRecord {
  id: string;
  source: SupplierSource;
  status: ShipmentStatus;
  trackingNumber: string | null;
  carrier: string | null;
  items: LineUnits[];
  shippedAt: string | null;
  deliveredAt: string | null;
}

export interface ProgressInput {
  /** The order's lines as ordered. */
  lines: LineUnits[];
  shipments: ShipmentRecord[];
  /**
   * The supplier orders and hub fulfillment orders that still have units to hand to a carrier:
   * each will send (at least) one more parcel.
   */
  openSources: number;
  /** Units that will not ship (refused, short, cancelled), to be refunded. */
  cancelled: LineUnits[];
  /** Units delivered and sent back. */
  returned: LineUnits[];
}

export interface OrderProgress {
  fulfillmentStatus: FulfillmentStatus;
  units: UnitCounts;
  vendors: Array<{ vendorId: string; fulfillmentStatus: FulfillmentStatus; units: UnitCounts }>;
  parcels: Parcel[];
  /** Every unit delivered, returned or cancelled: the order is done (the workflow may be delivered). */
  everyUnitSettled: boolean;
}

/** Parcels on their way or arrived; a cancelled shipment carries nothing to the customer. */
const LEFT: readonly ShipmentStatus[] = ['in_transit', 'delivered'];

const key = (line: { sku: string; vendorId: string }) => `${line.vendorId}\u0000${line.sku}`;

function sumBy(units: LineUnits[]): Map<string, number> {
  const sums = new Map<string, number>();
  for (const unit of units) sums.set(key(unit), (sums.get(key(unit)) ?? 0) + unit.quantity);
  return sums;
}

const ZERO: UnitCounts = { ordered: 0, shipped: 0, delivered: 0, returned: 0, cancelled: 0 };
const add = (a: UnitCounts, b: UnitCounts): UnitCounts => ({
  ordered: a.ordered + b.ordered,
  shipped: a.shipped + b.shipped,
  delivered: a.delivered + b.delivered,
  returned: a.returned + b.returned,
  cancelled: a.cancelled + b.cancelled,
});

/**
 * Units per line, each count capped by the one it follows (a unit is shipped, then delivered,
 * then maybe returned; a cancelled unit never ships), so records that say more than was
 * ordered never count twice. `shipped` includes delivered and returned units; `delivered`
 * includes returned ones.
 */
export function lineCounts(input: ProgressInput): Array<{ sku: string; vendorId: string; counts: UnitCounts }> {
  const parcels = input.shipments.filter((s) => LEFT.includes(s.status));
  const shipped = sumBy(parcels.flatMap((s) => s.items));
  const delivered = sumBy(parcels.filter((s) => s.status === 'delivered').flatMap((s) => s.items));
  const cancelled = sumBy(input.cancelled);
  const returned = sumBy(input.returned);
  const ordered = new Map<string, LineUnits>();
  for (const line of input.lines) {
    const existing = ordered.get(key(line));
    ordered.set(key(line), { ...line, quantity: (existing?.quantity ?? 0) + line.quantity });
  }
  return [...ordered.values()].map((line) => {
    const k = key(line);
    const c = Math.min(line.quantity, cancelled.get(k) ?? 0);
    const s = Math.min(line.quantity - c, shipped.get(k) ?? 0);
    const d = Math.min(s, delivered.get(k) ?? 0);
    const r = Math.min(d, returned.get(k) ?? 0);
    return { sku: line.sku, vendorId: line.vendorId, counts: { ordered: line.quantity, shipped: s, delivered: d, returned: r, cancelled: c } };
  });
}

/**
 * The fulfillment status of a set of units (ORD-03): where every unit that is not cancelled
 * has got to, `partially_…` when some went one step further. So an order stays
 * `partially_shipped` until its last parcel leaves, even if the first one has arrived.
 */
export function fulfillmentStatusOf(units: UnitCounts): FulfillmentStatus {
  const live = units.ordered - units.cancelled;
  if (units.ordered === 0) return 'not_fulfilled';
  if (live === 0) return 'cancelled';
  if (units.returned > 0) return units.returned === live ? 'returned' : 'partially_returned';
  if (units.delivered === live) return 'fulfilled';
  if (units.shipped === live) return units.delivered > 0 ? 'partially_fulfilled' : 'shipped';
  return units.shipped > 0 ? 'partially_shipped' : 'not_fulfilled';
}

const settled = (units: UnitCounts) => units.ordered > 0 && units.delivered + units.cancelled === units.ordered;

/**
 * Numbers the parcels 1, 2, … in the order they left; `of` is how many the order is expected
 * to take now: those recorded plus one per supplier order or hub fulfillment order that still
 * has units to hand over. It grows when a hub splits its part into more parcels.
 */
function numberParcels(input: ProgressInput): Parcel[] {
  const parcels = input.shipments
    .filter((s) => s.status !== 'cancelled')
    .sort((a, b) => (a.shippedAt ?? '\uffff').localeCompare(b.shippedAt ?? '\uffff') || a.id.localeCompare(b.id));
  const of = parcels.length + input.openSources;
  return parcels.map((s, i) => ({
    shipmentId: s.id,
    number: i + 1,
    of,
    source: s.source,
    status: s.status,
    trackingNumber: s.trackingNumber,
    carrier: s.carrier,
    items: s.items.filter((item) => item.quantity > 0),
    shippedAt: s.shippedAt,
    deliveredAt: s.deliveredAt,
  }));
}

export function orderProgress(input: ProgressInput): OrderProgress {
  const lines = lineCounts(input);
  const units = lines.reduce((sum, line) => add(sum, line.counts), ZERO);
  const vendorIds = [...new Set(lines.map((line) => line.vendorId))];
  const vendors = vendorIds.map((vendorId) => {
    const counts = lines.filter((line) => line.vendorId === vendorId).reduce((sum, line) => add(sum, line.counts), ZERO);
    return { vendorId, fulfillmentStatus: fulfillmentStatusOf(counts), units: counts };
  });
  return { fulfillmentStatus: fulfillmentStatusOf(units), units, vendors, parcels: numberParcels(input), everyUnitSettled: settled(units) };
}

/**
 * Whether `shipmentId` is the last thing outstanding: once it is delivered, every unit is
 * settled. Only then is the order itself "out for delivery".
 */
export function isLastParcel(input: ProgressInput, shipmentId: string): boolean {
  const delivered = input.shipments.map((s) => (s.id === shipmentId && s.status === 'in_transit' ? { ...s, status: 'delivered' as const } : s));
  return settled(orderProgress({ ...input, shipments: delivered }).units);
}

/**
 * Units may be cancelled only while they have neither left nor been cancelled already: never
 * more cancelled (and refunded) than remain of a line.
 */
export function assertCancellableUnits(input: ProgressInput, items: LineUnits[]): void {
  const counts = new Map(lineCounts(input).map((line) => [key(line), line.counts]));
  const requested = sumBy(items);
  for (const { sku, vendorId } of items) {
    const line = counts.get(key({ sku, vendorId }));
    const open = line ? line.ordered - line.cancelled - line.shipped : 0;
    const quantity = requested.get(key({ sku, vendorId })) ?? 0;
    if (quantity > open) {
      throw new DomainError('conflict', 'CANCELLATION_EXCEEDS_OPEN_UNITS', `${quantity} × ${sku} of vendor ${vendorId} to cancel, but only ${open} remain unshipped`);
    }
  }
}

/** A shipment's status (FUL-04): prepared, handed to a carrier, then delivered, or cancelled before it arrives. */
export const SHIPMENT_TRANSITIONS: TransitionTable<ShipmentStatus> = {
  draft: ['ready', 'cancelled'],
  ready: ['in_transit', 'cancelled'],
  in_transit: ['delivered', 'cancelled'],
  delivered: [],
  cancelled: [],
};
export const shipmentTransitions = transitions(
  SHIPMENT_TRANSITIONS,
  (from, to) => new DomainError('conflict', 'INVALID_SHIPMENT_TRANSITION', `A shipment cannot go from ${from} to ${to}`),
);

/** A hub fulfillment order's status (FUL-04). */
export type FulfillmentOrderStatus = 'ready_to_prepare' | 'awaiting_shipment' | 'in_transit' | 'completed' | 'cancelled';
export const FULFILLMENT_ORDER_TRANSITIONS: TransitionTable<FulfillmentOrderStatus> = {
  ready_to_prepare: ['awaiting_shipment', 'cancelled'],
  awaiting_shipment: ['in_transit', 'cancelled'],
  in_transit: ['completed', 'cancelled'],
  completed: [],
  cancelled: [],
};
export const fulfillmentOrderTransitions = transitions(
  FULFILLMENT_ORDER_TRANSITIONS,
  (from, to) => new DomainError('conflict', 'INVALID_FULFILLMENT_ORDER_TRANSITION', `A fulfillment order cannot go from ${from} to ${to}`),
);

/** The statuses a set of rows may move to `to` from (for set-based updates), among `among` when given. */
export function statusesBefore<S extends string>(table: TransitionTable<S>, to: S, among?: readonly S[]): S[] {
  return (Object.keys(table) as S[]).filter((from) => table[from].includes(to) && (!among || among.includes(from)));
}
