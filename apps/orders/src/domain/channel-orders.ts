import { DomainError } from '@platform/contracts/errors';
import type { localeSchema } from '@platform/contracts/primitives';
import type { z } from 'zod';

type Locale = z.infer<typeof localeSchema>;

/*
 * Orders taken from a sales channel (ORD-06), as pure rules: what a channel order becomes in
 * our order (items, totals, customer), when it is imported or cancelled, and which of its line
 * items a parcel carries. The adapters read the channel; these decide.
 */

/** One unit as the channel sold it (a channel lists one line item per unit). */
export interface SoldUnit {
  lineItemId: string;
  sku: string;
  variantId: string;
  name: string;
  salePrice: number;
  originalPrice: number;
}

/** Our item made of the channel's units: same SKU, variant and price. */
export interface ChannelItem {
  sku: string;
  variantId: string;
  name: string;
  quantity: number;
  unitPrice: number;
  originalPrice: number;
  lineItemIds: string[];
}

export function groupUnits(units: readonly SoldUnit[]): ChannelItem[] {
  const items = new Map<string, ChannelItem>();
  for (const unit of units) {
    const key = `${unit.sku}\u0000${unit.variantId}\u0000${unit.salePrice}\u0000${unit.originalPrice}`;
    const item = items.get(key);
    if (item) {
      item.quantity += 1;
      item.lineItemIds.push(unit.lineItemId);
    } else {
      items.set(key, { sku: unit.sku, variantId: unit.variantId, name: unit.name, quantity: 1, unitPrice: unit.salePrice, originalPrice: unit.originalPrice, lineItemIds: [unit.lineItemId] });
    }
  }
  return [...items.values()];
}

/**
 * Our totals from what the buyer paid the channel: the items at their sale prices, the
 * channel's shipping fee and tax, and whatever else the channel took off as the discount, so
 * the total is exactly what was paid. More paid than the parts add up to is refused.
 */
export function channelTotals(input: { items: readonly ChannelItem[]; shippingFee: number; tax: number; total: number }) {
  const subtotal = input.items.reduce((sum, item) => sum + item.unitPrice * item.quantity, 0);
  const discount = subtotal + input.shippingFee + input.tax - input.total;
  if (discount < 0) {
    throw new DomainError('unprocessable', 'CHANNEL_TOTALS_MISMATCH', `The channel's total ${input.total} exceeds its items, shipping and tax (${subtotal + input.shippingFee + input.tax})`);
  }
  return { subtotal, shipping: input.shippingFee, tax: input.tax, discount, total: input.total };
}

export type ChannelState = 'unpaid' | 'on_hold' | 'paid' | 'shipped' | 'delivered' | 'cancelled';

/**
 * What a pulled channel order does to ours. An order is imported once paid and out of the
 * channel's hold (the buyer may still cancel an on-hold order for free); a channel
 * cancellation cancels ours; anything else only refreshes what we know.
 */
export function syncDecision(ours: { status: string } | null, channel: ChannelState): 'import' | 'wait' | 'cancel' | 'refresh' {
  if (!ours) return channel === 'paid' || channel === 'shipped' || channel === 'delivered' ? 'import' : 'wait';
  if (channel === 'cancelled' && ours.status !== 'cancelled' && ours.status !== 'refunded') return 'cancel';
  return 'refresh';
}

/** The buyer's language from the shipping country (ours are en, es, ro, ru). */
export function localeForCountry(country: string): Locale {
  const byCountry: Record<string, Locale> = { ES: 'es', MX: 'es', AR: 'es', CO: 'es', CL: 'es', PE: 'es', RO: 'ro', MD: 'ro', RU: 'ru', BY: 'ru', KZ: 'ru' };
  return byCountry[country] ?? 'en';
}

/**
 * The channel's line items a parcel carries: for each of its SKUs, as many of that SKU's units
 * as the parcel holds, skipping units an earlier parcel already took.
 */
export function unitsForParcel(items: readonly Pick<ChannelItem, 'sku' | 'lineItemIds'>[], parcel: readonly { sku: string; quantity: number }[], taken: ReadonlySet<string>): string[] {
  const chosen: string[] = [];
  for (const { sku, quantity } of parcel) {
    const free = items.filter((item) => item.sku === sku).flatMap((item) => item.lineItemIds).filter((id) => !taken.has(id) && !chosen.includes(id));
    chosen.push(...free.slice(0, quantity));
  }
  return chosen;
}
