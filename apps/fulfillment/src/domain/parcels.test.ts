import { describe, expect, it } from 'vitest';
import type { ShipmentStatus, UnitCounts } from '@platform/contracts';
import {
  assertCancellableUnits,
  FULFILLMENT_ORDER_TRANSITIONS,
  fulfillmentOrderTransitions,
  fulfillmentStatusOf,
  isLastParcel,
  orderProgress,
  type ProgressInput,
  type ShipmentRecord,
  shipmentTransitions,
  statusesBefore,
} from './parcels';

const units = (ordered: number, shipped: number, delivered: number, returned: number, cancelled: number): UnitCounts => ({ ordered, shipped, delivered, returned, cancelled });

describe('fulfillmentStatusOf (ORD-03)', () => {
  it.each([
    ['nothing left yet', units(3, 0, 0, 0, 0), 'not_fulfilled'],
    ['some units cancelled, none left', units(3, 0, 0, 0, 1), 'not_fulfilled'],
    ['one of two parcels out', units(3, 2, 0, 0, 0), 'partially_shipped'],
    ['first parcel delivered, the second not shipped', units(3, 2, 2, 0, 0), 'partially_shipped'],
    ['everything out, nothing arrived', units(3, 3, 0, 0, 0), 'shipped'],
    ['everything not cancelled is out', units(3, 2, 0, 0, 1), 'shipped'],
    ['everything out, some arrived', units(3, 3, 2, 0, 0), 'partially_fulfilled'],
    ['everything arrived', units(3, 3, 3, 0, 0), 'fulfilled'],
    ['everything not cancelled arrived', units(3, 2, 2, 0, 1), 'fulfilled'],
    ['some sent back', units(3, 3, 3, 1, 0), 'partially_returned'],
    ['everything delivered sent back', units(3, 2, 2, 2, 1), 'returned'],
    ['every unit cancelled', units(3, 0, 0, 0, 3), 'cancelled'],
  ] as const)('%s → %s', (_case, counts, status) => {
    expect(fulfillmentStatusOf(counts)).toBe(status);
  });
});

const at = (minute: number) => `2026-12-03T10:${String(minute).padStart(2, '0')}:00.000Z`;
const parcel = (id: string, status: ShipmentStatus, items: ShipmentRecord['items'], shippedMinute = 0): ShipmentRecord => ({
  id,
  source: 'aliexpress',
  status,
  trackingNumber: `TN-${id}`,
  carrier: null,
  items,
  shippedAt: status === 'draft' || status === 'ready' ? null : at(shippedMinute),
  deliveredAt: status === 'delivered' ? at(shippedMinute + 30) : null,
});

/** Two vendors: acme's 2 mugs (AliExpress), leaf's lamp (CJ). */
const basket = (over: Partial<ProgressInput> = {}): ProgressInput => ({
  lines: [
    { sku: 'MUG', vendorId: 'acme', quantity: 2 },
    { sku: 'LAMP', vendorId: 'leaf', quantity: 1 },
  ],
  shipments: [],
  openSources: 2,
  cancelled: [],
  returned: [],
  ...over,
});
const mugs = [{ sku: 'MUG', vendorId: 'acme', quantity: 2 }];
const lamp = [{ sku: 'LAMP', vendorId: 'leaf', quantity: 1 }];

