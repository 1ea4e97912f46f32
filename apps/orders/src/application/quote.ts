import { DomainError } from '@platform/contracts/errors';
import type { Quote, QuoteRequest } from '@platform/contracts/api/orders';
import { MAX_MINOR_UNITS } from '@platform/contracts/primitives';
import type { Database } from '../adapters/database';
import { findPricesAndStock } from '../adapters/price-book-repository';
import { checkAvailability } from '../domain/availability';
import { resolvePrice } from '../domain/price-resolution';
import { lineTotal, priceOrder } from '../domain/pricing';

/**
 * Prices a basket without ordering (ORD-02): each line with its source, or an error for a
 * line the price book cannot price. Never a bespoke price: a quote only states book prices.
 * Each line also says whether the hubs have it and, when short, what the policy would do (FUL-03).
 */
export async function quote(db: Database, request: QuoteRequest, at: Date): Promise<Quote> {
  const skus = request.items.map((item) => item.sku);
  const { candidates, stock } = await findPricesAndStock(db, { skus, stockSkus: skus, currency: request.currency });
  const availability = checkAvailability(request.items, stock, request.shortStockPolicy ?? null);
  const context = { customerId: request.customerId ?? null, country: request.country, currency: request.currency, at };
  const lines = request.items.map((item, index) => {
    const price = resolvePrice(candidates, item, context);
    if (!price) {
      const detail = `no price for ${item.sku} in ${request.currency}`;
      return { ...item, unitPrice: null, lineTotal: null, source: null, priceBookEntryId: null, error: { code: 'NO_PRICE', pointer: `/items/${index}`, detail }, availability: availability[index]! };
    }
    const line = { quantity: item.quantity, unitPrice: price.unitPrice };
    return { ...item, unitPrice: price.unitPrice, lineTotal: lineTotal(line), source: price.source, priceBookEntryId: price.priceBookEntryId, error: null, availability: availability[index]! };
  });
  const priced = lines.flatMap((line) => (line.unitPrice === null ? [] : [{ quantity: line.quantity, unitPrice: line.unitPrice }]));
  const totals = priceOrder({ items: priced, deliveryType: request.deliveryType });
  if (priced.length > 0 && totals.total > MAX_MINOR_UNITS) {
    throw new DomainError('unprocessable', 'QUOTE_TOO_LARGE', 'The quote total exceeds what an order can hold', [{ pointer: '/items', detail: 'too large' }]);
  }
  return {
    currency: request.currency,
    country: request.country,
    complete: priced.length === lines.length,
    lines,
    totals: priced.length > 0 ? totals : { subtotal: 0, shipping: 0, tax: 0, discount: 0, total: 0 },
    resolvedAt: at.toISOString(),
  };
}
