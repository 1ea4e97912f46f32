import { describe, expect, it } from 'vitest';
import { allocatePayment, conservationProblems, type FeeRates, platformFee, reverseRefund, splitProportionally, subtotalChanges, type VendorPosition, type VendorShare } from './vendor-split';

const rates: FeeRates = { brand: 1000, distributor: 1500 };
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

describe('splitProportionally (largest remainder)', () => {
  it.each([
    { total: 100, weights: [1, 1, 1], parts: [34, 33, 33] },
    { total: 100, weights: [1, 2], parts: [33, 67] },
    { total: 3499, weights: [2500, 499], parts: [2917, 582] },
    { total: 1, weights: [1, 1], parts: [1, 0] },
    { total: 0, weights: [5, 7], parts: [0, 0] },
    { total: 10, weights: [0, 0], parts: [5, 5] },
    { total: 10, weights: [0, 3], parts: [0, 10] },
    { total: 7, weights: [1, 1, 1, 1, 1, 1, 1, 1], parts: [1, 1, 1, 1, 1, 1, 1, 0] },
  ])('$total over $weights → $parts', ({ total, weights, parts }) => {
    const result = splitProportionally(total, weights);
    expect(result).toEqual(parts);
    expect(sum(result)).toBe(total);
  });

  it('sums exactly for amounts beyond float precision of the products', () => {
    const result = splitProportionally(9_007_199_254, [3, 7, 11]);
    expect(sum(result)).toBe(9_007_199_254);
  });

  it('refuses negative or fractional totals and weights', () => {
    expect(() => splitProportionally(-1, [1])).toThrow(RangeError);
    expect(() => splitProportionally(1.5, [1])).toThrow(RangeError);
    expect(() => splitProportionally(1, [-1, 2])).toThrow(RangeError);
    expect(() => splitProportionally(1, [])).toThrow(RangeError);
  });
});

describe('platformFee (half up)', () => {
  it.each([
    { amount: 2917, bps: 1000, fee: 292 },
    { amount: 2915, bps: 1000, fee: 292 },
    { amount: 2914, bps: 1000, fee: 291 },
    { amount: 582, bps: 1500, fee: 87 },
    { amount: 10, bps: 1500, fee: 2 },
    { amount: 0, bps: 1500, fee: 0 },
    { amount: 999, bps: 0, fee: 0 },
  ])('$bps bps of $amount → $fee', ({ amount, bps, fee }) => {
    expect(platformFee(amount, bps)).toBe(fee);
  });
});

describe('allocatePayment', () => {
  it.each([
    {
      name: 'brand + distributor, shipping shared by subtotal',
      amount: 3499,
      vendors: [
        { vendorId: 'b', vendorType: 'brand' as const, itemsSubtotal: 2500 },
        { vendorId: 'd', vendorType: 'distributor' as const, itemsSubtotal: 499 },
      ],
      shares: [
        { vendorId: 'b', amount: 2917, fee: 292, earning: 2625 },
        { vendorId: 'd', amount: 582, fee: 87, earning: 495 },
      ],
    },
    {
      name: 'a discount larger than shipping lowers every part',
      amount: 900,
      vendors: [
        { vendorId: 'b', vendorType: 'brand' as const, itemsSubtotal: 500 },
        { vendorId: 'd', vendorType: 'distributor' as const, itemsSubtotal: 500 },
      ],
      shares: [
        { vendorId: 'b', amount: 450, fee: 45, earning: 405 },
        { vendorId: 'd', amount: 450, fee: 68, earning: 382 },
      ],
    },
    {
      name: 'one vendor takes everything',
      amount: 1234,
      vendors: [{ vendorId: 'b', vendorType: 'brand' as const, itemsSubtotal: 1000 }],
      shares: [{ vendorId: 'b', amount: 1234, fee: 123, earning: 1111 }],
    },
  ])('$name', ({ amount, vendors, shares }) => {
    const result = allocatePayment(amount, vendors, rates);
    expect(result).toMatchObject(shares);
    expect(sum(result.map((s) => s.earning)) + sum(result.map((s) => s.fee))).toBe(amount);
  });
});

