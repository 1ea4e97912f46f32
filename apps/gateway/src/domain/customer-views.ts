import { formatDate, formatDateRange, formatDateTime, formatMoney } from './page-format';
import type { PageLocale } from './page-locale';

/**
 * What the customer pages show, built from the services' answers and nothing else: the order
 * NUMBER (never its id), labels as catalogue keys, money and dates formatted for the page's
 * language. Supplier sources, vendor ids, error codes, addresses and free carrier text are left
 * out on purpose (docs/customer-pages.md). Pure: the routes fetch, this decides what is shown.
 */

/** The order as the orders service answers it, as far as the page reads it. */
export interface OrderSource {
  number: string;
  status: string;
  currency: string;
  createdAt: string;
  customer: { locale?: string; timezone?: string };
  items: Array<{ name: string; quantity: number; lineTotal: number }>;
  totals: { total: number };
  subOrders?: Array<{ number: string; status: string; items: Array<{ name: string; quantity: number }> }>;
  /** The delivery promise, when the order has one: its window and the carrier's latest estimate. */
  deliveryPromise?: { earliest?: string; latest?: string; estimatedDelivery?: string | null } | null;
}

/** A parcel as the tracking service follows it (`GET /orders/:id/tracking`). */
export interface ParcelSource {
  trackingNumber: string;
  carrier: { name: string } | null;
  status: string;
  estimatedDelivery: string | null;
  trackingUrl: string | null;
}

/** The public answer of the tracking service for one number (`GET /tracking/:number`). */
export interface PublicTrackingSource {
  trackingNumber: string;
  carrier: { name: string } | null;
  status: string;
  estimatedDelivery: string | null;
  trackingUrl: string | null;
  lastUpdate: string | null;
  events: Array<{ time: string; status: string | null; location: string | null; description?: string }>;
}

const ORDER_STATUSES = new Set(['pending', 'confirmed', 'processing', 'packed', 'shipped', 'out_for_delivery', 'delivered', 'delayed', 'exception', 'cancelled', 'refunded', 'returned']);
const SCAN_STATUSES = new Set(['pending', 'info_received', 'in_transit', 'out_for_delivery', 'delivered', 'delivery_failed', 'available_for_pickup', 'exception', 'delayed', 'returned', 'expired']);

/** The catalogue key of an order status; a status the pages do not know reads as "updated", never as its code. */
export const orderStatusKey = (status: string) => `status.${ORDER_STATUSES.has(status) ? status : 'unknown'}`;
export const scanStatusKey = (status: string | null) => `scan.${status && SCAN_STATUSES.has(status) ? status : 'unknown'}`;

/** Only links a person can open: a carrier page over http(s). */
/** A link a page may carry: http(s) only. */
export const safeLink = (url: string | null) => (url && /^https?:\/\//i.test(url) ? url : null);

export function orderPageView(order: OrderSource, parcels: ParcelSource[], locale: PageLocale) {
  const timeZone = order.customer.timezone ?? 'UTC';
  const money = (minor: number) => formatMoney(minor, order.currency, locale);
  const parts = order.subOrders ?? [];
  const promise = order.deliveryPromise;
  const latestEstimate = promise?.estimatedDelivery ?? parcels.map((p) => p.estimatedDelivery).filter((e): e is string => e !== null).sort().at(-1) ?? null;
  return {
    number: order.number,
    statusKey: orderStatusKey(order.status),
    placedAt: formatDateTime(order.createdAt, locale, timeZone),
    total: money(order.totals.total),
    items: order.items.map((item) => ({ name: item.name, quantity: item.quantity, price: money(item.lineTotal) })),
    // One part is just the order: the parts list only helps when the order ships in several.
    parts:
      parts.length > 1
        ? parts.map((part, index) => ({ index: index + 1, count: parts.length, number: part.number, statusKey: orderStatusKey(part.status), items: part.items.map(({ name, quantity }) => ({ name, quantity })) }))
        : [],
    parcels: parcels.map((parcel, index) => ({
      index: index + 1,
      trackingNumber: parcel.trackingNumber,
      statusKey: scanStatusKey(parcel.status),
      carrier: parcel.carrier?.name ?? null,
      carrierUrl: safeLink(parcel.trackingUrl),
      trackPage: `/track/${encodeURIComponent(parcel.trackingNumber)}`,
      estimate: parcel.estimatedDelivery ? formatDate(parcel.estimatedDelivery, locale, 'UTC') : null,
    })),
    // Promises and estimates are days, kept as UTC instants: read as UTC days wherever the customer is.
    promised: promise?.earliest && promise.latest ? formatDateRange(promise.earliest, promise.latest, locale, 'UTC') : null,
    estimate: latestEstimate ? formatDate(latestEstimate, locale, 'UTC') : null,
    timeZone,
  };
}
export type OrderPageView = ReturnType<typeof orderPageView>;

/**
 * The public tracking page: status, carrier and its link, each scan's time, place and status.
 * The carrier's free text is dropped: it can name who signed for the parcel.
 */
export function trackingPageView(tracking: PublicTrackingSource, locale: PageLocale) {
  const at = (iso: string) => formatDateTime(iso, locale, 'UTC');
  return {
    trackingNumber: tracking.trackingNumber,
    statusKey: scanStatusKey(tracking.status),
    carrier: tracking.carrier?.name ?? null,
    carrierUrl: safeLink(tracking.trackingUrl),
    estimate: tracking.estimatedDelivery ? formatDate(tracking.estimatedDelivery, locale, 'UTC') : null,
    lastUpdate: tracking.lastUpdate ? at(tracking.lastUpdate) : null,
    scans: [...tracking.events]
      .sort((a, b) => b.time.localeCompare(a.time))
      .map((event) => ({ time: at(event.time), datetime: event.time, place: event.location || null, statusKey: scanStatusKey(event.status) })),
  };
}
