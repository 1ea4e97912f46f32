import { DomainError } from '@platform/contracts/errors';
import { type localeSchema, text } from '@platform/contracts/primitives';
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

/** An item's name in our order (ours are at most 300 characters). */
export const channelItemName = (name: string) => name.slice(0, 300);

// As orders.order.created bounds them: a unit we could not write into that event is refused here,
// before the import claims the order, instead of failing the whole import afterwards.
const itemSku = text(100);
const itemName = text(300);

/** Refuses (CHANNEL_ORDER_UNMAPPABLE) items without a usable SKU, variant or name. */
export function checkChannelItems(items: readonly ChannelItem[]): void {
  const fields = items.flatMap((item, index) => [
    ...problems(itemSku, item.sku, `/items/${index}/sku`),
    ...problems(itemSku, item.variantId, `/items/${index}/variantId`),
    ...problems(itemName, channelItemName(item.name), `/items/${index}/name`),
  ]);
  if (fields.length > 0) throw new DomainError('unprocessable', 'CHANNEL_ORDER_UNMAPPABLE', 'The channel order has items without a usable SKU, variant or name', fields);
}

function problems(schema: ReturnType<typeof text>, value: string, pointer: string) {
  const parsed = schema.safeParse(value);
  return parsed.success ? [] : parsed.error.issues.map((issue) => ({ pointer, detail: issue.message }));
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
 * channel's hold (the buyer may still cancel an on-hold order for free), and only while it still
 * awaits shipment by the seller: one already shipping, delivered, cancelled or fulfilled by the
 * channel itself is not ours to fulfil (`ignore`). Once imported, a channel cancellation cancels
 * ours; anything else only refreshes what we know.
 */
export function syncDecision(ours: { status: string } | null, channel: { state: ChannelState; fulfilledBySeller: boolean }): 'import' | 'wait' | 'ignore' | 'cancel' | 'refresh' {
  if (!ours) {
    if (channel.state === 'unpaid' || channel.state === 'on_hold') return 'wait';
    return channel.state === 'paid' && channel.fulfilledBySeller ? 'import' : 'ignore';
  }
  if (channel.state === 'cancelled' && ours.status !== 'cancelled' && ours.status !== 'refunded') return 'cancel';
  return 'refresh';
}

/**
 * Orders reach the channel's search index a little after their update time, so a pull that
 * searched from exactly the newest change it saw could miss one; each pull looks back this far
 * again (a re-seen order is applied idempotently, by its channel order id).
 */
export const PULL_OVERLAP_SECONDS = 5 * 60;
/** Orders one pull applies at most: it stays one short transaction; the rest follow at once. */
export const PULL_BATCH_LIMIT = 100;

/** Where a pull searches from: the lookback when it never ran, the overlap before its cursor, or exactly the cursor when continuing a capped pull. */
export function pullSearchFrom(cursor: { at: number; continuing: boolean } | null, lookbackFrom: number): number {
  if (!cursor) return lookbackFrom;
  return cursor.continuing ? cursor.at : cursor.at - PULL_OVERLAP_SECONDS;
}

/**
 * The cursor after a pull that applied changes at `updatedAt` (oldest first). A capped batch ends
 * at a whole second (see `changedOrders`), so it continues at once from the second after its
 * last; otherwise the next pull starts from the newest change seen (never behind the cursor).
 */
export function nextPullCursor(previous: number | null, updatedAt: readonly number[], capped: boolean): { at: number | null; continuing: boolean } {
  const last = updatedAt.at(-1);
  if (capped && last !== undefined) return { at: last + 1, continuing: true };
  const newest = Math.max(previous ?? Number.NEGATIVE_INFINITY, ...updatedAt);
  return { at: Number.isFinite(newest) ? newest : previous, continuing: false };
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
