import { randomUUID } from 'node:crypto';
import { paymentSucceeded, trackingEstimateChanged, trackingShipmentSilent, trackingStatusChanged, workflowTransitioned } from '@platform/contracts';
import type { DelayedOrdersPage, Order, OrderWithParts } from '@platform/contracts/api/orders';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onEstimateChanged, onPaymentSucceeded, onShipmentSilent, onTrackingStatusChanged, onWorkflowTransitioned } from '../src/consumers/order-progress-consumers';
import { as, orderBody, type OrdersService, placeOrder, startOrdersService } from './orders-service';

/*
 * The delivery promise in the orders service (docs/delivery-promise.md): made when the order is
 * placed, flagged once when the carrier's estimate passes it or a parcel goes silent, settled on
 * delivery, listed for ops. Tracking's facts are handed to the consumer handlers as envelopes.
 */

let service: OrdersService;
beforeAll(async () => {
  service = await startOrdersService();
});
afterAll(async () => service?.stop());

const now = () => service.clock.now().toISOString();
const DAY = 24 * 60 * 60 * 1000;

async function read(id: string): Promise<OrderWithParts> {
  return (await service.app.inject({ method: 'GET', url: `/orders/${id}`, headers: as.ops })).json();
}

async function delayedList(headers: Record<string, string> = as.ops) {
  return service.app.inject({ method: 'GET', url: '/ops/orders/delayed', headers });
}

function workflow(orderId: string, to: string, orderStatus: string | null, tracking: { number: string; carrier: string } | null = null) {
  const event = service.event(workflowTransitioned, {
    orderId,
    from: 'pending',
    to: to as never,
    trigger: 'TEST',
    retryCount: 0,
    error: null,
    willRetry: false,
    tracking,
    at: now(),
    orderStatus: orderStatus as never,
    fulfillmentStarted: true,
  });
  return service.db.$transaction((tx) => onWorkflowTransitioned(service.deps, event, tx));
}

/** An order paid and shipped in one parcel. */
async function shippedOrder(country = 'ES'): Promise<Order> {
  const base = orderBody();
  const order = await placeOrder(service, { ...base, shippingAddress: { ...base.shippingAddress, country } });
  const paid = service.event(paymentSucceeded, {
    orderId: order.id,
    paymentId: randomUUID(),
    provider: 'stripe',
    providerPaymentId: 'pi_1',
    amount: order.totals.total,
    currency: 'EUR',
    paidAt: now(),
  });
  await service.db.$transaction((tx) => onPaymentSucceeded(service.deps, paid, tx));
  await workflow(order.id, 'processing', 'processing');
  await workflow(order.id, 'shipped', 'shipped', { number: 'LX123456789DE', carrier: 'dhl' });
  return order;
}

function estimate(orderId: string, estimatedDelivery: string) {
  const event = service.event(trackingEstimateChanged, {
    orderId,
    shipmentId: randomUUID(),
    trackingNumber: 'LX123456789DE',
    carrier: 'dhl',
    estimatedDelivery,
    previousEstimatedDelivery: null,
    provider: '17track',
    at: now(),
  });
  return service.db.$transaction((tx) => onEstimateChanged(service.deps, event, tx));
}

function silent(orderId: string) {
  const event = service.event(trackingShipmentSilent, {
    orderId,
    shipmentId: randomUUID(),
    trackingNumber: 'LX123456789DE',
    carrier: 'dhl',
    status: 'in_transit',
    lastScanAt: now(),
    silentForMs: 3 * DAY,
    estimatedDelivery: null,
    at: now(),
  });
  return service.db.$transaction((tx) => onShipmentSilent(service.deps, event, tx));
}

function scan(orderId: string, status: 'in_transit' | 'delayed') {
  const event = service.event(trackingStatusChanged, {
    orderId,
    shipmentId: randomUUID(),
    trackingNumber: 'LX123456789DE',
    carrier: 'dhl',
    status,
    previousStatus: null,
    event: { time: now(), location: 'Leipzig', description: status === 'delayed' ? 'Weather delay' : 'Departed' },
    estimatedDelivery: null,
    provider: '17track',
    at: now(),
  });
  return service.db.$transaction((tx) => onTrackingStatusChanged(service.deps, event, tx));
}

