import { z } from 'zod';
import { type DelayReason, type DeliveryPromise, SUPPLIERS, type SupplierSource } from '@platform/contracts';
import { FINISHED_STATUSES, type OrderStatus } from './order-status';

/*
 * The delivery promise (docs/delivery-promise.md): when an order should arrive, decided once when
 * it is placed from three things: the delivery type, how long each of its sources takes to hand
 * a parcel to the carrier (lead time), and how long the carrier takes to the destination
 * (transit, by zone). Pure: the caller gives the time and the configured lead times.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/** Where a source's parcels start from: a hub or supplier in the region, or one overseas (cross-border transit). */
export const originSchema = z.enum(['regional', 'overseas']);
export type Origin = z.infer<typeof originSchema>;

const sourceLeadSchema = z.object({
  /** Days from the order to the parcel reaching the carrier (picking, packing, the supplier's processing). */
  leadDays: z.number().int().min(0).max(60),
  origin: originSchema,
});

/** Lead time and origin of every source (own stock and each supplier): the `DELIVERY_SOURCES` setting. */
export const sourceLeadTimesSchema = z.strictObject(
  Object.fromEntries([...SUPPLIERS, 'own_stock'].map((source) => [source, sourceLeadSchema])) as Record<SupplierSource, typeof sourceLeadSchema>,
);
export type SourceLeadTimes = z.infer<typeof sourceLeadTimesSchema>;

/** The defaults: hub stock leaves the next day; AliExpress and CJ ship from China, Spocket from suppliers in the region. */
export const DEFAULT_SOURCE_LEAD_TIMES: SourceLeadTimes = {
  own_stock: { leadDays: 1, origin: 'regional' },
  aliexpress: { leadDays: 3, origin: 'overseas' },
  cj: { leadDays: 2, origin: 'overseas' },
  spocket: { leadDays: 2, origin: 'regional' },
};

/** Destination zones as seen from the platform's region (the hubs are in the EU). */
export type Zone = 'eu' | 'europe' | 'north_america' | 'world';

const EU = ['AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'ES', 'FI', 'FR', 'GR', 'HR', 'HU', 'IE', 'IT', 'LT', 'LU', 'LV', 'MT', 'NL', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK'];
const REST_OF_EUROPE = ['AD', 'AL', 'BA', 'CH', 'GB', 'IS', 'LI', 'MC', 'MD', 'ME', 'MK', 'NO', 'RS', 'SM', 'UA'];
const NORTH_AMERICA = ['CA', 'MX', 'US'];

export function zoneOf(country: string): Zone {
  if (EU.includes(country)) return 'eu';
  if (REST_OF_EUROPE.includes(country)) return 'europe';
  if (NORTH_AMERICA.includes(country)) return 'north_america';
  return 'world';
}

type DaySpan = { min: number; max: number };
type ShippedType = 'standard' | 'express';

/** Carrier transit days by origin, destination zone and service: the carriers' published ranges, calendar days. */
export const TRANSIT_DAYS: Readonly<Record<Origin, Record<Zone, Record<ShippedType, DaySpan>>>> = {
  regional: {
    eu: { standard: { min: 2, max: 5 }, express: { min: 1, max: 2 } },
    europe: { standard: { min: 4, max: 8 }, express: { min: 2, max: 3 } },
    north_america: { standard: { min: 7, max: 14 }, express: { min: 3, max: 5 } },
    world: { standard: { min: 10, max: 21 }, express: { min: 4, max: 7 } },
  },
  overseas: {
    eu: { standard: { min: 8, max: 15 }, express: { min: 4, max: 7 } },
    europe: { standard: { min: 10, max: 18 }, express: { min: 5, max: 8 } },
    north_america: { standard: { min: 8, max: 15 }, express: { min: 4, max: 7 } },
    world: { standard: { min: 12, max: 25 }, express: { min: 5, max: 10 } },
  },
};

export interface PromiseInput {
  deliveryType: DeliveryPromise['deliveryType'];
  /** The customer's window, for a scheduled delivery. */
  deliveryWindow: { start: string; end: string } | null;
  /** The sources of the order's items (own stock or a supplier). */
  sources: readonly SupplierSource[];
  /** Destination country, ISO 3166-1 alpha-2. */
  country: string;
  placedAt: Date;
}

/** How a promise was reached, for ops (not shown to customers: it names suppliers). */
export interface PromiseBasis {
  zone: Zone;
  /** The source whose parcel arrives last: it decides the promise. */
  slowestSource: SupplierSource | null;
  leadDays: number;
  transitDays: DaySpan | null;
}

const startOfDay = (time: number) => new Date(Math.floor(time / DAY_MS) * DAY_MS);
const endOfDay = (time: number) => new Date(Math.floor(time / DAY_MS) * DAY_MS + DAY_MS - 1);

/**
 * The promise for an order. A scheduled delivery promises the window the customer chose (the
 * ordering rules have checked it). Otherwise every source's parcel takes its lead time plus the
 * transit from its origin to the destination's zone by the delivery type; the order is complete
 * when the last parcel arrives, so the slowest source sets both ends: from the start of the day
 * `lead + min` days after placing to the end of the day `lead + max` days after (UTC days).
 */
