import { createHash } from 'node:crypto';
import type { DeliveryPromise, EventData, itemsBackordered, itemsCancelled, itemsSubstituted, Parcel, progressChanged, returnChanged, UnitCounts } from '@platform/contracts';
import { dateTimeFormat } from './date-format';
import { formatEstimate, formatPromise } from './delivery-promise-view';
import { type ContextItem, type StoreIdentity, trackingUrlOf } from './message-view';
import { formatMoney } from './money';
import type { NoticeKind } from './notification-plan';
import { carrierName } from './places';

/*
 * Notices about part of an order: a parcel of several, items that will not come, come later or
 * come as an equivalent (docs/requirements.md#ntf-01-parcel-and-item-notices); and the notices
 * about a whole order that are no status of it (running late, a bulk send's apology).
 */

type Progress = EventData<typeof progressChanged>;
type CancelledItem = EventData<typeof itemsCancelled>['items'][number];
type BackorderedItem = EventData<typeof itemsBackordered>['items'][number];
type SubstitutedItem = EventData<typeof itemsSubstituted>['items'][number];
type Return = EventData<typeof returnChanged>;

/** The return steps the customer is told of as the return moves (the refund is told from billing's refund, with its amount). */
const RETURN_STEP_NOTICES = {
  requested: 'return_requested',
  approved: 'return_approved',
  refused: 'return_refused',
  received: 'return_received',
} as const satisfies Partial<Record<Return['status'], NoticeKind>>;
type ReturnStepKind = (typeof RETURN_STEP_NOTICES)[keyof typeof RETURN_STEP_NOTICES];

export type Notice =
  | { kind: 'parcel_shipped' | 'parcel_delivered'; parcel: Parcel; count: number }
  | { kind: 'items_cancelled'; cancellationId: string; items: CancelledItem[] }
  | { kind: 'items_backordered'; items: BackorderedItem[] }
  | { kind: 'items_substituted'; items: SubstitutedItem[] }
  | { kind: 'running_late'; promise: DeliveryPromise | null; estimatedDelivery: string | null; trackingNumber: string | null }
  | { kind: 'delay_apology'; campaignId: string; promise: DeliveryPromise | null }
  | { kind: ReturnStepKind; rma: Pick<Return, 'returnId' | 'number' | 'items' | 'label' | 'refusalReason'> }
  | { kind: 'return_refunded'; returnId: string; amount: number };

/**
 * The notice a return's step calls for, or null: in transit (the carrier's tracking tells it),
 * inspected (the refund follows and is told with its amount) and refunded (told already, from
 * billing's `billing.refund.succeeded`) are not told again.
 */
export function returnNotice(rma: Return): Notice | null {
  if (!Object.hasOwn(RETURN_STEP_NOTICES, rma.status)) return null;
  return { kind: RETURN_STEP_NOTICES[rma.status as keyof typeof RETURN_STEP_NOTICES], rma };
}

/** How many parcels the order takes, as a progress report says. */
export function parcelCount(parcels: readonly Parcel[]): number {
  return parcels.reduce((count, parcel) => Math.max(count, parcel.of), parcels.length);
}

/** An order of several parcels hears of its shipping parcel by parcel: the order-level `shipped` notice would repeat one of them. */
export function shippingAnnouncedPerParcel(parcels: number | null): boolean {
  return parcels !== null && parcels > 1;
}

/** Every unit is delivered, returned or cancelled: the order is delivered, and the order-level notice says so. */
function everyUnitSettled(units: UnitCounts): boolean {
  return units.delivered + units.returned + units.cancelled >= units.ordered;
}

/**
 * The parcel notice a progress report calls for, or null. An order of one parcel keeps the
 * order-level `shipped` and `delivered` notices alone. Of several parcels, each gets its own
 * "shipped" and "delivered" notice, except: the delivery that completes the order (the
 * order-level `delivered` notice announces it), and parcel 1's shipping when the order-level
 * `shipped` notice already went out (it arrived before fulfillment's report and announced the
 * first parcel).
 */
export function parcelNotice(progress: Progress, orderShippedAnnounced: boolean): Notice | null {
  const { kind, shipmentId } = progress.cause;
  if (kind !== 'parcel_shipped' && kind !== 'parcel_delivered') return null;
  const parcel = progress.parcels.find((candidate) => candidate.shipmentId === shipmentId);
  const count = parcelCount(progress.parcels);
  if (!parcel || count <= 1) return null;
  if (kind === 'parcel_shipped' && parcel.number === 1 && orderShippedAnnounced) return null;
  if (kind === 'parcel_delivered' && everyUnitSettled(progress.units)) return null;
  return { kind, parcel, count };
}

