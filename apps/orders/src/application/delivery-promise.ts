import { newEvent } from '@platform/runtime/outbox';
import { cancelTimer, scheduleTimer } from '@platform/runtime/timers';
import { type DelayReason, type DeliveryPromise, type Envelope, orderDelayed, orderPromised } from '@platform/contracts';
import { timers } from '@platform/contracts/timers';
import type { Order } from '@platform/contracts/api/orders';
import type { BusinessMetrics } from '../adapters/business-metrics';
import type { Transaction } from '../adapters/database';
import type { Prisma } from '../generated/prisma/client';
import {
  findPromise,
  flagPromiseLate,
  listParcels,
  type PromiseRow,
  promiseInsert,
  replacePromise,
  resettleOnCarrierTime,
  settlePromise,
} from '../adapters/delivery-promise-repository';
import { carrierDeliveryTime, delayBreaksPromise, promiseDeadline, promiseDelivery, promiseKept, type SourceLeadTimes } from '../domain/delivery-promise';
import { SERVICE } from './dependencies';

/*
 * The order's delivery promise (docs/delivery-promise.md): made with the order (with the timer
 * that checks its deadline), flagged once when the order is first late, settled when it is
 * delivered. Each is written in the transaction of the change that causes it, with its event.
 */

/** Fires just after the promise's last moment: `promise-watch.ts` flags an order still not delivered. */
export const PROMISE_DEADLINE_TIMER = timers.orders.promiseDeadline.kind;

function watchDeadline(tx: Transaction, orderId: string, promise: DeliveryPromise): Promise<void> {
  return scheduleTimer(tx, { kind: PROMISE_DEADLINE_TIMER, key: orderId, fireAt: promiseDeadline(promise) });
}

/** A delay as the status change to `delayed` learnt it. */
export interface DelayFact {
  reason: DelayReason;
  estimatedDelivery: Date | null;
}

/** What an order's promise depends on. */
type PromisedOrder = Pick<Order, 'deliveryType' | 'deliveryWindow' | 'shippingAddress'> & { items: ReadonlyArray<Pick<Order['items'][number], 'supplierSource'>> };

function promiseOf(order: PromisedOrder, leadTimes: SourceLeadTimes, placedAt: Date) {
  return promiseDelivery(
    {
      deliveryType: order.deliveryType,
      deliveryWindow: order.deliveryWindow,
      sources: order.items.map((item) => item.supplierSource),
      country: order.shippingAddress.country,
      placedAt,
    },
    leadTimes,
  );
}

function promisedEvent(order: Order, promise: DeliveryPromise, now: Date): Envelope {
  return newEvent(orderPromised, {
    aggregateId: order.id,
    source: SERVICE,
    occurredAt: now,
    data: { orderId: order.id, number: order.number, promise, promisedAt: now.toISOString() },
  });
}

/** The promise of a new order, with the INSERT that `insertOrder` writes with the order. */
export function promiseNewOrder(orderId: string, order: PromisedOrder, leadTimes: SourceLeadTimes, now: Date): { promise: DeliveryPromise; insert: Prisma.Sql } {
  const { promise, basis } = promiseOf(order, leadTimes, now);
  return { promise, insert: promiseInsert(orderId, promise, basis, now) };
}

/** The new order is written: the timer that watches its promise, and its `orders.order.promised` for the caller to record after `orders.order.created`. */
export async function watchNewPromise(tx: Transaction, order: Order, promise: DeliveryPromise, now: Date): Promise<Envelope> {
  await watchDeadline(tx, order.id, promise);
  return promisedEvent(order, promise, now);
}

/**
 * A modification changed the address or the items: the promise is worked out again from the
 * time the order was placed (a change does not buy more time). Its event only when it moved.
 */
export async function remakePromise(tx: Transaction, order: Order, leadTimes: SourceLeadTimes, now: Date): Promise<Envelope | null> {
  const current = await findPromise(tx, order.id);
  if (!current) return null;
  const { promise, basis } = promiseOf(order, leadTimes, new Date(order.createdAt));
  if (Date.parse(promise.earliest) === current.earliest.getTime() && Date.parse(promise.latest) === current.latest.getTime()) return null;
  await replacePromise(tx, order.id, promise, basis, now);
  await watchDeadline(tx, order.id, promise);
  return promisedEvent(order, promise, now);
}

