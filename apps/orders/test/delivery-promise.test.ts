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

/** An order paid for (`confirmed`), not shipped. */
async function paidOrder(country = 'ES'): Promise<Order> {
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
  return order;
}

/** An order paid and shipped in one parcel. */
async function shippedOrder(country = 'ES'): Promise<Order> {
  const order = await paidOrder(country);
  await workflow(order.id, 'processing', 'processing');
  await workflow(order.id, 'shipped', 'shipped', { number: 'LX123456789DE', carrier: 'dhl' });
  return order;
}

/** Each order's one parcel, unless a test names another. */
const parcels = new Map<string, string>();
function parcelOf(orderId: string): string {
  if (!parcels.has(orderId)) parcels.set(orderId, randomUUID());
  return parcels.get(orderId)!;
}

function estimate(orderId: string, estimatedDelivery: string, shipmentId = parcelOf(orderId)) {
  const event = service.event(trackingEstimateChanged, {
    orderId,
    shipmentId,
    trackingNumber: 'LX123456789DE',
    carrier: 'dhl',
    estimatedDelivery,
    previousEstimatedDelivery: null,
    provider: '17track',
    at: now(),
  });
  return service.db.$transaction((tx) => onEstimateChanged(service.deps, event, tx));
}

function silent(orderId: string, parcel: { shipmentId?: string; estimatedDelivery?: string } = {}) {
  const event = service.event(trackingShipmentSilent, {
    orderId,
    shipmentId: parcel.shipmentId ?? parcelOf(orderId),
    trackingNumber: 'LX123456789DE',
    carrier: 'dhl',
    status: 'in_transit',
    lastScanAt: now(),
    silentForMs: 3 * DAY,
    estimatedDelivery: parcel.estimatedDelivery ?? null,
    at: now(),
  });
  return service.db.$transaction((tx) => onShipmentSilent(service.deps, event, tx));
}

/** The carrier's scan moving the parcel's status; `time`: when the carrier scanned it (default now). */
function scan(orderId: string, status: 'in_transit' | 'delayed' | 'delivered', scanned: { estimatedDelivery?: string; time?: string; shipmentId?: string } = {}) {
  const description = { in_transit: 'Departed', delayed: 'Weather delay', delivered: 'Delivered' }[status];
  const event = service.event(trackingStatusChanged, {
    orderId,
    shipmentId: scanned.shipmentId ?? parcelOf(orderId),
    trackingNumber: 'LX123456789DE',
    carrier: 'dhl',
    status,
    previousStatus: null,
    event: { time: scanned.time ?? now(), location: 'Leipzig', description },
    estimatedDelivery: scanned.estimatedDelivery ?? null,
    provider: '17track',
    at: now(),
  });
  return service.db.$transaction((tx) => onTrackingStatusChanged(service.deps, event, tx));
}

/** Moves the test clock to `at` (forward only). */
function clockTo(at: number) {
  const ahead = at - service.clock.now().getTime();
  if (ahead < 0) throw new Error('the clock only moves forward');
  service.clock.advance(ahead);
}

/** Fires every promise deadline (and any other timer) due at the clock's now. */
async function fireTimers() {
  while ((await service.timers.fireDue()) > 0);
}

const plusDays = (iso: string, days: number) => new Date(Date.parse(iso) + days * DAY).toISOString();

