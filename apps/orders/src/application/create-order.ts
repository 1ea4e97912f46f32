import { randomUUID } from 'node:crypto';
import { newEvent, recordEvents } from '@platform/runtime/outbox';
import type { Actor } from '@platform/runtime/actor';
import { type Envelope, orderCreated } from '@platform/contracts';
import type { CreateOrderRequest, Order } from '@platform/contracts/api/orders';
import type { Transaction } from '../adapters/database';
import { claimIdempotencyKey, requestHash, storeIdempotentResponse } from '../adapters/idempotency';
import { insertOrder } from '../adapters/order-repository';
import { findPricesAndStock } from '../adapters/price-book-repository';
import { mayPriceBespoke } from '../domain/actor';
import type { SourceLeadTimes } from '../domain/delivery-promise';
import { assertOrderRules } from '../domain/order-rules';
import { priceItems } from '../domain/price-resolution';
import { priceOrder } from '../domain/pricing';
import { applyShortStockPolicy, isOwnStock } from './availability';
import { statusEntry } from '../domain/timeline';
import { type OrdersDeps, SERVICE } from './dependencies';
import { promiseNewOrder, watchNewPromise } from './delivery-promise';
import { itemRows } from './price-items';
import { splitEvents, splitNewOrder } from './sub-orders';
import { addToTimeline } from './timeline';

const IDEMPOTENCY_SCOPE = 'orders.create';

export interface CreateOrderResult {
  status: number;
  body: Order;
  replayed: boolean;
}

/**
 * Validates, prices and stores an order, and records `orders.order.created` in the same
 * transaction. With an idempotency key, the same caller's retry returns the first answer unchanged.
 */
export async function createOrder(
  deps: Pick<OrdersDeps, 'db' | 'clock' | 'metrics' | 'leadTimes'>,
  request: CreateOrderRequest,
  actor: Actor,
  idempotencyKey?: string,
): Promise<CreateOrderResult> {
  const now = deps.clock.now();
  const orderId = randomUUID();

  const keyId = idempotencyKey ? { scope: IDEMPOTENCY_SCOPE, caller: actor.name, key: idempotencyKey } : undefined;

  const result = await deps.db.$transaction(async (tx) => {
    if (keyId) {
      const earlier = await claimIdempotencyKey(tx, keyId, requestHash(request));
      if (earlier) return { status: earlier.status, body: earlier.body as Order, replayed: true };
    }
    // After the claim, so a retry gets its first answer even if the rules or prices would now
    // refuse it (a scheduled window that has come too close); a refusal rolls the claim back.
    const { candidates, stock } = await findPricesAndStock(tx, {
      skus: request.items.map((item) => item.sku),
      stockSkus: request.items.filter(isOwnStock).map((item) => item.sku),
      currency: request.currency,
    });
    const items = priceItems(applyShortStockPolicy(request.items, request.shortStockPolicy ?? null, stock), candidates, {
      customerId: request.customer.id,
      country: request.shippingAddress.country,
      currency: request.currency,
      at: now,
      allowBespoke: mayPriceBespoke(actor),
    });
    assertOrderRules({ ...request, items }, now);
    const totals = priceOrder({ items, deliveryType: request.deliveryType });
    const order = await storeNewOrder(tx, {
      id: orderId,
      request,
      items,
      totals,
      actor: actor.role ? actor.name : `customer:${request.customer.id}`,
      now,
      leadTimes: deps.leadTimes,
    });
    if (keyId) await storeIdempotentResponse(tx, keyId, { status: 201, body: order });
    deps.metrics.orderPlaced(tx, 'api');
    return { status: 201, body: order, replayed: false };
  });

  return result;
}

/** What `storeNewOrder` writes: a validated, priced order. */
export interface NewOrderInput {
  id: string;
  request: Pick<CreateOrderRequest, 'customer' | 'shippingAddress' | 'billingAddress' | 'deliveryType' | 'deliveryWindow' | 'notes' | 'ageVerified' | 'currency' | 'shortStockPolicy'>;
  items: Parameters<typeof itemRows>[1];
  totals: ReturnType<typeof priceOrder>;
  /** Who placed it, for the first history entry. */
  actor: string;
  now: Date;
  /** Sources' lead times, for the delivery promise made with the order. */
  leadTimes: SourceLeadTimes;
  /** Recorded just before `orders.order.created`, so consumers of the stream meet them first. */
  eventsBefore?: (order: Order) => readonly Envelope[];
}

/**
 * Writes a new order with its items, first history entry and vendor sub-orders, and records
 * `orders.order.created`, its delivery promise and the split's events in the caller's transaction.
 */
export async function storeNewOrder(tx: Transaction, input: NewOrderInput): Promise<Order> {
  const { id: orderId, request, items, totals, now } = input;
  const rows = itemRows(orderId, items, now);
  const subOrders = splitNewOrder({ id: orderId, status: 'pending', items: rows.map((row, index) => ({ ...row, vendor: items[index]!.vendor })) }, SERVICE, now);
  const history = { id: randomUUID(), status: 'pending', details: 'order placed', actor: input.actor };
  // The window as the order will show it (the stored instants), whatever offset the request wrote.
  const window = request.deliveryWindow && { start: new Date(request.deliveryWindow.start).toISOString(), end: new Date(request.deliveryWindow.end).toISOString() };
  const promised = promiseNewOrder(orderId, { deliveryType: request.deliveryType, deliveryWindow: window ?? null, shippingAddress: request.shippingAddress, items }, input.leadTimes, now);
  const { order, subOrders: written } = await insertOrder(tx, {
    order: {
      id: orderId,
      status: 'pending',
      fulfillmentStatus: 'not_fulfilled',
      customerId: request.customer.id,
      customer: request.customer,
      shippingAddress: request.shippingAddress,
      billingAddress: request.billingAddress ?? request.shippingAddress,
      deliveryType: request.deliveryType,
      deliveryWindowStart: request.deliveryWindow ? new Date(request.deliveryWindow.start) : null,
      deliveryWindowEnd: request.deliveryWindow ? new Date(request.deliveryWindow.end) : null,
      notes: request.notes ?? null,
      ageVerified: request.ageVerified,
      currency: request.currency,
      shortStockPolicy: request.shortStockPolicy ?? null,
      subtotal: totals.subtotal,
      shippingTotal: totals.shipping,
      taxTotal: totals.tax,
      discountTotal: totals.discount,
      total: totals.total,
      createdAt: now,
      updatedAt: now,
    },
    items: rows,
    history,
    subOrders,
    promise: promised.insert,
  });
  addToTimeline(tx, [statusEntry({ ...history, orderId, previousStatus: null, at: now })]);
  await recordEvents(tx, [
    ...(input.eventsBefore?.(order) ?? []),
    newEvent(orderCreated, { aggregateId: order.id, source: SERVICE, data: order, occurredAt: now }),
    await watchNewPromise(tx, order, promised.promise, now),
    ...splitEvents(now, order.currency, subOrders, written),
  ]);
  return order;
}
