import { randomUUID } from 'node:crypto';
import { type Envelope, paymentSucceeded, refundSucceeded, trackingStatusChanged } from '@platform/contracts';
import { type SimulatorHandle, startSimulators } from '@platform/simulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingEventSubscriptions } from '../src/consumers/billing-events';
import { orderEventSubscriptions } from '../src/consumers/order-events';
import { trackingEventSubscriptions } from '../src/consumers/tracking-events';
import { type Composition, compose, createdEvent, event, sampleOrder } from './support/composition';

/**
 * Returns (docs/returns.md), the fulfillment side: real PostgreSQL, the carrier's label API
 * from the EasyPost simulator, workers off (the test applies the tracking and billing events).
 */

const DAY = 86_400_000;
const OPS = { 'x-actor': 'ops:key1', 'x-actor-role': 'ops' };
const CUSTOMER = { 'x-actor': 'customer:cust-1', 'x-actor-role': 'customer' };
let sim: SimulatorHandle;
let c: Composition;

beforeAll(async () => {
  sim = await startSimulators({ webhookBaseUrl: 'http://127.0.0.1:9' });
  c = await compose({ easypostUrl: sim.baseUrl('easypost') });
});
afterAll(async () => {
  await c?.stop();
  await sim?.stop();
});

async function deliver(envelope: Envelope) {
  const subscriptions = [...orderEventSubscriptions(c.fulfillment), ...billingEventSubscriptions(c.fulfillment), ...trackingEventSubscriptions(c.fulfillment)];
  await c.db.$transaction((tx) => subscriptions.find((s) => s.type === envelope.type)!.handle(envelope, tx));
}

function scan(orderId: string, shipmentId: string, trackingNumber: string, status: 'in_transit' | 'delivered', returnId?: string) {
  const at = c.clock.now().toISOString();
  return event(trackingStatusChanged, orderId, {
    orderId, shipmentId, ...(returnId && { returnId }), trackingNumber, carrier: 'correos', status, previousStatus: null,
    event: { time: at, location: 'Madrid', description: status }, estimatedDelivery: null, provider: '17track', at,
  });
}

/** 2 × MUG-WHT and 1 × CHARGER-USB-C from the Madrid hub, paid, shipped in one parcel and delivered. */
async function deliveredOrder() {
  const order = sampleOrder([{ sku: 'MUG-WHT', quantity: 2, supplierSource: 'own_stock' }, { sku: 'CHARGER-USB-C', quantity: 1, supplierSource: 'own_stock' }]);
  await deliver(createdEvent(order));
  await deliver(event(paymentSucceeded, order.id, { orderId: order.id, paymentId: randomUUID(), provider: 'stripe', providerPaymentId: 'pi_1', amount: 3000, currency: 'EUR', paidAt: c.clock.now().toISOString() }));
  await c.advance(60_000);
  const trackingNumber = `RR${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}5ES`;
  const shipped = await c.app.inject({ method: 'POST', url: `/orders/${order.id}/shipments`, payload: { trackingNumber, carrier: 'Correos' }, headers: OPS });
  expect(shipped.statusCode, shipped.body).toBe(201);
  await deliver(scan(order.id, shipped.json().shipmentId, trackingNumber, 'delivered'));
  expect((await c.db.workflow.findUniqueOrThrow({ where: { orderId: order.id } })).state).toBe('delivered');
  return order;
}

const requestReturn = (orderId: string, items: object[], headers: Record<string, string> = CUSTOMER) =>
  c.app.inject({ method: 'POST', url: `/orders/${orderId}/returns`, payload: { items, reason: 'Changed my mind' }, headers });
const opsStep = (returnId: string, step: string, payload?: object) => c.app.inject({ method: 'POST', url: `/ops/returns/${returnId}/${step}`, headers: OPS, ...(payload && { payload }) });
const stockOf = async (sku: string) => (await c.db.hubStock.findUniqueOrThrow({ where: { hubId_sku: { hubId: 'hub-madrid', sku } } })).onHand;
const progressEvents = (orderId: string) =>
  c.db.outboxEvent.findMany({ where: { aggregateId: orderId, type: 'fulfillment.progress.changed' }, orderBy: { seq: 'asc' } }).then((rows) => rows.map((r) => (r.envelope as { data: Record<string, any> }).data));
const returnEvents = (orderId: string) =>
  c.db.outboxEvent.findMany({ where: { aggregateId: orderId, type: 'fulfillment.return.changed' }, orderBy: { seq: 'asc' } }).then((rows) => rows.map((r) => (r.envelope as { data: Record<string, any> }).data));

