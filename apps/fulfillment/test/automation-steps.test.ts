import { randomUUID } from 'node:crypto';
import { paymentSucceeded, trackingStatusChanged, type Envelope } from '@platform/contracts';
import { LOCAL_PROVIDER_CREDENTIALS, type SimulatorHandle, startSimulators } from '@platform/simulators';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { billingEventSubscriptions } from '../src/consumers/billing-events';
import { orderEventSubscriptions } from '../src/consumers/order-events';
import { trackingEventSubscriptions } from '../src/consumers/tracking-events';
import { type Composition, compose, createdEvent, event, sampleOrder } from './support/composition';

/**
 * Post-delivery automation steps (FUL-06) against the device-system simulator: own-stock
 * orders shipped from a hub and reported delivered, the steps' timers fired by moving the clock.
 */

const MINUTE = 60_000;
const OPS = { 'x-actor': 'ops:key1', 'x-actor-role': 'ops' };
let sim: SimulatorHandle;
let c: Composition;

async function deliver(envelope: Envelope) {
  const subscriptions = [...orderEventSubscriptions(c.fulfillment), ...billingEventSubscriptions(c.fulfillment), ...trackingEventSubscriptions(c.fulfillment)];
  await c.db.$transaction((tx) => subscriptions.find((s) => s.type === envelope.type)!.handle(envelope, tx));
}

beforeAll(async () => {
  sim = await startSimulators({ webhookBaseUrl: 'http://127.0.0.1:9' });
  c = await compose({ devicesUrl: sim.baseUrl('devices') });
  for (const sku of ['SENSOR-T1', 'SENSOR-R1', 'CABLE']) {
    const set = await c.app.inject({ method: 'PUT', url: `/hubs/hub-madrid/stock/${sku}`, payload: { onHand: 1_000 } });
    expect(set.statusCode, set.body).toBe(200);
  }
  const rules = { 'SENSOR-T1': ['sensor_vendor_first_time'], 'SENSOR-R1': ['sensor_vendor_replacement'] };
  for (const [sku, scenarios] of Object.entries(rules)) {
    const put = await c.app.inject({ method: 'PUT', url: `/automation-rules/${sku}`, payload: { scenarios }, headers: OPS });
    expect(put.statusCode, put.body).toBe(200);
  }
});
afterAll(async () => {
  await c?.stop();
  await sim?.stop();
});
beforeEach(() => {
  sim.controls.devices.reset();
});

const tracked = (orderId: string, shipmentId: string, trackingNumber: string) =>
  event(trackingStatusChanged, orderId, {
    orderId,
    shipmentId,
    trackingNumber,
    carrier: 'Correos',
    status: 'delivered',
    previousStatus: 'out_for_delivery',
    event: { time: new Date().toISOString(), location: 'Madrid', description: 'Delivered' },
    estimatedDelivery: null,
    provider: '17track',
    at: new Date().toISOString(),
  });

/** An own-stock order paid, shipped from the Madrid hub and reported delivered; the steps' first attempts not yet fired. */
async function deliveredShipment(items: Array<{ sku: string; quantity: number }>) {
  const order = sampleOrder(items.map((item) => ({ ...item, supplierSource: 'own_stock' as const })));
  await deliver(createdEvent(order));
  await deliver(
    event(paymentSucceeded, order.id, { orderId: order.id, paymentId: randomUUID(), provider: 'stripe', providerPaymentId: 'pi_1', amount: 2000, currency: 'EUR', paidAt: new Date().toISOString() }),
  );
  // Only the payment delay and the placement: a step's first attempt stays due until the test fires it.
  c.clock.advance(MINUTE);
  await c.timers.fireDue();
  await c.timers.fireDue();
  const trackingNumber = `RR${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}ES`;
  const shipped = await c.app.inject({ method: 'POST', url: `/orders/${order.id}/shipments`, payload: { trackingNumber, carrier: 'Correos' }, headers: OPS });
  expect(shipped.statusCode, shipped.body).toBe(201);
  const { shipmentId } = shipped.json() as { shipmentId: string };
  await deliver(tracked(order.id, shipmentId, trackingNumber));
  return { order, shipmentId, trackingNumber };
}

