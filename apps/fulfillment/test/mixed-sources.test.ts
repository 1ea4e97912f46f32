import { randomUUID } from 'node:crypto';
import { paymentSucceeded, type SupplierName } from '@platform/contracts';
import { LOCAL_PROVIDER_CREDENTIALS, type SimulatorHandle, startSimulators } from '@platform/simulators';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSupplierClients } from '../src/adapters/suppliers/clients';
import { billingEventSubscriptions } from '../src/consumers/billing-events';
import { orderEventSubscriptions } from '../src/consumers/order-events';
import { type Composition, compose, createdEvent, event, POLL_MS, sampleOrder } from './support/composition';

/**
 * Mixed sources (docs/requirements.md#ful-05-mixed-sources) against the supplier simulators:
 * one source refusing (at placement or later) or not answering fails only its items, which are
 * refunded or re-routed by the ops policy, while the rest of the order ships; every source
 * refusing fails the order as before.
 */

const HOUR = 3_600_000;
let sim: SimulatorHandle;
let c: Composition;

beforeAll(async () => {
  sim = await startSimulators({ webhookBaseUrl: 'http://127.0.0.1:9' });
  const { aliexpress, cj, spocket } = LOCAL_PROVIDER_CREDENTIALS;
  c = await compose({
    realSuppliers: (record) =>
      createSupplierClients(
        {
          ALIEXPRESS_API_URL: sim.baseUrl('aliexpress'), ALIEXPRESS_APP_KEY: aliexpress.appKey, ALIEXPRESS_APP_SECRET: aliexpress.appSecret, ALIEXPRESS_SESSION: aliexpress.session,
          CJ_API_URL: sim.baseUrl('cj'), CJ_API_KEY: cj.apiKey, SPOCKET_API_URL: sim.baseUrl('spocket'), SPOCKET_API_KEY: spocket.apiKey, SUPPLIER_HTTP_TIMEOUT_MS: 2_000,
        },
        record,
      ),
  });
});
afterAll(async () => {
  await c?.stop();
  await sim?.stop();
});
beforeEach(() => {
  for (const control of Object.values(sim.controls)) control.reset();
});

async function deliver(envelope: ReturnType<typeof createdEvent>) {
  const subscription = [...orderEventSubscriptions(c.fulfillment), ...billingEventSubscriptions(c.fulfillment)].find((s) => s.type === envelope.type)!;
  await c.db.$transaction((tx) => subscription.handle(envelope, tx));
}
const paid = (orderId: string) =>
  event(paymentSucceeded, orderId, { orderId, paymentId: randomUUID(), provider: 'stripe', providerPaymentId: 'pi_1', amount: 2000, currency: 'EUR', paidAt: new Date().toISOString() });
