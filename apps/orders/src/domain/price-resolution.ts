import { DomainError } from '@platform/contracts/errors';
import type { PriceSource } from '@platform/contracts/events/orders';

/** A price book row as resolution needs it. */
export interface PriceCandidate {
  id: string;
  sku: string;
  variantId: string | null;
  source: Exclude<PriceSource, 'BESPOKE'>;
  region: string | null;
  customerId: string | null;
  currency: string;
  unitPrice: number;
  validFrom: Date | null;
  validTo: Date | null;
}

export interface PricingContext {
  customerId: string | null;
  /** Shipping country (ISO 3166-1 alpha-2). */
  country: string;
  currency: string;
  at: Date;
}

export interface ResolvedPrice {
  unitPrice: number;
  source: PriceSource;
  priceBookEntryId: string | null;
}

/** Most specific first: the customer's agreement, then the shipping country, then the global book. */
const PRECEDENCE: readonly PriceCandidate['source'][] = ['PRICE_AGREEMENT', 'PRICEBOOK_REGIONAL', 'PRICEBOOK_GLOBAL'];

function applies(entry: PriceCandidate, item: { sku: string; variantId: string }, context: PricingContext): boolean {
  if (entry.sku !== item.sku || entry.currency !== context.currency) return false;
  if (entry.variantId !== null && entry.variantId !== item.variantId) return false;
  if (entry.validFrom && entry.validFrom > context.at) return false;
  if (entry.validTo && entry.validTo <= context.at) return false;
  if (entry.source === 'PRICE_AGREEMENT') return entry.customerId !== null && entry.customerId === context.customerId;
  if (entry.source === 'PRICEBOOK_REGIONAL') return entry.region === context.country;
  return true;
}

/**
 * The price book price of one item, or null. Within a level a variant's own entry beats the
 * SKU-wide one, and the entry that started last wins (a newer price replaces an older one).
 */
export function resolvePrice(
  candidates: readonly PriceCandidate[],
  item: { sku: string; variantId: string },
  context: PricingContext,
): ResolvedPrice | null {
  const matching = candidates.filter((entry) => applies(entry, item, context));
  for (const source of PRECEDENCE) {
    const [best] = matching
      .filter((entry) => entry.source === source)
      .sort(
        (a, b) =>
          Number(b.variantId !== null) - Number(a.variantId !== null) ||
          (b.validFrom?.getTime() ?? 0) - (a.validFrom?.getTime() ?? 0),
      );
    if (best) return { unitPrice: best.unitPrice, source, priceBookEntryId: best.id };
  }
  return null;
}

export interface PriceableItem {
  sku: string;
  variantId: string;
  /** The caller's own price: used only without a price book price and when `allowBespoke`. */
  unitPrice?: number | undefined;
}

/**
 * Prices every item of an order (ORD-02). An item without a price book price is BESPOKE at the
 * request's price when the caller may set prices (ops, admin, internal); otherwise the whole
 * request is refused naming every unpriced item.
 */
export function priceItems<T extends PriceableItem>(
  items: readonly T[],
  candidates: readonly PriceCandidate[],
  context: PricingContext & { allowBespoke: boolean },
): (T & { unitPrice: number; price: ResolvedPrice })[] {
  const fields: { pointer: string; detail: string }[] = [];
  const priced = items.map((item, index) => {
    const resolved = resolvePrice(candidates, item, context);
    if (resolved) return { ...item, unitPrice: resolved.unitPrice, price: resolved };
    if (context.allowBespoke && item.unitPrice !== undefined) {
      const bespoke: ResolvedPrice = { unitPrice: item.unitPrice, source: 'BESPOKE', priceBookEntryId: null };
      return { ...item, unitPrice: item.unitPrice, price: bespoke };
    }
    fields.push({
      pointer: `/items/${index}`,
      detail: context.allowBespoke
        ? `no price for ${item.sku} in ${context.currency}; give unitPrice for a bespoke price`
        : `no price for ${item.sku} in ${context.currency}`,
    });
    return null;
  });
  if (fields.length > 0) throw new DomainError('unprocessable', 'NO_PRICE', 'Some items have no price', fields);
  return priced as (T & { unitPrice: number; price: ResolvedPrice })[];
}