async function delayedEvents(orderId: string) {
  return (await service.outbox(orderId)).filter((event) => event.type === 'orders.order.delayed');
}

describe('the promise made at placing', () => {
  it('is stored with the order, shown on it and published beside orders.order.created', async () => {
    const placed = await placeOrder(service);
    const order = await read(placed.id);
    const day = (offset: number) => new Date(Date.parse(placed.createdAt) + offset * DAY).toISOString().slice(0, 10);
    // Hub stock (1 day) to Spain (EU, standard: 2 to 5 days).
    expect(order.deliveryPromise).toEqual({
      deliveryType: 'standard',
      earliest: `${day(3)}T00:00:00.000Z`,
      latest: `${day(6)}T23:59:59.999Z`,
      estimatedDelivery: null,
      delayedAt: null,
      delayReason: null,
      promiseMet: null,
    });
    const events = await service.outbox(placed.id);
    expect(events.map((event) => event.type).slice(0, 2)).toEqual(['orders.order.created', 'orders.order.promised']);
    expect(events[1]!.data).toMatchObject({ orderId: placed.id, number: placed.number, promise: { deliveryType: 'standard', earliest: order.deliveryPromise!.earliest } });
    // The published order keeps its version's shape: no promise in it.
    expect(events[0]!.data).not.toHaveProperty('deliveryPromise');
  });

  it('is made again when a modification sends the order elsewhere', async () => {
    const placed = await placeOrder(service);
    const before = (await read(placed.id)).deliveryPromise!;
    const moved = await service.app.inject({
      method: 'PATCH',
      url: `/orders/${placed.id}`,
      headers: { ...as.ops, 'if-match': `"${placed.version}"` },
      payload: { shippingAddress: { ...placed.shippingAddress, country: 'US', postalCode: '10001', city: 'New York' } },
    });
    expect(moved.statusCode).toBe(200);
    const after = (await read(placed.id)).deliveryPromise!;
    expect(Date.parse(after.latest)).toBe(Date.parse(before.latest) + 9 * DAY); // North America: 7 to 14 days
    expect((await service.outbox(placed.id)).filter((event) => event.type === 'orders.order.promised')).toHaveLength(2);
  });
});

describe('flagging late', () => {
  it('flags the order delayed once when the carrier expects it after the promise', async () => {
    const order = await shippedOrder();
    const { latest } = (await read(order.id)).deliveryPromise!;
    await estimate(order.id, latest); // on the last promised day: still kept
    expect((await read(order.id)).status).toBe('shipped');
    expect(await delayedEvents(order.id)).toHaveLength(0);

    const late = new Date(Date.parse(latest) + 2 * DAY).toISOString();
    await estimate(order.id, late);
    const delayed = await read(order.id);
    expect(delayed.status).toBe('delayed');
    expect(delayed.deliveryPromise).toMatchObject({ estimatedDelivery: late, delayReason: 'late_estimate', promiseMet: null });
    expect(delayed.deliveryPromise!.delayedAt).not.toBeNull();
    const [flag, ...more] = await delayedEvents(order.id);
    expect(more).toHaveLength(0);
    expect(flag!.data).toMatchObject({
      orderId: order.id,
      number: order.number,
      reason: 'late_estimate',
      estimatedDelivery: late,
      promise: { latest },
      tracking: { number: 'LX123456789DE', carrier: 'dhl' },
      customer: { id: order.customer.id },
    });

    // A worse estimate, a silence and the carrier's own delay: remembered, never flagged twice.
    const later = new Date(Date.parse(latest) + 4 * DAY).toISOString();
    await estimate(order.id, later);
    await silent(order.id);
    await scan(order.id, 'delayed');
    const after = await read(order.id);
    expect(after.deliveryPromise).toMatchObject({ estimatedDelivery: later, delayReason: 'late_estimate', delayedAt: delayed.deliveryPromise!.delayedAt });
    expect(await delayedEvents(order.id)).toHaveLength(1);
  });

  it('flags a parcel gone silent, and a delay the carrier reports', async () => {
    const quiet = await shippedOrder();
    await silent(quiet.id);
    expect(await read(quiet.id)).toMatchObject({ status: 'delayed', deliveryPromise: { delayReason: 'no_scan' } });
    expect((await delayedEvents(quiet.id))[0]!.data).toMatchObject({ reason: 'no_scan', estimatedDelivery: null });

    const weather = await shippedOrder();
    await scan(weather.id, 'delayed');
    expect(await read(weather.id)).toMatchObject({ status: 'delayed', deliveryPromise: { delayReason: 'carrier_delay' } });
    expect(await delayedEvents(weather.id)).toHaveLength(1);
  });

  it('still tells of a delay an order placed before promises existed, without a promise', async () => {
    const order = await shippedOrder();
    await service.db.deliveryPromise.delete({ where: { orderId: order.id } });
    await scan(order.id, 'delayed');
    expect(await read(order.id)).toMatchObject({ status: 'delayed', deliveryPromise: null });
    expect((await delayedEvents(order.id)).map((event) => event.data)).toEqual([expect.objectContaining({ reason: 'carrier_delay', promise: null, estimatedDelivery: null })]);
  });

  it('leaves a delivered order alone', async () => {
    const order = await shippedOrder();
    await workflow(order.id, 'delivered', 'delivered');
    await silent(order.id);
    await estimate(order.id, new Date(service.clock.now().getTime() + 60 * DAY).toISOString());
    expect(await read(order.id)).toMatchObject({ status: 'delivered', deliveryPromise: { delayedAt: null, promiseMet: true } });
    expect(await delayedEvents(order.id)).toHaveLength(0);
  });
});

