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
  subOrderNumber,
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
    expect(subOrderNumber('ORD-000123', 2)).toBe('ORD-000123-2');
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

  it.each<[FulfillmentStatus, ReturnType<typeof units>, OrderStatus | null]>([
    ['not_fulfilled', units(2), null],
    ['partially_shipped', units(2, 1), 'processing'],
    ['shipped', units(2, 2), 'shipped'],
    ['partially_fulfilled', units(2, 2, 1), 'shipped'],
    ['partially_fulfilled', units(3, 2, 1), 'processing'],
    ['fulfilled', units(2, 2, 2), 'delivered'],
    ['fulfilled', units(2, 1, 1, 1), 'delivered'],
    ['partially_returned', units(2, 2, 2, 0, 1), 'delivered'],
    ['returned', units(2, 2, 2, 0, 2), 'returned'],
    ['cancelled', units(2, 0, 0, 2), 'cancelled'],
  ])("follows its vendor's progress: %s %j → %s", (fulfillmentStatus, counts, expected) => {
    expect(statusFromVendorProgress({ fulfillmentStatus, units: counts })).toBe(expected);
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
    [['fulfilled', 'not_fulfilled'], 'partially_fulfilled'],
    [['fulfilled', 'shipped'], 'partially_fulfilled'],
    [['returned', 'fulfilled'], 'partially_returned'],
    [['fulfilled', 'cancelled'], 'fulfilled'],
    [['cancelled', 'cancelled'], 'cancelled'],
    [['not_fulfilled'], 'not_fulfilled'],
  ])('fulfillment statuses %j → %s', (parts, expected) => {
    expect(rollUpFulfillment(parts)).toBe(expected);
  });

  it.each<[OrderStatus[], OrderStatus]>([
    [['shipped', 'processing'], 'processing'],
    [['shipped', 'delivered'], 'shipped'],
    [['delivered', 'delivered'], 'delivered'],
    [['delivered', 'cancelled'], 'delivered'],
    [['returned', 'delivered'], 'delivered'],
    [['confirmed', 'confirmed'], 'confirmed'],
    [['cancelled', 'refunded'], 'cancelled'],
  ])('statuses %j → %s', (parts, expected) => {
    expect(rollUpStatus(parts)).toBe(expected);
  });

  it('moves the parent only when the parts moved the roll-up, and always carries the rolled-up fulfillment status', () => {
    const before = rollUp([
      { status: 'processing', fulfillmentStatus: 'not_fulfilled' },
      { status: 'shipped', fulfillmentStatus: 'shipped' },
    ]);
    const after = rollUp([
      { status: 'shipped', fulfillmentStatus: 'shipped' },
      { status: 'shipped', fulfillmentStatus: 'shipped' },
    ]);
    expect(progressFromRollUp(before, after, { status: 'processing', fulfillmentStatus: 'partially_shipped' })).toEqual({
      to: 'shipped',
      details: 'Every part has shipped',
      fulfillmentStatus: 'shipped',
    });
    // The carrier's delay stays while the parts have not moved the roll-up.
    expect(progressFromRollUp(after, after, { status: 'delayed', fulfillmentStatus: 'shipped' })).toBeNull();
    expect(progressFromRollUp(before, before, { status: 'processing', fulfillmentStatus: 'not_fulfilled' })).toEqual({ fulfillmentStatus: 'partially_shipped' });
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
