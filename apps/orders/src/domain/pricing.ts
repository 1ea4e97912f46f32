import type { CreateOrderRequest } from '@platform/contracts/api/orders';

export interface OrderTotals {
  subtotal: number;
  shipping: number;
  tax: number;
  discount: number;
  total: number;
}

/** Flat shipping by delivery type, in minor units of the order currency. */
export const SHIPPING_RATES: Record<CreateOrderRequest['deliveryType'], number> = {
  standard: 499,
  express: 1499,
  scheduled: 999,
};

/** Orders whose subtotal reaches this ship free with standard delivery. */
export const FREE_STANDARD_SHIPPING_FROM = 5_000;

export interface PricedLine {
  quantity: number;
  unitPrice: number;
}

export function lineTotal(item: PricedLine): number {
  return item.quantity * item.unitPrice;
}

/** Totals in integer minor units; tax is included in item prices until tax rules exist. */
export function priceOrder(request: { items: readonly PricedLine[]; deliveryType: CreateOrderRequest['deliveryType'] }): OrderTotals {
  const subtotal = request.items.reduce((sum, item) => sum + lineTotal(item), 0);
  const shipping =
    request.deliveryType === 'standard' && subtotal >= FREE_STANDARD_SHIPPING_FROM ? 0 : SHIPPING_RATES[request.deliveryType];
  const tax = 0;
  const discount = 0;
  return { subtotal, shipping, tax, discount, total: subtotal + shipping + tax - discount };
}
