import { randomUUID } from 'node:crypto';
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import { AdjustableClock } from '@platform/runtime/clock';
import { EventConsumer } from '@platform/runtime/consumer';
import { createMetrics } from '@platform/runtime/metrics';
import { publishEnvelope } from '@platform/runtime/nats';
import { type Envelope, type EventData, orderCancelled, orderModified, paymentSucceeded, type progressChanged, refundSucceeded, streams, trackingStatusChanged } from '@platform/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@platform/test-support/eventually';
import { holdTransaction } from '@platform/test-support/held-transaction';
import { connectMessaging, type Messaging } from '@platform/test-support/messaging';
import { openExceptions } from '../src/adapters/business-metrics';
import type { Transaction } from '../src/adapters/database';
import { TIMER_KINDS } from '../src/application/context';
import { MACHINE_VERSION, UnknownMachineVersionError } from '../src/domain/order-workflow';
import { OrderNotKnownYetError } from '../src/application/billing-updates';
import { cancelItems } from '../src/application/progress';
import { billingEventSubscriptions } from '../src/consumers/billing-events';
import { orderEventSubscriptions } from '../src/consumers/order-events';
import { trackingEventSubscriptions } from '../src/consumers/tracking-events';
import { type Composition, compose, createdEvent, event, POLL_MAX_MS, POLL_MS, sampleOrder } from './support/composition';

/**
 * The fulfillment workflow end to end against real PostgreSQL (and JetStream for the
 * consumers), with fake suppliers and a test clock: timers are fired by moving the clock,
 * never by sleeping.
 */

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
let messaging: Messaging;
const running: Composition[] = [];

beforeAll(async () => {
  messaging = await connectMessaging();
});
afterAll(async () => {
  await Promise.all(running.map((c) => c.stop().catch(() => {})));
  await messaging?.nc.drain();
});

async function start(databaseUrl?: string, clock?: AdjustableClock) {
  const composition = await compose({ databaseUrl, clock });
  running.push(composition);
  return { ...composition, url: composition.databaseUrl };
}

/** Applies an event the way the consumer does (inside one transaction), without the transport. */
async function deliver(c: Composition, envelope: Envelope) {
  const subscriptions = [...orderEventSubscriptions(c.fulfillment), ...billingEventSubscriptions(c.fulfillment), ...trackingEventSubscriptions(c.fulfillment)];
  const subscription = subscriptions.find((s) => s.type === envelope.type)!;
  await c.db.$transaction((tx) => subscription.handle(envelope, tx));
}

const paid = (orderId: string) =>
  event(paymentSucceeded, orderId, { orderId, paymentId: randomUUID(), provider: 'stripe', providerPaymentId: 'pi_1', amount: 2000, currency: 'EUR', paidAt: new Date().toISOString() });

/** `order` created and paid, then the 60 s payment delay: the placement has run. */
async function placeWhenPaid(c: Composition, order: ReturnType<typeof sampleOrder>) {
  await deliver(c, createdEvent(order));
  await deliver(c, paid(order.id));
  await c.advance(60_000);
}

async function state(c: Composition, orderId: string) {
  return (await c.db.workflow.findUniqueOrThrow({ where: { orderId } })).state;
}
async function transitions(c: Composition, orderId: string) {
  const rows = await c.db.outboxEvent.findMany({ where: { aggregateId: orderId, type: 'fulfillment.workflow.transitioned' }, orderBy: { seq: 'asc' } });
  type Transition = { from: string; to: string; trigger: string; willRetry: boolean; error: string | null; retryCount: number; orderStatus?: string | null; fulfillmentStarted?: boolean };
  return rows.map((r) => (r.envelope as { data: Transition }).data);
}
async function stock(c: Composition, hubId: string, sku: string) {
  return c.db.hubStock.findUniqueOrThrow({ where: { hubId_sku: { hubId, sku } } });
}
async function pendingTimers(c: Composition, orderId: string) {
  return (await c.db.timer.findMany({ where: { key: orderId, firedAt: null } })).map((t) => t.kind).sort();
}
/** The order's `fulfillment.progress.changed` data, in outbox order. */
async function progressEvents(c: Composition, orderId: string) {
  const rows = await c.db.outboxEvent.findMany({ where: { aggregateId: orderId, type: 'fulfillment.progress.changed' }, orderBy: { seq: 'asc' } });
  return rows.map((e) => (e.envelope as { data: EventData<typeof progressChanged> }).data);
}
/** Tracking's scan of a parcel, applied as its consumer does. */
function scan(
  c: Composition,
  orderId: string,
  shipment: { id: string; trackingNumber: string | null },
  status: 'in_transit' | 'delivered',
  previousStatus: 'in_transit' | null = 'in_transit',
) {
  return deliver(c, event(trackingStatusChanged, orderId, {
    orderId, shipmentId: shipment.id, trackingNumber: shipment.trackingNumber!, carrier: null, status, previousStatus,
    event: { time: new Date().toISOString(), location: 'Madrid', description: status }, estimatedDelivery: null, provider: '17track', at: new Date().toISOString(),
  }));
}

/** An order of a CJ part and an AliExpress part, paid and placed at both. */
async function placedAtCjAndAliExpress(c: Composition) {
  const order = sampleOrder([
    { sku: 'CJ-LAMP', quantity: 1, supplierSource: 'cj' },
    { sku: 'AE-CASE', quantity: 1, supplierSource: 'aliexpress' },
  ]);
  await placeWhenPaid(c, order);
  return order;
}

/** A CJ-only order, paid and placed; CJ's first answer is `status` without a tracking number. */
async function cjAnswersAtFirstPoll(c: Composition, status: 'confirmed' | 'shipped') {
  const order = sampleOrder([{ sku: 'CJ-LAMP', quantity: 1, supplierSource: 'cj' }]);
  await placeWhenPaid(c, order);
  c.suppliers.cj.status = { status, trackingNumber: null, carrier: null, reason: null };
  await c.advance(POLL_MS);
  return order;
}

/** The supplier confirms its part, then the hub's parcel leaves (RR123456785ES, Correos). */
async function hubParcelLeavesOnceConfirmed(c: Composition, orderId: string, supplier: 'aliexpress' | 'cj') {
  c.suppliers[supplier].status = { status: 'confirmed', trackingNumber: null, carrier: null, reason: null };
  await c.advance(POLL_MS);
  const hubParcel = await c.app.inject({ method: 'POST', url: `/orders/${orderId}/shipments`, payload: { trackingNumber: 'RR123456785ES', carrier: 'Correos' }, headers: { 'x-actor': 'ops:key1', 'x-actor-role': 'ops' } });
  expect(hubParcel.statusCode, hubParcel.body).toBe(201);
}

