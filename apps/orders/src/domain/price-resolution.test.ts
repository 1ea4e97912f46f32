import { DomainError } from '@platform/contracts/errors';
import { describe, expect, it } from 'vitest';
import { type PriceCandidate, priceItems, resolvePrice } from './price-resolution';

const at = new Date('2026-11-22T10:00:00Z');
const context = { customerId: 'c1', country: 'ES', currency: 'EUR', at };
let next = 0;
const entry = (fields: Partial<PriceCandidate>): PriceCandidate => ({
  id: `00000000-0000-4000-8000-${String(++next).padStart(12, '0')}`,
  sku: 'SKU',
  variantId: null,
  source: 'PRICEBOOK_GLOBAL',
  region: null,
  customerId: null,
  currency: 'EUR',
  unitPrice: 1000,
  validFrom: null,
  validTo: null,
  ...fields,
});
const item = { sku: 'SKU', variantId: 'v1' };

describe('resolvePrice', () => {
  const global = entry({ unitPrice: 1000 });
  const regional = entry({ source: 'PRICEBOOK_REGIONAL', region: 'ES', unitPrice: 900 });
  const agreement = entry({ source: 'PRICE_AGREEMENT', customerId: 'c1', unitPrice: 800 });

  it('prefers the customer agreement, then the shipping country, then the global book', () => {
    expect(resolvePrice([global, regional, agreement], item, context)).toEqual({ unitPrice: 800, source: 'PRICE_AGREEMENT', priceBookEntryId: agreement.id });
    expect(resolvePrice([global, regional, agreement], item, { ...context, customerId: 'c2' })?.source).toBe('PRICEBOOK_REGIONAL');
    expect(resolvePrice([global, regional, agreement], item, { ...context, customerId: null, country: 'FR' })?.source).toBe('PRICEBOOK_GLOBAL');
  });

  it('ignores other currencies, other variants and entries outside their validity', () => {
    const usd = entry({ currency: 'USD' });
    const otherVariant = entry({ variantId: 'v2' });
    const expired = entry({ validTo: at });
    const future = entry({ validFrom: new Date(at.getTime() + 1) });
    expect(resolvePrice([usd, otherVariant, expired, future], item, context)).toBeNull();
  });

  it('prefers a variant entry over the SKU-wide one within a level', () => {
    const variant = entry({ variantId: 'v1', unitPrice: 1100 });
    expect(resolvePrice([global, variant], item, context)?.priceBookEntryId).toBe(variant.id);
  });
});

describe('priceItems', () => {
  const global = entry({ unitPrice: 1000 });

  it('uses the book price over the caller one, and a caller price as BESPOKE when allowed', () => {
    const priced = priceItems([{ ...item, unitPrice: 1 }, { sku: 'OTHER', variantId: 'x', unitPrice: 555 }], [global], { ...context, allowBespoke: true });
    expect(priced.map((p) => [p.unitPrice, p.price.source])).toEqual([
      [1000, 'PRICEBOOK_GLOBAL'],
      [555, 'BESPOKE'],
    ]);
  });

  it('refuses unpriced items with their pointers when bespoke prices are not allowed', () => {
    try {
      priceItems([item, { sku: 'OTHER', variantId: 'x', unitPrice: 555 }], [global], { ...context, allowBespoke: false });
      expect.unreachable();
    } catch (error) {
      expect((error as DomainError).code).toBe('NO_PRICE');
      expect((error as DomainError).fields?.map((f) => f.pointer)).toEqual(['/items/1']);
    }
  });
});
