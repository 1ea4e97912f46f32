import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { DelayedOrdersPage, OrderPromise } from '@platform/contracts/api/orders';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  advanceFulfillmentUntil,
  carrierScan,
  getOrder,
  getTracking,
  HOUR,
  lifecycleOrder,
  pay,
  placeOrder,
  SUPPLIER_POLL,
  waitForStatus,
  waitForWorkflow,
  withoutQuietHours,
} from '@platform/test-support/lifecycle';
import { DEV_KEYS, eventually, type Platform, startPlatform } from '@platform/test-support/platform';

/**
 * A promise, kept or flagged early (docs/delivery-promise.md), through the whole platform: the
 * promise made at placing and shown in the order and the confirmation; the courier (`pnpm
 * courier --eta`, through the 17TRACK simulator's signed webhooks) reporting an estimate past it
 * flags the order delayed and the customer hears it once, even across a restart of
 * notifications; a parcel silent for NO_SCAN_ALERT_MS (tracking's test clock) is flagged too;
 * ops list both; the delivery records whether the promise was met.
 */

const NO_SCAN_ALERT_MS = 6 * HOUR;
const run = promisify(execFile);

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({ serviceEnv: { tracking: { NO_SCAN_ALERT_MS: String(NO_SCAN_ALERT_MS) } } });
});
afterAll(async () => {
  await platform?.stop();
});

const emailsTo = (address: string) => platform.stack.smtp!.messages().filter((m) => m.to.includes(address));
const promiseOf = async (orderId: string) => ((await getOrder(platform, orderId)) as unknown as { deliveryPromise: OrderPromise }).deliveryPromise;

/** An AliExpress order, paid and shipped by the supplier, its number registered with 17TRACK. */
async function shippedOrder() {
  const body = lifecycleOrder('aliexpress');
  await withoutQuietHours(platform, body.customer.id);
  const order = await placeOrder(platform, body);
  await pay(platform, order.id);
  await waitForWorkflow(platform, order.id, 'payment_confirmed');
  await platform.advanceClock('fulfillment', 61_000);
  await waitForWorkflow(platform, order.id, 'placed_with_supplier');
  await advanceFulfillmentUntil(platform, order.id, 'supplier_confirmed', SUPPLIER_POLL + 1_000);
  const shipped = await advanceFulfillmentUntil(platform, order.id, 'shipped', SUPPLIER_POLL + 1_000);
  const trackingNumber = shipped.tracking!.number;
  await eventually(() => getTracking(platform, order.id), (t) => Boolean(t.shipments?.[0]?.provider));
  return { body, order, trackingNumber };
}

/** `pnpm courier`: the next scripted scans, sent by the 17TRACK simulator as signed webhooks. */
async function courier(trackingNumber: string, ...args: string[]) {
  const { stdout } = await run('node', ['--import', 'tsx', 'packages/simulators/src/cli/courier.ts', trackingNumber, '--interval-ms', '0', '--simulators', platform.stack.simulators!.url, ...args]);
  return stdout;
}

const runningLateRows = (orderId: string) => platform.count('notifications', "SELECT count(*) FROM notifications WHERE order_id = $1 AND notice = 'running_late'", [orderId]);

