import { describe, expect, it } from 'vitest';
import { DomainError } from '@platform/contracts/errors';
import type { ReturnLine } from '@platform/contracts';
import type { ProgressInput } from './parcels';
import { DEFAULT_RETURN_POLICY, inspectedLines, returnedUnits, returnLines, returnTransitions } from './returns';

const lines = [
  { sku: 'MUG', variantId: 'mug-350', vendorId: 'brand' },
  { sku: 'CHARGER', variantId: 'usb-c', vendorId: 'dist' },
];
const deliveredAt = '2026-12-01T10:00:00.000Z';
/** Two mugs and one charger delivered in one parcel; one more charger still on its way. */
const progress: ProgressInput = {
  lines: [
    { sku: 'MUG', vendorId: 'brand', quantity: 2 },
    { sku: 'CHARGER', vendorId: 'dist', quantity: 2 },
  ],
  shipments: [
    {
      id: 'p1', source: 'own_stock', status: 'delivered', trackingNumber: 'RR1', carrier: null, shippedAt: '2026-11-30T10:00:00.000Z', deliveredAt,
      items: [{ sku: 'MUG', vendorId: 'brand', quantity: 2 }, { sku: 'CHARGER', vendorId: 'dist', quantity: 1 }],
    },
    { id: 'p2', source: 'cj', status: 'in_transit', trackingNumber: 'RR2', carrier: null, shippedAt: '2026-11-30T10:00:00.000Z', deliveredAt: null, items: [{ sku: 'CHARGER', vendorId: 'dist', quantity: 1 }] },
  ],
  openSources: 0,
  cancelled: [],
  returned: [],
};
const days = (n: number) => new Date(Date.parse(deliveredAt) + n * 86_400_000);
const request = (requested: Array<{ sku: string; variantId?: string; quantity: number }>, options: { now?: Date; inReturns?: Array<{ sku: string; vendorId: string; quantity: number }> } = {}) =>
  returnLines({ lines, progress, inReturns: options.inReturns ?? [], requested, policy: DEFAULT_RETURN_POLICY, now: options.now ?? days(3) });

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('not refused');
}

describe('returnLines', () => {
  it('takes delivered units with the order line’s variant and vendor, no condition yet', () => {
    expect(request([{ sku: 'MUG', quantity: 1 }, { sku: 'CHARGER', variantId: 'usb-c', quantity: 1 }])).toEqual([
      { sku: 'MUG', variantId: 'mug-350', vendorId: 'brand', quantity: 1, condition: null, restockingFeeBps: null },
      { sku: 'CHARGER', variantId: 'usb-c', vendorId: 'dist', quantity: 1, condition: null, restockingFeeBps: null },
    ]);
  });

  it('refuses more units than were delivered (the charger on its way is not returnable), naming the quantity', () => {
    const error = refusal(() => request([{ sku: 'MUG', quantity: 1 }, { sku: 'CHARGER', quantity: 2 }]));
    expect(error).toMatchObject({ kind: 'unprocessable', code: 'RETURN_EXCEEDS_DELIVERED_UNITS', fields: [{ pointer: '/items/1/quantity', detail: 'at most 1 (delivered minus already returned)' }] });
  });

  it('counts units already in another return against what is left', () => {
    const error = refusal(() => request([{ sku: 'MUG', quantity: 2 }], { inReturns: [{ sku: 'MUG', vendorId: 'brand', quantity: 1 }] }));
    expect(error.code).toBe('RETURN_EXCEEDS_DELIVERED_UNITS');
    expect(request([{ sku: 'MUG', quantity: 1 }], { inReturns: [{ sku: 'MUG', vendorId: 'brand', quantity: 1 }] })[0]!.quantity).toBe(1);
  });

  it('accepts a request on the last day of the window and refuses one after it, naming the item', () => {
    expect(request([{ sku: 'MUG', quantity: 1 }], { now: days(30) })).toHaveLength(1);
    const error = refusal(() => request([{ sku: 'MUG', quantity: 1 }], { now: days(30.01) }));
    expect(error).toMatchObject({ kind: 'unprocessable', code: 'RETURN_WINDOW_CLOSED', fields: [{ pointer: '/items/0/sku' }] });
    expect(error.fields![0]!.detail).toContain('30 days from delivery');
  });

  it('refuses an item not in the order, or a variant the order does not have', () => {
    expect(refusal(() => request([{ sku: 'HAT', quantity: 1 }])).code).toBe('RETURN_ITEM_NOT_IN_ORDER');
    expect(refusal(() => request([{ sku: 'MUG', variantId: 'mug-500', quantity: 1 }])).code).toBe('RETURN_ITEM_NOT_IN_ORDER');
  });
});

describe('inspectedLines', () => {
  const returned: ReturnLine[] = [
    { sku: 'MUG', variantId: 'mug-350', vendorId: 'brand', quantity: 1, condition: null, restockingFeeBps: null },
    { sku: 'CHARGER', variantId: 'usb-c', vendorId: 'dist', quantity: 1, condition: null, restockingFeeBps: null },
  ];

  it('fixes each line’s condition and the fee the policy charges for it', () => {
    const policy = { windowDays: 30, restockingFeeBps: { resellable: 200, damaged: 1_500 } };
    const inspected = inspectedLines(returned, [{ sku: 'MUG', variantId: 'mug-350', condition: 'resellable' }, { sku: 'CHARGER', variantId: 'usb-c', condition: 'damaged' }], policy);
    expect(inspected.map((l) => [l.sku, l.condition, l.restockingFeeBps])).toEqual([['MUG', 'resellable', 200], ['CHARGER', 'damaged', 1_500]]);
  });

  it('refuses an inspection that leaves a line out or names a line not returned', () => {
    expect(refusal(() => inspectedLines(returned, [{ sku: 'MUG', variantId: 'mug-350', condition: 'resellable' }], DEFAULT_RETURN_POLICY)).code).toBe('INSPECTION_INCOMPLETE');
    const extra = [{ sku: 'MUG', variantId: 'mug-350', condition: 'resellable' as const }, { sku: 'HAT', variantId: 'h', condition: 'damaged' as const }];
    expect(refusal(() => inspectedLines(returned, extra, DEFAULT_RETURN_POLICY)).code).toBe('INSPECTED_ITEM_NOT_IN_RETURN');
  });
});

describe('a return’s steps', () => {
  it('goes requested → approved → in_transit → received → inspected → refunded, or is refused while requested', () => {
    const path = ['requested', 'approved', 'in_transit', 'received', 'inspected', 'refunded'] as const;
    for (let i = 1; i < path.length; i++) expect(returnTransitions.canTransition(path[i - 1]!, path[i]!)).toBe(true);
    expect(returnTransitions.canTransition('requested', 'refused')).toBe(true);
    expect(returnTransitions.canTransition('approved', 'received')).toBe(true);
    expect(returnTransitions.canTransition('approved', 'refused')).toBe(false);
    expect(returnTransitions.canTransition('requested', 'inspected')).toBe(false);
    expect(() => returnTransitions.assertTransition('refunded', 'inspected')).toThrow(/cannot go from refunded to inspected/);
  });

  it('counts units as returned for the order from received on', () => {
    const items = [{ sku: 'MUG', vendorId: 'brand', quantity: 1 }];
    expect(returnedUnits([{ status: 'approved', items }, { status: 'in_transit', items }])).toEqual([]);
    expect(returnedUnits([{ status: 'received', items }, { status: 'refunded', items }, { status: 'refused', items }])).toEqual([...items, ...items]);
  });
});
