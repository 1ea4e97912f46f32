import { describe, expect, it } from 'vitest';
import { channelTotals, groupUnits, localeForCountry, syncDecision, unitsForParcel } from './channel-orders';

const unit = (lineItemId: string, sku: string, salePrice = 1250, originalPrice = salePrice) => ({ lineItemId, sku, variantId: `${sku}-v`, name: sku, salePrice, originalPrice });

describe('channel orders (ORD-06)', () => {
  it('groups the units a channel lists one by one into items by SKU, variant and price', () => {
    const items = groupUnits([unit('1', 'MUG'), unit('2', 'TEA', 899), unit('3', 'MUG'), unit('4', 'MUG', 1000)]);
    expect(items.map((i) => [i.sku, i.quantity, i.unitPrice, i.lineItemIds])).toEqual([
      ['MUG', 2, 1250, ['1', '3']],
      ['TEA', 1, 899, ['2']],
      ['MUG', 1, 1000, ['4']],
    ]);
  });

  it('takes the totals as the channel charged them, the discount making up the difference, and refuses a total above the parts', () => {
    const items = groupUnits([unit('1', 'MUG'), unit('2', 'MUG')]);
    expect(channelTotals({ items, shippingFee: 300, tax: 0, total: 2600 })).toEqual({ subtotal: 2500, shipping: 300, tax: 0, discount: 200, total: 2600 });
    expect(() => channelTotals({ items, shippingFee: 300, tax: 0, total: 2900 })).toThrow(/exceeds/);
  });

  it.each([
    [null, 'unpaid', 'wait'],
    [null, 'on_hold', 'wait'],
    [null, 'cancelled', 'wait'],
    [null, 'paid', 'import'],
    [null, 'shipped', 'import'],
    [{ status: 'confirmed' }, 'paid', 'refresh'],
    [{ status: 'confirmed' }, 'cancelled', 'cancel'],
    [{ status: 'shipped' }, 'cancelled', 'cancel'],
    [{ status: 'cancelled' }, 'cancelled', 'refresh'],
    [{ status: 'refunded' }, 'cancelled', 'refresh'],
  ] as const)('ours %o, channel %s → %s', (ours, channel, decision) => {
    expect(syncDecision(ours, channel)).toBe(decision);
  });

  it('gives each parcel as many of its SKUs’ line items as it carries, never one an earlier parcel took', () => {
    const items = groupUnits([unit('1', 'MUG'), unit('2', 'MUG'), unit('3', 'TEA')]);
    const first = unitsForParcel(items, [{ sku: 'MUG', quantity: 1 }], new Set());
    expect(first).toEqual(['1']);
    expect(unitsForParcel(items, [{ sku: 'MUG', quantity: 1 }, { sku: 'TEA', quantity: 1 }], new Set(first))).toEqual(['2', '3']);
  });

  it('speaks the buyer’s language where we have it', () => {
    expect([localeForCountry('ES'), localeForCountry('RO'), localeForCountry('RU'), localeForCountry('US')]).toEqual(['es', 'ro', 'ru', 'en']);
  });
});
