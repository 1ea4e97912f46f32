import { DomainError } from '@platform/contracts/errors';
import { describe, expect, it } from 'vitest';
import { allocateShipment } from './allocation';
import { groupBySupplier, retryDelayMs } from './supplier-placement';

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

describe('supplier placement rules', () => {
  it('groups items per supplier, leaving own stock to the hubs', () => {
    const line = (sku: string, supplierSource: 'cj' | 'aliexpress' | 'own_stock') => ({ sku, variantId: sku, name: sku, quantity: 1, unitPrice: 1, supplierSource, vendorId: 'acme' });
    const groups = groupBySupplier([line('A', 'cj'), line('B', 'own_stock'), line('C', 'aliexpress'), line('D', 'cj')]);
    expect(groups.map((g) => [g.supplier, g.items.map((i) => i.sku)])).toEqual([
      ['cj', ['A', 'D']],
      ['aliexpress', ['C']],
    ]);
    // (Moved from the adapters' copy of this rule, now removed: own stock is in no supplier group.)
    expect(groups.flatMap((g) => g.items.map((i) => i.sku))).not.toContain('B');
  });
  it('backs off 5 min × 2^retryCount', () => {
    expect([0, 1, 2].map(retryDelayMs)).toEqual([300_000, 600_000, 1_200_000]);
  });
});
