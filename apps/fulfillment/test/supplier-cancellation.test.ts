import { randomUUID } from 'node:crypto';
import { orderCancelled, paymentSucceeded } from '@platform/contracts';
import { LOCAL_PROVIDER_CREDENTIALS, type SimulatorHandle, startSimulators } from '@platform/simulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSupplierClients } from '../src/adapters/suppliers/clients';
import { billingEventSubscriptions } from '../src/consumers/billing-events';
import { orderEventSubscriptions } from '../src/consumers/order-events';
import { type Composition, compose, createdEvent, event, sampleOrder } from './support/composition';

/**
 * A cancel the supplier cannot carry out (AliExpress has no cancel API; a supplier may refuse
 * because it already shipped) becomes an ops task instead of being forgotten; the supplier
 * side counts as settled (`fulfillment.cancellation.settled`, which billing may wait for)
 * only once ops has recorded what happened.
 */

let sim: SimulatorHandle;
let c: Composition;
beforeAll(async () => {
  sim = await startSimulators({ webhookBaseUrl: 'http://127.0.0.1:9' });
  const { aliexpress, cj, spocket } = LOCAL_PROVIDER_CREDENTIALS;
  c = await compose({
    realSuppliers: (record) => ({
      aliexpress: createSupplierClients(
        {
          ALIEXPRESS_API_URL: sim.baseUrl('aliexpress'), ALIEXPRESS_APP_KEY: aliexpress.appKey, ALIEXPRESS_APP_SECRET: aliexpress.appSecret, ALIEXPRESS_SESSION: aliexpress.session,
          CJ_API_URL: sim.baseUrl('cj'), CJ_API_KEY: cj.apiKey, SPOCKET_API_URL: sim.baseUrl('spocket'), SPOCKET_API_KEY: spocket.apiKey, SUPPLIER_HTTP_TIMEOUT_MS: 2_000,
        },
        record,
      ).aliexpress,
    }),
  });
});
afterAll(async () => {
  await c?.stop();
  await sim?.stop();
});

async function deliver(envelope: ReturnType<typeof createdEvent>) {
  const subscription = [...orderEventSubscriptions(c.fulfillment), ...billingEventSubscriptions(c.fulfillment)].find((s) => s.type === envelope.type)!;
  await c.db.$transaction((tx) => subscription.handle(envelope, tx));
}
const paid = (orderId: string) =>
  event(paymentSucceeded, orderId, { orderId, paymentId: randomUUID(), provider: 'stripe', providerPaymentId: 'pi_1', amount: 2000, currency: 'EUR', paidAt: new Date().toISOString() });
const cancel = (orderId: string) =>
  event(orderCancelled, orderId, { orderId, reason: 'customer asked', actor: 'customer:cust-1', previousStatus: 'processing', cancelledAt: new Date().toISOString() });
async function outbox(orderId: string, type: string) {
  const rows = await c.db.outboxEvent.findMany({ where: { aggregateId: orderId, type }, orderBy: { seq: 'asc' } });
  return rows.map((r) => (r.envelope as { data: Record<string, unknown> }).data);
}