const asPromise = (row: PromiseRow): Pick<DeliveryPromise, 'latest'> => ({ latest: row.latest.toISOString() });

/** The later of two estimates, either possibly unknown. */
function later(a: Date | null, b: Date | null): Date | null {
  if (!a || !b) return a ?? b;
  return a.getTime() >= b.getTime() ? a : b;
}

/**
 * The order is late (it has just become `delayed`, or a watcher found the promise broken while
 * its status could not or need not move): the first time the delay breaks the promise
 * (`delayBreaksPromise`: a carrier's "delayed" the promise absorbs does not), the promise is
 * flagged and `orders.order.delayed` recorded (the customer's one "running late" notice); later
 * delays change nothing. An order placed before promises were made has no flag to keep: it is
 * told each time, and notifications' one notice per order and notice keeps the customer's to one.
 */
export async function flagDelayed(tx: Transaction, order: Order, delay: DelayFact, now: Date): Promise<Envelope | null> {
  const current = await findPromise(tx, order.id);
  if (current) {
    if (current.delayedAt) return null;
    // The order's estimate across its parcels, and the one this delay came with.
    const estimatedDelivery = later(current.estimatedDelivery, delay.estimatedDelivery);
    if (!delayBreaksPromise({ reason: delay.reason, estimatedDelivery }, asPromise(current), now)) return null;
  }
  const flagged = current && (await flagPromiseLate(tx, order.id, delay.reason, now));
  if (current && !flagged) return null;
  return newEvent(orderDelayed, {
    aggregateId: order.id,
    source: SERVICE,
    occurredAt: now,
    data: {
      orderId: order.id,
      number: order.number,
      reason: delay.reason,
      promise: flagged ? { deliveryType: flagged.deliveryType as DeliveryPromise['deliveryType'], earliest: flagged.earliest.toISOString(), latest: flagged.latest.toISOString() } : null,
      estimatedDelivery: (later(flagged?.estimatedDelivery ?? null, delay.estimatedDelivery))?.toISOString() ?? null,
      tracking: order.tracking ?? null,
      customer: order.customer,
      flaggedAt: now.toISOString(),
    },
  });
}

/**
 * The order has just become `delivered`: whether the promise was met, judged on when the carrier
 * delivered it (its last parcel's delivery scan, kept from tracking's `delivered` status), or,
 * while tracking has not told of every parcel's delivery, on now (orders learning of it).
 * Its deadline no longer needs watching. Counted in the business metrics when settled here (the
 * first time): a later judgement on the carrier's time corrects the record, not the count.
 */
export async function settleDelivered(tx: Transaction, metrics: BusinessMetrics, orderId: string, now: Date): Promise<void> {
  const promise = await findPromise(tx, orderId);
  if (!promise) return;
  const carrierDeliveredAt = carrierDeliveryTime(await listParcels(tx, orderId));
  const promiseMet = promiseKept(carrierDeliveredAt ?? now, asPromise(promise));
  if (await settlePromise(tx, orderId, { promiseMet, carrierDeliveredAt }, now)) metrics.promiseSettled(tx, promiseMet);
  await cancelTimer(tx, PROMISE_DEADLINE_TIMER, orderId);
}

/**
 * Tracking told of a parcel's delivery after the order was settled on orders' own clock (the
 * streams are read apart): once every parcel's delivery time is known, the promise is judged again on it.
 */
export async function settleOnCarrierTime(tx: Transaction, promise: PromiseRow, now: Date): Promise<void> {
  if (promise.promiseMet === null || promise.carrierDeliveredAt) return;
  const carrierDeliveredAt = carrierDeliveryTime(await listParcels(tx, promise.orderId));
  if (!carrierDeliveredAt) return;
  await resettleOnCarrierTime(tx, promise.orderId, { promiseMet: promiseKept(carrierDeliveredAt, asPromise(promise)), carrierDeliveredAt }, now);
}

/** A cancelled order's deadline no longer needs watching. */
export function stopWatchingDeadline(tx: Transaction, orderId: string): Promise<void> {
  return cancelTimer(tx, PROMISE_DEADLINE_TIMER, orderId);
}
