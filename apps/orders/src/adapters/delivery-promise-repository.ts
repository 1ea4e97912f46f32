import type { DelayReason, DeliveryPromise } from '@platform/contracts';
import type { OrderPromise } from '@platform/contracts/api/orders';
import type { PromiseBasis } from '../domain/delivery-promise';
import { formatOrderNumber } from '../domain/order-number';
import { FINISHED_STATUSES } from '../domain/order-status';
import type { DeliveryPromise as PromiseRow } from '../generated/prisma/client';
import type { Database, Transaction } from './database';

type Client = Database | Transaction;

export type { PromiseRow };

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

export async function insertPromise(tx: Transaction, orderId: string, promise: DeliveryPromise, basis: PromiseBasis, now: Date): Promise<void> {
  await tx.deliveryPromise.create({
    data: {
      orderId,
      deliveryType: promise.deliveryType,
      earliest: new Date(promise.earliest),
      latest: new Date(promise.latest),
      basis: basis as object,
      createdAt: now,
      updatedAt: now,
    },
  });
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

export async function recordEstimate(tx: Transaction, orderId: string, estimatedDelivery: Date, now: Date): Promise<void> {
  await tx.deliveryPromise.updateMany({ where: { orderId }, data: { estimatedDelivery, updatedAt: now } });
}

/** Flags the order late unless it already was: the row as flagged, or null (already flagged, or no promise). */
export async function flagPromiseLate(
  tx: Transaction,
  orderId: string,
  delay: { reason: DelayReason; estimatedDelivery: Date | null },
  now: Date,
): Promise<PromiseRow | null> {
  const { count } = await tx.deliveryPromise.updateMany({
    where: { orderId, delayedAt: null },
    data: { delayedAt: now, delayReason: delay.reason, ...(delay.estimatedDelivery && { estimatedDelivery: delay.estimatedDelivery }), updatedAt: now },
  });
  return count === 1 ? findPromise(tx, orderId) : null;
}

/** Records whether the promise was met, once (a later `delivered` after a return changes nothing). */
export async function settlePromise(tx: Transaction, orderId: string, met: (latest: Date) => boolean, now: Date): Promise<void> {
  const row = await findPromise(tx, orderId);
  if (!row || row.promiseMet !== null) return;
  await tx.deliveryPromise.update({ where: { orderId }, data: { promiseMet: met(row.latest), updatedAt: now } });
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
