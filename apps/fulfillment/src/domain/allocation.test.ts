import { DomainError } from '@platform/contracts/errors';
import { describe, expect, it } from 'vitest';
import { allocateShipment } from './allocation';
import type { SupplierSource } from '@platform/contracts';
import type { OrderLine, PartFailure } from './order-workflow';
import { groupBySupplier, placementLines, placesAtSuppliers, planReroute, retryDelayMs } from './supplier-placement';

const items = [
  { id: 'i1', sku: 'MUG', remainingQuantity: 2 },
  { id: 'i2', sku: 'TEE', remainingQuantity: 0 },
];

describe('shipment allocation (FUL-04)', () => {
  it('takes everything that remains by default, skipping what is already shipped', () => {
    expect(allocateShipment(items)).toEqual([{ itemId: 'i1', sku: 'MUG', quantity: 2 }]);
  });
  it('takes part of what remains when asked', () => {
    expect(allocateShipment(items, [{ sku: 'MUG', quantity: 1 }])).toEqual([{ itemId: 'i1', sku: 'MUG', quantity: 1 }]);
  });
  it('never allocates more than remains', () => {
    expect(() => allocateShipment(items, [{ sku: 'MUG', quantity: 3 }])).toThrow(expect.objectContaining({ code: 'ALLOCATION_EXCEEDS_REMAINING' }));
    expect(() => allocateShipment(items, [{ sku: 'TEE', quantity: 1 }])).toThrow(DomainError);
    expect(() => allocateShipment(items, [{ sku: 'HAT', quantity: 1 }])).toThrow(expect.objectContaining({ code: 'SKU_NOT_IN_FULFILLMENT_ORDER' }));
    expect(() => allocateShipment([{ id: 'i2', sku: 'TEE', remainingQuantity: 0 }])).toThrow(expect.objectContaining({ code: 'NOTHING_TO_SHIP' }));
  });
});

const line = (sku: string, supplierSource: SupplierSource, quantity = 1): OrderLine => ({ sku, variantId: sku, name: sku, quantity, unitPrice: 1, supplierSource, vendorId: 'v1' });

describe('supplier placement rules', () => {
  it('groups items per supplier, leaving own stock to the hubs', () => {
    const groups = groupBySupplier([line('A', 'cj'), line('B', 'own_stock'), line('C', 'aliexpress'), line('D', 'cj')]);
    expect(groups.map((g) => [g.supplier, g.items.map((i) => i.sku)])).toEqual([
      ['cj', ['A', 'D']],
      ['aliexpress', ['C']],
    ]);
    // (Moved from the adapters' copy of this rule, now removed: own stock is in no supplier group.)
    expect(groups.flatMap((g) => g.items.map((i) => i.sku))).not.toContain('B');
  });
  it('places what failed parts left: refunded units gone, re-routed ones at their new source (FUL-05)', () => {
    const items = [line('A', 'cj', 3), line('B', 'cj'), line('C', 'aliexpress')];
    expect(placementLines(items, [])).toEqual(items);
    const failures: PartFailure[] = [
      {
        source: 'cj',
        cause: 'refused',
        reason: 'out of stock',
        moves: [
          { sku: 'A', variantId: 'A', quantity: 2, to: 'own_stock' },
          { sku: 'A', variantId: 'A', quantity: 1, to: 'spocket' },
          { sku: 'B', variantId: 'B', quantity: 1, to: null },
        ],
      },
      { source: 'spocket', cause: 'timeout', reason: 'no answer', moves: [{ sku: 'A', variantId: 'A', quantity: 1, to: null }] },
    ];
    expect(placementLines(items, failures).map((l) => [l.sku, l.supplierSource, l.quantity])).toEqual([
      ['C', 'aliexpress', 1],
      ['A', 'own_stock', 2],
    ]);
  });

  it('polls suppliers only for an attempt with a part at one: not for hub stock alone, nor once every supplier part is refunded or moved to a hub', () => {
    const order = (items: OrderLine[]) => ({ items }) as Parameters<typeof placesAtSuppliers>[0]['order'];
    expect(placesAtSuppliers({ order: order([line('A', 'own_stock'), line('B', 'cj')]), failedParts: [] })).toBe(true);
    expect(placesAtSuppliers({ order: order([line('A', 'own_stock')]), failedParts: [] })).toBe(false);
    const refunded: PartFailure = { source: 'cj', cause: 'refused', reason: 'no', moves: [{ sku: 'B', variantId: 'B', quantity: 1, to: null }] };
    expect(placesAtSuppliers({ order: order([line('A', 'own_stock'), line('B', 'cj')]), failedParts: [refunded] })).toBe(false);
    const toHub: PartFailure = { ...refunded, moves: [{ sku: 'B', variantId: 'B', quantity: 1, to: 'own_stock' }] };
    expect(placesAtSuppliers({ order: order([line('B', 'cj')]), failedParts: [toHub] })).toBe(false);
    // A hub part re-routed to a supplier is polled there.
    const toSupplier: PartFailure = { source: 'own_stock', cause: 'refused', reason: 'short', moves: [{ sku: 'A', variantId: 'A', quantity: 1, to: 'spocket' }] };
    expect(placesAtSuppliers({ order: order([line('A', 'own_stock')]), failedParts: [toSupplier] })).toBe(true);
  });

  it('re-routes to hub stock first, then to the first declared supplier that has not failed the SKU, else refunds', () => {
    const lines = [line('A', 'cj', 2), line('B', 'cj'), line('C', 'cj'), line('D', 'cj', 5)];
    const earlier: PartFailure[] = [{ source: 'aliexpress', cause: 'refused', reason: 'no', moves: [{ sku: 'C', variantId: 'C', quantity: 1, to: 'cj' }] }];
    const moves = planReroute(lines, earlier, 'cj', {
      freeAtHubs: { A: 2, D: 4 },
      alternatives: { B: ['cj', 'spocket'], C: ['aliexpress', 'cj'], D: ['aliexpress'] },
    });
    expect(moves.map((m) => [m.sku, m.quantity, m.to])).toEqual([
      ['A', 2, 'own_stock'],
      ['B', 1, 'spocket'],
      ['C', 1, null],
      ['D', 5, 'aliexpress'],
    ]);
    // Hub stock is counted down as it is given out, and a failed hub part is not sent back there.
    expect(planReroute([line('A', 'cj'), line('A', 'cj')], [], 'cj', { freeAtHubs: { A: 1 }, alternatives: {} }).map((m) => m.to)).toEqual(['own_stock', null]);
    expect(planReroute([line('A', 'own_stock')], [], 'own_stock', { freeAtHubs: { A: 9 }, alternatives: {} }).map((m) => m.to)).toEqual([null]);
  });

  it('backs off 5 min × 2^retryCount', () => {
    expect([0, 1, 2].map(retryDelayMs)).toEqual([300_000, 600_000, 1_200_000]);
  });
});
