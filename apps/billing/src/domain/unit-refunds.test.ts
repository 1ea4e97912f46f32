import { describe, expect, it } from 'vitest';
import { lessFee, unitsRefund } from './unit-refunds';

const items = [
  { sku: 'SKU-A', variantId: 'v-a', vendorId: 'brand-1', quantity: 2, unitPrice: 1250 },
  { sku: 'SKU-B', variantId: 'v-b', vendorId: 'dist-1', quantity: 1, unitPrice: 499 },
];
const names = [
  { sku: 'SKU-A', description: 'Widget' },
  { sku: 'SKU-B', description: 'Gadget' },
];

describe('units refunded', () => {
  it('keeps the restocking fee per line, rounding the refund half up in minor units', () => {
    expect(lessFee(499, 1500)).toBe(424); // 424.15
    expect(lessFee(2500, 1500)).toBe(2125);
    expect(lessFee(10, 5000)).toBe(5);
    expect(lessFee(11, 5000)).toBe(6); // 5.5 → 6
    expect(lessFee(499, 0)).toBe(499);
    expect(lessFee(499, 10_000)).toBe(0);
  });

  it('refunds each vendor its lines, one credit note line each', () => {
    const refund = unitsRefund(
      [
        { sku: 'SKU-A', variantId: 'v-a', vendorId: 'brand-1', quantity: 1, restockingFeeBps: 0 },
        { sku: 'SKU-B', variantId: 'v-b', vendorId: 'dist-1', quantity: 1, restockingFeeBps: 1500 },
      ],
      items,
      names,
      new Map([['brand-1', 2625], ['dist-1', 495]]),
    );
    expect(refund).toEqual({
      amount: 1674,
      vendorAmounts: { 'brand-1': 1250, 'dist-1': 424 },
      lines: [
        { description: 'Widget', sku: 'SKU-A', quantity: 1, unitAmount: 1250, restockingFeeBps: 0, amount: 1250 },
        { description: 'Gadget', sku: 'SKU-B', quantity: 1, unitAmount: 499, restockingFeeBps: 1500, amount: 424 },
      ],
    });
  });

  it('caps a vendor at what it still holds and shows the cap as a negative line', () => {
    const refund = unitsRefund([{ sku: 'SKU-A', variantId: 'v-a', vendorId: 'brand-1', quantity: 2, restockingFeeBps: null }], items, names, new Map([['brand-1', 2000]]));
    expect(refund).toMatchObject({ amount: 2000, vendorAmounts: { 'brand-1': 2000 } });
    expect('lines' in refund && refund.lines.map((l) => l.amount)).toEqual([2500, -500]);
  });

  it('names a unit the order does not have', () => {
    const unknown = { sku: 'SKU-Z', variantId: 'v-z', vendorId: 'brand-1', quantity: 1, restockingFeeBps: 0 };
    expect(unitsRefund([unknown], items, names, new Map())).toEqual({ missing: unknown });
  });
});
