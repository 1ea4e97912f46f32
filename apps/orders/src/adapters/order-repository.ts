import type { Order } from '@platform/contracts/api/orders';
import type { Prisma } from '../generated/prisma/client';
import { formatOrderNumber } from '../domain/order-number';
import type { Database, Transaction } from './database';

const withItems = { items: { orderBy: { position: 'asc' } } } as const satisfies Prisma.OrderInclude;
type OrderRow = Prisma.OrderGetPayload<{ include: typeof withItems }>;

/** Maps a stored order to the contract shape the API and events carry. */
export function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    number: formatOrderNumber(row.number),
    status: row.status as Order['status'],
    fulfillmentStatus: row.fulfillmentStatus as Order['fulfillmentStatus'],
    customer: row.customer as Order['customer'],
    shippingAddress: row.shippingAddress as Order['shippingAddress'],
    billingAddress: row.billingAddress as Order['billingAddress'],
    items: row.items.map((item) => ({
      id: item.id,
      sku: item.sku,
      variantId: item.variantId,
      name: item.name,
      quantity: item.quantity,
      unitPrice: item.unitPrice,
      lineTotal: item.lineTotal,
      vendor: { id: item.vendorId, type: item.vendorType as Order['items'][number]['vendor']['type'] },
      supplierSource: item.supplierSource as Order['items'][number]['supplierSource'],
      ageRestricted: item.ageRestricted,
      ...(item.imageUrl && { imageUrl: item.imageUrl }),
    })),
    deliveryType: row.deliveryType as Order['deliveryType'],
    deliveryWindow:
      row.deliveryWindowStart && row.deliveryWindowEnd
        ? { start: row.deliveryWindowStart.toISOString(), end: row.deliveryWindowEnd.toISOString() }
        : null,
    notes: row.notes,
    ageVerified: row.ageVerified,
    currency: row.currency,
    totals: {
      subtotal: row.subtotal,
      shipping: row.shippingTotal,
      tax: row.taxTotal,
      discount: row.discountTotal,
      total: row.total,
    },
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export interface NewOrder {
  order: Prisma.OrderUncheckedCreateInput;
  items: Prisma.OrderItemCreateManyInput[];
  history: Prisma.OrderStatusChangeCreateManyInput;
}

/**
 * Writes an order, its items and its first history entry. Three statements and no read-back:
 * the row comes back from INSERT … RETURNING and the items are what was written.
 */
export async function insertOrder(tx: Transaction, { order, items, history }: NewOrder): Promise<Order> {
  const row = await tx.order.create({ data: order });
  await tx.orderItem.createMany({ data: items });
  await tx.orderStatusChange.create({ data: history });
  return toOrder({
    ...row,
    items: items.map((item) => ({ ...item, imageUrl: item.imageUrl ?? null })),
  });
}

export async function findOrder(db: Database, id: string): Promise<Order | null> {
  const row = await db.order.findUnique({ where: { id }, include: withItems });
  return row && toOrder(row);
}
