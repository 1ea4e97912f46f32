import type { Order } from '@platform/contracts/api/orders';
import { formatMoney } from './money';

export const ORDER_CONFIRMATION = 'order-confirmation';

export interface StoreIdentity {
  storeName: string;
  supportEmail: string;
}

/** The values the order-confirmation template shows, money already formatted for the customer's locale. */
export function orderConfirmationView(order: Order, store: StoreIdentity) {
  const locale = order.customer.locale;
  const money = (minor: number) => formatMoney(minor, order.currency, locale);
  return {
    ...store,
    locale,
    customerName: order.customer.name,
    orderNumber: order.number,
    orderDate: order.createdAt,
    items: order.items.map((item) => ({
      name: item.name,
      quantity: item.quantity,
      price: money(item.lineTotal),
      image: item.imageUrl,
    })),
    subtotal: money(order.totals.subtotal),
    shipping: money(order.totals.shipping),
    total: money(order.totals.total),
    shippingAddress: order.shippingAddress,
  };
}