describe('a cancel the supplier cannot carry out', () => {
  it('AliExpress: the paid, placed order cancelled ends with an open ops task and no settlement; ops records the outcome and settles it', async () => {
    const order = sampleOrder([{ sku: 'AE-CASE', quantity: 1, supplierSource: 'aliexpress' }]);
    await deliver(createdEvent(order));
    await deliver(paid(order.id));
    await c.advance(60_000);
    const placed = (await c.app.inject({ method: 'GET', url: `/orders/${order.id}` })).json();
    expect(placed.state).toBe('placed_with_supplier');
    expect(placed.supplierOrders).toMatchObject([{ supplier: 'aliexpress', status: 'placed' }]);

    await deliver(cancel(order.id));
    await c.advance(0);
    const view = (await c.app.inject({ method: 'GET', url: `/orders/${order.id}` })).json();
    expect(view.state).toBe('cancelled');
    expect(view.supplierOrders).toMatchObject([{ supplier: 'aliexpress', status: 'cancellation_pending' }]);
    expect(view.opsTasks).toMatchObject([{ kind: 'supplier_cancellation', status: 'open', supplier: 'aliexpress', outcome: null }]);
    expect(view.opsTasks[0].reason).toContain('AliExpress');
    const open = (await c.app.inject({ method: 'GET', url: '/ops/tasks' })).json().tasks;
    const task = open.find((t: { orderId: string }) => t.orderId === order.id);
    expect(task).toMatchObject({ id: view.opsTasks[0].id, status: 'open' });
    // The attempt is in the call log; the supplier side is not settled, so a held refund stays held.
    const calls = (await c.app.inject({ method: 'GET', url: `/orders/${order.id}/supplier-calls` })).json().calls;
    expect(calls.map((call: { operation: string; outcome: string }) => `${call.operation}:${call.outcome}`)).toContain('cancel:rejected');
    expect(await outbox(order.id, 'fulfillment.cancellation.settled')).toEqual([]);
    expect(await outbox(order.id, 'fulfillment.ops_task.changed')).toMatchObject([{ status: 'open', supplier: 'aliexpress' }]);
    // Nothing fires later for it: no poll, no retry of the cancel.
    await c.advance(24 * 3_600_000);
    expect((await c.db.supplierOrder.findFirstOrThrow({ where: { orderId: order.id } })).status).toBe('cancellation_pending');

    // Ops rejects bad input, then records that it cancelled the order in the AliExpress console.
    const bad = await c.app.inject({ method: 'POST', url: `/ops/tasks/${task.id}/resolve`, payload: { outcome: 'maybe' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].pointer).toBe('/outcome');
    const resolved = await c.app.inject({ method: 'POST', url: `/ops/tasks/${task.id}/resolve`, payload: { outcome: 'cancelled_at_supplier', note: 'cancelled in the console' }, headers: { 'x-actor': 'ops:key1' } });
    expect(resolved.statusCode, resolved.body).toBe(200);
    expect(resolved.json()).toMatchObject({ status: 'resolved', outcome: 'cancelled_at_supplier', resolvedBy: 'ops:key1', note: 'cancelled in the console' });
    const again = await c.app.inject({ method: 'POST', url: `/ops/tasks/${task.id}/resolve`, payload: { outcome: 'shipped_anyway' } });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('OPS_TASK_RESOLVED');

    const after = (await c.app.inject({ method: 'GET', url: `/orders/${order.id}` })).json();
    expect(after.supplierOrders).toMatchObject([{ status: 'cancelled' }]);
    expect(after.opsTasks).toMatchObject([{ status: 'resolved', outcome: 'cancelled_at_supplier' }]);
    expect(after.history.at(-1)).toMatchObject({ trigger: 'SUPPLIER_CANCELLATION_RESOLVED', details: { outcome: 'cancelled_at_supplier', actor: 'ops:key1' } });
    expect((await c.app.inject({ method: 'GET', url: '/ops/tasks' })).json().tasks.some((t: { id: string }) => t.id === task.id)).toBe(false);
    expect(await outbox(order.id, 'fulfillment.cancellation.settled')).toMatchObject([{ outcome: 'cancelled_at_supplier' }]);
    expect((await outbox(order.id, 'fulfillment.supplier_order.changed')).map((d) => d.status)).toEqual(['placed', 'cancellation_pending', 'cancelled']);
  });

  it('settles at once when nothing is at a supplier, and after the supplier confirms a cancel', async () => {
    const early = sampleOrder([{ sku: 'AE-CASE', quantity: 1, supplierSource: 'aliexpress' }]);
    await deliver(createdEvent(early));
    await deliver(paid(early.id));
    await deliver(cancel(early.id));
    expect(await outbox(early.id, 'fulfillment.cancellation.settled')).toMatchObject([{ outcome: 'nothing_at_supplier' }]);

    const cj = sampleOrder([{ sku: 'CJ-LAMP', quantity: 1, supplierSource: 'cj' }]);
    await deliver(createdEvent(cj));
    await deliver(paid(cj.id));
    await c.advance(60_000);
    await deliver(cancel(cj.id));
    expect(await outbox(cj.id, 'fulfillment.cancellation.settled')).toEqual([]);
    await c.advance(0);
    expect(await outbox(cj.id, 'fulfillment.cancellation.settled')).toMatchObject([{ outcome: 'cancelled_at_supplier' }]);
    expect((await c.app.inject({ method: 'GET', url: `/orders/${cj.id}` })).json().opsTasks).toEqual([]);
  });

  it('a cancel that arrives after the parcel left settles as shipped anyway (the workflow goes on to delivery)', async () => {
    const order = sampleOrder([{ sku: 'CJ-LAMP', quantity: 1, supplierSource: 'cj' }]);
    await deliver(createdEvent(order));
    await deliver(paid(order.id));
    const fake = c.fulfillment.suppliers.cj as unknown as { status: unknown };
    fake.status = { status: 'shipped', trackingNumber: 'RR123456785CN', carrier: 'CJPacket Ordinary', reason: null };
    await c.advance(60_000);
    await c.advance(15 * 60_000);
    expect((await c.db.workflow.findUniqueOrThrow({ where: { orderId: order.id } })).state).toBe('shipped');
    await deliver(cancel(order.id));
    await deliver(cancel(order.id));
    expect((await c.db.workflow.findUniqueOrThrow({ where: { orderId: order.id } })).state).toBe('shipped');
    expect(await outbox(order.id, 'fulfillment.cancellation.settled')).toMatchObject([{ outcome: 'shipped_anyway' }]);
  });
});