describe('order lifecycle', () => {
  it('happy path over JetStream: pending → paid → 60 s → placed → confirmed → shipped → in transit → out for delivery → delivered', async () => {
    const c = await start();
    const suffix = randomUUID().slice(0, 8);
    const consumers: EventConsumer<Transaction>[] = [];
    const subscribe = async (stream: string, filterSubject: string | undefined, subscriptions: ReturnType<typeof orderEventSubscriptions>) => {
      const name = `fulfillment--test-${stream.toLowerCase()}-${suffix}`;
      // Only events published from now on: other test files share these streams.
      await messaging.jsm.consumers.add(stream, { durable_name: name, deliver_policy: DeliverPolicy.New, ack_policy: AckPolicy.Explicit, ...(filterSubject && { filter_subject: filterSubject }) });
      const consumer = new EventConsumer<Transaction>({
        name, stream, filterSubject, subscriptions, db: c.db, js: messaging.js, jsm: messaging.jsm, log: c.fulfillment.log,
        metrics: createMetrics(`consumer_${suffix}_${stream}`), concurrency: stream === 'ORDERS' ? 1 : 4, backoffMs: [200],
      });
      await consumer.start();
      consumers.push(consumer);
    };
    await subscribe(streams.ORDERS.name, 'orders.order.>', orderEventSubscriptions(c.fulfillment));
    await subscribe(streams.BILLING.name, 'billing.>', billingEventSubscriptions(c.fulfillment));
    await subscribe(streams.TRACKING.name, trackingStatusChanged.type, trackingEventSubscriptions(c.fulfillment));
    try {
      const order = sampleOrder([
        { sku: 'MUG-WHT', quantity: 2, supplierSource: 'own_stock' },
        { sku: 'CJ-LAMP', quantity: 1, supplierSource: 'cj' },
      ]);
      const before = await stock(c, 'hub-madrid', 'MUG-WHT');
      // Payment first: it waits (redelivered) until the order is known.
      await publishEnvelope(messaging.js, paid(order.id));
      await publishEnvelope(messaging.js, createdEvent(order));
      await eventually(() => c.db.workflow.findUnique({ where: { orderId: order.id } }), (w) => w?.state === 'payment_confirmed', 15_000);
      expect(await pendingTimers(c, order.id)).toEqual([TIMER_KINDS.paymentConfirmedDelay]);

      // 59 s: nothing; 60 s: processing, reserved at the Spanish hub, CJ order placed.
      await c.advance(59_000);
      expect(await state(c, order.id)).toBe('payment_confirmed');
      await c.advance(1_000);
      expect(await state(c, order.id)).toBe('placed_with_supplier');
      expect(c.suppliers.cj.placed).toHaveLength(1);
      expect(c.suppliers.cj.placed[0]!.items).toEqual([{ sku: 'CJ-LAMP', variantId: 'CJ-LAMP-v', name: 'CJ-LAMP', quantity: 1 }]);
      const reservations = await c.db.reservation.findMany({ where: { orderId: order.id } });
      expect(reservations).toMatchObject([{ hubId: 'hub-madrid', sku: 'MUG-WHT', quantity: 2, status: 'confirmed', expiresAt: null }]);
      expect((await stock(c, 'hub-madrid', 'MUG-WHT')).reserved).toBe(before.reserved + 2);
      expect(await pendingTimers(c, order.id)).toEqual([TIMER_KINDS.supplierPoll, TIMER_KINDS.supplierTimeout].sort());

      // The poll sees the supplier confirm.
      c.suppliers.cj.status = { status: 'confirmed', trackingNumber: null, carrier: null, reason: null };
      await c.advance(POLL_MS);
      expect(await state(c, order.id)).toBe('supplier_confirmed');
      expect(await pendingTimers(c, order.id)).toEqual([TIMER_KINDS.supplierPoll]);

      // The hub ships its part: allocation, consumption, TRACKING_RECEIVED.
      const hubShipment = await c.app.inject({ method: 'POST', url: `/orders/${order.id}/shipments`, payload: { trackingNumber: 'RR123456785ES', carrier: 'Correos' }, headers: { 'x-actor': 'ops:key1' } });
      expect(hubShipment.statusCode, hubShipment.body).toBe(201);
      expect(hubShipment.json()).toMatchObject({ state: 'shipped' });
      expect(await stock(c, 'hub-madrid', 'MUG-WHT')).toMatchObject({ onHand: before.onHand - 2, reserved: before.reserved });
      const again = await c.app.inject({ method: 'POST', url: `/orders/${order.id}/shipments`, payload: { trackingNumber: 'RR000000000ES' } });
      expect(again.statusCode).toBe(409);
      expect(again.json().code).toBe('NOTHING_TO_SHIP');

      // The supplier ships too: a second shipment with its own tracking number.
      c.suppliers.cj.status = { status: 'shipped', trackingNumber: 'CJPKL7100000001', carrier: 'CJPacket Ordinary', reason: null };
      await c.advance(POLL_MS);
      const shipments = await c.db.shipment.findMany({ where: { orderId: order.id }, orderBy: { createdAt: 'asc' } });
      expect(shipments.map((s) => [s.source, s.trackingNumber])).toEqual([
        ['own_stock', 'RR123456785ES'],
        ['cj', 'CJPKL7100000001'],
      ]);
      expect(await pendingTimers(c, order.id)).toEqual([]);
      const shipped = await c.db.outboxEvent.findMany({ where: { aggregateId: order.id, type: 'fulfillment.shipment.shipped' } });
      expect(shipped.map((e) => (e.envelope as { data: { destinationCountry: string; supplier: string } }).data)).toMatchObject([
        { destinationCountry: 'ES', supplier: 'own_stock' },
        { destinationCountry: 'ES', supplier: 'cj' },
      ]);

      // Tracking: in transit; out for delivery only for the last parcel outstanding; delivered once both parcels are.
      const track = (shipment: (typeof shipments)[number], status: 'in_transit' | 'out_for_delivery' | 'delivered', previousStatus: 'pending' | 'in_transit' | 'out_for_delivery') =>
        publishEnvelope(
          messaging.js,
          event(trackingStatusChanged, order.id, {
            orderId: order.id, shipmentId: shipment.id, trackingNumber: shipment.trackingNumber!, carrier: null, status, previousStatus,
            event: { time: new Date().toISOString(), location: 'Madrid', description: status }, estimatedDelivery: null, provider: '17track', at: new Date().toISOString(),
          }),
        );
      await track(shipments[0]!, 'in_transit', 'pending');
      await eventually(() => state(c, order.id), (s) => s === 'in_transit', 15_000);
      await track(shipments[0]!, 'out_for_delivery', 'in_transit');
      await track(shipments[0]!, 'delivered', 'out_for_delivery');
      await eventually(() => c.db.shipment.findUniqueOrThrow({ where: { id: shipments[0]!.id } }), (s) => s.status === 'delivered', 15_000);
      expect(await state(c, order.id)).toBe('in_transit');
      await track(shipments[1]!, 'out_for_delivery', 'in_transit');
      await eventually(() => state(c, order.id), (s) => s === 'out_for_delivery', 15_000);
      await track(shipments[1]!, 'delivered', 'out_for_delivery');
      await eventually(() => state(c, order.id), (s) => s === 'delivered', 15_000);

      // Where the units were after each parcel event (ORD-03), each parcel numbered of the two expected.
      const progress = await progressEvents(c, order.id);
      expect(progress.map((p) => [p.cause.kind, p.fulfillmentStatus, p.parcels.map((x) => `${x.number} of ${x.of}`).join()])).toEqual([
        ['parcel_shipped', 'partially_shipped', '1 of 2'],
        ['parcel_shipped', 'shipped', '1 of 2,2 of 2'],
        ['parcel_delivered', 'partially_fulfilled', '1 of 2,2 of 2'],
        ['parcel_delivered', 'fulfilled', '1 of 2,2 of 2'],
      ]);
      expect(progress.at(-1)!.units).toEqual({ ordered: 3, shipped: 3, delivered: 3, returned: 0, cancelled: 0 });
      expect(progress[0]!.parcels[0]!.items).toEqual([{ sku: 'MUG-WHT', vendorId: 'v1', quantity: 2 }]);

      expect((await transitions(c, order.id)).map((t) => `${t.from}>${t.to}:${t.trigger}`)).toEqual([
        'pending>payment_confirmed:PAYMENT_RECEIVED',
        'payment_confirmed>processing:TIMEOUT',
        'processing>placed_with_supplier:PLACE_ORDER',
        'placed_with_supplier>supplier_confirmed:SUPPLIER_CONFIRMED',
        'supplier_confirmed>shipped:TRACKING_RECEIVED',
        'shipped>in_transit:IN_TRANSIT_UPDATE',
        'in_transit>out_for_delivery:OUT_FOR_DELIVERY_UPDATE',
        'out_for_delivery>delivered:DELIVERED',
      ]);
      // What each transition tells orders, so that orders keeps no copy of the workflow's states.
      expect((await transitions(c, order.id)).map((t) => [t.to, t.orderStatus, t.fulfillmentStarted])).toEqual([
        ['payment_confirmed', null, false],
        ['processing', 'processing', true],
        ['placed_with_supplier', null, true],
        ['supplier_confirmed', null, true],
        ['shipped', 'shipped', true],
        ['in_transit', null, true],
        ['out_for_delivery', 'out_for_delivery', true],
        ['delivered', 'delivered', true],
      ]);
      expect((await c.db.fulfillmentOrder.findMany({ where: { orderId: order.id } })).map((f) => f.status)).toEqual(['completed']);

      const detail = await c.app.inject({ method: 'GET', url: `/orders/${order.id}` });
      expect(detail.statusCode, detail.body).toBe(200);
      const body = detail.json();
      expect(body).toMatchObject({ state: 'delivered', retryCount: 0, error: null, tracking: { number: 'RR123456785ES', carrier: 'Correos' } });
      expect(body.history.map((h: { to: string }) => h.to)).toContain('delivered');
      expect(body.supplierOrders).toMatchObject([{ supplier: 'cj', status: 'shipped', trackingNumber: 'CJPKL7100000001' }]);
      expect(body.reservations).toMatchObject([{ status: 'consumed', quantity: 2 }]);
      const calls = await c.app.inject({ method: 'GET', url: `/orders/${order.id}/supplier-calls` });
      expect(calls.json().calls.map((call: { operation: string }) => call.operation)).toEqual(['place', 'status', 'status']);
    } finally {
      await Promise.all(consumers.map((consumer) => consumer.stop()));
    }
  });

  it('a payment for an order not known yet is retried later, not dropped; modifications apply only before processing', async () => {
    const c = await start();
    const order = sampleOrder([{ sku: 'MUG-WHT', quantity: 1, supplierSource: 'own_stock' }]);
    await expect(deliver(c, paid(order.id))).rejects.toBeInstanceOf(OrderNotKnownYetError);
    await deliver(c, createdEvent(order));
    await deliver(c, paid(order.id));
    expect(await state(c, order.id)).toBe('payment_confirmed');
    // A second payment event (e.g. a top-up) is not accepted there: logged, acknowledged, nothing changes.
    await deliver(c, paid(order.id));
    expect(await transitions(c, order.id)).toHaveLength(1);

    // Modified before processing: the workflow places the new quantities; after that, changes are ignored.
    const modified = { ...order, items: [{ ...order.items[0]!, quantity: 3 }], version: 1 };
    await deliver(c, event(orderModified, order.id, { order: modified, previousTotal: 1000, changes: ['items'], actor: 'customer:cust-1' }));
    await c.advance(60_000);
    expect(await state(c, order.id)).toBe('supplier_confirmed');
    expect((await c.db.reservation.findFirstOrThrow({ where: { orderId: order.id } })).quantity).toBe(3);
    await deliver(c, event(orderModified, order.id, { order: { ...modified, items: [{ ...order.items[0]!, quantity: 9 }] }, previousTotal: 3000, changes: ['items'], actor: 'customer:cust-1' }));
    const detail = (await c.app.inject({ method: 'GET', url: `/orders/${order.id}` })).json();
    expect(detail.order.items).toEqual([{ sku: 'MUG-WHT', name: 'MUG-WHT', quantity: 3, supplierSource: 'own_stock' }]);
  });

  it('a partial refund (money still paid) is not the refund of a cancel: neither applied nor kept waiting for a later refund_requested', async () => {
    const c = await start();
    const order = sampleOrder([{ sku: 'MUG-WHT', quantity: 1, supplierSource: 'own_stock' }]);
    await deliver(c, createdEvent(order));
    await deliver(c, paid(order.id));
    const refund = (remainingPaid: number) =>
      event(refundSucceeded, order.id, {
        orderId: order.id, refundId: randomUUID(), paymentId: randomUUID(), providerRefundId: 're_1', amount: 500, currency: 'EUR', reason: 'Order modified: items', refundedAt: new Date().toISOString(), remainingPaid,
      });
    await deliver(c, refund(1500));
    expect(await c.db.parkedEvent.count({ where: { orderId: order.id } })).toBe(0);
    await c.advance(60_000);
    expect(await state(c, order.id)).toBe('supplier_confirmed');
    await deliver(c, event(orderCancelled, order.id, { orderId: order.id, reason: 'customer asked', actor: 'customer:cust-1', previousStatus: 'processing', cancelledAt: new Date().toISOString() }));
    expect(await state(c, order.id)).toBe('refund_requested');
    await deliver(c, refund(0));
    expect(await state(c, order.id)).toBe('refunded');
  });

  it('every supplier refuses: retried 3 times with backoff, then failed with willRetry false; ops retry refused', async () => {
    const c = await start();
    // One source refusing fails only its items (mixed-sources.test.ts); every source refusing fails the order.
    c.suppliers.cj.placeScript = ['reject', 'reject', 'reject', 'reject'];
    c.suppliers.aliexpress.placeScript = ['reject', 'reject', 'reject', 'reject'];
    const order = sampleOrder([
      { sku: 'AE-CASE', quantity: 1, supplierSource: 'aliexpress' },
      { sku: 'CJ-LAMP', quantity: 1, supplierSource: 'cj' },
    ]);
    await deliver(c, createdEvent(order));
    await deliver(c, paid(order.id));
    const processed = await c.app.inject({ method: 'POST', url: `/orders/${order.id}/process` });
    expect(processed.statusCode, processed.body).toBe(200);
    expect(processed.json()).toMatchObject({ state: 'processing' });
    expect((await c.app.inject({ method: 'POST', url: `/orders/${order.id}/process` })).statusCode).toBe(409);

    await c.advance(0);
    expect(await state(c, order.id)).toBe('failed');
    for (const backoff of [5, 10, 20]) {
      expect(await pendingTimers(c, order.id)).toEqual([TIMER_KINDS.supplierRetry]);
      await c.advance(backoff * MINUTE - 1);
      expect(await state(c, order.id)).toBe('failed');
      await c.advance(1);
    }
    expect(await state(c, order.id)).toBe('failed');
    expect(await pendingTimers(c, order.id)).toEqual([]);

    const failures = (await transitions(c, order.id)).filter((t) => t.to === 'failed');
    expect(failures.map((f) => [f.retryCount, f.willRetry])).toEqual([[0, true], [1, true], [2, true], [3, false]]);
    // Orders hears of the failure only when the workflow gives up.
    expect(failures.map((f) => f.orderStatus)).toEqual([null, null, null, 'exception']);
    expect(failures[3]!.error).toContain('Product out of stock');
    expect((await c.db.supplierCall.findMany({ where: { orderId: order.id, operation: 'place' } })).map((call) => call.outcome)).toEqual(Array(8).fill('rejected'));
    expect(await c.db.outboxEvent.count({ where: { aggregateId: order.id, type: 'fulfillment.items.cancelled' } })).toBe(0);

    const retry = await c.app.inject({ method: 'POST', url: `/orders/${order.id}/retry` });
    expect(retry.statusCode).toBe(409);
    expect(retry.json()).toMatchObject({ code: 'RETRY_NOT_ALLOWED' });
  });

  it('survives a restart: snapshot and timers come back from PostgreSQL; unavailable suppliers are retried; the 24 h timeout fails the order', async () => {
    const clock = new AdjustableClock();
    const first = await start(undefined, clock);
    const order = sampleOrder([{ sku: 'SPK-SOCKS', quantity: 3, supplierSource: 'spocket' }]);
    await deliver(first, createdEvent(order));
    await deliver(first, paid(order.id));
    await first.stop();

    // A new process over the same database: a new machine, new worker, new clients.
    const second = await start(first.url, clock);
    second.suppliers.spocket.placeScript = ['unavailable', 'accept'];
    await second.advance(60_000);
    // Unavailable: the placement rolled back (still processing), its call stayed logged, the timer retries.
    expect(await state(second, order.id)).toBe('processing');
    const placement = await second.db.timer.findFirstOrThrow({ where: { key: order.id, kind: TIMER_KINDS.placeSupplierOrders } });
    expect(placement).toMatchObject({ firedAt: null, attempts: 1 });
    expect(placement.lastError).toContain('unavailable');
    await second.advance(2_000);
    expect(await state(second, order.id)).toBe('placed_with_supplier');
    const references = (await second.db.supplierCall.findMany({ where: { orderId: order.id, operation: 'place' }, orderBy: { createdAt: 'asc' } })).map((call) => [call.outcome, call.reference]);
    expect(references).toHaveLength(2);
    expect(references[0]![1]).toBe(references[1]![1]); // the same reference on the retried placement
    await second.stop();

    // Restarted again, the supplier never answers: after 24 h the order fails, without an automatic retry.
    const third = await start(first.url, clock);
    await third.advance(24 * 60 * MINUTE - 3_000);
    expect(await state(third, order.id)).toBe('placed_with_supplier');
    await third.advance(3_000);
    expect(await state(third, order.id)).toBe('failed');
    const last = (await transitions(third, order.id)).at(-1)!;
    expect(last).toMatchObject({ from: 'placed_with_supplier', to: 'failed', trigger: 'TIMEOUT', error: 'Order placement timed out', willRetry: false });
    expect(await pendingTimers(third, order.id)).toEqual([]);
    // The abandoned supplier order is cancelled at the supplier.
    expect(third.suppliers.spocket.cancelled).toHaveLength(1);
    expect(await third.db.supplierOrder.findFirstOrThrow({ where: { orderId: order.id } })).toMatchObject({ status: 'cancelled' });
    // Ops may retry by hand.
    const retry = await third.app.inject({ method: 'POST', url: `/orders/${order.id}/retry`, headers: { 'x-actor': 'ops:k1' } });
    expect(retry.statusCode, retry.body).toBe(200);
    expect(retry.json()).toMatchObject({ state: 'processing', retryCount: 1 });
  });

  it('a supplier that never confirms is polled on a backing-off schedule (doubling up to the cap), reset when its order moves', async () => {
    const c = await start();
    const order = sampleOrder([{ sku: 'CJ-LAMP', quantity: 1, supplierSource: 'cj' }]);
    await placeWhenPaid(c, order);
    expect(await state(c, order.id)).toBe('placed_with_supplier');
    const placedAt = c.clock.now().getTime();
    const statusCalls = async () => (await c.db.supplierCall.findMany({ where: { orderId: order.id, operation: 'status' }, orderBy: { createdAt: 'asc' } })).map((call) => call.createdAt.getTime());

    // The supplier stays silent for 22 h (the clock moves in 5-minute steps, firing what is due).
    const horizon = 22 * 60 * MINUTE;
    for (let elapsed = 0; elapsed < horizon; elapsed += 5 * MINUTE) await c.advance(5 * MINUTE);
    const polls = await statusCalls();
    // The schedule: 15, 30, 60 min, then every hour (the cap): 23 polls in 22 h instead of 88.
    const schedule: number[] = [];
    for (let at = placedAt, interval = POLL_MS; at + interval <= placedAt + horizon; interval = Math.min(interval * 2, POLL_MAX_MS)) schedule.push((at += interval));
    expect(polls.length).toBeLessThanOrEqual(schedule.length);
    expect(polls.length).toBeGreaterThanOrEqual(schedule.length - 1);
    // In whole minutes: the test clock also moves with real time between steps.
    const minutes = (ms: number) => Math.round(ms / MINUTE);
    const gaps = polls.map((at, i) => minutes(at - (polls[i - 1] ?? placedAt)));
    expect(gaps.slice(0, 4)).toEqual([15, 30, 60, 60]);
    expect(Math.max(...gaps)).toBe(minutes(POLL_MAX_MS));

    // A state change resets the interval: confirmed → the next poll comes after the base interval.
    c.suppliers.cj.status = { status: 'confirmed', trackingNumber: null, carrier: null, reason: null };
    await c.advance(POLL_MAX_MS);
    expect(await state(c, order.id)).toBe('supplier_confirmed');
    const confirmedAt = (await statusCalls()).at(-1)!;
    const timer = await c.db.timer.findFirstOrThrow({ where: { key: order.id, kind: TIMER_KINDS.supplierPoll, firedAt: null } });
    expect(minutes(timer.fireAt.getTime() - confirmedAt)).toBe(minutes(POLL_MS));
  });

  it('two suppliers hand their parts over in one parcel (one tracking number): one shipment carrying both parts, shipped once, polling stops, and its delivery delivers the order', async () => {
    const c = await start();
    const order = await placedAtCjAndAliExpress(c);
    expect(await state(c, order.id)).toBe('placed_with_supplier');
    const parcel = { status: 'shipped', trackingNumber: 'LP00123456789012', carrier: 'Cainiao', reason: null } as const;
    c.suppliers.cj.status = parcel;
    c.suppliers.aliexpress.status = parcel;
    await c.advance(POLL_MS);
    expect(await state(c, order.id)).toBe('shipped');
    expect((await c.db.supplierOrder.findMany({ where: { orderId: order.id } })).map((o) => o.status)).toEqual(['shipped', 'shipped']);
    const [shipment, ...others] = await c.db.shipment.findMany({ where: { orderId: order.id } });
    expect(others).toEqual([]);
    expect(shipment!.trackingNumber).toBe(parcel.trackingNumber);
    expect((shipment!.items as Array<{ sku: string }>).map((i) => i.sku).sort()).toEqual(['AE-CASE', 'CJ-LAMP']);
    expect(await c.db.outboxEvent.count({ where: { aggregateId: order.id, type: 'fulfillment.shipment.shipped' } })).toBe(1);
    expect(await pendingTimers(c, order.id)).toEqual([]);
    expect((await progressEvents(c, order.id)).at(-1)).toMatchObject({ fulfillmentStatus: 'shipped', units: { ordered: 2, shipped: 2, delivered: 0 } });

    // The parcel arrives: both parts with it, so the order is delivered.
    await scan(c, order.id, shipment!, 'delivered');
    expect(await state(c, order.id)).toBe('delivered');
    expect((await progressEvents(c, order.id)).at(-1)).toMatchObject({ fulfillmentStatus: 'fulfilled', units: { ordered: 2, shipped: 2, delivered: 2 } });
  });

  it('a supplier that reports a parcel already delivered with another supplier\'s part: its part arrived with it, gets its automation steps, and the order is delivered', async () => {
    const c = await start();
    const rule = await c.app.inject({ method: 'PUT', url: '/automation-rules/AE-CASE', payload: { scenarios: ['sensor_vendor_first_time'] }, headers: { 'x-actor': 'ops:key1', 'x-actor-role': 'ops' } });
    expect(rule.statusCode, rule.body).toBe(200);
    const order = await placedAtCjAndAliExpress(c);
    const parcel = { status: 'shipped', trackingNumber: 'LP00123456789013', carrier: 'Cainiao', reason: null } as const;
    c.suppliers.cj.status = parcel;
    c.suppliers.aliexpress.status = { status: 'confirmed', trackingNumber: null, carrier: null, reason: null };
    await c.advance(POLL_MS);
    const shipment = await c.db.shipment.findFirstOrThrow({ where: { orderId: order.id } });
    await scan(c, order.id, shipment, 'delivered');
    // The AliExpress part is still to come.
    expect(await state(c, order.id)).not.toBe('delivered');

    c.suppliers.aliexpress.status = parcel;
    await c.advance(POLL_MAX_MS);
    expect(await state(c, order.id)).toBe('delivered');
    expect((await c.db.shipment.findMany({ where: { orderId: order.id } })).map((s) => s.id)).toEqual([shipment.id]);
    expect(await c.db.outboxEvent.count({ where: { aggregateId: order.id, type: 'fulfillment.shipment.shipped' } })).toBe(1);
    expect((await c.db.automationStep.findMany({ where: { shipmentId: shipment.id } })).map((step) => [step.sku, step.scenario])).toEqual([['AE-CASE', 'sensor_vendor_first_time']]);
  });

  it('a part that joins a parcel delivered before its supplier ever confirmed: the order is delivered as it moves on, not left shipped with nothing to wait for', async () => {
    const c = await start();
    const order = await placedAtCjAndAliExpress(c);
    // CJ ships while AliExpress has not answered yet: the workflow waits for its confirmation.
    const parcel = { status: 'shipped', trackingNumber: 'LP00123456789015', carrier: 'Cainiao', reason: null } as const;
    c.suppliers.cj.status = parcel;
    await c.advance(POLL_MS);
    expect(await state(c, order.id)).toBe('placed_with_supplier');
    const shipment = await c.db.shipment.findFirstOrThrow({ where: { orderId: order.id } });
    await scan(c, order.id, shipment, 'delivered');
    expect(await state(c, order.id)).toBe('placed_with_supplier');

    // AliExpress's first answer: its part went in that parcel, which has arrived.
    c.suppliers.aliexpress.status = parcel;
    await c.advance(POLL_MAX_MS);
    expect(await state(c, order.id)).toBe('delivered');
    expect((await transitions(c, order.id)).map((t) => t.to).slice(-4)).toEqual(['supplier_confirmed', 'shipped', 'in_transit', 'delivered']);
    expect(await pendingTimers(c, order.id)).toEqual([]);
    // Both steps applied, none left over or dropped.
    expect(await c.db.parkedEvent.count({ where: { orderId: order.id } })).toBe(0);
    expect((await progressEvents(c, order.id)).at(-1)).toMatchObject({ fulfillmentStatus: 'fulfilled', units: { ordered: 2, delivered: 2 } });
  });

  it("a parcel's delivery scan and the cancel of the order's last other units at the same time: whichever commits second sees both, and the order is delivered", async () => {
    const c = await start();
    const order = await placedAtCjAndAliExpress(c);
    c.suppliers.cj.status = { status: 'shipped', trackingNumber: 'LP00123456789016', carrier: 'Cainiao', reason: null };
    c.suppliers.aliexpress.status = { status: 'confirmed', trackingNumber: null, carrier: null, reason: null };
    await c.advance(POLL_MS);
    const shipment = await c.db.shipment.findFirstOrThrow({ where: { orderId: order.id } });
    await scan(c, order.id, shipment, 'in_transit', null);

    // AliExpress's units are cancelled (as its refusal does) in a transaction still open when the
    // parcel's delivery scan comes: each alone would see the other's part still to come.
    const ae = order.items[1]!;
    const refusal = await holdTransaction(c.db, (tx) =>
      cancelItems(tx, c.fulfillment, {
        orderId: order.id, cause: 'supplier_refused', source: 'aliexpress', reason: 'Out of stock',
        items: [{ sku: ae.sku, variantId: ae.variantId, vendorId: ae.vendor.id, quantity: 1 }],
      }),
    );
    let scanned = false;
    const delivery = scan(c, order.id, shipment, 'delivered').then(() => (scanned = true));
    // The scan is done, or waits for a lock (the order's workflow, held by the cancel).
    await eventually(async () => scanned || (await c.db.$queryRaw<Array<{ waiting: number }>>`
      SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)[0]!.waiting > 0, (done) => done);
    await Promise.all([refusal.release(), delivery]);
    expect(await state(c, order.id)).toBe('delivered');
    expect((await progressEvents(c, order.id)).at(-1)).toMatchObject({ units: { ordered: 2, delivered: 1, cancelled: 1 } });
  });

  it("a supplier that reports the tracking number of the order's hub parcel is not believed: its part is asked again (an overdue task past the deadline names the number), ships under its own number, and the order is delivered with both parcels", async () => {
    const c = await start();
    const order = sampleOrder([
      { sku: 'CHARGER-USB-C', quantity: 1, supplierSource: 'own_stock' },
      { sku: 'AE-CASE', quantity: 1, supplierSource: 'aliexpress' },
    ]);
    await placeWhenPaid(c, order);
    await hubParcelLeavesOnceConfirmed(c, order.id, 'aliexpress');

    c.suppliers.aliexpress.status = { status: 'shipped', trackingNumber: 'RR123456785ES', carrier: 'Correos', reason: null };
    await c.advance(POLL_MAX_MS);
    expect(await c.db.supplierOrder.findFirstOrThrow({ where: { orderId: order.id } })).toMatchObject({ status: 'confirmed', trackingNumber: null });
    const [hub, ...others] = await c.db.shipment.findMany({ where: { orderId: order.id } });
    expect(others).toEqual([]);
    expect((hub!.items as Array<{ sku: string }>).map((i) => i.sku)).toEqual(['CHARGER-USB-C']);
    expect(await pendingTimers(c, order.id)).toContain(TIMER_KINDS.supplierPoll);

    // Still only the hub parcel's number at the shipping deadline: the overdue task says so.
    await c.advance(7 * DAY);
    const [task, ...more] = await c.db.opsTask.findMany({ where: { orderId: order.id } });
    expect(more).toEqual([]);
    expect(task).toMatchObject({ kind: 'supplier_overdue', status: 'open', supplier: 'aliexpress' });
    expect(task!.reason).toMatch(/; it reports tracking number RR123456785ES, one of the order's own parcels, and none of its own$/);

    c.suppliers.aliexpress.status = { status: 'shipped', trackingNumber: 'LP00123456789014', carrier: 'Cainiao', reason: null };
    await c.advance(POLL_MAX_MS);
    expect(await c.db.supplierOrder.findFirstOrThrow({ where: { orderId: order.id } })).toMatchObject({ status: 'shipped', trackingNumber: 'LP00123456789014' });
    expect(await c.db.opsTask.findMany({ where: { orderId: order.id } })).toMatchObject([{ id: task!.id, status: 'resolved', outcome: 'supplier_shipped' }]);
    const shipments = await c.db.shipment.findMany({ where: { orderId: order.id }, orderBy: { createdAt: 'asc' } });
    expect(shipments.map((s) => [s.source, s.trackingNumber])).toEqual([['own_stock', 'RR123456785ES'], ['aliexpress', 'LP00123456789014']]);
    expect(await c.db.outboxEvent.count({ where: { aggregateId: order.id, type: 'fulfillment.shipment.shipped' } })).toBe(2);
    const parcels = (await progressEvents(c, order.id))
      .filter((p) => p.cause.kind === 'parcel_shipped')
      .map((p) => p.parcels.map((x) => `${x.number} of ${x.of}`).join());
    expect(parcels).toEqual(['1 of 2', '1 of 2,2 of 2']);
    for (const shipment of shipments) await scan(c, order.id, shipment, 'delivered');
    expect(await state(c, order.id)).toBe('delivered');
  });

  it("a re-routed part placed after the hub parcel left, whose first answer is the hub parcel's number, is confirmed (its supplier has it) and not timed out for never answering", async () => {
    const c = await start();
    const ops = { 'x-actor': 'ops:key1', 'x-actor-role': 'ops' };
    expect((await c.app.inject({ method: 'PUT', url: '/ops/policies/supplier-failure', payload: { mode: 'reroute' }, headers: ops })).statusCode).toBe(200);
    expect((await c.app.inject({ method: 'PUT', url: '/ops/sku-sources/CJ-LAMP', payload: { sources: ['spocket'] }, headers: ops })).statusCode).toBe(200);
    const order = sampleOrder([
      { sku: 'CHARGER-USB-C', quantity: 1, supplierSource: 'own_stock' },
      { sku: 'CJ-LAMP', quantity: 1, supplierSource: 'cj' },
    ]);
    await placeWhenPaid(c, order);
    await hubParcelLeavesOnceConfirmed(c, order.id, 'cj');
    // CJ cancels its part: re-routed to Spocket, placed there.
    c.suppliers.cj.status = { status: 'cancelled', trackingNumber: null, carrier: null, reason: 'Out of stock' };
    await c.advance(POLL_MS);
    const spocket = () => c.db.supplierOrder.findFirstOrThrow({ where: { orderId: order.id, supplier: 'spocket' } });
    expect((await spocket()).status).toBe('placed');

    c.suppliers.spocket.status = { status: 'shipped', trackingNumber: 'RR123456785ES', carrier: 'Correos', reason: null };
    await c.advance(POLL_MAX_MS);
    expect(await spocket()).toMatchObject({ status: 'confirmed', trackingNumber: null });
    expect((await c.db.shipment.findMany({ where: { orderId: order.id } })).map((s) => s.source)).toEqual(['own_stock']);
    // Past the supplier timeout it is still going: asked again, not failed.
    await c.advance(24 * 60 * MINUTE);
    expect((await spocket()).status).toBe('confirmed');
    expect(await pendingTimers(c, order.id)).toContain(TIMER_KINDS.supplierPoll);
  });

  it('a supplier whose first answer is shipped without a tracking number has the order: confirmed and asked again, not timed out for never answering', async () => {
    const c = await start();
    const order = await cjAnswersAtFirstPoll(c, 'shipped');
    const cj = () => c.db.supplierOrder.findFirstOrThrow({ where: { orderId: order.id, supplier: 'cj' } });
    expect(await cj()).toMatchObject({ status: 'confirmed', trackingNumber: null });
    expect(await state(c, order.id)).toBe('supplier_confirmed');
    // Past the supplier timeout it is still going: asked again, not failed nor cancelled at CJ.
    await c.advance(24 * 60 * MINUTE);
    expect((await cj()).status).toBe('confirmed');
    expect(await state(c, order.id)).toBe('supplier_confirmed');
    expect(await pendingTimers(c, order.id)).toContain(TIMER_KINDS.supplierPoll);

    c.suppliers.cj.status = { status: 'shipped', trackingNumber: 'CJPKL7160102171YQ', carrier: 'CJPacket Ordinary', reason: null };
    await c.advance(POLL_MAX_MS);
    expect(await cj()).toMatchObject({ status: 'shipped', trackingNumber: 'CJPKL7160102171YQ' });
    expect(await state(c, order.id)).toBe('shipped');
  });

  it('a supplier order confirmed but not shipped 7 days after placement gets one ops task, which closes by itself once the supplier ships', async () => {
    const c = await start();
    const order = await cjAnswersAtFirstPoll(c, 'shipped');
    const tasks = () => c.db.opsTask.findMany({ where: { orderId: order.id } });
    await c.advance(6 * DAY);
    expect(await tasks()).toEqual([]);

    await c.advance(DAY);
    const [task, ...others] = await tasks();
    expect(others).toEqual([]);
    expect(task).toMatchObject({ kind: 'supplier_overdue', status: 'open', supplier: 'cj', externalOrderId: expect.any(String) });
    expect(task!.reason).toBe(`cj has not shipped its part within 7 days of placement (order ${task!.externalOrderId}); it reports the order shipped but gives no tracking number`);
    expect((await openExceptions(c.db)).get('supplier_overdue')).toBe(1);
    // Still asked, and not escalated twice; a cancellation task's outcome does not close it.
    await c.advance(POLL_MAX_MS);
    expect(await tasks()).toHaveLength(1);
    const listed = (await c.app.inject({ method: 'GET', url: '/ops/tasks' })).json();
    expect(listed.tasks.filter((t: { orderId: string }) => t.orderId === order.id)).toMatchObject([{ id: task!.id, kind: 'supplier_overdue' }]);
    const resolve = await c.app.inject({
      method: 'POST', url: `/ops/tasks/${task!.id}/resolve`, payload: { outcome: 'shipped_anyway' }, headers: { 'x-actor': 'ops:key1', 'x-actor-role': 'ops' },
    });
    expect(resolve.statusCode, resolve.body).toBe(422);
    expect(resolve.json()).toMatchObject({ code: 'OPS_TASK_OUTCOME_MISMATCH', errors: [{ pointer: '/outcome' }] });

    // The deadline raised meanwhile: the task still closes when the part ships.
    c.fulfillment.settings.supplierShippingDeadlineMs = 14 * DAY;
    c.suppliers.cj.status = { status: 'shipped', trackingNumber: 'CJPKL7160102171YQ', carrier: 'CJPacket Ordinary', reason: null };
    await c.advance(POLL_MAX_MS);
    expect(await state(c, order.id)).toBe('shipped');
    expect(await tasks()).toMatchObject([{ id: task!.id, status: 'resolved', outcome: 'supplier_shipped', resolvedBy: 'fulfillment' }]);
    expect((await openExceptions(c.db)).get('supplier_overdue')).toBeUndefined();
    const told = await c.db.outboxEvent.findMany({ where: { aggregateId: order.id, type: 'fulfillment.ops_task.changed' }, orderBy: { seq: 'asc' } });
    expect(told.map((e) => e.envelope)).toMatchObject([
      { version: 2, data: { kind: 'supplier_overdue', status: 'open', outcome: null } },
      { version: 2, data: { kind: 'supplier_overdue', status: 'resolved', outcome: 'supplier_shipped' } },
    ]);
  });

  it("an overdue supplier order the supplier refuses to cancel: its task closes as left to the cancellation task that follows; one the supplier refuses closes as refused", async () => {
    const c = await start();
    const order = await cjAnswersAtFirstPoll(c, 'confirmed');
    await c.advance(7 * DAY);
    c.suppliers.cj.cancelRefusal = 'Already handed to the carrier';
    await deliver(c, event(orderCancelled, order.id, { orderId: order.id, reason: 'customer asked', actor: 'customer:cust-1', previousStatus: 'processing', cancelledAt: new Date().toISOString() }));
    await c.advance(0);
    const tasks = await c.db.opsTask.findMany({ where: { orderId: order.id }, orderBy: { createdAt: 'asc' } });
    expect(tasks).toMatchObject([
      { kind: 'supplier_overdue', status: 'resolved', outcome: 'cancellation_left_to_ops' },
      { kind: 'supplier_cancellation', status: 'open', reason: 'Cancellation refused: Already handed to the carrier' },
    ]);

    const refused = await cjAnswersAtFirstPoll(c, 'confirmed');
    await c.advance(7 * DAY);
    c.suppliers.cj.status = { status: 'rejected', trackingNumber: null, carrier: null, reason: 'Out of stock' };
    await c.advance(POLL_MAX_MS);
    expect(await c.db.opsTask.findMany({ where: { orderId: refused.id } })).toMatchObject([{ kind: 'supplier_overdue', status: 'resolved', outcome: 'supplier_refused' }]);
  });

  it('ops mark an overdue supplier order handled: its task closes with their note, and the supplier is still asked for its parcel', async () => {
    const c = await start();
    const order = await cjAnswersAtFirstPoll(c, 'confirmed');
    await c.advance(7 * DAY);
    const [task] = await c.db.opsTask.findMany({ where: { orderId: order.id } });
    expect(task!.reason).toMatch(/; it answers confirmed$/);
    const resolve = await c.app.inject({
      method: 'POST', url: `/ops/tasks/${task!.id}/resolve`, payload: { outcome: 'handled_by_ops', note: 'CJ ships on Monday' }, headers: { 'x-actor': 'ops:key1', 'x-actor-role': 'ops' },
    });
    expect(resolve.statusCode, resolve.body).toBe(200);
    expect(resolve.json()).toMatchObject({ id: task!.id, status: 'resolved', outcome: 'handled_by_ops', note: 'CJ ships on Monday', resolvedBy: 'ops:key1' });
    expect((await c.db.supplierOrder.findFirstOrThrow({ where: { orderId: order.id } })).status).toBe('confirmed');
    expect(await pendingTimers(c, order.id)).toContain(TIMER_KINDS.supplierPoll);
  });

  it("an overdue supplier order's task closes when the order is cancelled (cancelled at the supplier); one whose supplier is down past the deadline gets its task too", async () => {
    const c = await start();
    const order = await cjAnswersAtFirstPoll(c, 'confirmed');
    c.suppliers.cj.statusUnavailable = true;
    await c.advance(7 * DAY);
    const [task] = await c.db.opsTask.findMany({ where: { orderId: order.id } });
    expect(task).toMatchObject({ kind: 'supplier_overdue', status: 'open' });
    expect(task!.reason).toMatch(/; its API did not answer the last status request$/);

    c.suppliers.cj.statusUnavailable = false;
    await deliver(c, event(orderCancelled, order.id, { orderId: order.id, reason: 'customer asked', actor: 'customer:cust-1', previousStatus: 'processing', cancelledAt: new Date().toISOString() }));
    await c.advance(0);
    expect(c.suppliers.cj.cancelled).toHaveLength(1);
    expect(await c.db.opsTask.findMany({ where: { orderId: order.id } })).toMatchObject([{ id: task!.id, status: 'resolved', outcome: 'supplier_order_cancelled' }]);
  });

  it('cancel after placement cancels at the supplier and releases the reservation', async () => {
    const c = await start();
    const order = sampleOrder([
      { sku: 'CHARGER-USB-C', quantity: 4, supplierSource: 'own_stock' },
      { sku: 'AE-CASE', quantity: 1, supplierSource: 'aliexpress' },
    ]);
    const before = await stock(c, 'hub-madrid', 'CHARGER-USB-C');
    await placeWhenPaid(c, order);
    expect(await state(c, order.id)).toBe('placed_with_supplier');
    expect((await stock(c, 'hub-madrid', 'CHARGER-USB-C')).reserved).toBe(before.reserved + 4);

    await deliver(c, event(orderCancelled, order.id, { orderId: order.id, reason: 'customer asked', actor: 'customer:cust-1', previousStatus: 'confirmed', cancelledAt: new Date().toISOString() }));
    expect(await state(c, order.id)).toBe('cancelled');
    expect((await stock(c, 'hub-madrid', 'CHARGER-USB-C')).reserved).toBe(before.reserved);
    expect((await c.db.reservation.findFirstOrThrow({ where: { orderId: order.id } })).status).toBe('released');
    expect(await pendingTimers(c, order.id)).toEqual([TIMER_KINDS.cancelSupplierOrders]);
    await c.advance(0);
    expect(c.suppliers.aliexpress.cancelled).toHaveLength(1);
    expect(await c.db.supplierOrder.findFirstOrThrow({ where: { orderId: order.id } })).toMatchObject({ status: 'cancelled' });
    expect((await c.db.fulfillmentOrder.findFirstOrThrow({ where: { orderId: order.id } })).status).toBe('cancelled');
    expect(await pendingTimers(c, order.id)).toEqual([]);
    const changes = await c.db.outboxEvent.findMany({ where: { aggregateId: order.id, type: 'fulfillment.supplier_order.changed' }, orderBy: { seq: 'asc' } });
    expect(changes.map((e) => (e.envelope as { data: { status: string } }).data.status)).toEqual(['placed', 'cancelled']);
  });

  it('reservations expire after the TTL when the placement cannot complete, and never exceed the stock', async () => {
    const c = await start();
    await c.app.inject({ method: 'PUT', url: '/hubs/hub-madrid/stock/MUG-WHT', payload: { onHand: 1 } });
    await c.app.inject({ method: 'PUT', url: '/hubs/hub-berlin/stock/MUG-WHT', payload: { onHand: 1 } });
    await c.app.inject({ method: 'PUT', url: '/hubs/hub-newark/stock/MUG-WHT', payload: { onHand: 0 } });
    c.suppliers.cj.placeScript = Array(20).fill('unavailable');
    const order = sampleOrder([
      { sku: 'MUG-WHT', quantity: 2, supplierSource: 'own_stock' },
      { sku: 'CJ-LAMP', quantity: 1, supplierSource: 'cj' },
    ]);
    await placeWhenPaid(c, order);
    // Split across the two hubs that have one each.
    const held = await c.db.reservation.findMany({ where: { orderId: order.id, status: 'held' }, orderBy: { hubId: 'asc' } });
    expect(held.map((r) => [r.hubId, r.quantity])).toEqual([['hub-berlin', 1], ['hub-madrid', 1]]);
    const hubs = (await c.app.inject({ method: 'GET', url: '/hubs' })).json().hubs;
    expect(hubs.find((h: { id: string }) => h.id === 'hub-madrid').stock.find((s: { sku: string }) => s.sku === 'MUG-WHT')).toMatchObject({ sku: 'MUG-WHT', onHand: 1, reserved: 1, available: 0 });
    // Stock can't go below what is reserved.
    const below = await c.app.inject({ method: 'PUT', url: '/hubs/hub-madrid/stock/MUG-WHT', payload: { onHand: 0 } });
    expect(below.statusCode).toBe(409);
    // A second order can't reserve what the first holds: its placement fails for lack of stock.
    const other = sampleOrder([{ sku: 'MUG-WHT', quantity: 1, supplierSource: 'own_stock' }]);
    await deliver(c, createdEvent(other));
    await deliver(c, paid(other.id));
    await c.app.inject({ method: 'POST', url: `/orders/${other.id}/process` });
    await c.advance(0);
    expect(await state(c, other.id)).toBe('failed');
    expect((await c.db.workflow.findUniqueOrThrow({ where: { orderId: other.id } })).error).toContain('Insufficient stock');

    // 30 min later the first order's reservations expire (CJ still down).
    await c.advance(30 * MINUTE);
    expect(await c.db.reservation.count({ where: { orderId: order.id, status: 'released', releaseReason: 'expired' } })).toBe(2);
    // The placement, retried meanwhile, routes and reserves again: never beyond what is on hand.
    for (const hubId of ['hub-madrid', 'hub-berlin']) expect((await stock(c, hubId, 'MUG-WHT')).reserved).toBeLessThanOrEqual(1);
    const timers = (await c.app.inject({ method: 'GET', url: '/timers?state=pending' })).json().timers;
    expect(timers.some((t: { kind: string; key: string }) => t.kind === TIMER_KINDS.placeSupplierOrders && t.key === order.id)).toBe(true);
  });

  it('a refused order shows its retries truthfully: how many so far, of how many, and when the next is due', async () => {
    const c = await start();
    c.suppliers.cj.placeScript = ['reject', 'reject', 'reject', 'reject'];
    const order = sampleOrder([{ sku: 'CJ-LAMP', quantity: 1, supplierSource: 'cj' }]);
    await deliver(c, createdEvent(order));
    await deliver(c, paid(order.id));
    await c.app.inject({ method: 'POST', url: `/orders/${order.id}/process` });
    await c.advance(0);
    // The state, the retries so far and of how many, and in how many whole minutes the next is due
    // (the test clock also moves with real time between steps).
    const view = async () => {
      const { state, retryCount, maxRetries, nextRetryAt } = (await c.app.inject({ method: 'GET', url: `/orders/${order.id}` })).json();
      const dueInMinutes = nextRetryAt === null ? null : Math.round((Date.parse(nextRetryAt) - c.clock.now().getTime()) / MINUTE);
      return { state, retryCount, maxRetries, dueInMinutes };
    };

    // Refused once: failed, no retry made yet, the first one due in 5 min.
    expect(await view()).toEqual({ state: 'failed', retryCount: 0, maxRetries: 3, dueInMinutes: 5 });
    await c.advance(5 * MINUTE);
    expect(await view()).toEqual({ state: 'failed', retryCount: 1, maxRetries: 3, dueInMinutes: 10 });
    await c.advance(10 * MINUTE);
    expect(await view()).toEqual({ state: 'failed', retryCount: 2, maxRetries: 3, dueInMinutes: 20 });
    await c.advance(20 * MINUTE);
    // Given up: nothing is due any more.
    expect(await view()).toEqual({ state: 'failed', retryCount: 3, maxRetries: 3, dueInMinutes: null });
  });

  it('parcels (FUL-04): a hub ships in two parcels, the second after the first arrived; the order is delivered only once the rest is delivered or cancelled, once', async () => {
    const c = await start();
    const order = sampleOrder([
      { sku: 'MUG-WHT', quantity: 2, supplierSource: 'own_stock' },
      { sku: 'CJ-LAMP', quantity: 1, supplierSource: 'cj' },
    ]);
    const before = await stock(c, 'hub-madrid', 'MUG-WHT');
    await placeWhenPaid(c, order);
    c.suppliers.cj.status = { status: 'confirmed', trackingNumber: null, carrier: null, reason: null };
    await c.advance(POLL_MS);
    expect(await state(c, order.id)).toBe('supplier_confirmed');

    const ship = (trackingNumber: string) =>
      c.app.inject({ method: 'POST', url: `/orders/${order.id}/shipments`, payload: { trackingNumber, items: [{ sku: 'MUG-WHT', quantity: 1 }] }, headers: { 'x-actor': 'ops:key1' } });
    const track = async (trackingNumber: string, status: 'in_transit' | 'delivered') =>
      scan(c, order.id, await c.db.shipment.findFirstOrThrow({ where: { orderId: order.id, trackingNumber } }), status, null);
    expect((await ship('RR100000001ES')).statusCode).toBe(201);
    await track('RR100000001ES', 'in_transit');
    await track('RR100000001ES', 'delivered');
    await track('RR100000001ES', 'delivered'); // a repeated scan changes nothing
    expect(await state(c, order.id)).toBe('in_transit');
    // Units remain: the hub still ships, and its stock is consumed as it does.
    const second = await ship('RR100000002ES');
    expect(second.statusCode, second.body).toBe(201);
    expect(await stock(c, 'hub-madrid', 'MUG-WHT')).toMatchObject({ onHand: before.onHand - 2, reserved: before.reserved });
    expect((await c.db.fulfillmentOrder.findFirstOrThrow({ where: { orderId: order.id } })).status).toBe('in_transit');
    await track('RR100000002ES', 'delivered');
    expect(await state(c, order.id)).toBe('in_transit');
    expect((await c.db.fulfillmentOrder.findFirstOrThrow({ where: { orderId: order.id } })).status).toBe('completed');

    // The CJ lamp will not come (its supplier order refused): cancelled by id, once, never more than remains.
    await c.db.supplierOrder.updateMany({ where: { orderId: order.id }, data: { status: 'rejected' } });
    const lamp = { sku: 'CJ-LAMP', variantId: 'CJ-LAMP-v', vendorId: 'v1', quantity: 1 };
    const cancel = (items = [lamp], cancellationId = '0b6f2d4e-8a1c-4d7e-9f3a-5c2b1e0d9a87') =>
      c.db.$transaction((tx) => cancelItems(tx, c.fulfillment, { orderId: order.id, cause: 'supplier_refused', source: 'cj', reason: 'Out of stock', items, cancellationId }));
    await expect(cancel([{ ...lamp, quantity: 2 }], randomUUID())).rejects.toMatchObject({ code: 'CANCELLATION_EXCEEDS_OPEN_UNITS' });
    expect(await cancel()).toEqual({ cancellationId: '0b6f2d4e-8a1c-4d7e-9f3a-5c2b1e0d9a87' });
    await cancel();
    expect(await c.db.itemCancellation.count({ where: { orderId: order.id } })).toBe(1);
    expect(await c.db.outboxEvent.count({ where: { aggregateId: order.id, type: 'fulfillment.items.cancelled' } })).toBe(1);
    expect(await state(c, order.id)).toBe('delivered');
    expect((await transitions(c, order.id)).filter((t) => t.to === 'delivered')).toHaveLength(1);

    const progress = await progressEvents(c, order.id);
    expect(progress.map((p) => [p.cause.kind, p.fulfillmentStatus, p.parcels.map((x) => `${x.number} of ${x.of}`).join()])).toEqual([
      ['parcel_shipped', 'partially_shipped', '1 of 3'],
      ['parcel_delivered', 'partially_shipped', '1 of 3'],
      ['parcel_shipped', 'partially_shipped', '1 of 3,2 of 3'],
      ['parcel_delivered', 'partially_shipped', '1 of 3,2 of 3'],
      ['units_cancelled', 'fulfilled', '1 of 2,2 of 2'],
    ]);
    expect(progress.at(-1)!.units).toEqual({ ordered: 3, shipped: 2, delivered: 2, returned: 0, cancelled: 1 });
  });

  it('stores the machine version with each snapshot and refuses a snapshot of another version, changing nothing', async () => {
    const c = await start();
    const order = sampleOrder([{ sku: 'MUG-WHT', quantity: 1, supplierSource: 'own_stock' }]);
    await deliver(c, createdEvent(order));
    expect((await c.db.workflow.findUniqueOrThrow({ where: { orderId: order.id } })).machineVersion).toBe(MACHINE_VERSION);
    await deliver(c, paid(order.id));
    expect((await c.db.workflow.findUniqueOrThrow({ where: { orderId: order.id } })).machineVersion).toBe(MACHINE_VERSION);

    // As if a newer release had written it: neither read with the wrong meaning nor moved on.
    await c.db.workflow.update({ where: { orderId: order.id }, data: { machineVersion: MACHINE_VERSION + 1 } });
    const detail = await c.app.inject({ method: 'GET', url: `/orders/${order.id}` });
    expect(detail.statusCode).toBe(409);
    expect(detail.json()).toMatchObject({ code: 'WORKFLOW_MACHINE_VERSION_UNKNOWN' });
    expect(detail.json().title).toContain(`stored by machine version ${MACHINE_VERSION + 1}`);
    const processed = await c.app.inject({ method: 'POST', url: `/orders/${order.id}/process` });
    expect(processed.json()).toMatchObject({ code: 'WORKFLOW_MACHINE_VERSION_UNKNOWN' });
    const cancel = event(orderCancelled, order.id, { orderId: order.id, reason: 'customer asked', actor: 'customer:cust-1', previousStatus: 'confirmed', cancelledAt: new Date().toISOString() });
    await expect(deliver(c, cancel)).rejects.toBeInstanceOf(UnknownMachineVersionError);
    await c.advance(60_000);
    expect(await state(c, order.id)).toBe('payment_confirmed');
    expect((await c.db.timer.findFirstOrThrow({ where: { key: order.id, kind: TIMER_KINDS.paymentConfirmedDelay } })).lastError).toContain('machine version');
  });

  it('refuses bad input and unknown orders with problem+json, changing nothing', async () => {
    const c = await start();
    const order = sampleOrder([{ sku: 'MUG-WHT', quantity: 1, supplierSource: 'own_stock' }]);
    await deliver(c, createdEvent(order));
    const cases = [
      { method: 'GET' as const, url: '/orders/not-a-uuid', status: 400, code: 'VALIDATION_FAILED' },
      { method: 'GET' as const, url: `/orders/${randomUUID()}`, status: 404, code: 'WORKFLOW_NOT_FOUND' },
      { method: 'POST' as const, url: `/orders/${randomUUID()}/process`, status: 404, code: 'WORKFLOW_NOT_FOUND' },
      { method: 'POST' as const, url: `/orders/${order.id}/process`, status: 409, code: 'WORKFLOW_NOT_PROCESSABLE' },
      { method: 'POST' as const, url: `/orders/${order.id}/retry`, status: 409, code: 'RETRY_NOT_ALLOWED' },
      { method: 'POST' as const, url: `/orders/${order.id}/shipments`, payload: { trackingNumber: 'x' }, status: 400, code: 'VALIDATION_FAILED' },
      { method: 'POST' as const, url: `/orders/${order.id}/shipments`, payload: { trackingNumber: 'RR123456785ES' }, status: 409, code: 'WORKFLOW_NOT_SHIPPABLE' },
      { method: 'PUT' as const, url: '/hubs/hub-nowhere/stock/MUG-WHT', payload: { onHand: 3 }, status: 404, code: 'HUB_NOT_FOUND' },
      { method: 'PUT' as const, url: '/hubs/hub-madrid/stock/MUG-WHT', payload: { onHand: -1 }, status: 400, code: 'VALIDATION_FAILED' },
      { method: 'GET' as const, url: '/timers?state=soon', status: 400, code: 'VALIDATION_FAILED' },
    ];
    for (const { status, code, ...request } of cases) {
      const response = await c.app.inject(request);
      expect(response.statusCode, `${request.method} ${request.url}`).toBe(status);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json().code).toBe(code);
    }
    expect(await state(c, order.id)).toBe('pending');
    expect((await stock(c, 'hub-madrid', 'MUG-WHT')).onHand).toBe(40);
    expect(await c.db.workflowHistory.count({ where: { orderId: order.id } })).toBe(1);
  });
});
