import { randomUUID } from 'node:crypto';
import { type Envelope, paymentSucceeded, trackingStatusChanged } from '@platform/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import { billingEventSubscriptions } from '../src/consumers/billing-events';
import { orderEventSubscriptions } from '../src/consumers/order-events';
import { trackingEventSubscriptions } from '../src/consumers/tracking-events';
import { type Composition, compose, createdEvent, event, sampleOrder } from './support/composition';

/**
 * Hub parcels as FUL-04 defines them (docs/requirements.md#ful-04-fulfillment-orders-and-shipments):
 * draft (units allocated) → ready (tracking number) → in_transit (handed over) → delivered, or
 * cancelled before leaving (units back). Real PostgreSQL, workers off: the test applies events.
 */

const running: Composition[] = [];
afterAll(async () => {
  await Promise.all(running.map((c) => c.stop().catch(() => {})));
});

async function deliver(c: Composition, envelope: Envelope) {
  const subscriptions = [...orderEventSubscriptions(c.fulfillment), ...billingEventSubscriptions(c.fulfillment), ...trackingEventSubscriptions(c.fulfillment)];
  await c.db.$transaction((tx) => subscriptions.find((s) => s.type === envelope.type)!.handle(envelope, tx));
}

/** A hub-only order of `quantity` MUG-WHT taken to supplier_confirmed; its hub fulfillment order's id. */
async function confirmedHubOrder(quantity: number) {
  const c = await compose();
  running.push(c);
  const order = sampleOrder([{ sku: 'MUG-WHT', quantity, supplierSource: 'own_stock' }]);
  const before = await stock(c);
  await deliver(c, createdEvent(order));
  await deliver(c, event(paymentSucceeded, order.id, { orderId: order.id, paymentId: randomUUID(), provider: 'stripe', providerPaymentId: 'pi_1', amount: 2000, currency: 'EUR', paidAt: new Date().toISOString() }));
  await c.advance(60_000);
  expect((await c.db.workflow.findUniqueOrThrow({ where: { orderId: order.id } })).state).toBe('supplier_confirmed');
  const { id } = await c.db.fulfillmentOrder.findFirstOrThrow({ where: { orderId: order.id } });
  return { c, order, fulfillmentOrderId: id, before };
}

const stock = (c: Composition) => c.db.hubStock.findUniqueOrThrow({ where: { hubId_sku: { hubId: 'hub-madrid', sku: 'MUG-WHT' } } });
const ops = { 'x-actor': 'ops:key1' };
const draft = (c: Composition, fulfillmentOrderId: string, payload: object) =>
  c.app.inject({ method: 'POST', url: `/fulfillment-orders/${fulfillmentOrderId}/shipments`, payload, headers: ops });
const setStatus = (c: Composition, shipmentId: string, payload: object) => c.app.inject({ method: 'POST', url: `/shipments/${shipmentId}/status`, payload, headers: ops });
const remaining = async (c: Composition, fulfillmentOrderId: string) =>
  (await c.app.inject({ method: 'GET', url: `/fulfillment-orders/${fulfillmentOrderId}` })).json().items[0].remainingQuantity;
const shippedEvents = (c: Composition, orderId: string) => c.db.outboxEvent.count({ where: { aggregateId: orderId, type: 'fulfillment.shipment.shipped' } });