describe('settling on delivery', () => {
  it('records whether the promise was met', async () => {
    const onTime = await shippedOrder();
    await workflow(onTime.id, 'delivered', 'delivered');
    expect((await read(onTime.id)).deliveryPromise!.promiseMet).toBe(true);

    const overdue = await shippedOrder('JP'); // world: up to 22 days
    await silent(overdue.id);
    service.clock.advance(23 * DAY);
    await workflow(overdue.id, 'delivered', 'delivered');
    expect(await read(overdue.id)).toMatchObject({ status: 'delivered', deliveryPromise: { promiseMet: false, delayReason: 'no_scan' } });
  });
});

describe('GET /ops/orders/delayed', () => {
  it('lists the late orders still on their way, longest late first, with a cursor; ops only', async () => {
    const first = await shippedOrder();
    await silent(first.id);
    const second = await shippedOrder();
    await scan(second.id, 'delayed');
    const delivered = await shippedOrder();
    await silent(delivered.id);
    await workflow(delivered.id, 'delivered', 'delivered');

    const all: DelayedOrdersPage['items'] = [];
    let cursor: string | null = null;
    do {
      const page = await service.app.inject({ method: 'GET', url: `/ops/orders/delayed?limit=1${cursor ? `&cursor=${cursor}` : ''}`, headers: as.ops });
      expect(page.statusCode).toBe(200);
      const body = page.json() as DelayedOrdersPage;
      all.push(...body.items);
      cursor = body.nextCursor;
    } while (cursor);
    const ids = all.map((item) => item.orderId);
    expect(ids).not.toContain(delivered.id);
    expect(ids.indexOf(first.id)).toBeLessThan(ids.indexOf(second.id));
    expect(all.find((item) => item.orderId === second.id)).toMatchObject({
      number: second.number,
      status: 'delayed',
      customerId: second.customer.id,
      tracking: { number: 'LX123456789DE', carrier: 'dhl' },
      deliveryPromise: { delayReason: 'carrier_delay', promiseMet: null },
    });

    const customer = await delayedList(as.customer(first.customer.id));
    expect(customer.statusCode).toBe(403);
    for (const cursor of ['nope', Buffer.from(JSON.stringify([new Date().toISOString(), 'not-a-uuid'])).toString('base64url')]) {
      const bad = await service.app.inject({ method: 'GET', url: `/ops/orders/delayed?cursor=${cursor}`, headers: as.ops });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().errors[0].pointer).toBe('/query/cursor');
    }
  });
});