async function outbox(orderId: string, type: string) {
  const rows = await c.db.outboxEvent.findMany({ where: { aggregateId: orderId, type }, orderBy: { seq: 'asc' } });
  return rows.map((r) => (r.envelope as { data: Record<string, unknown> }).data);
}
async function view(orderId: string) {
  const response = await c.app.inject({ method: 'GET', url: `/orders/${orderId}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}
async function setMode(mode: 'refund' | 'reroute') {
  const response = await c.app.inject({ method: 'PUT', url: '/ops/policies/supplier-failure', payload: { mode }, headers: { 'x-actor': 'ops:key1' } });
  expect(response.statusCode, response.body).toBe(200);
}
/** A paid order with these lines, placed (60 s after payment). */
async function placedOrder(lines: Parameters<typeof sampleOrder>[0]) {
  const order = sampleOrder(lines);
  await deliver(createdEvent(order));
  await deliver(paid(order.id));
  await c.advance(60_000);
  return order;
}
const simOrder = async (supplier: SupplierName, externalOrderId: string) =>
  ((await (await fetch(`${sim.baseUrl(supplier)}/_sim/orders`)).json()) as Array<{ id: string; stage: string }>).find((o) => o.id === externalOrderId)!;

describe('the ops policy for a failing source', () => {
  it('is refund until ops set it, and takes refund or reroute only', async () => {
    const initial = (await c.app.inject({ method: 'GET', url: '/ops/policies/supplier-failure' })).json();
    expect(initial).toEqual({ mode: 'refund', updatedAt: null, updatedBy: null });
    const bad = await c.app.inject({ method: 'PUT', url: '/ops/policies/supplier-failure', payload: { mode: 'ignore' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].pointer).toBe('/mode');
    await setMode('reroute');
    expect((await c.app.inject({ method: 'GET', url: '/ops/policies/supplier-failure' })).json()).toMatchObject({ mode: 'reroute', updatedBy: 'ops:key1' });

    expect((await c.app.inject({ method: 'GET', url: '/ops/sku-sources/CJ-LAMP' })).json()).toMatchObject({ sku: 'CJ-LAMP', sources: [] });
    const repeated = await c.app.inject({ method: 'PUT', url: '/ops/sku-sources/CJ-LAMP', payload: { sources: ['spocket', 'spocket'] } });
    expect(repeated.statusCode).toBe(400);
    expect(repeated.json().errors[0].pointer).toBe('/sources');
    const unknown = await c.app.inject({ method: 'PUT', url: '/ops/sku-sources/CJ-LAMP', payload: { sources: ['own_stock'] } });
    expect(unknown.statusCode).toBe(400);
    const set = await c.app.inject({ method: 'PUT', url: '/ops/sku-sources/CJ-LAMP', payload: { sources: ['spocket', 'aliexpress'] }, headers: { 'x-actor': 'ops:key1' } });
    expect(set.statusCode, set.body).toBe(200);
    expect((await c.app.inject({ method: 'GET', url: '/ops/sku-sources/CJ-LAMP' })).json()).toMatchObject({ sources: ['spocket', 'aliexpress'], updatedBy: 'ops:key1' });
    await c.app.inject({ method: 'PUT', url: '/ops/sku-sources/CJ-LAMP', payload: { sources: [] } });
  });
});

describe('one source fails, the rest ships', () => {
  it('CJ refuses at placement, policy refund: its items are cancelled for a refund, the AliExpress part goes on and ships', async () => {
    await setMode('refund');
    sim.controls.cj.set({ mode: 'reject', times: 1, options: { reason: 'Out of stock: lamp' } });
    const order = await placedOrder([
      { sku: 'AE-CASE', quantity: 1, supplierSource: 'aliexpress' },
      { sku: 'CJ-LAMP', quantity: 2, supplierSource: 'cj' },
    ]);

    const placed = await view(order.id);
    expect(placed.state).toBe('placed_with_supplier');
    expect(placed.supplierOrders).toMatchObject([
      { supplier: 'aliexpress', status: 'placed' },
      { supplier: 'cj', status: 'rejected', reason: 'Out of stock: lamp' },
    ]);
    expect(await outbox(order.id, 'fulfillment.items.cancelled')).toMatchObject([
      { orderId: order.id, cause: 'supplier_refused', source: 'cj', reason: 'Out of stock: lamp', items: [{ sku: 'CJ-LAMP', variantId: 'CJ-LAMP-v', vendorId: 'v1', quantity: 2 }] },
    ]);
    expect(placed.history.find((h: { trigger: string }) => h.trigger === 'PART_FAILED')).toMatchObject({
      from: 'placed_with_supplier',
      to: 'placed_with_supplier',
      details: { source: 'cj', cause: 'refused', mode: 'refund', moves: [{ sku: 'CJ-LAMP', quantity: 2, to: null }] },
    });
    expect((await outbox(order.id, 'fulfillment.workflow.transitioned')).map((t) => t.to)).not.toContain('failed');
    expect((await outbox(order.id, 'fulfillment.progress.changed')).at(-1)).toMatchObject({ cause: { kind: 'units_cancelled' }, units: { ordered: 3, cancelled: 2 } });

    // The AliExpress part alone is waited for: confirmed, then shipped.
    await c.advance(POLL_MS);
    expect((await view(order.id)).state).toBe('supplier_confirmed');
    await c.advance(POLL_MS);
    const shipped = await view(order.id);
    expect(shipped.state).toBe('shipped');
    expect(shipped.shipments).toMatchObject([{ source: 'aliexpress', status: 'in_transit' }]);
    expect((await outbox(order.id, 'fulfillment.supplier_order.changed')).map((e) => `${e.supplier}:${e.status}`)).toEqual([
      'aliexpress:placed',
      'cj:rejected',
      'aliexpress:confirmed',
      'aliexpress:shipped',
    ]);
  });

  it('CJ refuses at placement, policy reroute with hub stock: the CJ items are reserved at a hub and leave as a hub parcel', async () => {
    await setMode('reroute');
    sim.controls.cj.set({ mode: 'reject', times: 1, options: { reason: 'Out of stock: mug' } });
    const before = await c.db.hubStock.findUniqueOrThrow({ where: { hubId_sku: { hubId: 'hub-madrid', sku: 'MUG-WHT' } } });
    const order = await placedOrder([
      { sku: 'AE-CASE', quantity: 1, supplierSource: 'aliexpress' },
      { sku: 'MUG-WHT', quantity: 2, supplierSource: 'cj' },
    ]);

    const placed = await view(order.id);
    expect(placed.reservations).toMatchObject([{ hubId: 'hub-madrid', sku: 'MUG-WHT', quantity: 2, status: 'confirmed' }]);
    expect(placed.fulfillmentOrders).toMatchObject([{ hubId: 'hub-madrid', status: 'awaiting_shipment', items: [{ sku: 'MUG-WHT', quantity: 2, remainingQuantity: 2 }] }]);
    expect((await c.db.hubStock.findUniqueOrThrow({ where: { hubId_sku: { hubId: 'hub-madrid', sku: 'MUG-WHT' } } })).reserved).toBe(before.reserved + 2);
    expect(placed.history.find((h: { trigger: string }) => h.trigger === 'PART_FAILED')).toMatchObject({
      details: { source: 'cj', cause: 'refused', mode: 'reroute', moves: [{ sku: 'MUG-WHT', quantity: 2, to: 'own_stock' }] },
    });
    expect(placed.failedParts).toEqual([
      { source: 'cj', cause: 'refused', reason: 'Out of stock: mug', moves: [{ sku: 'MUG-WHT', variantId: 'MUG-WHT-v', quantity: 2, to: 'own_stock' }] },
    ]);
    expect(await outbox(order.id, 'fulfillment.items.cancelled')).toEqual([]);

    await c.advance(POLL_MS);
    expect((await view(order.id)).state).toBe('supplier_confirmed');
    const hubParcel = await c.app.inject({ method: 'POST', url: `/orders/${order.id}/shipments`, payload: { trackingNumber: 'RR123456785ES', carrier: 'Correos' }, headers: { 'x-actor': 'ops:key1' } });
    expect(hubParcel.statusCode, hubParcel.body).toBe(201);
    const shipped = await view(order.id);
    expect(shipped.state).toBe('shipped');
    expect(shipped.shipments).toMatchObject([{ source: 'own_stock', trackingNumber: 'RR123456785ES', items: [{ sku: 'MUG-WHT', quantity: 2 }] }]);
    expect(shipped.reservations).toMatchObject([{ sku: 'MUG-WHT', status: 'consumed' }]);
  });

  it('policy reroute to a declared supplier: CJ refuses, Spocket (declared for the SKU) takes the items; refunded when no source has them', async () => {
    await setMode('reroute');
    await c.app.inject({ method: 'PUT', url: '/ops/sku-sources/CJ-LAMP', payload: { sources: ['spocket'] } });
    sim.controls.cj.set({ mode: 'reject', times: 2, options: { reason: 'Discontinued' } });
    const order = await placedOrder([
      { sku: 'AE-CASE', quantity: 1, supplierSource: 'aliexpress' },
      { sku: 'CJ-LAMP', quantity: 1, supplierSource: 'cj' },
      { sku: 'CJ-FAN', quantity: 1, supplierSource: 'cj' },
    ]);
    await c.app.inject({ method: 'PUT', url: '/ops/sku-sources/CJ-LAMP', payload: { sources: [] } });

    const placed = await view(order.id);
    const cj = placed.supplierOrders.find((o: { supplier: string }) => o.supplier === 'cj');
    expect(placed.supplierOrders.find((o: { supplier: string }) => o.supplier === 'spocket')).toMatchObject({
      status: 'placed',
      replaces: cj.id,
      items: [{ sku: 'CJ-LAMP', quantity: 1 }],
    });
    expect(sim.controls.spocket.requests.some((r) => r.method === 'POST' && JSON.stringify(r.body).includes('CJ-LAMP'))).toBe(true);
    // CJ-FAN has no other source and no hub stock: refunded.
    expect(await outbox(order.id, 'fulfillment.items.cancelled')).toMatchObject([{ cause: 'supplier_refused', source: 'cj', items: [{ sku: 'CJ-FAN', quantity: 1 }] }]);
    // Both remaining parts (AliExpress, Spocket) answer: confirmed.
    await c.advance(POLL_MS);
    expect((await view(order.id)).state).toBe('supplier_confirmed');
  });

  it('CJ cancels later (seen by the poll): its items are refunded, the AliExpress part goes on', async () => {
    await setMode('refund');
    const order = await placedOrder([
      { sku: 'AE-CASE', quantity: 1, supplierSource: 'aliexpress' },
      { sku: 'CJ-LAMP', quantity: 1, supplierSource: 'cj' },
    ]);
    const cj = (await view(order.id)).supplierOrders.find((o: { supplier: string }) => o.supplier === 'cj');
    // What a person does in CJ's console: the order is cancelled there.
    const cancelled = (await (await fetch(`${sim.baseUrl('cj')}/_sim/orders/${cj.externalOrderId}/cancel`, { method: 'POST' })).json()) as { cancelled: boolean };
    expect(cancelled.cancelled).toBe(true);

    await c.advance(POLL_MS);
    const after = await view(order.id);
    expect(after.state).toBe('supplier_confirmed');
    expect(after.supplierOrders).toMatchObject([
      { supplier: 'aliexpress', status: 'confirmed' },
      { supplier: 'cj', status: 'rejected', reason: 'Cancelled at CJ' },
    ]);
    expect(await outbox(order.id, 'fulfillment.items.cancelled')).toMatchObject([{ cause: 'supplier_refused', source: 'cj', items: [{ sku: 'CJ-LAMP', quantity: 1 }] }]);
    expect(after.history.filter((h: { trigger: string }) => h.trigger === 'PART_FAILED')).toHaveLength(1);
    await c.advance(POLL_MS);
    expect((await view(order.id)).state).toBe('shipped');
  });

  it('only AliExpress never answers: after the timeout its order is given up alone (ops task to cancel it) and refunded; CJ ships', async () => {
    await setMode('refund');
    sim.controls.aliexpress.set({ mode: 'ok', options: { confirm: false } });
    const order = await placedOrder([
      { sku: 'AE-CASE', quantity: 1, supplierSource: 'aliexpress' },
      { sku: 'CJ-LAMP', quantity: 1, supplierSource: 'cj' },
    ]);
    sim.controls.aliexpress.reset();
    const ae = (await view(order.id)).supplierOrders.find((o: { supplier: string }) => o.supplier === 'aliexpress');

    await c.advance(POLL_MS);
    await c.advance(POLL_MS);
    const waiting = await view(order.id);
    expect(waiting.state).toBe('placed_with_supplier');
    expect(waiting.supplierOrders).toMatchObject([{ supplier: 'aliexpress', status: 'placed' }, { supplier: 'cj', status: 'shipped' }]);
    expect(await outbox(order.id, 'fulfillment.items.cancelled')).toEqual([]);

    await c.advance(24 * HOUR);
    const after = await view(order.id);
    expect(after.state).toBe('shipped');
    expect(after.supplierOrders).toMatchObject([{ supplier: 'aliexpress', status: 'cancellation_pending' }, { supplier: 'cj', status: 'shipped' }]);
    expect(after.opsTasks).toMatchObject([{ supplier: 'aliexpress', supplierOrderId: ae.id, status: 'open' }]);
    expect(await outbox(order.id, 'fulfillment.items.cancelled')).toMatchObject([{ cause: 'supplier_timeout', source: 'aliexpress', items: [{ sku: 'AE-CASE', quantity: 1 }] }]);
    expect(after.history.find((h: { trigger: string }) => h.trigger === 'PART_FAILED')).toMatchObject({ details: { source: 'aliexpress', cause: 'timeout' } });
    expect((await outbox(order.id, 'fulfillment.workflow.transitioned')).map((t) => t.to)).not.toContain('failed');
    expect((await simOrder('aliexpress', ae.externalOrderId)).stage).toBe('placed');
    // Nothing live is left at a supplier: nothing more to poll.
    expect((await c.db.timer.findMany({ where: { key: order.id, firedAt: null } })).map((t) => t.kind)).not.toContain('fulfillment.supplier-poll');
  });

  it('a re-routed supplier order keeps its own 24 h: the workflow waits for it past the first deadline, then it fails alone', async () => {
    await setMode('reroute');
    await c.app.inject({ method: 'PUT', url: '/ops/sku-sources/CJ-LAMP', payload: { sources: ['spocket'] } });
    const order = await placedOrder([
      { sku: 'AE-CASE', quantity: 1, supplierSource: 'aliexpress' },
      { sku: 'CJ-LAMP', quantity: 1, supplierSource: 'cj' },
    ]);
    const cj = (await view(order.id)).supplierOrders.find((o: { supplier: string }) => o.supplier === 'cj');
    await fetch(`${sim.baseUrl('cj')}/_sim/orders/${cj.externalOrderId}/cancel`, { method: 'POST' });
    // Spocket takes CJ's items at the first poll and never answers.
    sim.controls.spocket.set({ mode: 'ok', options: { confirm: false, ship: false } });
    await c.advance(POLL_MS);
    const rerouted = await view(order.id);
    expect(rerouted.supplierOrders.map((o: { supplier: string; status: string }) => `${o.supplier}:${o.status}`)).toEqual(['aliexpress:confirmed', 'cj:rejected', 'spocket:placed']);
    expect(rerouted.state).toBe('placed_with_supplier');
    await c.app.inject({ method: 'PUT', url: '/ops/sku-sources/CJ-LAMP', payload: { sources: [] } });

    // The first deadline (24 h after placement) passes: AliExpress answered, Spocket still has time.
    await c.advance(24 * HOUR - POLL_MS);
    const waiting = await view(order.id);
    expect(waiting.state).toBe('placed_with_supplier');
    expect(waiting.pendingTimers.find((t: { kind: string }) => t.kind === 'fulfillment.supplier-timeout')?.fireAt).toBe(
      new Date(Date.parse(rerouted.supplierOrders[2].createdAt) + 24 * HOUR).toISOString(),
    );
    expect(await outbox(order.id, 'fulfillment.items.cancelled')).toEqual([]);

    await c.advance(POLL_MS);
    // AliExpress shipped meanwhile: with Spocket's part given up, the workflow moves on to it.
    const after = await view(order.id);
    expect(after.state).toBe('shipped');
    expect(after.supplierOrders.map((o: { supplier: string; status: string }) => `${o.supplier}:${o.status}`)).toEqual(['aliexpress:shipped', 'cj:rejected', 'spocket:cancelled']);
    // Spocket was the last source declared for the lamp: refunded.
    expect(await outbox(order.id, 'fulfillment.items.cancelled')).toMatchObject([{ cause: 'supplier_timeout', source: 'spocket', items: [{ sku: 'CJ-LAMP', quantity: 1 }] }]);
    expect(after.history.filter((h: { trigger: string }) => h.trigger === 'PART_FAILED').map((h: { details: { source: string; cause: string } }) => `${h.details.source}:${h.details.cause}`)).toEqual([
      'cj:refused',
      'spocket:timeout',
    ]);    // Nothing live is left at a supplier: nothing more to poll.
    expect(after.pendingTimers.map((t: { kind: string }) => t.kind)).not.toContain('fulfillment.supplier-poll');
  });

  it('every source refuses: the order fails and is retried as before, nothing refunded', async () => {
    await setMode('reroute');
    sim.controls.cj.set({ mode: 'reject', times: 1 });
    sim.controls.aliexpress.set({ mode: 'reject', times: 1 });
    const order = await placedOrder([
      { sku: 'AE-CASE', quantity: 1, supplierSource: 'aliexpress' },
      { sku: 'MUG-WHT', quantity: 1, supplierSource: 'cj' },
    ]);
    const failed = await view(order.id);
    expect(failed.state).toBe('failed');
    expect(failed.supplierOrders.map((o: { status: string }) => o.status)).toEqual(['rejected', 'rejected']);
    expect(failed.reservations).toEqual([]);
    expect((await outbox(order.id, 'fulfillment.workflow.transitioned')).at(-1)).toMatchObject({ to: 'failed', willRetry: true });
    expect(await outbox(order.id, 'fulfillment.items.cancelled')).toEqual([]);
    expect(failed.history.some((h: { trigger: string }) => h.trigger === 'PART_FAILED')).toBe(false);

    // The automatic retry places both again (the simulators accept now).
    await c.advance(5 * 60_000);
    const retried = await view(order.id);
    expect(retried.state).toBe('placed_with_supplier');
    expect(retried.supplierOrders.filter((o: { attempt: number }) => o.attempt === 2).map((o: { status: string }) => o.status)).toEqual(['placed', 'placed']);
  });
});