/** The same items again are the same news; another item, quantity or date is new news. */
function digest(lines: ReadonlyArray<ReadonlyArray<string | number | null>>): string {
  const canonical = JSON.stringify(lines.map((line) => JSON.stringify(line)).sort());
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/**
 * What makes a notice one (the `notice` column: one notification per order, notice and
 * channel). A parcel by its shipment, a cancellation by its id; back orders and substitutions
 * carry no id, so by what they say. Running late is told once per order, whatever the estimate.
 */
export function noticeKey(notice: Notice): string {
  switch (notice.kind) {
    case 'parcel_shipped':
    case 'parcel_delivered':
      return `${notice.kind}:${notice.parcel.shipmentId}`;
    case 'items_cancelled':
      return `${notice.kind}:${notice.cancellationId}`;
    case 'items_backordered':
      return `${notice.kind}:${digest(notice.items.map((i) => [i.sku, i.vendorId, i.quantity, i.expectedAt]))}`;
    case 'items_substituted':
      return `${notice.kind}:${digest(notice.items.map((i) => [i.sku, i.substituteSku, i.vendorId, i.quantity]))}`;
    case 'running_late':
      return notice.kind;
    case 'delay_apology':
      // One per campaign and order; the campaign's own key stops a second one per customer.
      return `${notice.kind}:${notice.campaignId}`;
    case 'return_refunded':
      return `${notice.kind}:${notice.returnId}`;
    default:
      // One notice per return and step.
      return `${notice.kind}:${notice.rma.returnId}`;
  }
}

/** The order line a fulfillment item (by SKU, and vendor and variant when known) is. */
function lineOf(items: readonly ContextItem[], ref: { sku: string; vendorId?: string; variantId?: string }): ContextItem | undefined {
  const exact = items.find((item) => item.sku === ref.sku && item.vendorId === ref.vendorId && (ref.variantId === undefined || item.variantId === ref.variantId));
  return exact ?? items.find((item) => item.sku === ref.sku);
}

/** What the cancelled units cost the customer (unit price as sold × quantity), or null when a line is unknown. */
export function refundOf(items: readonly ContextItem[], cancelled: readonly CancelledItem[]): number | null {
  let total = 0;
  for (const unit of cancelled) {
    const price = lineOf(items, unit)?.unitPrice;
    if (price === undefined) return null;
    total += price * unit.quantity;
  }
  return total;
}

/** An estimate is news only when it is past the promise: a silent parcel's old estimate is not repeated as new. */
function laterThanPromised(notice: { promise: DeliveryPromise | null; estimatedDelivery: string | null }): boolean {
  if (!notice.estimatedDelivery) return false;
  return !notice.promise || Date.parse(notice.estimatedDelivery) > Date.parse(notice.promise.latest);
}

/** The order as notices show it (the read model). */
export interface NoticeOrder {
  number: string;
  customerName: string;
  currency: string;
  items: ContextItem[];
}

/** Whom it is for: their language and time zone (dates are shown on their calendar). */
export interface Audience {
  locale: string;
  timezone: string;
}

/**
 * The view a notice's templates render (strict mode: every key present, null when unknown).
 * `status` is the notice kind: the SMS and push texts are keyed by it (`body.parcel_shipped`).
 */
export function noticeView(notice: Notice, order: NoticeOrder, audience: Audience, store: StoreIdentity) {
  const line = (ref: { sku: string; vendorId: string; quantity: number }) => {
    // Every line fulfillment reports was ordered: its SKU stands in only on a read model too old to name it.
    const known = lineOf(order.items, ref);
    return { name: known?.name ?? ref.sku, quantity: ref.quantity, image: known?.imageUrl ?? null };
  };
  const base = {
    storeName: store.storeName,
    supportEmail: store.supportEmail,
    locale: audience.locale,
    status: notice.kind satisfies NoticeKind,
    customerName: order.customerName,
    orderNumber: order.number,
  };
  switch (notice.kind) {
    case 'parcel_shipped':
    case 'parcel_delivered': {
      const { parcel } = notice;
      return {
        ...base,
        parcelNumber: parcel.number,
        parcelCount: notice.count,
        trackingNumber: parcel.trackingNumber,
        carrier: carrierName(parcel.carrier, parcel.trackingNumber),
        trackingUrl: parcel.trackingNumber ? trackingUrlOf(store, parcel.trackingNumber) : null,
        items: parcel.items.map(line),
      };
    }
    case 'items_cancelled': {
      const refund = refundOf(order.items, notice.items);
      return { ...base, items: notice.items.map(line), refund: refund === null ? null : formatMoney(refund, order.currency, audience.locale) };
    }
    case 'items_backordered': {
      const date = dateTimeFormat(audience.locale, { dateStyle: 'long', timeZone: audience.timezone });
      return { ...base, items: notice.items.map((item) => ({ ...line(item), expected: item.expectedAt ? date.format(new Date(item.expectedAt)) : null })) };
    }
    case 'items_substituted':
      // The substitute is named when the order has it (orders swapped the line); else it is "an equivalent item": its SKU is ours, not the customer's.
      return {
        ...base,
        items: notice.items.map((item) => ({
          ...line(item),
          substitute: lineOf(order.items, { sku: item.substituteSku, vendorId: item.vendorId })?.name ?? null,
        })),
      };
    case 'running_late':
      return {
        ...base,
        promised: notice.promise ? formatPromise(notice.promise, audience) : null,
        newEstimate: laterThanPromised(notice) ? formatEstimate(notice.estimatedDelivery!, audience) : null,
        trackingUrl: notice.trackingNumber ? trackingUrlOf(store, notice.trackingNumber) : null,
      };
    case 'delay_apology':
      return { ...base, promised: notice.promise ? formatPromise(notice.promise, audience) : null };
    case 'return_refunded':
      return { ...base, ...returnView(null), refund: formatMoney(notice.amount, order.currency, audience.locale) };
    default:
      return { ...base, ...returnView(notice.rma) };
  }

  /** Every return notice has the same keys (strict rendering): what a step does not know is null. */
  function returnView(rma: Extract<Notice, { rma: unknown }>['rma'] | null) {
    const label = rma?.label ?? null;
    return {
      returnNumber: rma?.number ?? null,
      items: rma?.items.map(line) ?? [],
      trackingNumber: label?.trackingNumber ?? null,
      carrier: label ? carrierName(label.carrier, label.trackingNumber) : null,
      labelUrl: label?.labelUrl ?? null,
      refusalReason: rma?.refusalReason ?? null,
      refund: null as string | null,
    };
  }
}
