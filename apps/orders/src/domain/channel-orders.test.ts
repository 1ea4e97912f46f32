import { describe, expect, it } from 'vitest';
import { channelTotals, checkChannelItems, groupUnits, localeForCountry, nextPullCursor, PULL_OVERLAP_SECONDS, pullSearchFrom, syncDecision, unitsForParcel } from './channel-orders';

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
    [null, 'unpaid', true, 'wait'],
    [null, 'on_hold', true, 'wait'],
    [null, 'cancelled', true, 'ignore'],
    [null, 'paid', true, 'import'],
    [null, 'paid', false, 'ignore'],
    [null, 'shipped', true, 'ignore'],
    [null, 'delivered', true, 'ignore'],
    [{ status: 'confirmed' }, 'paid', true, 'refresh'],
    [{ status: 'confirmed' }, 'cancelled', true, 'cancel'],
    [{ status: 'shipped' }, 'cancelled', true, 'cancel'],
    [{ status: 'cancelled' }, 'cancelled', true, 'refresh'],
    [{ status: 'refunded' }, 'cancelled', true, 'refresh'],
  ] as const)('ours %o, channel %s (seller fulfils: %s) → %s', (ours, state, fulfilledBySeller, decision) => {
    expect(syncDecision(ours, { state, fulfilledBySeller })).toBe(decision);
  });

  it('refuses as unmappable items whose SKU, variant or name our order event could not carry', () => {
    expect(() => checkChannelItems(groupUnits([unit('1', 'MUG'), { ...unit('2', 'TEA'), name: 'x'.repeat(400) }]))).not.toThrow();
    for (const bad of [{ ...unit('1', ''), variantId: 'v' }, { ...unit('1', 'MUG'), name: '  ' }, unit('1', 'S'.repeat(101))]) {
      expect(() => checkChannelItems(groupUnits([bad]))).toThrow(expect.objectContaining({ code: 'CHANNEL_ORDER_UNMAPPABLE' }));
    }
  });

  it('pulls from the lookback, then from a few minutes before the cursor, and continues a capped pull from its last applied change', () => {
    expect(pullSearchFrom(null, 1_000)).toBe(1_000);
    expect(pullSearchFrom({ at: 5_000, continuing: false }, 1_000)).toBe(5_000 - PULL_OVERLAP_SECONDS);
    expect(pullSearchFrom({ at: 5_000, continuing: true }, 1_000)).toBe(5_000);
    // Not capped: the newest change seen (never behind the cursor), or the cursor when nothing changed.
    expect(nextPullCursor(5_000, [4_800, 5_100], false)).toEqual({ at: 5_100, continuing: false });
    expect(nextPullCursor(5_000, [4_800], false)).toEqual({ at: 5_000, continuing: false });
    expect(nextPullCursor(null, [], false)).toEqual({ at: null, continuing: false });
    // Capped (its batch ends at a whole second): on from the next second, even behind the cursor (the overlap is not done yet).
    expect(nextPullCursor(5_000, [4_750, 4_800], true)).toEqual({ at: 4_801, continuing: true });
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
