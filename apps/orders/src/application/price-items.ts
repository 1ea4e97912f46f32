import { randomUUID } from 'node:crypto';
import type { ShortStockOutcome } from '@platform/contracts';
import type { CreateOrderRequest } from '@platform/contracts/api/orders';
import type { Transaction } from '../adapters/database';
import type { NewOrder } from '../adapters/order-repository';
import { findPricesAndStock } from '../adapters/price-book-repository';
import { priceItems, type PricingContext } from '../domain/price-resolution';
import { lineTotal } from '../domain/pricing';

type ItemInput = CreateOrderRequest['items'][number];

/** Prices order items against the price book (ORD-02); throws NO_PRICE naming every unpriced item. */
export async function priceOrderItems<Item extends ItemInput>(tx: Transaction, items: readonly Item[], context: PricingContext & { allowBespoke: boolean }) {
  const { candidates } = await findPricesAndStock(tx, { skus: items.map((item) => item.sku), stockSkus: [], currency: context.currency });
  return priceItems(items, candidates, context);
}

type PricedItem = Awaited<ReturnType<typeof priceOrderItems<ItemInput>>>[number] & { shortStock?: ShortStockOutcome | null };

/** Rows for priced items, each with its immutable price snapshot (and what short stock did to it). */
export function itemRows(orderId: string, items: readonly PricedItem[], resolvedAt: Date): NewOrder['items'] {
  return items.map((item, position) => ({
    id: randomUUID(),
    orderId,
    position,
    sku: item.sku,
    variantId: item.variantId,
    name: item.name,
    quantity: item.quantity,
    unitPrice: item.unitPrice,
    lineTotal: lineTotal(item),
    vendorId: item.vendor.id,
    vendorType: item.vendor.type,
    supplierSource: item.supplierSource,
    ageRestricted: item.ageRestricted,
    imageUrl: item.imageUrl ?? null,
    priceSource: item.price.source,
    priceBookEntryId: item.price.priceBookEntryId,
    priceResolvedAt: resolvedAt,
    ...(item.shortStock && { shortStock: item.shortStock }),
  }));
}
