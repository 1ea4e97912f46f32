import { DomainError } from '@platform/contracts/errors';
import type { TemplateRenderer } from '../adapters/template-renderer';
import { type ContextItem, messageView, type OrderContextView, type StoreIdentity } from '../domain/message-view';
import type { OrderContext } from '../generated/prisma/client';
import { type EmailTemplate, type NoticeKind, noticeKindOf, NOTIFIED_STATUSES, planFor, type StatusTemplate } from '../domain/notification-plan';
import { type Notice, noticeView } from '../domain/notices';
import type { OrderLinks } from './order-links';

/** The sample order's id: previews link to it, and test sends without an order are filed under it. */
export const SAMPLE_ORDER_ID = '00000000-0000-4000-8000-000000000000';

/** The status each order-status template shows when the preview names none. */
const SAMPLE_STATUS: Record<StatusTemplate, string> = {
  'order-confirmation': 'confirmed',
  'order-shipped': 'shipped',
  'order-delivered': 'delivered',
  'order-issue': 'exception',
  'order-status-update': 'processing',
};

const SAMPLE_ITEMS: ContextItem[] = [
  { name: 'Blue mug', quantity: 2, lineTotal: 2500, imageUrl: null, sku: 'MUG-BLUE', variantId: 'mug-blue', vendorId: 'acme', unitPrice: 1250 },
  { name: 'Earl Grey', quantity: 1, lineTotal: 899, imageUrl: null, sku: 'TEA-EG', variantId: 'tea-eg', vendorId: 'leafy', unitPrice: 899 },
];

/** A made-up order every template can render; `data` in the request overrides any of its values. */
export function sampleView(locale: string, status: string, store: StoreIdentity) {
  return messageView(
    {
      orderId: SAMPLE_ORDER_ID,
      number: 'ORD-000123',
      status,
      actor: 'fulfillment',
      customerName: 'Ana García',
      total: 3399,
      currency: 'EUR',
      tracking: { number: 'RR123456785CN', carrier: 'china-post' },
    },
    {
      items: SAMPLE_ITEMS,
      totals: { subtotal: 3399, shipping: 0, total: 3399 },
      shippingAddress: { name: 'Ana García', line1: 'Calle Mayor 1', city: 'Madrid', postalCode: '28001', country: 'ES' },
      orderCreatedAt: '2026-11-22T10:00:00.000Z',
    },
    locale,
    store,
  );
}

const sampleParcel = (status: 'in_transit' | 'delivered') => ({
  shipmentId: '00000000-0000-4000-8000-000000000001',
  number: 1,
  of: 2,
  source: 'own_stock' as const,
  status,
  trackingNumber: 'RR123456785CN',
  carrier: 'China Post',
  items: [{ sku: 'MUG-BLUE', vendorId: 'acme', quantity: 2 }],
  shippedAt: '2026-11-24T10:00:00.000Z',
  deliveredAt: status === 'delivered' ? '2026-11-27T10:00:00.000Z' : null,
});

/** A made-up notice of each kind about the sample order. */
const SAMPLE_NOTICE: Record<NoticeKind, Notice> = {
  parcel_shipped: { kind: 'parcel_shipped', parcel: sampleParcel('in_transit'), count: 2 },
  parcel_delivered: { kind: 'parcel_delivered', parcel: sampleParcel('delivered'), count: 2 },
  items_cancelled: {
    kind: 'items_cancelled',
    cancellationId: '00000000-0000-4000-8000-000000000002',
    items: [{ sku: 'TEA-EG', variantId: 'tea-eg', vendorId: 'leafy', quantity: 1 }],
  },
  items_backordered: { kind: 'items_backordered', items: [{ sku: 'TEA-EG', vendorId: 'leafy', quantity: 1, expectedAt: '2026-12-15T09:00:00.000Z' }] },
  items_substituted: { kind: 'items_substituted', items: [{ sku: 'TEA-EG', substituteSku: 'TEA-EG-LOOSE', vendorId: 'leafy', quantity: 1 }] },
  running_late: {
    kind: 'running_late',
    promise: { deliveryType: 'standard', earliest: '2026-11-25T00:00:00.000Z', latest: '2026-11-28T23:59:59.999Z' },
    estimatedDelivery: '2026-12-02T00:00:00.000Z',
    trackingNumber: 'RR123456785CN',
  },
  delay_apology: {
    kind: 'delay_apology',
    campaignId: '00000000-0000-4000-8000-000000000003',
    promise: { deliveryType: 'standard', earliest: '2026-11-25T00:00:00.000Z', latest: '2026-11-28T23:59:59.999Z' },
  },
  ...returnSamples(),
};

