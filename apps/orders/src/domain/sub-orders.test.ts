import type { Parcel } from '@platform/contracts';
import { describe, expect, it } from 'vitest';
import type { FulfillmentStatus, OrderStatus } from './order-status';
import {
  advance,
  cancelUnits,
  parcelsOfVendor,
  progressDetails,
  progressFromRollUp,
  resplit,
  rollUp,
  rollUpFulfillment,
  rollUpStatus,
  splitByVendor,
  statusFollowingParent,
  statusFromVendorProgress,
} from './sub-orders';

const brand = (id: string) => ({ id, type: 'brand' as const });
const item = (id: string, vendor: string, quantity = 1, lineTotal = 1000) => ({ id, vendor: brand(vendor), quantity, lineTotal });
const units = (ordered: number, shipped = 0, delivered = 0, cancelled = 0, returned = 0) => ({ ordered, shipped, delivered, returned, cancelled });

describe('the split by vendor', () => {
  it('numbers vendors from the parent in order of first appearance, with their items, subtotal and units', () => {
    const parts = splitByVendor([item('i1', 'acme', 2, 2000), item('i2', 'zeta', 1, 500), item('i3', 'acme', 1, 700)]);
    expect(parts).toEqual([
      { vendor: brand('acme'), position: 1, itemIds: ['i1', 'i3'], subtotal: 2700, quantity: 3 },
      { vendor: brand('zeta'), position: 2, itemIds: ['i2'], subtotal: 500, quantity: 1 },
    ]);
  });

  it('gives a one-vendor order one sub-order', () => {
    expect(splitByVendor([item('i1', 'acme'), item('i2', 'acme')]).map((part) => part.position)).toEqual([1]);
  });

  it('keeps a vendor its number across a modification, numbers a new vendor next, and names the vendors that left', () => {
    const existing = [
      { vendorId: 'acme', position: 1 },
      { vendorId: 'zeta', position: 2 },
    ];
    const { parts, removed } = resplit(existing, [item('n1', 'nova'), item('n2', 'acme')]);
    expect(parts.map((part) => [part.vendor.id, part.position, part.isNew])).toEqual([
      ['nova', 3, true],
      ['acme', 1, false],
    ]);
    expect(removed).toEqual(['zeta']);
  });
});

describe('a sub-order status', () => {
  it.each<[OrderStatus, OrderStatus | null, OrderStatus]>([
    ['pending', 'confirmed', 'confirmed'],
    ['confirmed', 'processing', 'processing'],
    ['processing', 'shipped', 'shipped'],
    ['confirmed', 'delivered', 'delivered'],
    ['delivered', 'returned', 'returned'],
    // Never backwards: a late or repeated fact changes nothing.
    ['shipped', 'processing', 'shipped'],
    ['delivered', 'confirmed', 'delivered'],
    ['processing', null, 'processing'],
    // Cancelled only before anything shipped; refunded only after a cancel or a return.
    ['processing', 'cancelled', 'cancelled'],
    ['shipped', 'cancelled', 'shipped'],
    ['cancelled', 'refunded', 'refunded'],
    ['returned', 'refunded', 'refunded'],
    ['delivered', 'refunded', 'delivered'],
    ['cancelled', 'processing', 'cancelled'],
  ])('%s, told %s, becomes %s', (current, proposed, expected) => {
    expect(advance(current, proposed)).toBe(expected);
  });

  it.each<[FulfillmentStatus, OrderStatus | null]>([
    ['not_fulfilled', null],
    ['partially_shipped', 'shipped'],
    ['shipped', 'shipped'],
    ['partially_fulfilled', 'shipped'],
    ['fulfilled', 'delivered'],
    ['partially_returned', 'delivered'],
    ['returned', 'returned'],
    ['cancelled', 'cancelled'],
  ])("follows its vendor's progress: %s → %s", (fulfillmentStatus, expected) => {
    expect(statusFromVendorProgress(fulfillmentStatus)).toBe(expected);
  });

  it("follows the parent's payment, start, cancel and refund, and nothing else of it", () => {
    expect(['confirmed', 'processing', 'cancelled', 'refunded'].map((status) => statusFollowingParent(status as OrderStatus))).toEqual([
      'confirmed',
      'processing',
      'cancelled',
      'refunded',
    ]);
    expect(statusFollowingParent('shipped')).toBeNull();
    expect(statusFollowingParent('delayed')).toBeNull();
  });

  it('is cancelled when fulfillment cancelled all of its units, not some', () => {
    expect(cancelUnits(units(3), 2)).toEqual({ units: units(3, 0, 0, 2), allCancelled: false });
    expect(cancelUnits(units(3, 0, 0, 2), 1).allCancelled).toBe(true);
    expect(cancelUnits(units(3), 5).units.cancelled).toBe(3);
  });
});

