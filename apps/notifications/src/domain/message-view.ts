import { dateTimeFormat } from './date-format';
import { formatMoney } from './money';

/** The store as messages show it. */
export interface StoreIdentity {
  storeName: string;
  supportEmail: string;
  /** Public base URL of the platform (tracking links): `${publicBaseUrl}/v1/tracking/<number>`. */
  publicBaseUrl: string;
}

/**
 * An order line as the read model keeps it. SKU, variant, vendor and unit price name and price
 * what fulfillment reports by SKU; rows stored before parcel notices lack them.
 */
export type ContextItem = {
  name: string;
  quantity: number;
  lineTotal: number;
  imageUrl?: string | null;
  sku?: string;
  variantId?: string;
  vendorId?: string;
  unitPrice?: number;
};

/** What `orders.order.created` told us (the read model); optional because a status change may arrive first. */
export interface OrderContextView {
  items: ContextItem[];
  totals: { subtotal: number; shipping: number; total: number };
  shippingAddress: { name: string; line1: string; line2?: string; city: string; state?: string; postalCode: string; country: string } | null;
  orderCreatedAt: string;
  /** The delivery promise, worded for the customer (docs/delivery-promise.md); null or absent when none. */
  promisedDelivery?: string | null;
}

/** What a status change says (self-contained: enough for every message without the context). */
export interface StatusFacts {
  orderId: string;
  number: string;
  status: string;
  customerName: string;
  total: number;
  currency: string;
  tracking: { number: string; carrier: string | null } | null;
  details: string | null;
}

/** The public tracking page of a tracking number. */
export function trackingUrlOf(store: StoreIdentity, trackingNumber: string): string {
  return `${store.publicBaseUrl.replace(/\/$/, '')}/v1/tracking/${encodeURIComponent(trackingNumber)}`;
}

/**
 * One view for every template and channel (the templates render in strict mode, so every
 * key exists, null when unknown). Money is formatted for the customer's locale.
 */
export function messageView(facts: StatusFacts, context: OrderContextView | null, locale: string, store: StoreIdentity) {
  const money = (minor: number) => formatMoney(minor, facts.currency, locale);
  return {
    storeName: store.storeName,
    supportEmail: store.supportEmail,
    locale,
    status: facts.status,
    customerName: facts.customerName,
    orderNumber: facts.number,
    orderDate: context ? dateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(context.orderCreatedAt)) : null,
    items: (context?.items ?? []).map((item) => ({
      name: item.name,
      quantity: item.quantity,
      price: money(item.lineTotal),
      image: item.imageUrl ?? null,
    })),
    hasSummary: context !== null,
    subtotal: context ? money(context.totals.subtotal) : null,
    shipping: context ? money(context.totals.shipping) : null,
    total: money(facts.total),
    shippingAddress: context?.shippingAddress ? { line2: null, state: null, ...context.shippingAddress } : null,
    trackingNumber: facts.tracking?.number ?? null,
    carrier: facts.tracking?.carrier ?? null,
    trackingUrl: facts.tracking ? trackingUrlOf(store, facts.tracking.number) : null,
    details: facts.details,
    promisedDelivery: context?.promisedDelivery ?? null,
  };
}

export type MessageView = ReturnType<typeof messageView>;