/** A return of the sample tea, approved with its label (the refusal's reason is what ops would write). */
export function returnSamples(): Pick<Record<NoticeKind, Notice>, `return_${string}` & NoticeKind> {
  const rma = {
    returnId: '00000000-0000-4000-8000-000000000003',
    number: 'RMA-000123',
    items: [{ sku: 'TEA-EG', variantId: 'tea-eg', vendorId: 'leafy', quantity: 1, condition: null, restockingFeeBps: null }],
    label: { carrier: 'dhl', trackingNumber: 'JD014600006281234567', labelUrl: 'https://labels.example/RMA-000123.pdf' },
    refusalReason: 'The seal was broken',
  };
  return {
    return_requested: { kind: 'return_requested', rma: { ...rma, label: null, refusalReason: null } },
    return_approved: { kind: 'return_approved', rma: { ...rma, refusalReason: null } },
    return_refused: { kind: 'return_refused', rma: { ...rma, label: null } },
    return_received: { kind: 'return_received', rma: { ...rma, refusalReason: null } },
    return_refunded: { kind: 'return_refunded', returnId: rma.returnId, amount: 850 },
  };
}

export interface PreviewDeps {
  renderer: TemplateRenderer;
  store: StoreIdentity;
  links: OrderLinks;
}

/** The order a preview shows: the sample, or a real order as this service's read model keeps it. */
export type PreviewOrder = Pick<OrderContext, 'orderId' | 'number' | 'currency' | 'items' | 'totals' | 'shippingAddress' | 'customer' | 'orderCreatedAt'>;

/**
 * The view a preview renders `name` with, in `locale`: the sample order's, or a real order's
 * (its items, totals, address and customer; a notice about part of it shows the sample part).
 * `status` picks an order-status template's wording and must be one the template is used for;
 * the templates about part of an order take none.
 */
export function previewView(
  { store, links }: Omit<PreviewDeps, 'renderer'>,
  name: EmailTemplate,
  input: { locale: string; status?: string },
  order: PreviewOrder | null,
  now: Date,
): Record<string, unknown> {
  const kind = noticeKindOf(name);
  if (kind && input.status) {
    throw new DomainError('unprocessable', 'STATUS_NOT_FOR_TEMPLATE', `Template ${name} is about part of an order and takes no status`, [
      { pointer: '/status', detail: 'must be absent for this template' },
    ]);
  }
  const status = kind ?? input.status ?? SAMPLE_STATUS[name as StatusTemplate];
  if (!kind && input.status && planFor(status)?.template !== name) {
    const fitting = NOTIFIED_STATUSES.filter((s) => planFor(s)?.template === name);
    throw new DomainError('unprocessable', 'STATUS_NOT_FOR_TEMPLATE', `Template ${name} is used for ${fitting.join(', ')}, not ${status}`, [
      { pointer: '/status', detail: `must be one of ${fitting.join(', ')}` },
    ]);
  }
  const orderUrl = links.orderPage(order?.orderId ?? SAMPLE_ORDER_ID, now);
  if (!order) {
    const sample = kind
      ? noticeView(SAMPLE_NOTICE[kind], { number: 'ORD-000123', customerName: 'Ana García', currency: 'EUR', items: SAMPLE_ITEMS }, { locale: input.locale, timezone: 'Europe/Madrid' }, store)
      : sampleView(input.locale, status, store);
    return { ...sample, orderUrl, status };
  }
  const customer = order.customer as { name: string; timezone?: string };
  const items = order.items as unknown as ContextItem[];
  const totals = order.totals as OrderContextView['totals'];
  const view = kind
    ? noticeView(SAMPLE_NOTICE[kind], { number: order.number, customerName: customer.name, currency: order.currency, items }, { locale: input.locale, timezone: customer.timezone ?? 'UTC' }, store)
    : messageView(
        { orderId: order.orderId, number: order.number, status, actor: 'orders', customerName: customer.name, total: totals.total, currency: order.currency, tracking: null },
        { items, totals, shippingAddress: order.shippingAddress as OrderContextView['shippingAddress'], orderCreatedAt: order.orderCreatedAt.toISOString() },
        input.locale,
        store,
      );
  return { ...view, orderUrl, status };
}

/** `POST /templates/:name/preview`: the built-in files with the sample order; `data` overrides any of its values. */
export function previewTemplate(deps: PreviewDeps, name: EmailTemplate, input: { locale: string; status?: string; data?: Record<string, unknown> }, now: Date) {
  const view = previewView(deps, name, input, null, now);
  try {
    return deps.renderer.render(name, input.locale, { ...view, ...input.data, status: view.status });
  } catch (error) {
    throw new DomainError('unprocessable', 'TEMPLATE_RENDER_FAILED', (error as Error).message);
  }
}

/** The views a stored template must render for before it is saved: the sample order under every status the template is used for. */
export function validationViews(deps: Omit<PreviewDeps, 'renderer'>, name: EmailTemplate, locale: string, now: Date): Array<Record<string, unknown>> {
  if (noticeKindOf(name)) return [previewView(deps, name, { locale }, null, now)];
  return NOTIFIED_STATUSES.filter((status) => planFor(status)?.template === name).map((status) => previewView(deps, name, { locale, status }, null, now));
}
