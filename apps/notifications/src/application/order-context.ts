import type { Order } from '@platform/contracts/api/orders';
import type { Transaction } from '../adapters/database';
import { saveOrderContext } from '../adapters/notification-store';
import type { ContextItem } from '../domain/message-view';

/**
 * The read model later messages render from: items, totals, address, and the customer as the
 * order gave them. Items keep SKU, variant, vendor and unit price: fulfillment's notices name and
 * price items by them.
 */
export async function storeOrderContext(tx: Transaction, order: Order, now: Date): Promise<void> {
  await saveOrderContext(tx, {
    orderId: order.id,
    customerId: order.customer.id,
    number: order.number,
    currency: order.currency,
    items: order.items.map(
      (item): ContextItem => ({
        name: item.name,
        quantity: item.quantity,
        lineTotal: item.lineTotal,
        imageUrl: item.imageUrl ?? null,
        sku: item.sku,
        variantId: item.variantId,
        vendorId: item.vendor.id,
        unitPrice: item.unitPrice,
      }),
    ),
    totals: order.totals,
    shippingAddress: order.shippingAddress,
    customer: order.customer,
    orderCreatedAt: new Date(order.createdAt),
    updatedAt: now,
  });
}