function deadlineTimer(orderId: string) {
  return service.db.timer.findFirst({ where: { kind: 'orders.promise-deadline', key: orderId } });
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
    // Its deadline moved with it.
    expect(await deadlineTimer(placed.id)).toMatchObject({ fireAt: new Date(Date.parse(after.latest) + 1), firedAt: null });
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
    const { latest } = (await read(weather.id)).deliveryPromise!;
    await scan(weather.id, 'delayed', { estimatedDelivery: plusDays(latest, 1) });
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

describe("a carrier's own delay", () => {
  it('moves the status but tells nobody while the promise holds, and flags it once its estimate passes the promise', async () => {
    const order = await shippedOrder();
    const { latest } = (await read(order.id)).deliveryPromise!;
    await scan(order.id, 'delayed', { estimatedDelivery: plusDays(latest, -1) });
    await scan(order.id, 'delayed'); // no estimate, and the promise has not passed
    expect(await read(order.id)).toMatchObject({ status: 'delayed', deliveryPromise: { delayedAt: null, delayReason: null, estimatedDelivery: plusDays(latest, -1) } });
    expect(await delayedEvents(order.id)).toHaveLength(0);

    // Already `delayed`: the status does not move, the promise is flagged all the same.
    const late = plusDays(latest, 2);
    await scan(order.id, 'delayed', { estimatedDelivery: late });
    expect(await read(order.id)).toMatchObject({ status: 'delayed', deliveryPromise: { delayReason: 'carrier_delay', estimatedDelivery: late } });
    expect((await delayedEvents(order.id)).map((event) => event.data)).toEqual([expect.objectContaining({ reason: 'carrier_delay', estimatedDelivery: late, promise: expect.objectContaining({ latest }) })]);
    await scan(order.id, 'delayed', { estimatedDelivery: plusDays(latest, 3) });
    expect(await delayedEvents(order.id)).toHaveLength(1);
  });

  it('without an estimate breaks the promise once it has passed', async () => {
    const order = await shippedOrder();
    const { latest } = (await read(order.id)).deliveryPromise!;
    clockTo(Date.parse(latest) + 1);
    await scan(order.id, 'delayed');
    expect(await read(order.id)).toMatchObject({ status: 'delayed', deliveryPromise: { delayReason: 'carrier_delay', estimatedDelivery: null } });
    expect(await delayedEvents(order.id)).toHaveLength(1);
  });
});

describe('the promised date passing', () => {
  it('flags, once, an order not shipped yet and one scanned without an estimate; not one delivered or unpaid', async () => {
    const unshipped = await paidOrder();
    const scanned = await shippedOrder();
    await scan(scanned.id, 'in_transit');
    const delivered = await shippedOrder();
    await workflow(delivered.id, 'delivered', 'delivered');
    const unpaid = await placeOrder(service);
    const { latest } = (await read(unshipped.id)).deliveryPromise!;
    // Set when the order was placed, in its transaction; a delivered order's is cancelled.
    expect(await deadlineTimer(unshipped.id)).toMatchObject({ fireAt: new Date(Date.parse(latest) + 1), firedAt: null });
    expect(await deadlineTimer(delivered.id)).toBeNull();

    clockTo(Date.parse(latest) - 60 * 60 * 1000); // the last promised day: still kept
    await fireTimers();
    expect((await read(scanned.id)).deliveryPromise!.delayedAt).toBeNull();

    clockTo(Date.parse(latest) + 1);
    await fireTimers();
    // Not shipped: `confirmed` cannot become `delayed`, but the promise is flagged and the customer told.
    expect(await read(unshipped.id)).toMatchObject({ status: 'confirmed', deliveryPromise: { delayReason: 'late_estimate', promiseMet: null } });
    expect((await delayedEvents(unshipped.id)).map((event) => event.data)).toEqual([
      expect.objectContaining({ reason: 'late_estimate', estimatedDelivery: null, promise: expect.objectContaining({ latest }), customer: expect.objectContaining({ id: unshipped.customer.id }) }),
    ]);
    const late = await read(scanned.id);
    expect(late).toMatchObject({ status: 'delayed', deliveryPromise: { delayReason: 'late_estimate' } });
    const entries = (await service.app.inject({ method: 'GET', url: `/orders/${scanned.id}/history`, headers: as.ops })).json().entries as object[];
    expect(entries.at(-1)).toMatchObject({ status: 'delayed', actor: 'orders', details: 'Running late: the promised date passed before delivery' });
    expect(await delayedEvents(scanned.id)).toHaveLength(1);
    expect(await read(delivered.id)).toMatchObject({ deliveryPromise: { delayedAt: null, promiseMet: true } });
    expect(await delayedEvents(delivered.id)).toHaveLength(0);
    expect(await read(unpaid.id)).toMatchObject({ status: 'pending', deliveryPromise: { delayedAt: null } });
    expect(await delayedEvents(unpaid.id)).toHaveLength(0);

    // Later facts tell nobody again; the unshipped order is on ops' list.
    await silent(scanned.id);
    await scan(scanned.id, 'delayed');
    await estimate(unshipped.id, plusDays(latest, 3));
    expect(await delayedEvents(scanned.id)).toHaveLength(1);
    expect(await delayedEvents(unshipped.id)).toHaveLength(1);
    const listed: DelayedOrdersPage = (await service.app.inject({ method: 'GET', url: '/ops/orders/delayed?limit=100', headers: as.ops })).json();
    expect(listed.items.map((item) => item.orderId)).toEqual(expect.arrayContaining([unshipped.id, scanned.id]));
  });

  it('fires again without flagging twice (a redelivered timer)', async () => {
    const order = await shippedOrder();
    const { latest } = (await read(order.id)).deliveryPromise!;
    clockTo(Date.parse(latest) + 1);
    await fireTimers();
    await service.db.timer.updateMany({ where: { kind: 'orders.promise-deadline', key: order.id }, data: { firedAt: null } });
    await fireTimers();
    expect(await delayedEvents(order.id)).toHaveLength(1);
  });
});

describe("judged on the carrier's clock", () => {
  it('a delivery the carrier made on the last promised day, learnt after it, kept the promise: whichever stream orders reads first', async () => {
    const trackingFirst = await shippedOrder();
    const fulfillmentFirst = await shippedOrder();
    const untracked = await shippedOrder();
    const { latest } = (await read(trackingFirst.id)).deliveryPromise!;
    expect((await read(fulfillmentFirst.id)).deliveryPromise!.latest).toBe(latest);
    const carrierDelivered = new Date(Date.parse(latest) - 60 * 60 * 1000).toISOString();
    clockTo(Date.parse(latest) + 5 * 60 * 60 * 1000); // tracking's poll came hours later

    await scan(trackingFirst.id, 'delivered', { time: carrierDelivered });
    await workflow(trackingFirst.id, 'delivered', 'delivered');
    expect(await read(trackingFirst.id)).toMatchObject({ status: 'delivered', deliveryPromise: { promiseMet: true } });

    // Fulfillment's `delivered` read first: judged on now, then again on the carrier's time.
    await workflow(fulfillmentFirst.id, 'delivered', 'delivered');
    expect((await read(fulfillmentFirst.id)).deliveryPromise!.promiseMet).toBe(false);
    await scan(fulfillmentFirst.id, 'delivered', { time: carrierDelivered });
    expect((await read(fulfillmentFirst.id)).deliveryPromise!.promiseMet).toBe(true);

    // Tracking never said: judged on when orders learnt of it.
    await workflow(untracked.id, 'delivered', 'delivered');
    expect((await read(untracked.id)).deliveryPromise!.promiseMet).toBe(false);
  });

  it('an order in several parcels was delivered when its last parcel was', async () => {
    const order = await shippedOrder();
    const { latest } = (await read(order.id)).deliveryPromise!;
    const [early, late] = [randomUUID(), randomUUID()];
    clockTo(Date.parse(latest) + 60 * 60 * 1000);
    await scan(order.id, 'delivered', { shipmentId: early, time: plusDays(latest, -2) });
    await scan(order.id, 'delivered', { shipmentId: late, time: new Date(Date.parse(latest) + 30 * 60 * 1000).toISOString() });
    await workflow(order.id, 'delivered', 'delivered');
    expect((await read(order.id)).deliveryPromise!.promiseMet).toBe(false);
  });
});

describe('an order in several parcels', () => {
  it('is expected when its last parcel still on the way is, and flagged with that estimate', async () => {
    const order = await shippedOrder();
    const { latest } = (await read(order.id)).deliveryPromise!;
    const [early, late] = [randomUUID(), randomUUID()];
    await estimate(order.id, plusDays(latest, -1), late);
    await estimate(order.id, plusDays(latest, -3), early); // the early parcel's newer estimate hides nothing
    expect((await read(order.id)).deliveryPromise!.estimatedDelivery).toBe(plusDays(latest, -1));

    await silent(order.id, { shipmentId: early, estimatedDelivery: plusDays(latest, -3) });
    expect(await read(order.id)).toMatchObject({ status: 'delayed', deliveryPromise: { delayReason: 'no_scan', estimatedDelivery: plusDays(latest, -1) } });
    expect((await delayedEvents(order.id))[0]!.data).toMatchObject({ estimatedDelivery: plusDays(latest, -1) });

    // The late parcel arrived: what is still on the way is the early one.
    await scan(order.id, 'delivered', { shipmentId: late });
    expect((await read(order.id)).deliveryPromise!.estimatedDelivery).toBe(plusDays(latest, -3));
  });

  it("is flagged when the late parcel's estimate passes the promise, whatever the early one says next", async () => {
    const order = await shippedOrder();
    const { latest } = (await read(order.id)).deliveryPromise!;
    const [early, late] = [randomUUID(), randomUUID()];
    await estimate(order.id, plusDays(latest, -3), early);
    // The carrier's delay of the late parcel, with an estimate past the promise, read before its estimate_changed.
    await scan(order.id, 'delayed', { shipmentId: late, estimatedDelivery: plusDays(latest, 2) });
    await estimate(order.id, plusDays(latest, -2), early);
    expect(await read(order.id)).toMatchObject({ status: 'delayed', deliveryPromise: { delayReason: 'carrier_delay', estimatedDelivery: plusDays(latest, 2) } });
    expect(await delayedEvents(order.id)).toHaveLength(1);
  });
});

describe('GET /ops/orders/delayed', () => {
  it('lists the late orders still on their way, longest late first, with a cursor; ops only', async () => {
    const first = await shippedOrder();
    await silent(first.id);
    const second = await shippedOrder();
    await scan(second.id, 'delayed', { estimatedDelivery: plusDays((await read(second.id)).deliveryPromise!.latest, 1) });
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