describe('a promise, kept or flagged early', () => {
  it('flags the order when the carrier expects it after the promise: one notice, even across a restart of notifications; ops see it; delivery records the promise met', async () => {
    const { body, order, trackingNumber } = await shippedOrder();
    const promise = await promiseOf(order.id);
    // AliExpress (3 days) to Spain (overseas to the EU, standard: 8 to 15 days).
    expect(promise).toMatchObject({ deliveryType: 'standard', delayedAt: null, promiseMet: null });
    expect(Date.parse(promise.latest) - Date.parse(order.createdAt)).toBeGreaterThan(17 * 24 * HOUR);
    const [confirmation] = await platform.stack.smtp!.waitForMessages((m) => m.to.includes(body.customer.email) && m.subject.includes('confirmed'), { timeoutMs: 20_000 });
    expect(confirmation!.text).toContain('Expected delivery:');

    // The courier's first scan says the parcel will come three days after the promise.
    const late = new Date(Date.parse(promise.latest) + 3 * 24 * HOUR).toISOString().slice(0, 10);
    expect(await courier(trackingNumber, '--to', 'info_received', '--eta', late)).toContain('info_received');
    const delayed = await waitForStatus(platform, order.id, 'delayed');
    expect(delayed.tracking).toMatchObject({ number: trackingNumber });
    expect(await promiseOf(order.id)).toMatchObject({ delayReason: 'late_estimate', estimatedDelivery: `${late}T00:00:00.000Z`, promiseMet: null });

    const [notice] = await platform.stack.smtp!.waitForMessages((m) => m.to.includes(body.customer.email) && m.subject.includes('running late'), { timeoutMs: 20_000 });
    expect(notice!.subject).toBe(`Your order ${order.number} is running late`);
    expect(notice!.text.replace(/\s/g, ' ')).toContain(`The carrier now expects to deliver it on ${new Intl.DateTimeFormat('en', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(late))}`);

    // Ops see it; a customer key may not look.
    const list = await platform.as(DEV_KEYS.ops).get('v1/ops/orders/delayed?limit=100');
    expect(list.statusCode).toBe(200);
    expect((list.body as DelayedOrdersPage).items.find((item) => item.orderId === order.id)).toMatchObject({ number: order.number, deliveryPromise: { delayReason: 'late_estimate' } });
    expect((await platform.as(DEV_KEYS.customer).get('v1/ops/orders/delayed')).statusCode).toBe(403);

    // Notifications restarts; the carrier pushes an even later estimate, then the rest of the way.
    await platform.stack.restartService('notifications');
    const later = new Date(Date.parse(promise.latest) + 5 * 24 * HOUR).toISOString().slice(0, 10);
    await courier(trackingNumber, '--to', 'in_transit', '--eta', later);
    await eventually(() => promiseOf(order.id), (p) => p.estimatedDelivery === `${later}T00:00:00.000Z`);
    for (const state of ['out_for_delivery', 'delivered'] as const) {
      await carrierScan(platform, trackingNumber);
      await waitForWorkflow(platform, order.id, state);
    }
    await waitForStatus(platform, order.id, 'delivered');
    // Delivered today, well before the promised last day: kept, though the carrier had feared otherwise.
    expect(await promiseOf(order.id)).toMatchObject({ promiseMet: true, delayReason: 'late_estimate' });
    await platform.stack.smtp!.waitForMessages((m) => m.to.includes(body.customer.email) && m.subject.includes('delivered'), { timeoutMs: 20_000 });
    expect(emailsTo(body.customer.email).filter((m) => m.subject.includes('running late'))).toHaveLength(1);
    expect(await runningLateRows(order.id)).toBe(1);
    // Off the ops list once delivered.
    const after = (await platform.as(DEV_KEYS.ops).get('v1/ops/orders/delayed?limit=100')).body as DelayedOrdersPage;
    expect(after.items.map((item) => item.orderId)).not.toContain(order.id);
  });

  it('flags a parcel that has had no scan for NO_SCAN_ALERT_MS', async () => {
    const { body, order, trackingNumber } = await shippedOrder();
    await courier(trackingNumber, '--to', 'info_received');
    expect((await getOrder(platform, order.id)).status).toBe('shipped');
    await platform.advanceClock('tracking', NO_SCAN_ALERT_MS + 60_000);
    await waitForStatus(platform, order.id, 'delayed');
    expect(await promiseOf(order.id)).toMatchObject({ delayReason: 'no_scan', promiseMet: null });
    const [notice] = await platform.stack.smtp!.waitForMessages((m) => m.to.includes(body.customer.email) && m.subject.includes('running late'), { timeoutMs: 20_000 });
    expect(notice!.text).toContain('The carrier has not given a new date yet');
    expect(await runningLateRows(order.id)).toBe(1);
  });
});