describe('the roll-up onto the parent', () => {
  it.each<[FulfillmentStatus[], FulfillmentStatus]>([
    [['shipped', 'shipped'], 'shipped'],
    [['shipped', 'not_fulfilled'], 'partially_shipped'],
    [['partially_shipped', 'not_fulfilled'], 'partially_shipped'],
    // One part delivered, another not shipped yet: the order is still partly to ship.
    [['fulfilled', 'not_fulfilled'], 'partially_shipped'],
    [['fulfilled', 'partially_shipped'], 'partially_shipped'],
    [['fulfilled', 'shipped'], 'partially_fulfilled'],
    [['partially_fulfilled', 'shipped'], 'partially_fulfilled'],
    [['returned', 'fulfilled'], 'partially_returned'],
    [['fulfilled', 'cancelled'], 'fulfilled'],
    [['cancelled', 'cancelled'], 'cancelled'],
    [['not_fulfilled', 'not_fulfilled'], 'not_fulfilled'],
  ])('fulfillment statuses %j → %s', (parts, expected) => {
    expect(rollUpFulfillment(parts)).toBe(expected);
  });

  /** Fulfillment's own rule over unit counts (ordered, shipped, delivered, returned, cancelled), as the event carries it. */
  function statusOfUnits(u: ReturnType<typeof units>): FulfillmentStatus {
    const live = u.ordered - u.cancelled;
    if (live === 0) return 'cancelled';
    if (u.returned > 0) return u.returned === live ? 'returned' : 'partially_returned';
    if (u.delivered === live) return 'fulfilled';
    if (u.shipped === live) return u.delivered > 0 ? 'partially_fulfilled' : 'shipped';
    return u.shipped > 0 ? 'partially_shipped' : 'not_fulfilled';
  }

  it("agrees with the status of the summed units, for every pair of parts", () => {
    // Every state a part of 2 units can be in (shipped counts delivered units, delivered returned ones).
    const parts: ReturnType<typeof units>[] = [];
    for (let cancelled = 0; cancelled <= 2; cancelled++)
      for (let shipped = 0; shipped <= 2 - cancelled; shipped++)
        for (let delivered = 0; delivered <= shipped; delivered++)
          for (let returned = 0; returned <= delivered; returned++) parts.push(units(2, shipped, delivered, cancelled, returned));
    for (const a of parts) {
      for (const b of parts) {
        const sum = { ordered: 4, shipped: a.shipped + b.shipped, delivered: a.delivered + b.delivered, returned: a.returned + b.returned, cancelled: a.cancelled + b.cancelled };
        expect(rollUpFulfillment([statusOfUnits(a), statusOfUnits(b)]), JSON.stringify([a, b])).toBe(statusOfUnits(sum));
      }
    }
  });

  it.each<[OrderStatus[], OrderStatus | null]>([
    [['cancelled', 'refunded'], 'cancelled'],
    [['cancelled', 'cancelled'], 'cancelled'],
    [['cancelled', 'processing'], null],
    [['shipped', 'delivered'], null],
    [['returned', 'cancelled'], 'returned'],
    [['returned', 'delivered'], null],
  ])('statuses %j → %s', (parts, expected) => {
    expect(rollUpStatus(parts)).toBe(expected);
  });

  it("gives the parent the rolled-up fulfillment status, and cancels it only when the parts' change left none live", () => {
    const state = (status: OrderStatus, fulfillmentStatus: FulfillmentStatus) => ({ status, fulfillmentStatus });
    const before = rollUp([state('shipped', 'shipped'), state('processing', 'not_fulfilled')]);
    const after = rollUp([state('shipped', 'shipped'), state('shipped', 'shipped')]);
    expect(progressFromRollUp(before, after, state('shipped', 'partially_shipped'))).toEqual({ fulfillmentStatus: 'shipped' });
    expect(progressFromRollUp(after, after, state('delayed', 'shipped'))).toBeNull();
    // A cancelled, refunded or returned order's fulfillment status is orders' own.
    expect(progressFromRollUp(before, after, state('returned', 'returned'))).toBeNull();
    const gone = rollUp([state('cancelled', 'cancelled'), state('cancelled', 'cancelled')]);
    const one = rollUp([state('cancelled', 'cancelled'), state('processing', 'not_fulfilled')]);
    expect(progressFromRollUp(one, gone, state('processing', 'not_fulfilled'))).toEqual({ to: 'cancelled', details: 'Every part was cancelled', fulfillmentStatus: 'cancelled' });
    expect(progressFromRollUp(gone, gone, state('cancelled', 'cancelled'))).toBeNull();
    // Every delivered unit back: the order is returned (and stays so once refunded: a refund moves only cancelled orders).
    const delivered = rollUp([state('delivered', 'fulfilled'), state('cancelled', 'cancelled')]);
    const back = rollUp([state('returned', 'returned'), state('cancelled', 'cancelled')]);
    expect(progressFromRollUp(delivered, back, state('delivered', 'fulfilled'))).toEqual({ to: 'returned', details: 'Every delivered unit came back', fulfillmentStatus: 'returned' });
  });
});

describe('what a vendor sees of the parcels', () => {
  const parcel = (number: number, items: { sku: string; vendorId: string; quantity: number }[]): Parcel => ({
    shipmentId: `00000000-0000-4000-8000-00000000000${number}`,
    number,
    of: 2,
    source: 'cj',
    status: 'in_transit',
    trackingNumber: `CJ${number}`,
    carrier: 'YunExpress',
    items,
    shippedAt: '2026-12-03T10:00:00.000Z',
    deliveredAt: null,
  });

  it("keeps only the parcels with the vendor's items, and only those items", () => {
    const parcels = [parcel(1, [{ sku: 'A', vendorId: 'acme', quantity: 1 }, { sku: 'Z', vendorId: 'zeta', quantity: 1 }]), parcel(2, [{ sku: 'Z2', vendorId: 'zeta', quantity: 2 }])];
    expect(parcelsOfVendor(parcels, 'acme')).toEqual([{ ...parcels[0], items: [{ sku: 'A', vendorId: 'acme', quantity: 1 }] }]);
    expect(parcelsOfVendor(parcels, 'zeta').map((p) => p.number)).toEqual([1, 2]);
    expect(progressDetails({ parcels, cause: { kind: 'parcel_shipped', shipmentId: parcels[1]!.shipmentId } })).toBe('Parcel 2 of 2 shipped (YunExpress CJ2)');
    expect(progressDetails({ parcels, cause: { kind: 'units_cancelled', shipmentId: null } })).toBe('Units cancelled');
  });
});