export function promiseDelivery(input: PromiseInput, leadTimes: SourceLeadTimes): { promise: DeliveryPromise; basis: PromiseBasis } {
  const zone = zoneOf(input.country);
  if (input.deliveryType === 'scheduled') {
    if (!input.deliveryWindow) throw new Error('a scheduled delivery has a window (ordering rules)');
    return {
      promise: { deliveryType: 'scheduled', earliest: input.deliveryWindow.start, latest: input.deliveryWindow.end },
      basis: { zone, slowestSource: null, leadDays: 0, transitDays: null },
    };
  }
  const type = input.deliveryType;
  const legs = [...new Set(input.sources)].map((source) => {
    const { leadDays, origin } = leadTimes[source];
    const transit = TRANSIT_DAYS[origin][zone][type];
    return { source, leadDays, transit, earliest: leadDays + transit.min, latest: leadDays + transit.max };
  });
  if (legs.length === 0) throw new Error('an order has items, so at least one source');
  const slowest = legs.reduce((a, b) => (b.latest > a.latest || (b.latest === a.latest && b.earliest > a.earliest) ? b : a));
  const earliestDays = Math.max(...legs.map((leg) => leg.earliest));
  const placed = input.placedAt.getTime();
  return {
    promise: {
      deliveryType: type,
      earliest: startOfDay(placed + earliestDays * DAY_MS).toISOString(),
      latest: endOfDay(placed + slowest.latest * DAY_MS).toISOString(),
    },
    basis: { zone, slowestSource: slowest.source, leadDays: slowest.leadDays, transitDays: slowest.transit },
  };
}

/** True when the carrier expects the parcel after the promised window has closed. */
export function estimateBreaksPromise(estimatedDelivery: Date, promise: Pick<DeliveryPromise, 'latest'>): boolean {
  return estimatedDelivery.getTime() > Date.parse(promise.latest);
}

/** True once the promise's last moment is behind us. */
export function promisePassed(now: Date, promise: Pick<DeliveryPromise, 'latest'>): boolean {
  return now.getTime() > Date.parse(promise.latest);
}

/** When the promise's own deadline is checked (the `orders.promise-deadline` timer): just after its last moment. */
export function promiseDeadline(promise: Pick<DeliveryPromise, 'latest'>): Date {
  return new Date(Date.parse(promise.latest) + 1);
}

/**
 * Whether a move to `delayed` for this reason breaks the promise (flags it, and the customer hears
 * it is running late). A carrier's own "delayed" does only when its estimate (the order's, across
 * its parcels, this one's included) is past the promise, or, with no estimate, once the promise
 * has passed: a delay the promise absorbs is no news to the customer. The watchers' facts (an
 * estimate past the promise, a silence, the promise passing) and an operator's call always do.
 */
export function delayBreaksPromise(
  delay: { reason: DelayReason; estimatedDelivery: Date | null },
  promise: Pick<DeliveryPromise, 'latest'>,
  now: Date,
): boolean {
  if (delay.reason !== 'carrier_delay') return true;
  return delay.estimatedDelivery ? estimateBreaksPromise(delay.estimatedDelivery, promise) : promisePassed(now, promise);
}

/** What the carrier says of one parcel of the order. */
export interface ParcelFacts {
  estimatedDelivery: Date | null;
  /** When the carrier delivered it; null while it is on its way. */
  deliveredAt: Date | null;
}

/**
 * The order's estimated delivery: it is complete when its last parcel arrives, so the latest
 * estimate among the parcels still on their way (one that arrived no longer counts); null when
 * none of them has one.
 */
export function orderEstimate(parcels: readonly ParcelFacts[]): Date | null {
  const onTheWay = parcels.filter((parcel) => parcel.deliveredAt === null && parcel.estimatedDelivery !== null);
  if (onTheWay.length === 0) return null;
  return new Date(Math.max(...onTheWay.map((parcel) => parcel.estimatedDelivery!.getTime())));
}

/**
 * When the carrier delivered the whole order: its last parcel's delivery time, once every parcel
 * tracking told of was delivered; null while one is not (or none is known).
 */
export function carrierDeliveryTime(parcels: readonly ParcelFacts[]): Date | null {
  if (parcels.length === 0 || parcels.some((parcel) => parcel.deliveredAt === null)) return null;
  return new Date(Math.max(...parcels.map((parcel) => parcel.deliveredAt!.getTime())));
}

/**
 * Whether the promise's deadline passing flags an order in this status: one the customer paid for
 * and is waiting on. An unpaid order (`pending`) is waiting on the customer; a delivered, cancelled,
 * returned or refunded one on nobody.
 */
export function awaitsDelivery(status: OrderStatus): boolean {
  return status !== 'pending' && !FINISHED_STATUSES.includes(status);
}

/** Whether an order delivered at `deliveredAt` kept its promise (arriving early keeps it). */
export function promiseKept(deliveredAt: Date, promise: Pick<DeliveryPromise, 'latest'>): boolean {
  return deliveredAt.getTime() <= Date.parse(promise.latest);
}

/** What the order's history says when the promise keeper flags it late. */
export function delayDetails(
  fact:
    | { reason: 'late_estimate'; estimatedDelivery: Date }
    | { reason: 'no_scan'; silentForMs: number }
    | { reason: 'promise_passed'; estimatedDelivery: Date | null },
): string {
  switch (fact.reason) {
    case 'late_estimate':
      return `Running late: the carrier now expects ${day(fact.estimatedDelivery)}, after the promised date`;
    case 'no_scan':
      return `Running late: no carrier scan for ${Math.round(fact.silentForMs / 3_600_000)} h`;
    case 'promise_passed':
      return `Running late: the promised date passed before delivery${fact.estimatedDelivery ? ` (the carrier's last estimate: ${day(fact.estimatedDelivery)})` : ''}`;
  }
}

const day = (time: Date) => time.toISOString().slice(0, 10);
