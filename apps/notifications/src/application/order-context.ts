import type { Order } from '@platform/contracts/api/orders';
import type { Transaction } from '../adapters/database';

/** The read model later messages render from: items, totals, address, and the customer as the order gave them. */
export async function storeOrderContext(tx: Transaction, order: Order, now: Date): Promise<void> {
  const data = {
    customerId: order.customer.id,
    number: order.number,
    currency: order.currency,
    items: order.items.map((item) => ({ name: item.name, quantity: item.quantity, lineTotal: item.lineTotal, imageUrl: item.imageUrl ?? null })),
    totals: order.totals,
    shippingAddress: order.shippingAddress,
    customer: order.customer,
    orderCreatedAt: new Date(order.createdAt),
    updatedAt: now,
  };
  await tx.orderContext.upsert({ where: { orderId: order.id }, create: { orderId: order.id, ...data }, update: data });
}