describe('orderProgress', () => {
  it('the first of two parcels delivered: not settled, the order partially shipped, the vendor whose parcel arrived fulfilled', () => {
    const progress = orderProgress(basket({ shipments: [parcel('a', 'delivered', mugs)], openSources: 1 }));
    expect(progress).toMatchObject({
      fulfillmentStatus: 'partially_shipped',
      units: units(3, 2, 2, 0, 0),
      everyUnitSettled: false,
      vendors: [
        { vendorId: 'acme', fulfillmentStatus: 'fulfilled', units: units(2, 2, 2, 0, 0) },
        { vendorId: 'leaf', fulfillmentStatus: 'not_fulfilled', units: units(1, 0, 0, 0, 0) },
      ],
    });
    expect(progress.parcels).toMatchObject([{ shipmentId: 'a', number: 1, of: 2, status: 'delivered' }]);
  });

  it('both parcels delivered: settled and fulfilled, numbered in the order they left', () => {
    const progress = orderProgress(basket({ shipments: [parcel('b', 'delivered', lamp, 20), parcel('a', 'delivered', mugs, 5)], openSources: 0 }));
    expect(progress.fulfillmentStatus).toBe('fulfilled');
    expect(progress.everyUnitSettled).toBe(true);
    expect(progress.parcels.map((p) => [p.shipmentId, p.number, p.of])).toEqual([
      ['a', 1, 2],
      ['b', 2, 2],
    ]);
  });

  it('delivered plus cancelled units settle the order; cancelled shipments carry nothing', () => {
    const progress = orderProgress(basket({ shipments: [parcel('a', 'delivered', mugs), parcel('x', 'cancelled', lamp)], cancelled: lamp, openSources: 0 }));
    expect(progress).toMatchObject({ fulfillmentStatus: 'fulfilled', everyUnitSettled: true, units: units(3, 2, 2, 0, 1) });
    expect(progress.parcels.map((p) => p.shipmentId)).toEqual(['a']);
  });

  it('never counts more than ordered, whatever the records say', () => {
    const progress = orderProgress(basket({ shipments: [parcel('a', 'in_transit', [{ sku: 'MUG', vendorId: 'acme', quantity: 5 }]), parcel('b', 'in_transit', lamp)], openSources: 0 }));
    expect(progress.units).toEqual(units(3, 3, 0, 0, 0));
    expect(progress.fulfillmentStatus).toBe('shipped');
  });

  it('a hub splitting its part: `of` counts the parcels that left and one per source with units still to hand over', () => {
    const hub = basket({
      lines: [{ sku: 'MUG', vendorId: 'acme', quantity: 4 }],
      shipments: [parcel('a', 'in_transit', [{ sku: 'MUG', vendorId: 'acme', quantity: 1 }], 1), parcel('b', 'in_transit', [{ sku: 'MUG', vendorId: 'acme', quantity: 1 }], 2)],
      openSources: 1,
    });
    expect(orderProgress(hub).parcels.map((p) => `${p.number} of ${p.of}`)).toEqual(['1 of 3', '2 of 3']);
    expect(orderProgress(hub).fulfillmentStatus).toBe('partially_shipped');
  });

  it('returns: partially, then wholly', () => {
    const delivered = { shipments: [parcel('a', 'delivered', mugs), parcel('b', 'delivered', lamp)], openSources: 0 };
    expect(orderProgress(basket({ ...delivered, returned: lamp })).fulfillmentStatus).toBe('partially_returned');
    expect(orderProgress(basket({ ...delivered, returned: [...lamp, ...mugs] })).fulfillmentStatus).toBe('returned');
  });
});

describe('isLastParcel', () => {
  it('only the parcel whose delivery would settle every unit', () => {
    const oneOut = basket({ shipments: [parcel('a', 'in_transit', mugs)], openSources: 1 });
    expect(isLastParcel(oneOut, 'a')).toBe(false);
    const lastOut = basket({ shipments: [parcel('a', 'delivered', mugs), parcel('b', 'in_transit', lamp)], openSources: 0 });
    expect(isLastParcel(lastOut, 'b')).toBe(true);
    const bothOut = basket({ shipments: [parcel('a', 'in_transit', mugs), parcel('b', 'in_transit', lamp)], openSources: 0 });
    expect(isLastParcel(bothOut, 'b')).toBe(false);
  });
});

describe('assertCancellableUnits', () => {
  it('allows units that have neither left nor been cancelled, and refuses more', () => {
    const input = basket({ shipments: [parcel('a', 'in_transit', [{ sku: 'MUG', vendorId: 'acme', quantity: 1 }])], cancelled: [] });
    expect(() => assertCancellableUnits(input, [{ sku: 'MUG', vendorId: 'acme', quantity: 1 }, ...lamp])).not.toThrow();
    expect(() => assertCancellableUnits(input, mugs)).toThrow(/only 1 remain/);
    expect(() => assertCancellableUnits(basket({ cancelled: lamp }), lamp)).toThrow(/CANCELLATION|only 0 remain/);
    expect(() => assertCancellableUnits(input, [{ sku: 'MUG', vendorId: 'other', quantity: 1 }])).toThrow(/only 0 remain/);
  });
});

describe('transition tables (FUL-04)', () => {
  it.each([
    ['draft', 'ready', true],
    ['ready', 'in_transit', true],
    ['in_transit', 'delivered', true],
    ['in_transit', 'cancelled', true],
    ['delivered', 'delivered', false],
    ['delivered', 'in_transit', false],
    ['cancelled', 'in_transit', false],
    ['draft', 'delivered', false],
  ] as const)('shipment %s → %s: %s', (from, to, allowed) => {
    expect(shipmentTransitions.canTransition(from, to)).toBe(allowed);
  });

  it.each([
    ['ready_to_prepare', 'awaiting_shipment', true],
    ['awaiting_shipment', 'in_transit', true],
    ['in_transit', 'completed', true],
    ['awaiting_shipment', 'cancelled', true],
    ['completed', 'cancelled', false],
    ['ready_to_prepare', 'in_transit', false],
  ] as const)('fulfillment order %s → %s: %s', (from, to, allowed) => {
    expect(fulfillmentOrderTransitions.canTransition(from, to)).toBe(allowed);
  });

  it('set-based updates take their source statuses from the table', () => {
    expect(statusesBefore(FULFILLMENT_ORDER_TRANSITIONS, 'completed')).toEqual(['in_transit']);
    expect(statusesBefore(FULFILLMENT_ORDER_TRANSITIONS, 'cancelled', ['ready_to_prepare', 'awaiting_shipment'])).toEqual(['ready_to_prepare', 'awaiting_shipment']);
    expect(() => fulfillmentOrderTransitions.assertTransition('completed', 'in_transit')).toThrow(/cannot go from completed to in_transit/);
  });
});