describe('a return, fulfillment side', () => {
  it('requested → approved with the carrier’s label → in transit and received from its parcel’s scans → inspected (stock back for the resellable unit) → refunded', async () => {
    const order = await deliveredOrder();
    const policy = await c.app.inject({ method: 'GET', url: '/ops/policies/returns', headers: OPS });
    expect(policy.json()).toMatchObject({ windowDays: 30, restockingFeeBps: { resellable: 0, damaged: 1500 }, updatedBy: null });

    const requested = await requestReturn(order.id, [{ sku: 'MUG-WHT', quantity: 1 }, { sku: 'CHARGER-USB-C', quantity: 1 }]);
    expect(requested.statusCode, requested.body).toBe(201);
    const rma = requested.json();
    expect(rma).toMatchObject({
      orderId: order.id, number: `RMA-${order.number}-1`, status: 'requested', reason: 'Changed my mind', label: null, hubId: null,
      items: [
        { sku: 'MUG-WHT', variantId: 'MUG-WHT-v', vendorId: 'v1', quantity: 1, condition: null, restockingFeeBps: null },
        { sku: 'CHARGER-USB-C', variantId: 'CHARGER-USB-C-v', vendorId: 'v1', quantity: 1, condition: null, restockingFeeBps: null },
      ],
    });

    // The carrier refusing or down changes nothing: ops try again.
    sim.controls.easypost.set({ mode: 'reject', times: 1 });
    expect((await opsStep(rma.returnId, 'approve')).json()).toMatchObject({ status: 502, code: 'RETURN_LABEL_REFUSED' });
    sim.controls.easypost.set({ mode: 'error', times: 1 });
    expect((await opsStep(rma.returnId, 'approve')).json()).toMatchObject({ status: 503, code: 'CARRIER_UNAVAILABLE' });
    expect((await c.db.return.findUniqueOrThrow({ where: { id: rma.returnId } })).status).toBe('requested');
    const approved = await opsStep(rma.returnId, 'approve');
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'approved', hubId: 'hub-madrid', label: { carrier: 'Correos' } });
    const { label } = approved.json();
    expect(label.trackingNumber).toMatch(/^RR\d{9}ES$/);
    const bought = ((await fetch(`${sim.baseUrl('easypost')}/_sim/shipments`).then((r) => r.json())) as Array<Record<string, any>>).find((s) => s.tracking_code === label.trackingNumber)!;
    expect(bought).toMatchObject({ object: 'Shipment', is_return: true, reference: rma.number, from_address: { country: 'ES', city: 'Madrid' }, to_address: { name: 'Madrid hub', country: 'ES' } });
    expect(label.labelUrl).toBe(bought.postage_label.label_url);
    expect((await opsStep(rma.returnId, 'approve')).json()).toMatchObject({ status: 409, code: 'INVALID_RETURN_TRANSITION' });

    const shipmentsBefore = await c.db.shipment.findMany({ where: { orderId: order.id }, select: { id: true, status: true } });
    await deliver(scan(order.id, rma.returnId, label.trackingNumber, 'in_transit', rma.returnId));
    expect((await c.db.return.findUniqueOrThrow({ where: { id: rma.returnId } })).status).toBe('in_transit');
    await deliver(scan(order.id, rma.returnId, label.trackingNumber, 'delivered', rma.returnId));
    expect((await c.db.return.findUniqueOrThrow({ where: { id: rma.returnId } })).status).toBe('received');
    // The order's own parcels and workflow are untouched by the return parcel's scans.
    expect(await c.db.shipment.findMany({ where: { orderId: order.id }, select: { id: true, status: true } })).toEqual(shipmentsBefore);
    expect((await c.db.workflow.findUniqueOrThrow({ where: { orderId: order.id } })).state).toBe('delivered');
    const progress = (await progressEvents(order.id)).at(-1)!;
    expect(progress).toMatchObject({ cause: { kind: 'units_returned', shipmentId: null }, fulfillmentStatus: 'partially_returned', units: { ordered: 3, delivered: 3, returned: 2 } });

    const set = await c.app.inject({ method: 'PUT', url: '/ops/policies/returns', headers: OPS, payload: { windowDays: 30, restockingFeeBps: { resellable: 0, damaged: 2000 } } });
    expect(set.json()).toMatchObject({ restockingFeeBps: { damaged: 2000 }, updatedBy: 'ops:key1' });
    const mugs = await stockOf('MUG-WHT');
    const chargers = await stockOf('CHARGER-USB-C');
    const announcedBefore = await c.db.outboxEvent.count({ where: { type: 'fulfillment.availability.changed' } });
    const incomplete = await opsStep(rma.returnId, 'inspect', { items: [{ sku: 'MUG-WHT', variantId: 'MUG-WHT-v', condition: 'resellable' }] });
    expect(incomplete.statusCode).toBe(422);
    expect(incomplete.headers['content-type']).toContain('application/problem+json');
    const inspected = await opsStep(rma.returnId, 'inspect', {
      items: [{ sku: 'MUG-WHT', variantId: 'MUG-WHT-v', condition: 'resellable' }, { sku: 'CHARGER-USB-C', variantId: 'CHARGER-USB-C-v', condition: 'damaged' }],
    });
    expect(inspected.statusCode, inspected.body).toBe(200);
    expect(inspected.json().items.map((l: Record<string, unknown>) => [l.sku, l.condition, l.restockingFeeBps])).toEqual([['MUG-WHT', 'resellable', 0], ['CHARGER-USB-C', 'damaged', 2000]]);
    expect(await stockOf('MUG-WHT')).toBe(mugs + 1);
    expect(await stockOf('CHARGER-USB-C')).toBe(chargers);
    // Availability is announced for the SKU back on the shelf only, once.
    const announced = await c.db.outboxEvent.findMany({ where: { type: 'fulfillment.availability.changed' }, orderBy: { seq: 'asc' }, skip: announcedBefore });
    expect(announced.map((e) => e.aggregateId)).toEqual(['MUG-WHT']);

    const refund = { orderId: order.id, refundId: randomUUID(), paymentId: randomUUID(), providerRefundId: 're_1', amount: 1800, currency: 'EUR', reason: 'return', refundedAt: c.clock.now().toISOString(), returnId: rma.returnId };
    await deliver(event(refundSucceeded, order.id, refund));
    await deliver(event(refundSucceeded, order.id, refund));
    expect((await c.db.workflow.findUniqueOrThrow({ where: { orderId: order.id } })).state).toBe('delivered');
    expect((await returnEvents(order.id)).map((e) => [e.previousStatus, e.status, e.actor])).toEqual([
      [null, 'requested', 'customer:cust-1'],
      ['requested', 'approved', 'ops:key1'],
      ['approved', 'in_transit', 'system'],
      ['in_transit', 'received', 'system'],
      ['received', 'inspected', 'ops:key1'],
      ['inspected', 'refunded', 'system'],
    ]);

    const listed = await c.app.inject({ method: 'GET', url: `/orders/${order.id}/returns` });
    expect(listed.json().returns.map((r: Record<string, unknown>) => [r.number, r.status])).toEqual([[rma.number, 'refunded']]);
  });

  it('refuses more units than were delivered minus those already returned, a refused return frees its units, the window closes', async () => {
    const order = await deliveredOrder();
    const first = await requestReturn(order.id, [{ sku: 'MUG-WHT', quantity: 2 }]);
    expect(first.statusCode, first.body).toBe(201);
    const tooMany = await requestReturn(order.id, [{ sku: 'MUG-WHT', quantity: 1 }]);
    expect(tooMany.statusCode).toBe(422);
    expect(tooMany.headers['content-type']).toContain('application/problem+json');
    expect(tooMany.json()).toMatchObject({ code: 'RETURN_EXCEEDS_DELIVERED_UNITS', errors: [{ pointer: '/items/0/quantity' }] });

    const refused = await opsStep(first.json().returnId, 'refuse', { reason: 'Used beyond a trial' });
    expect(refused.json()).toMatchObject({ status: 'refused', refusalReason: 'Used beyond a trial' });
    expect((await opsStep(first.json().returnId, 'approve')).statusCode).toBe(409);
    const again = await requestReturn(order.id, [{ sku: 'MUG-WHT', quantity: 2 }], OPS);
    expect(again.statusCode, again.body).toBe(201);
    expect(again.json().number).toBe(`RMA-${order.number}-2`);

    // Ops record an arrival no carrier scanned; then the units count as returned.
    expect((await opsStep(again.json().returnId, 'receive')).statusCode).toBe(409);
    expect((await opsStep(again.json().returnId, 'approve')).json()).toMatchObject({ status: 'approved' });
    expect((await opsStep(again.json().returnId, 'receive')).json()).toMatchObject({ status: 'received' });

    c.clock.advance(31 * DAY);
    const late = await requestReturn(order.id, [{ sku: 'CHARGER-USB-C', quantity: 1 }]);
    expect(late.statusCode).toBe(422);
    expect(late.json()).toMatchObject({ code: 'RETURN_WINDOW_CLOSED', errors: [{ pointer: '/items/0/sku' }] });
    expect(late.json().errors[0].detail).toContain('30 days from delivery');

    const listed = await c.app.inject({ method: 'GET', url: '/ops/returns?status=received&limit=1', headers: OPS });
    expect(listed.json().returns.map((r: Record<string, unknown>) => r.returnId)).toEqual([again.json().returnId]);
    const bad = await c.app.inject({ method: 'GET', url: '/ops/returns?cursor=nope', headers: OPS });
    expect(bad.statusCode).toBe(400);
  });
});
