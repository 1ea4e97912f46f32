import { customerReasonOf } from './customer-reasons';
import { dateTimeFormat } from './date-format';
import { formatMoney } from './money';
import { carrierName, countryName } from './places';

/** The store as messages show it. */
export interface StoreIdentity {
  storeName: string;
  supportEmail: string;
  /** Public base URL of the platform, where the customer pages are (`/track/<number>`, `/orders/<id>`). */
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
  /** `customer:<id>`, `ops:<key id>`, or the service that caused the change: part of the customer-facing reason. */
  actor: string;
  customerName: string;
  total: number;
  currency: string;
  /** The carrier as whoever reported it wrote it: our code or a supplier's shipping method. */
  tracking: { number: string; carrier: string | null } | null;
}

/** The public tracking page of a tracking number (a page for people, showing no personal data). */
export function trackingUrlOf(store: StoreIdentity, trackingNumber: string): string {
  return `${store.publicBaseUrl.replace(/\/$/, '')}/track/${encodeURIComponent(trackingNumber)}`;
}

/**
 * One view for every template and channel (the templates render in strict mode, so every
 * key exists, null when unknown). Money is formatted from minor units for the customer's
 * locale; the country and carrier by their names; why it happened as a reason code the
 * catalogue words (`reasons`), never another service's free text.
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
    shippingAddress: context?.shippingAddress
      ? { line2: null, state: null, ...context.shippingAddress, country: countryName(context.shippingAddress.country, locale) }
      : null,
    trackingNumber: facts.tracking?.number ?? null,
    carrier: carrierName(facts.tracking?.carrier, facts.tracking?.number),
    trackingUrl: facts.tracking ? trackingUrlOf(store, facts.tracking.number) : null,
    reasonCode: customerReasonOf(facts),
    promisedDelivery: context?.promisedDelivery ?? null,
  };
}

export type MessageView = ReturnType<typeof messageView>;
