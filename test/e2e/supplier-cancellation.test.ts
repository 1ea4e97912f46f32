import type { OpsTask } from '@platform/contracts/api/fulfillment';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBilling, getFulfillment, getOrder, lifecycleOrder, pay, placeOrder, waitForStatus, waitForWorkflow } from '@platform/test-support/lifecycle';
import { DEV_KEYS, eventually, type Platform, startPlatform } from '@platform/test-support/platform';

/**
 * A paid order placed with AliExpress (which has no cancel API) and then cancelled, through
 * the gateway and the AliExpress simulator: an ops task opens, the refund is held or made as
 * REFUND_ON_UNCONFIRMED_SUPPLIER_CANCEL says, and ops resolving the task completes it.
 */
describe.each(['after_supplier_cancel', 'immediately'] as const)('REFUND_ON_UNCONFIRMED_SUPPLIER_CANCEL=%s', (policy) => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform({ serviceEnv: { billing: { REFUND_ON_UNCONFIRMED_SUPPLIER_CANCEL: policy } } });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('an AliExpress order cancelled after placement ends with an open ops task; the refund follows the policy; ops resolving it completes it', async () => {
    const order = await placeOrder(platform, lifecycleOrder('aliexpress'));
    await pay(platform, order.id);
    await waitForStatus(platform, order.id, 'confirmed');
    await waitForWorkflow(platform, order.id, 'payment_confirmed');
    await platform.advanceClock('fulfillment', 61_000);
    await waitForWorkflow(platform, order.id, 'placed_with_supplier');

    const cancelled = await platform.gateway.post(`v1/orders/${order.id}/cancel`, { json: { reason: 'Changed my mind' } });
    expect(cancelled.statusCode, JSON.stringify(cancelled.body)).toBe(200);
    const ops = platform.as(DEV_KEYS.ops);
    const tasks = await eventually(
      async () => ((await ops.get('v1/ops/tasks')).body as { tasks: OpsTask[] }).tasks.filter((t) => t.orderId === order.id),
      (open) => open.length === 1,
    );
    expect(tasks[0]).toMatchObject({ kind: 'supplier_cancellation', status: 'open', supplier: 'aliexpress' });
    const fulfillment = await getFulfillment(platform, order.id);
    expect(fulfillment).toMatchObject({ state: 'cancelled', supplierOrders: [{ status: 'cancellation_pending' }], opsTasks: [{ id: tasks[0]!.id, status: 'open' }] });
    // A customer cannot see or resolve ops tasks.
    expect((await platform.as(DEV_KEYS.customer).get('v1/ops/tasks')).statusCode).toBe(403);

    if (policy === 'after_supplier_cancel') {
      const held = await eventually(() => getBilling(platform, order.id), (b) => Boolean(b.refundHold?.heldAt));
      expect(held.refunds).toEqual([]);
      expect((await getOrder(platform, order.id)).status).toBe('cancelled');
    } else {
      await eventually(() => getBilling(platform, order.id), (b) => b.refunds.some((r) => r.status === 'succeeded'));
      await waitForStatus(platform, order.id, 'refunded');
    }

    const resolved = await ops.post(`v1/ops/tasks/${tasks[0]!.id}/resolve`, { json: { outcome: 'cancelled_at_supplier', note: 'cancelled in the AliExpress console' } });
    expect(resolved.statusCode, JSON.stringify(resolved.body)).toBe(200);
    expect(resolved.body).toMatchObject({ status: 'resolved', outcome: 'cancelled_at_supplier' });

    await waitForStatus(platform, order.id, 'refunded');
    const billing = await getBilling(platform, order.id);
    expect(billing.refunds).toMatchObject([{ status: 'succeeded', amount: order.totals.total }]);
    const after = await getFulfillment(platform, order.id);
    expect(after).toMatchObject({ state: 'cancelled', supplierOrders: [{ status: 'cancelled' }], opsTasks: [{ status: 'resolved', outcome: 'cancelled_at_supplier' }] });
    expect(((await ops.get('v1/ops/tasks')).body as { tasks: OpsTask[] }).tasks.some((t) => t.orderId === order.id)).toBe(false);
  });
});