const stepsOf = async (shipmentId: string) => {
  const response = await c.app.inject({ method: 'GET', url: `/shipments/${shipmentId}/automation-steps`, headers: OPS });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().steps as Array<Record<string, unknown> & { id: string; status: string; attempts: number }>;
};
const stepEvents = async (stepId: string) => {
  const rows = await c.db.outboxEvent.findMany({ where: { type: 'fulfillment.automation_step.changed' }, orderBy: { seq: 'asc' } });
  return rows.map((r) => (r.envelope as { data: Record<string, unknown> }).data).filter((data) => data.stepId === stepId);
};
const callsFor = (stepId: string) => sim.controls.devices.requests.filter((r) => (r.body as { reference?: string } | null)?.reference === stepId);

describe('automation steps after delivery', () => {
  it('a delivered shipment gets one step per item whose SKU has a rule; the step succeeds; a repeated delivery report creates nothing', async () => {
    const { order, shipmentId, trackingNumber } = await deliveredShipment([
      { sku: 'SENSOR-T1', quantity: 2 },
      { sku: 'CABLE', quantity: 1 },
    ]);
    const [created, ...others] = await stepsOf(shipmentId);
    expect(others).toEqual([]);
    expect(created).toMatchObject({
      orderId: order.id,
      sku: 'SENSOR-T1',
      scenario: 'sensor_vendor_first_time',
      status: 'pending',
      attempts: 0,
      maxAttempts: 5,
      payload: { orderId: order.id, shipmentId, trackingNumber, sku: 'SENSOR-T1', quantity: 2 },
    });

    await c.advance(0);
    const [done] = await stepsOf(shipmentId);
    expect(done).toMatchObject({ id: created!.id, status: 'succeeded', attempts: 1, errorMessage: null });
    expect(done!.externalId).toMatch(/^auto_/);
    expect(callsFor(created!.id)).toHaveLength(1);
    expect(callsFor(created!.id)[0]!.headers['idempotency-key']).toBe(created!.id);
    expect((await stepEvents(created!.id)).map((e) => `${e.status}:${e.attempts}`)).toEqual(['pending:0', 'running:1', 'succeeded:1']);

    // The carrier reports the delivery again: no second step, no event, no call.
    await deliver(tracked(order.id, shipmentId, trackingNumber));
    await c.advance(0);
    expect(await stepsOf(shipmentId)).toHaveLength(1);
    expect(await stepEvents(created!.id)).toHaveLength(3);
    expect(callsFor(created!.id)).toHaveLength(1);
  });

  it('a failing device system: retried per the scenario policy, then failed with an ops task; a manual retry succeeds and closes the task', async () => {
    sim.controls.devices.set({ mode: 'error' });
    const { shipmentId } = await deliveredShipment([{ sku: 'SENSOR-R1', quantity: 1 }]);
    const [step] = await stepsOf(shipmentId);
    expect(step).toMatchObject({ scenario: 'sensor_vendor_replacement', maxAttempts: 3 });

    await c.advance(0);
    let [current] = await stepsOf(shipmentId);
    expect(current).toMatchObject({ status: 'pending', attempts: 1 });
    expect(current!.errorMessage).toContain('HTTP 503');
    expect(Date.parse(String(current!.nextAttemptAt)) - Date.parse(String(current!.updatedAt))).toBe(10 * MINUTE);

    // Not before the scenario's retry delay (600 s).
    await c.advance(9 * MINUTE);
    expect(callsFor(step!.id)).toHaveLength(1);
    await c.advance(MINUTE);
    [current] = await stepsOf(shipmentId);
    expect(current).toMatchObject({ status: 'pending', attempts: 2 });
    await c.advance(10 * MINUTE);
    [current] = await stepsOf(shipmentId);
    expect(current).toMatchObject({ status: 'failed', attempts: 3, nextAttemptAt: null });
    expect(callsFor(step!.id)).toHaveLength(3);
    // Nothing more happens by itself.
    await c.advance(60 * MINUTE);
    expect(callsFor(step!.id)).toHaveLength(3);

    const failedList = (await c.app.inject({ method: 'GET', url: '/automation-steps?status=failed', headers: OPS })).json().steps as Array<{ id: string }>;
    expect(failedList.map((s) => s.id)).toContain(step!.id);
    const tasks = (await c.app.inject({ method: 'GET', url: '/ops/tasks', headers: OPS })).json().tasks as Array<Record<string, unknown>>;
    const task = tasks.find((t) => t.automationStepId === step!.id);
    expect(task).toMatchObject({ kind: 'automation_step_failed', status: 'open', supplier: null, supplierOrderId: null });
    expect(task!.reason).toContain('asset record');
    const failedEvent = (await stepEvents(step!.id)).at(-1);
    expect(failedEvent).toMatchObject({ status: 'failed', attempts: 3, maxAttempts: 3, opsTaskId: task!.id });
    // The supplier-cancellation resolution does not apply to it.
    const wrongRoute = await c.app.inject({ method: 'POST', url: `/ops/tasks/${task!.id}/resolve`, payload: { outcome: 'cancelled_at_supplier' }, headers: OPS });
    expect(wrongRoute.statusCode).toBe(409);
    expect(wrongRoute.json().code).toBe('OPS_TASK_NOT_RESOLVABLE_HERE');

    // The device system is back; ops retries (twice: the second changes nothing).
    sim.controls.devices.reset();
    const retried = await c.app.inject({ method: 'POST', url: `/automation-steps/${step!.id}/retry`, headers: OPS });
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json()).toMatchObject({ status: 'pending', attempts: 3 });
    const eventsBefore = (await stepEvents(step!.id)).length;
    const again = await c.app.inject({ method: 'POST', url: `/automation-steps/${step!.id}/retry`, headers: OPS });
    expect(again.json()).toMatchObject({ status: 'pending', attempts: 3 });
    expect(await stepEvents(step!.id)).toHaveLength(eventsBefore);

    await c.advance(0);
    [current] = await stepsOf(shipmentId);
    expect(current).toMatchObject({ status: 'succeeded', attempts: 4 });
    const resolved = (await c.app.inject({ method: 'GET', url: '/ops/tasks?status=resolved', headers: OPS })).json().tasks as Array<Record<string, unknown>>;
    expect(resolved.find((t) => t.id === task!.id)).toMatchObject({ status: 'resolved', outcome: 'step_succeeded', resolvedBy: 'system' });
    expect((await stepEvents(step!.id)).map((e) => e.status)).toEqual(['pending', 'running', 'pending', 'running', 'pending', 'running', 'failed', 'pending', 'running', 'succeeded']);
    expect((await stepEvents(step!.id)).at(-1)).toMatchObject({ opsTaskId: task!.id });
    // A succeeded step has nothing to retry or fall back on.
    expect((await c.app.inject({ method: 'POST', url: `/automation-steps/${step!.id}/retry`, headers: OPS })).statusCode).toBe(409);
  });

  it('ops triggers the fallback: the step ends fallback_triggered with the note, its pending attempt is cancelled', async () => {
    sim.controls.devices.set({ mode: 'reject', options: { reason: 'Device not registered to an asset' } });
    const { shipmentId } = await deliveredShipment([{ sku: 'SENSOR-T1', quantity: 1 }]);
    await c.advance(0);
    const [step] = await stepsOf(shipmentId);
    expect(step).toMatchObject({ status: 'pending', attempts: 1 });
    expect(step!.errorMessage).toContain('scenario_refused');

    const empty = await c.app.inject({ method: 'POST', url: `/automation-steps/${step!.id}/fallback`, payload: { note: '' }, headers: OPS });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().errors).toMatchObject([{ pointer: '/note' }]);
    const unknown = await c.app.inject({ method: 'POST', url: `/automation-steps/${randomUUID()}/fallback`, payload: { note: 'x' }, headers: OPS });
    expect(unknown.statusCode).toBe(404);

    const fallback = await c.app.inject({ method: 'POST', url: `/automation-steps/${step!.id}/fallback`, payload: { note: 'Activated in the console by hand' }, headers: OPS });
    expect(fallback.statusCode, fallback.body).toBe(200);
    expect(fallback.json()).toMatchObject({ status: 'fallback_triggered', fallbackNote: 'Activated in the console by hand', nextAttemptAt: null });
    expect(fallback.json().fallbackTriggeredAt).toBe(fallback.json().updatedAt);
    expect((await stepEvents(step!.id)).at(-1)).toMatchObject({ status: 'fallback_triggered', actor: 'ops:key1' });

    // Repeated: answered as it is, the first note kept, no event.
    const count = (await stepEvents(step!.id)).length;
    const repeated = await c.app.inject({ method: 'POST', url: `/automation-steps/${step!.id}/fallback`, payload: { note: 'another' }, headers: OPS });
    expect(repeated.json()).toMatchObject({ status: 'fallback_triggered', fallbackNote: 'Activated in the console by hand' });
    expect(await stepEvents(step!.id)).toHaveLength(count);

    // The retry that was due never runs.
    await c.advance(10 * MINUTE);
    expect(callsFor(step!.id)).toHaveLength(1);
    expect((await c.app.inject({ method: 'POST', url: `/automation-steps/${step!.id}/retry`, headers: OPS })).statusCode).toBe(409);
  });

  it('an attempt whose outcome was lost (the process died during the call) is made again under the same reference, and the device system answers what it ran', async () => {
    const { shipmentId } = await deliveredShipment([{ sku: 'SENSOR-T1', quantity: 1 }]);
    const [step] = await stepsOf(shipmentId);
    // What the crash left: the device system ran it; our `running` and attempt were committed before the call, the outcome never was.
    const ran = await fetch(`${sim.baseUrl('devices')}/automations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${LOCAL_PROVIDER_CREDENTIALS.devices.apiKey}` },
      body: JSON.stringify({ reference: step!.id, scenario: step!.scenario, ...(step!.payload as object) }),
    });
    const { id: externalId } = (await ran.json()) as { id: string };
    await c.db.automationStep.update({ where: { id: step!.id }, data: { status: 'running', attempts: 1, nextAttemptAt: null } });

    await c.advance(0);
    const [done] = await stepsOf(shipmentId);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 2, externalId });
    expect(callsFor(step!.id).map((r) => r.outcome)).toEqual(['ok', 'replayed']);
  });

  it('ops reads and sets which SKUs start which scenarios', async () => {
    const config = (await c.app.inject({ method: 'GET', url: '/automation-rules', headers: OPS })).json();
    expect(config.scenarios.map((s: { scenario: string }) => s.scenario)).toContain('sensor_return');
    expect(config.rules).toContainEqual({ sku: 'SENSOR-T1', scenarios: ['sensor_vendor_first_time'] });
    const bad = await c.app.inject({ method: 'PUT', url: '/automation-rules/RET-KIT', payload: { scenarios: ['sensor_teleport'] }, headers: OPS });
    expect(bad.statusCode).toBe(400);
    const put = await c.app.inject({ method: 'PUT', url: '/automation-rules/RET-KIT', payload: { scenarios: ['sensor_return'] }, headers: OPS });
    expect(put.json()).toEqual({ sku: 'RET-KIT', scenarios: ['sensor_return'] });
    const cleared = await c.app.inject({ method: 'PUT', url: '/automation-rules/RET-KIT', payload: { scenarios: [] }, headers: OPS });
    expect(cleared.json()).toEqual({ sku: 'RET-KIT', scenarios: [] });
    const after = (await c.app.inject({ method: 'GET', url: '/automation-rules', headers: OPS })).json();
    expect(after.rules.find((r: { sku: string }) => r.sku === 'RET-KIT')).toBeUndefined();
  });
});