describe('hub shipments (FUL-04)', () => {
  it('draft → ready → in_transit → delivered: units allocated at the draft, the hub effects at hand-over; a wrong step is 409', async () => {
    const { c, order, fulfillmentOrderId, before } = await confirmedHubOrder(3);

    const created = await draft(c, fulfillmentOrderId, { items: [{ sku: 'MUG-WHT', quantity: 2 }], carrier: 'Correos' });
    expect(created.statusCode, created.body).toBe(201);
    const shipment = created.json();
    expect(shipment).toMatchObject({ status: 'draft', trackingNumber: null, carrier: 'Correos', fulfillmentOrderId, address: order.shippingAddress, shippedAt: null });
    expect(await remaining(c, fulfillmentOrderId)).toBe(1);

    const edited = await c.app.inject({ method: 'PATCH', url: `/shipments/${shipment.id}`, payload: { items: [{ sku: 'MUG-WHT', quantity: 1 }], carrier: 'SEUR' }, headers: ops });
    expect(edited.json()).toMatchObject({ status: 'draft', carrier: 'SEUR', items: [{ sku: 'MUG-WHT', quantity: 1 }] });
    expect(await remaining(c, fulfillmentOrderId)).toBe(2);

    const skipped = await setStatus(c, shipment.id, { status: 'in_transit' });
    expect(skipped.statusCode).toBe(409);
    expect(skipped.headers['content-type']).toContain('application/problem+json');
    expect(skipped.json()).toMatchObject({ code: 'INVALID_SHIPMENT_TRANSITION' });
    expect((await setStatus(c, shipment.id, { status: 'ready' })).statusCode).toBe(400); // no tracking number

    const ready = await setStatus(c, shipment.id, { status: 'ready', trackingNumber: 'RR200000001ES' });
    expect(ready.json()).toMatchObject({ status: 'ready', trackingNumber: 'RR200000001ES', carrier: 'SEUR' });
    expect((await c.app.inject({ method: 'PATCH', url: `/shipments/${shipment.id}`, payload: { carrier: 'DHL' }, headers: ops })).json()).toMatchObject({ code: 'SHIPMENT_NOT_DRAFT' });
    // Nothing left the hub yet.
    expect(await stock(c)).toMatchObject({ onHand: before.onHand });
    expect(await shippedEvents(c, order.id)).toBe(0);

    const handedOver = await setStatus(c, shipment.id, { status: 'in_transit' });
    expect(handedOver.json()).toMatchObject({ status: 'in_transit', trackingNumber: 'RR200000001ES' });
    expect(handedOver.json().shippedAt).not.toBeNull();
    expect(await stock(c)).toMatchObject({ onHand: before.onHand - 1, reserved: before.reserved + 2 });
    expect(await shippedEvents(c, order.id)).toBe(1);
    expect((await c.db.workflow.findUniqueOrThrow({ where: { orderId: order.id } })).state).toBe('shipped');
    expect((await setStatus(c, shipment.id, { status: 'cancelled' })).json()).toMatchObject({ code: 'INVALID_SHIPMENT_TRANSITION' });

    const at = new Date().toISOString();
    await deliver(c, event(trackingStatusChanged, order.id, {
      orderId: order.id, shipmentId: shipment.id, trackingNumber: 'RR200000001ES', carrier: null, status: 'delivered', previousStatus: 'in_transit',
      event: { time: at, location: 'Madrid', description: 'delivered' }, estimatedDelivery: null, provider: '17track', at,
    }));
    const view = (await c.app.inject({ method: 'GET', url: `/fulfillment-orders/${fulfillmentOrderId}` })).json();
    expect(view).toMatchObject({ orderId: order.id, status: 'awaiting_shipment', items: [{ sku: 'MUG-WHT', quantity: 3, remainingQuantity: 2 }] });
    expect(view.shipments.map((s: { status: string }) => s.status)).toEqual(['delivered']);
    const orderView = (await c.app.inject({ method: 'GET', url: `/orders/${order.id}` })).json();
    expect(orderView.shipments.map((s: { id: string; status: string }) => [s.id, s.status])).toEqual([[shipment.id, 'delivered']]);
    // Two units remain: the order is not delivered.
    expect(orderView.state).not.toBe('delivered');
  });

  it('two drafts racing for the same units: one gets them; a cancelled draft gives them back (reservations stay); the one-call route ships the rest', async () => {
    const { c, order, fulfillmentOrderId, before } = await confirmedHubOrder(3);

    const raced = await Promise.all([1, 2].map(() => draft(c, fulfillmentOrderId, { items: [{ sku: 'MUG-WHT', quantity: 2 }] })));
    expect(raced.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    expect(raced.find((r) => r.statusCode === 409)!.json()).toMatchObject({ code: 'ALLOCATION_EXCEEDS_REMAINING' });
    expect(await remaining(c, fulfillmentOrderId)).toBe(1);
    expect((await draft(c, fulfillmentOrderId, { items: [{ sku: 'MUG-WHT', quantity: 2 }] })).json()).toMatchObject({ code: 'ALLOCATION_EXCEEDS_REMAINING' });

    const won = raced.find((r) => r.statusCode === 201)!.json();
    const cancelled = await setStatus(c, won.id, { status: 'cancelled' });
    expect(cancelled.json()).toMatchObject({ status: 'cancelled' });
    expect(await remaining(c, fulfillmentOrderId)).toBe(3);
    expect(await c.db.reservation.findMany({ where: { orderId: order.id }, select: { status: true, quantity: true } })).toEqual([{ status: 'confirmed', quantity: 3 }]);
    expect(await stock(c)).toMatchObject({ onHand: before.onHand, reserved: before.reserved + 3 });
    expect((await setStatus(c, won.id, { status: 'cancelled' })).statusCode).toBe(409);

    // The one-call route: draft, ready and handed over at once, everything that remains.
    const shipped = await c.app.inject({ method: 'POST', url: `/orders/${order.id}/shipments`, payload: { trackingNumber: 'RR200000002ES', carrier: 'Correos' }, headers: ops });
    expect(shipped.statusCode, shipped.body).toBe(201);
    expect(shipped.json()).toMatchObject({ orderId: order.id, state: 'shipped' });
    const view = (await c.app.inject({ method: 'GET', url: `/fulfillment-orders/${fulfillmentOrderId}` })).json();
    expect(view).toMatchObject({ status: 'in_transit', items: [{ remainingQuantity: 0 }] });
    expect(view.shipments.map((s: { status: string; trackingNumber: string | null }) => [s.status, s.trackingNumber])).toEqual([
      ['cancelled', null],
      ['in_transit', 'RR200000002ES'],
    ]);
    expect(await stock(c)).toMatchObject({ onHand: before.onHand - 3, reserved: before.reserved });
    expect(await shippedEvents(c, order.id)).toBe(1);
    expect((await draft(c, fulfillmentOrderId, {})).json()).toMatchObject({ code: 'FULFILLMENT_ORDER_NOT_SHIPPABLE' });
  });
});
