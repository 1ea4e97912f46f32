import type { DelayReason, DeliveryPromise } from '@platform/contracts';
import { formatOrderNumber, type OrderPromise } from '@platform/contracts/api/orders';
import type { PromiseBasis } from '../domain/delivery-promise';
import { FINISHED_STATUSES } from '../domain/order-status';
import { Prisma } from '../generated/prisma/client';
import type { DeliveryParcel as ParcelRow, DeliveryPromise as PromiseRow } from '../generated/prisma/client';
import type { Database, Transaction } from './database';

type Client = Database | Transaction;

export type { ParcelRow, PromiseRow };

export function toOrderPromise(row: PromiseRow): OrderPromise {
  return {
    deliveryType: row.deliveryType as DeliveryPromise['deliveryType'],
    earliest: row.earliest.toISOString(),
    latest: row.latest.toISOString(),
    estimatedDelivery: row.estimatedDelivery?.toISOString() ?? null,
    delayedAt: row.delayedAt?.toISOString() ?? null,
    delayReason: row.delayReason as DelayReason | null,
    promiseMet: row.promiseMet,
  };
}

/**
 * The INSERT of a new order's promise, for `insertOrder` to run in the order's own statement: a
 * round trip fewer for every new order (issue 9).
 */
export function promiseInsert(orderId: string, promise: DeliveryPromise, basis: PromiseBasis, now: Date): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO delivery_promises (order_id, delivery_type, earliest, latest, basis, created_at, updated_at)
    VALUES (${orderId}::uuid, ${promise.deliveryType}, ${new Date(promise.earliest)}::timestamptz, ${new Date(promise.latest)}::timestamptz,
            ${JSON.stringify(basis)}::jsonb, ${now}::timestamptz, ${now}::timestamptz)`;
}

/** Replaces the promise of an order whose destination or contents changed; the flags stay. */
export async function replacePromise(tx: Transaction, orderId: string, promise: DeliveryPromise, basis: PromiseBasis, now: Date): Promise<void> {
  await tx.deliveryPromise.update({
    where: { orderId },
    data: { deliveryType: promise.deliveryType, earliest: new Date(promise.earliest), latest: new Date(promise.latest), basis: basis as object, updatedAt: now },
  });
}

export function findPromise(db: Client, orderId: string): Promise<PromiseRow | null> {
  return db.deliveryPromise.findUnique({ where: { orderId } });
}

/**
 * A parcel's carrier facts: its newest estimate, and once known when the carrier delivered it
 * (kept: a late estimate does not bring a delivered parcel back). Callers hold the order's row
 * lock (`lockOrder`), so the parcels they then read are current.
 */
export async function recordParcel(
  tx: Transaction,
  orderId: string,
  shipmentId: string,
  facts: { estimatedDelivery?: Date | undefined; deliveredAt?: Date | undefined },
  now: Date,
): Promise<void> {
  await tx.deliveryParcel.upsert({
    where: { orderId_shipmentId: { orderId, shipmentId } },
    create: { orderId, shipmentId, estimatedDelivery: facts.estimatedDelivery ?? null, deliveredAt: facts.deliveredAt ?? null, updatedAt: now },
    update: {
      ...(facts.estimatedDelivery && { estimatedDelivery: facts.estimatedDelivery }),
      ...(facts.deliveredAt && { deliveredAt: facts.deliveredAt }),
      updatedAt: now,
    },
  });
}

export function listParcels(db: Client, orderId: string): Promise<ParcelRow[]> {
  return db.deliveryParcel.findMany({ where: { orderId }, orderBy: { shipmentId: 'asc' } });
}

/** The order's estimate (worked out from its parcels); the row as updated. */
export function setEstimate(tx: Transaction, orderId: string, estimatedDelivery: Date | null, now: Date): Promise<PromiseRow> {
  return tx.deliveryPromise.update({ where: { orderId }, data: { estimatedDelivery, updatedAt: now } });
}

/** Flags the order late unless it already was: the row as flagged, or null (already flagged, or no promise). */
export async function flagPromiseLate(tx: Transaction, orderId: string, reason: DelayReason, now: Date): Promise<PromiseRow | null> {
  const { count } = await tx.deliveryPromise.updateMany({
    where: { orderId, delayedAt: null },
    data: { delayedAt: now, delayReason: reason, updatedAt: now },
  });
  return count === 1 ? findPromise(tx, orderId) : null;
}

/**
 * Records whether the promise was met, once (a later `delivered` after a return changes nothing: false);
 * `carrierDeliveredAt`: the carrier's delivery time it was judged on, null for orders' own clock.
 */
export async function settlePromise(tx: Transaction, orderId: string, settled: { promiseMet: boolean; carrierDeliveredAt: Date | null }, now: Date): Promise<boolean> {
  const { count } = await tx.deliveryPromise.updateMany({ where: { orderId, promiseMet: null }, data: { ...settled, updatedAt: now } });
  return count > 0;
}

/** Judges again, on the carrier's delivery time, a promise settled on orders' own clock (the carrier's word came later). */
export async function resettleOnCarrierTime(tx: Transaction, orderId: string, settled: { promiseMet: boolean; carrierDeliveredAt: Date }, now: Date): Promise<void> {
  await tx.deliveryPromise.updateMany({ where: { orderId, promiseMet: { not: null }, carrierDeliveredAt: null }, data: { ...settled, updatedAt: now } });
}

export interface DelayedOrderRow {
  promise: PromiseRow;
  number: string;
  status: string;
  customerId: string;
  tracking: { number: string; carrier: string | null } | null;
}

/** Orders flagged late and still on their way, longest late first, keyset-paginated on (delayed_at, order_id). */
export async function listDelayed(db: Client, filter: { after?: { delayedAt: Date; orderId: string } | undefined; limit: number }): Promise<DelayedOrderRow[]> {
  const rows = await db.deliveryPromise.findMany({
    where: {
      delayedAt: { not: null },
      order: { status: { notIn: [...FINISHED_STATUSES] } },
      ...(filter.after && {
        OR: [{ delayedAt: { gt: filter.after.delayedAt } }, { delayedAt: filter.after.delayedAt, orderId: { gt: filter.after.orderId } }],
      }),
    },
    include: { order: { select: { number: true, status: true, customerId: true, trackingNumber: true, trackingCarrier: true } } },
    orderBy: [{ delayedAt: 'asc' }, { orderId: 'asc' }],
    take: filter.limit,
  });
  return rows.map(({ order, ...promise }) => ({
    promise,
    number: formatOrderNumber(order.number),
    status: order.status,
    customerId: order.customerId,
    tracking: order.trackingNumber ? { number: order.trackingNumber, carrier: order.trackingCarrier } : null,
  }));
}
