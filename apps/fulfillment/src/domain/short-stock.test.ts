import { describe, expect, it } from 'vitest';
import { type OrderLine, resolveShortStock, type SkuPolicy, withoutCancelled } from './short-stock';

const line = (sku: string, quantity: number, vendorId = 'v1'): OrderLine => ({ sku, variantId: `${sku}-v`, name: sku, quantity, vendorId });
const expected = new Date('2026-12-10T00:00:00Z');
const decide = (lines: OrderLine[], free: Record<string, number>, policies: Record<string, SkuPolicy> = {}, orderPolicy: SkuPolicy['policy'] = null) =>
  resolveShortStock(lines, { free: new Map(Object.entries(free)), policies: new Map(Object.entries(policies)), orderPolicy, restockAt: new Map([['MUG', expected]]) });

describe('short stock at reservation (FUL-03)', () => {
  it('reserves everything when nothing is short, whatever the policy', () => {
    expect(decide([line('MUG', 2)], { MUG: 2 }, { MUG: { policy: 'partial', substituteSku: null } })).toEqual({ ok: true, lines: [line('MUG', 2)], substituted: [], cancelled: [], backordered: [] });
  });

  it('fails with the shortage when no policy answers it', () => {
    expect(decide([line('MUG', 3)], { MUG: 1 })).toEqual({ ok: false, shortages: [{ sku: 'MUG', requested: 3, available: 1 }] });
  });

  it('partial: reserves what there is and cancels the rest', () => {
    const plan = decide([line('MUG', 3)], { MUG: 1 }, { MUG: { policy: 'partial', substituteSku: null } });
    expect(plan).toMatchObject({ ok: true, lines: [line('MUG', 1)], cancelled: [{ sku: 'MUG', variantId: 'MUG-v', vendorId: 'v1', quantity: 2 }], backordered: [] });
  });

  it('backorder: holds the short units with the next restock date', () => {
    const plan = decide([line('MUG', 3)], { MUG: 1 }, { MUG: { policy: 'backorder', substituteSku: null } });
    expect(plan).toMatchObject({ ok: true, lines: [line('MUG', 1)], backordered: [{ ...line('MUG', 2), expectedAt: expected }], cancelled: [] });
  });

  it('substitute: ships the equivalent for the short units; what it cannot cover is cancelled', () => {
    const policies = { MUG: { policy: 'substitute' as const, substituteSku: 'MUG-BLUE' } };
    expect(decide([line('MUG', 3)], { MUG: 1, 'MUG-BLUE': 5 }, policies)).toMatchObject({
      ok: true,
      lines: [line('MUG', 1), { ...line('MUG', 2), sku: 'MUG-BLUE' }],
      substituted: [{ sku: 'MUG', substituteSku: 'MUG-BLUE', vendorId: 'v1', quantity: 2 }],
      cancelled: [],
    });
    expect(decide([line('MUG', 3)], { MUG: 0, 'MUG-BLUE': 1 }, policies)).toMatchObject({
      ok: true,
      lines: [{ ...line('MUG', 1), sku: 'MUG-BLUE' }],
      cancelled: [{ sku: 'MUG', quantity: 2 }],
    });
  });

  it('the order\'s policy wins over the SKU\'s', () => {
    const plan = decide([line('MUG', 2)], { MUG: 0 }, { MUG: { policy: 'partial', substituteSku: null } }, 'backorder');
    expect(plan).toMatchObject({ ok: true, lines: [], backordered: [{ quantity: 2 }], cancelled: [] });
  });

  it('shares free units between lines of one SKU in order, keeping each vendor\'s line', () => {
    const plan = decide([line('MUG', 2, 'a'), line('MUG', 2, 'b')], { MUG: 3 }, { MUG: { policy: 'partial', substituteSku: null } });
    expect(plan).toMatchObject({ ok: true, lines: [line('MUG', 2, 'a'), line('MUG', 1, 'b')], cancelled: [{ vendorId: 'b', quantity: 1 }] });
  });

  it('never counts units already cancelled for short stock again', () => {
    const lines = [line('MUG', 3, 'a'), line('MUG', 2, 'b'), line('TEE', 1, 'a')];
    expect(withoutCancelled(lines, [{ sku: 'MUG', vendorId: 'a', quantity: 3 }, { sku: 'MUG', vendorId: 'b', quantity: 1 }])).toEqual([line('MUG', 1, 'b'), line('TEE', 1, 'a')]);
    expect(withoutCancelled(lines, [])).toEqual(lines);
  });
});
