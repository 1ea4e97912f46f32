import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  advanceFulfillmentUntil,
  deliverParcel,
  getFulfillment,
  getOrder,
  HOUR,
  pay,
  placeOrder,
  SUPPLIER_POLL,
  twoParcelOrder,
  waitForStatus,
  waitForWorkflow,
} from '@platform/test-support/lifecycle';
import { DEV_KEYS, eventually, type Platform, sleep, startPlatform } from '@platform/test-support/platform';
import type { OrderDetail } from '@platform/contracts/api/gateway';

/**
 * An order whose items travel in two parcels (docs/requirements.md#ful-04-fulfillment-orders-and-shipments):
 * one AliExpress item, one CJ item. CJ confirms but holds its parcel; the AliExpress parcel
 * ships and is delivered first. The order is delivered only once the CJ parcel, picked up by
 * the supplier polls that go on meanwhile, is delivered too; its fulfillment status follows
 * the units (ORD-03), not the order status.
 */

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform();
});
afterAll(async () => {
  await platform?.stop();
});

describe('an order in two parcels', () => {
  it('is partially shipped, then partially fulfilled, and delivered only after the last parcel; polling picks up the late parcel', async () => {
    // CJ confirms but holds its parcel (`ship: false` is captured at placement).
    await platform.simulators.post('cj/_sim/behaviour', { json: { mode: 'ok', options: { ship: false } } });
    const order = await placeOrder(platform, twoParcelOrder());
    await pay(platform, order.id);
    await waitForStatus(platform, order.id, 'confirmed');
    await waitForWorkflow(platform, order.id, 'payment_confirmed');
    await platform.advanceClock('fulfillment', 61_000);
    const placed = await waitForWorkflow(platform, order.id, 'placed_with_supplier');
    await platform.simulators.delete('cj/_sim/behaviour');
    expect(placed.supplierOrders.map((s) => s.supplier).sort()).toEqual(['aliexpress', 'cj']);

    // Both confirm; AliExpress ships: one parcel out of two.
    await advanceFulfillmentUntil(platform, order.id, 'supplier_confirmed', SUPPLIER_POLL + 1_000);
    const shipped = await advanceFulfillmentUntil(platform, order.id, 'shipped', SUPPLIER_POLL + 1_000);
    expect(shipped.shipments).toHaveLength(1);
    const first = shipped.shipments[0]!;
    expect(first.source).toBe('aliexpress');
    await waitForStatus(platform, order.id, 'shipped');
    const oneOut = await eventually(() => getOrder(platform, order.id), (o) => o.fulfillmentStatus !== 'not_fulfilled', 10_000);
    expect(oneOut.fulfillmentStatus).toBe('partially_shipped');

    // The AliExpress parcel is delivered: the order is not, the CJ goods are still at the supplier.
    await deliverParcel(platform, order.id, first.trackingNumber!);
    await eventually(() => getFulfillment(platform, order.id), (f) => f.shipments[0]?.status === 'delivered');
    await sleep(2_000);
    const afterFirst = await getFulfillment(platform, order.id);
    expect(afterFirst.state).not.toBe('delivered');
    const orderAfterFirst = await getOrder(platform, order.id);
    expect(orderAfterFirst.status).not.toBe('delivered');
    expect(orderAfterFirst.fulfillmentStatus).toBe('partially_shipped');
    expect(afterFirst.pendingTimers.some((t) => t.kind === 'fulfillment.supplier-poll')).toBe(true);

    // Its parts (ORD-05): acme's AliExpress item delivered in its parcel, leaf's CJ item not shipped yet.
    const parts = ((await platform.gateway.get(`v1/orders/${order.id}`)).body as OrderDetail).order.subOrders;
    expect(parts.map((p) => [p.number, p.vendor.id, p.status, p.fulfillmentStatus])).toEqual([
      [`${order.number}-1`, 'acme', 'delivered', 'fulfilled'],
      [`${order.number}-2`, 'leaf', 'processing', 'not_fulfilled'],
    ]);
    expect(parts[0]!.parcels.map((p) => [p.trackingNumber, p.status])).toEqual([[first.trackingNumber, 'delivered']]);
    // The vendor key of acme sees its part, not leaf's, and not the order.
    const acme = platform.as(DEV_KEYS.vendor);
    expect((await acme.get(`v1/sub-orders/${order.number}-1`)).statusCode).toBe(200);
    expect((await acme.get(`v1/sub-orders/${order.number}-2`)).statusCode).toBe(404);
    expect((await acme.get(`v1/orders/${order.id}`)).statusCode).toBe(403);

    // CJ ships at last; the supplier polls, which went on, find the second parcel.
    const cj = placed.supplierOrders.find((s) => s.supplier === 'cj')!;
    const cjOrders = (await platform.simulators.get('cj/_sim/orders')).body as Array<{ id: string; reference: string }>;
    const atCj = cjOrders.find((o) => o.reference === cj.id)!;
    expect((await platform.simulators.post(`cj/_sim/orders/${atCj.id}/advance`)).statusCode).toBe(200);
    let both = await getFulfillment(platform, order.id);
    for (let step = 0; step < 4 && both.shipments.length < 2; step++) {
      await platform.advanceClock('fulfillment', HOUR + 1_000);
      await sleep(500);
      both = await getFulfillment(platform, order.id);
    }
    both = await eventually(() => getFulfillment(platform, order.id), (f) => f.shipments.length === 2, 10_000);
    const second = both.shipments.find((s) => s.source === 'cj')!;
    expect(second.status).toBe('in_transit');
    // Both parcels out, one of them delivered.
    await eventually(() => getOrder(platform, order.id), (o) => o.fulfillmentStatus === 'partially_fulfilled', 10_000);
    expect((await getOrder(platform, order.id)).status).not.toBe('delivered');

    // The last parcel is delivered: now the order is.
    await deliverParcel(platform, order.id, second.trackingNumber!);
    await waitForWorkflow(platform, order.id, 'delivered');
    const delivered = await waitForStatus(platform, order.id, 'delivered');
    expect(delivered.fulfillmentStatus).toBe('fulfilled');
    const finalParts = ((await platform.gateway.get(`v1/orders/${order.id}`)).body as OrderDetail).order.subOrders;
    expect(finalParts.map((p) => [p.status, p.fulfillmentStatus, p.parcels.length])).toEqual([
      ['delivered', 'fulfilled', 1],
      ['delivered', 'fulfilled', 1],
    ]);
    const timeline = (await platform.gateway.get(`v1/orders/${order.id}/timeline`)).body as { entries: Array<{ kind: string; status: string }> };
    expect(timeline.entries.filter((e) => e.kind === 'status').map((e) => e.status)).toEqual(['pending', 'confirmed', 'processing', 'shipped', 'out_for_delivery', 'delivered']);
    const final = await getFulfillment(platform, order.id);
    expect(final.shipments.map((s) => s.status)).toEqual(['delivered', 'delivered']);
    expect(final.history.filter((h) => h.to === 'delivered')).toHaveLength(1);
  });
});
