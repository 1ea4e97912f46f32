import { newEvent } from '@platform/runtime/outbox';
import { type DelayReason, type DeliveryPromise, type Envelope, orderDelayed, orderPromised } from '@platform/contracts';
import type { Order } from '@platform/contracts/api/orders';
import type { Transaction } from '../adapters/database';
import { findPromise, flagPromiseLate, insertPromise, replacePromise, settlePromise } from '../adapters/delivery-promise-repository';
import { promiseDelivery, promiseKept, type SourceLeadTimes } from '../domain/delivery-promise';
import { SERVICE } from './dependencies';

/*
 * The order's delivery promise (docs/delivery-promise.md): made with the order, flagged once when
 * the order first becomes delayed, settled when it is delivered. Each is written in the
 * transaction of the change that causes it, with its event.
 */

/** A delay as the status change to `delayed` learnt it. */
export interface DelayFact {
  reason: DelayReason;
  estimatedDelivery: Date | null;
}

function promiseOf(order: Order, leadTimes: SourceLeadTimes, placedAt: Date) {
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

/** The promise of a new order, stored; its `orders.order.promised` for the caller to record after `orders.order.created`. */
export async function makePromise(tx: Transaction, order: Order, leadTimes: SourceLeadTimes, now: Date): Promise<Envelope> {
  const { promise, basis } = promiseOf(order, leadTimes, now);
  await insertPromise(tx, order.id, promise, basis, now);
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
  return promisedEvent(order, promise, now);
}

/**
 * The order has just become `delayed`: the first time, the promise is flagged and
 * `orders.order.delayed` recorded (the customer's one "running late" notice); later delays change
 * nothing. An order placed before promises were made has no flag to keep: it is told each time,
 * and notifications' one notice per order and notice keeps the customer's to one.
 */
export async function flagDelayed(tx: Transaction, order: Order, delay: DelayFact, now: Date): Promise<Envelope | null> {
  const flagged = await flagPromiseLate(tx, order.id, delay, now);
  if (!flagged && (await findPromise(tx, order.id))) return null;
  return newEvent(orderDelayed, {
    aggregateId: order.id,
    source: SERVICE,
    occurredAt: now,
    data: {
      orderId: order.id,
      number: order.number,
      reason: delay.reason,
      promise: flagged && { deliveryType: flagged.deliveryType as DeliveryPromise['deliveryType'], earliest: flagged.earliest.toISOString(), latest: flagged.latest.toISOString() },
      estimatedDelivery: (flagged?.estimatedDelivery ?? delay.estimatedDelivery)?.toISOString() ?? null,
      tracking: order.tracking ?? null,
      customer: order.customer,
      flaggedAt: now.toISOString(),
    },
  });
}

/**
 * The order has just become `delivered`: whether the promise was met, judged at the moment orders
 * records the delivery (minutes after the carrier's scan, against a promise counted in days).
 */
export function settleDelivered(tx: Transaction, orderId: string, now: Date): Promise<void> {
  return settlePromise(tx, orderId, (latest) => promiseKept(now, { latest: latest.toISOString() }), now);
}
