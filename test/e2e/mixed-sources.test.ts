import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  advanceFulfillmentUntil,
  deliverParcel,
  getFulfillment,
  getOrder,
  pay,
  placeOrder,
  SUPPLIER_POLL,
  twoParcelOrder,
  waitForStatus,
  waitForWorkflow,
} from '@platform/test-support/lifecycle';
import { DEV_KEYS, eventually, type Platform, startPlatform } from '@platform/test-support/platform';

/**
 * Mixed sources through the gateway (docs/requirements.md#ful-05-mixed-sources): an order with
 * an AliExpress line and a CJ line; CJ refuses. Under the default policy (refund, set and read
 * by ops through the gateway) only the CJ units are cancelled; the AliExpress parcel ships and,
 * once delivered, the order is delivered (every unit delivered or cancelled).
 */

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform();
});
afterAll(async () => {
  await platform?.stop();
});

describe('one source refuses', () => {
  it('the refusing source fails alone: its units are cancelled for a refund, the rest is delivered', async () => {
    const ops = platform.as(DEV_KEYS.ops);
    expect((await platform.as(DEV_KEYS.customer).put('v1/ops/policies/supplier-failure', { json: { mode: 'reroute' } })).statusCode).toBe(403);
    const set = await ops.put('v1/ops/policies/supplier-failure', { json: { mode: 'refund' } });
    expect(set.statusCode, JSON.stringify(set.body)).toBe(200);
    expect((await ops.get('v1/ops/policies/supplier-failure')).body).toMatchObject({ mode: 'refund' });
    const badSources = await ops.put('v1/ops/sku-sources/SUP-CJ-1', { json: { sources: ['nowhere'] } });
    expect(badSources.statusCode).toBe(400);

    await platform.simulators.post('cj/_sim/behaviour', { json: { mode: 'reject', times: 1, options: { reason: 'Out of stock: phone case' } } });
    const order = await placeOrder(platform, twoParcelOrder());
    await pay(platform, order.id);
    await waitForStatus(platform, order.id, 'confirmed');
    await waitForWorkflow(platform, order.id, 'payment_confirmed');
    await platform.advanceClock('fulfillment', 61_000);
    const placed = await waitForWorkflow(platform, order.id, 'placed_with_supplier');
    expect(placed.supplierOrders.map((s) => `${s.supplier}:${s.status}`).sort()).toEqual(['aliexpress:placed', 'cj:rejected']);
    expect(placed.history.find((h) => h.trigger === 'PART_FAILED')).toMatchObject({ details: { source: 'cj', cause: 'refused', moves: [{ sku: 'SUP-CJ-1', to: null }] } });

    await advanceFulfillmentUntil(platform, order.id, 'supplier_confirmed', SUPPLIER_POLL + 1_000);
    const shipped = await advanceFulfillmentUntil(platform, order.id, 'shipped', SUPPLIER_POLL + 1_000);
    expect(shipped.shipments.map((s) => s.source)).toEqual(['aliexpress']);
    await deliverParcel(platform, order.id, shipped.shipments[0]!.trackingNumber!);
    await waitForWorkflow(platform, order.id, 'delivered');
    const delivered = await eventually(() => getOrder(platform, order.id), (o) => o.status === 'delivered', 15_000);
    expect(delivered.status).toBe('delivered');
    expect((await getFulfillment(platform, order.id)).supplierOrders.some((s) => s.supplier === 'cj' && s.status === 'rejected')).toBe(true);
  });
});