const position = (share: VendorShare): VendorPosition => ({ vendorId: share.vendorId, vendorType: share.vendorType, remaining: share.amount, remainingFee: share.fee });
const after = (positions: VendorPosition[], reversed: VendorShare[]): VendorPosition[] =>
  positions.map((p) => {
    const r = reversed.find((s) => s.vendorId === p.vendorId);
    return r ? { ...p, remaining: p.remaining - r.amount, remainingFee: p.remainingFee - r.fee } : p;
  });

describe('reverseRefund', () => {
  const allocation = allocatePayment(3499, [
    { vendorId: 'b', vendorType: 'brand', itemsSubtotal: 2500 },
    { vendorId: 'd', vendorType: 'distributor', itemsSubtotal: 499 },
  ], rates);
  const positions = allocation.map(position);

  it('takes a refund of specific items from their vendor, its fee in proportion (half up)', () => {
    const reversed = reverseRefund(499, positions, new Map([['d', 499]]));
    // 499 × 87 / 582 = 74.59… → 75
    expect(reversed).toEqual([{ vendorId: 'd', vendorType: 'distributor', amount: 499, fee: 75, earning: 424 }]);
  });

  it('shares an unattributed refund in proportion to what each vendor still holds', () => {
    const reversed = reverseRefund(1000, positions);
    expect(reversed.map((r) => [r.vendorId, r.amount, r.fee])).toEqual([['b', 834, 83], ['d', 166, 25]]);
    expect(sum(reversed.map((r) => r.amount))).toBe(1000);
  });

  it('reverses everything left after a partial refund when the rest is refunded: nothing remains', () => {
    const partial = reverseRefund(499, positions, new Map([['d', 499]]));
    const rest = after(positions, partial);
    const full = reverseRefund(sum(rest.map((p) => p.remaining)), rest);
    const left = after(rest, full);
    expect(left.map((p) => [p.remaining, p.remainingFee])).toEqual([[0, 0], [0, 0]]);
    const reversedAll = [...partial, ...full];
    expect(sum(reversedAll.map((r) => r.earning)) + sum(reversedAll.map((r) => r.fee))).toBe(3499);
    expect(sum(reversedAll.map((r) => r.fee))).toBe(292 + 87);
  });

  it('never takes more from a vendor than it holds', () => {
    const reversed = reverseRefund(5000, positions, new Map([['d', 5000]]));
    expect(reversed).toEqual([{ vendorId: 'd', vendorType: 'distributor', amount: 582, fee: 87, earning: 495 }]);
  });
});

describe('conservationProblems', () => {
  it('is empty when paid and refunded are fully accounted for, and names what differs otherwise', () => {
    expect(conservationProblems({ paid: 3499, refunded: 499, earnings: 3120, fees: 379, reversedEarnings: 424, reversedFees: 75 })).toEqual([]);
    expect(conservationProblems({ paid: 3499, refunded: 499, earnings: 3120, fees: 378, reversedEarnings: 424, reversedFees: 74 })).toEqual([
      'paid 3499 ≠ earnings 3120 + fees 378',
      'refunded 499 ≠ reversed earnings 424 + reversed fees 74',
    ]);
  });
});

describe('subtotalChanges', () => {
  const brand = (itemsSubtotal: number) => ({ vendorId: 'b', vendorType: 'brand' as const, itemsSubtotal });
  const dist = (itemsSubtotal: number) => ({ vendorId: 'd', vendorType: 'distributor' as const, itemsSubtotal });
  it.each([
    { name: 'a new vendor', before: [brand(2500)], after: [brand(2500), dist(1000)], grown: [dist(1000)], shrunk: [] },
    { name: 'a vendor removed', before: [brand(2500), dist(499)], after: [brand(2500)], grown: [], shrunk: [dist(499)] },
    { name: 'one up, one down', before: [brand(2500), dist(499)], after: [brand(1250), dist(998)], grown: [dist(499)], shrunk: [brand(1250)] },
    { name: 'items unchanged (shipping only)', before: [brand(2500)], after: [brand(2500)], grown: [], shrunk: [] },
  ])('$name', ({ before, after, grown, shrunk }) => {
    expect(subtotalChanges(before, after)).toEqual({ grown, shrunk });
  });
});
