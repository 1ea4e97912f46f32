import type { Order } from '@platform/contracts/api/orders';
import { afterEach, describe, expect, it } from 'vitest';
import {
  advanceFulfillmentUntil,
  deliverParcel,
  getFulfillment,
  getOrder,
  lifecycleOrder,
  pay,
  SUPPLIER_POLL,
  twoParcelOrder,
  waitForStatus,
  waitForWorkflow,
} from '@platform/test-support/lifecycle';
import { eventually, type Platform, sampleOrder, sleep, startPlatform } from '@platform/test-support/platform';

/**
 * Processes die at the worst moments; afterwards every order is kept, every service applied
 * each event once, and every customer has exactly one confirmation email.
 */

let platform: Platform | undefined;
afterEach(async () => {
  await platform?.stop();
  platform = undefined;
});

async function placeOrder(p: Platform, body: ReturnType<typeof sampleOrder> = sampleOrder()) {
  const response = await p.gateway.post('v1/orders', { json: body });
  expect(response.statusCode, JSON.stringify(response.body)).toBe(201);
  return { order: response.body as Order, email: body.customer.email };
}

async function expectExactlyOneEmailEach(p: Platform, addresses: string[], settleMs = 3_000) {
  const sink = p.stack.smtp!;
  await sink.waitForMessages((m) => addresses.some((a) => m.to.includes(a)), { count: addresses.length, timeoutMs: 60_000 });
  // Longer than the e2e ack wait (2 s): a redelivery or a re-published event would show up.
  await sleep(settleMs);
  const counts = addresses.map((a) => sink.messages().filter((m) => m.to.includes(a)).length);
  expect(counts).toEqual(addresses.map(() => 1));
}

describe('crash recovery', () => {
  it('notifications SIGKILLed after committing, before acking: restarted, it applies the event once and emails once', async () => {
    platform = await startPlatform({
      logLevel: 'info',
      serviceEnv: { notifications: { PLATFORM_CRASH_AT: 'notifications--order-events:before-ack' } },
    });
    const p = platform;
    const notifications = p.stack.services.notifications!;
    const { order, email } = await placeOrder(p);

    // `orders.order.created` was applied and committed; the service died before acking it.
    expect(await notifications.exited).toBeNull(); // killed by a signal, not a clean exit
    await p.stack.restartService('notifications');
    // JetStream redelivers the unacknowledged event; the consumer finds it processed and only acks.
    const redelivered = await eventually(
      async () => p.logLines('notifications').find((l) => l.msg === 'event handled' && l.type === 'orders.order.created' && l.outcome === 'duplicate'),
      (line) => line !== undefined,
    );
    expect(redelivered).toMatchObject({ consumer: 'notifications--order-events' });

    // And it works normally afterwards: payment confirms the order, one confirmation email.
    await pay(p, order.id);
    await expectExactlyOneEmailEach(p, [email]);
    expect(await p.count('notifications', "SELECT count(*) FROM notifications WHERE order_id = $1 AND channel = 'email'", [order.id])).toBe(1);
  });

  it('orders SIGKILLed after publishing, before deleting the outbox row: the re-publish is dropped', async () => {
    platform = await startPlatform({ serviceEnv: { orders: { PLATFORM_CRASH_AT: 'outbox:after-publish' } } });
    const orders = platform.stack.services.orders!;
    const body = sampleOrder();
    // The relay may publish, and die, before the answer leaves: the client then sees a 503
    // from the gateway, yet the order was committed. Either way it exists exactly once.
    const response = await platform.gateway.post('v1/orders', { json: body });
    expect([201, 503], JSON.stringify(response.body)).toContain(response.statusCode);
    expect(await orders.exited).toBeNull();
    expect(await platform.count('orders', 'SELECT count(*) FROM orders WHERE customer_id = $1', [body.customer.id])).toBe(1);
    // Published, but the row was not deleted: it is still there for the restarted relay.
    expect(await platform.count('orders', "SELECT count(*) FROM outbox_events WHERE type = 'orders.order.created'")).toBe(1);

    await platform.stack.restartService('orders');
    await eventually(
      () => platform!.count('orders', 'SELECT count(*) FROM outbox_events'),
      (n) => n === 0,
    );
    expect(await platform.streamMessages('ORDERS', 'orders.order.created')).toBe(1); // deduplicated by Nats-Msg-Id
    // Downstream saw the order once: one payment request, one workflow.
    await eventually(() => platform!.count('billing', 'SELECT count(*) FROM payments'), (n) => n === 1);
    await eventually(() => platform!.count('fulfillment', 'SELECT count(*) FROM workflows'), (n) => n === 1);
    await sleep(3_000);
    expect(await platform.count('billing', 'SELECT count(*) FROM payments')).toBe(1);
    expect(await platform.count('fulfillment', 'SELECT count(*) FROM workflows')).toBe(1);
  });

  it('fulfillment SIGKILLed after placing with the supplier, before committing: restarted, it places the same order, not a second one', async () => {
    platform = await startPlatform({
      serviceEnv: { fulfillment: { PLATFORM_CRASH_AT: 'timers:fulfillment.place-supplier-orders:before-commit' } },
    });
    const p = platform;
    const body = lifecycleOrder('aliexpress');
    const { order } = await placeOrder(p, body);
    await pay(p, order.id);
    await waitForWorkflow(p, order.id, 'payment_confirmed');
    await p.advanceClock('fulfillment', 61_000);

    // The supplier accepted the order; the process died before recording it.
    expect(await p.stack.services.fulfillment!.exited).toBeNull();
    const supplierOrders = async () => ((await p.simulators.get('aliexpress/_sim/orders')).body as Array<{ reference: string }>);
    expect(await supplierOrders()).toHaveLength(1);

    await p.stack.restartService('fulfillment');
    // The restarted process runs on real time again; the placement timer is due within the minute it was moved.
    await p.advanceClock('fulfillment', 2 * 60_000);
    const placed = await waitForWorkflow(p, order.id, 'placed_with_supplier');
    // Same reference on the retry: the supplier answered with the order it already had.
    expect(await supplierOrders()).toHaveLength(1);
    expect(placed.supplierOrders).toHaveLength(1);
    const calls = ((await p.gateway.get(`v1/orders/${order.id}/supplier-calls`)).body as { calls: Array<{ operation: string; reference: string | null }> }).calls;
    const placements = calls.filter((c) => c.operation === 'place');
    expect(placements).toHaveLength(2);
    expect(new Set(placements.map((c) => c.reference)).size).toBe(1);
  });

  it('fulfillment SIGKILLed between two parcels\' events: restarted, each parcel is recorded once and the order delivered once, after both', async () => {
    platform = await startPlatform();
    const p = platform;
    // CJ holds its parcel (captured at placement) while AliExpress ships.
    await p.simulators.post('cj/_sim/behaviour', { json: { mode: 'ok', options: { ship: false } } });
    const { order } = await placeOrder(p, twoParcelOrder());
    await pay(p, order.id);
    await waitForWorkflow(p, order.id, 'payment_confirmed');
    await p.advanceClock('fulfillment', 61_000);
    const placed = await waitForWorkflow(p, order.id, 'placed_with_supplier');
    await p.simulators.delete('cj/_sim/behaviour');
    await advanceFulfillmentUntil(p, order.id, 'supplier_confirmed', SUPPLIER_POLL + 1_000);
    await advanceFulfillmentUntil(p, order.id, 'shipped', SUPPLIER_POLL + 1_000);
    await eventually(() => getOrder(p, order.id), (o) => o.fulfillmentStatus === 'partially_shipped');

    // CJ ships; the poll that records the second parcel dies before committing it.
    const cj = placed.supplierOrders.find((s) => s.supplier === 'cj')!;
    const atCj = ((await p.simulators.get('cj/_sim/orders')).body as Array<{ id: string; reference: string }>).find((o) => o.reference === cj.id)!;
    await p.simulators.post(`cj/_sim/orders/${atCj.id}/advance`);
    /** Moves the (restarted, real-time) clock of fulfillment past the order's next supplier poll. */
    const firePoll = async () => {
      const poll = (await getFulfillment(p, order.id)).pendingTimers.find((t) => t.kind === 'fulfillment.supplier-poll')!;
      const now = Date.parse(((await p.service('fulfillment').get('_test/clock')).body as { now: string }).now);
      // The process may die while answering.
      await p.advanceClock('fulfillment', Math.max(0, Date.parse(poll.fireAt) - now) + 1_000).catch(() => {});
    };
    await p.stack.restartService('fulfillment', { PLATFORM_CRASH_AT: 'timers:fulfillment.supplier-poll:before-commit' });
    await firePoll();
    expect(await p.stack.services.fulfillment!.exited).toBeNull(); // killed by the crash point
    expect(await p.count('fulfillment', 'SELECT count(*) FROM shipments WHERE order_id = $1', [order.id])).toBe(1);

    await p.stack.restartService('fulfillment');
    await firePoll();
    const both = await eventually(() => getFulfillment(p, order.id), (f) => f.shipments.length === 2);
    // Both parcels out, none arrived.
    await eventually(() => getOrder(p, order.id), (o) => o.fulfillmentStatus === 'shipped');

    for (const shipment of both.shipments) await deliverParcel(p, order.id, shipment.trackingNumber!);
    const delivered = await waitForStatus(p, order.id, 'delivered');
    expect(delivered.fulfillmentStatus).toBe('fulfilled');
    await sleep(3_000); // a repeated event would show up
    const counts = async (sql: string) => p.count('fulfillment', sql, [order.id]);
    expect(await counts('SELECT count(*) FROM shipments WHERE order_id = $1')).toBe(2);
    // The only order on this platform: every event on the stream is about it.
    expect(await p.streamMessages('FULFILLMENT', 'fulfillment.shipment.shipped')).toBe(2);
    expect(await p.streamMessages('FULFILLMENT', 'fulfillment.progress.changed')).toBe(4);
    expect(await counts("SELECT count(*) FROM workflow_history WHERE order_id = $1 AND to_state = 'delivered'")).toBe(1);
    expect(await p.count('tracking', 'SELECT count(*) FROM shipments WHERE order_id = $1', [order.id])).toBe(2);
    expect(await p.count('orders', "SELECT count(*) FROM order_status_history WHERE order_id = $1 AND status = 'delivered'", [order.id])).toBe(1);
  });

  it('billing SIGKILLed after opening the checkout at Stripe, before committing: restarted, Stripe gives back the same session', async () => {
    platform = await startPlatform({ serviceEnv: { billing: { PLATFORM_CRASH_AT: 'billing--orders:before-commit' } } });
    const p = platform;
    const { order } = await placeOrder(p);
    expect(await p.stack.services.billing!.exited).toBeNull();
    expect(await p.count('billing', 'SELECT count(*) FROM payments')).toBe(0); // rolled back with the process

    await p.stack.restartService('billing');
    await eventually(() => p.count('billing', 'SELECT count(*) FROM checkout_sessions WHERE status = $1', ['open']), (n) => n === 1);
    // Both attempts sent the same Idempotency-Key; the second got the first session back.
    const requests = (await p.simulators.get('stripe/_sim/requests')).body as Array<{ method: string; url: string; headers: Record<string, string> }>;
    const creates = requests.filter((r) => r.method === 'POST' && r.url.endsWith('/v1/checkout/sessions'));
    expect(creates).toHaveLength(2);
    expect(new Set(creates.map((r) => r.headers['idempotency-key'])).size).toBe(1);
    await pay(p, order.id);
    await eventually(() => p.count('billing', "SELECT count(*) FROM invoices WHERE status = 'paid'"), (n) => n === 1);
  });

  it('notifications SIGKILLed right after the SMTP relay, Twilio or FCM accepted a message: restarted, each customer has exactly one email, one SMS and one push', async () => {
    const crashAt = (channel: 'email' | 'sms' | 'push') => ({ PLATFORM_CRASH_AT: `notifications:${channel}:after-provider-accepted` });
    platform = await startPlatform({ serviceEnv: { notifications: crashAt('email') } });
    const p = platform;
    // Three customers who want the confirmation on every channel (set up while notifications is alive).
    const customers: Array<{ body: ReturnType<typeof sampleOrder>; orderId?: string; email: string; phone: string; token: string }> = [];
    for (const n of [1, 2, 3]) {
      const body = sampleOrder();
      const customerId = body.customer.id;
      const phone = `+346000000${n}0`;
      const token = `device-${customerId}`;
      const prefs = await p.gateway.put(`v1/customers/${customerId}/preferences`, { json: { quietHours: null, phoneNumber: phone, channels: { sms: { order_confirmed: true } } } });
      expect(prefs.statusCode, JSON.stringify(prefs.body)).toBe(200);
      expect((await p.gateway.put(`v1/customers/${customerId}/devices`, { json: { token, platform: 'android' } })).statusCode).toBe(200);
      customers.push({ body, email: body.customer.email, phone, token });
    }

    // Each one's order is paid (so confirmed); a channel's provider accepts a message and the
    // process dies before recording it; it is restarted armed for the next channel.
    for (const [i, next] of (['sms', 'push', null] as const).entries()) {
      const customer = customers[i]!;
      const { order } = await placeOrder(p, customer.body);
      customer.orderId = order.id;
      await pay(p, order.id);
      expect(await p.stack.services.notifications!.exited).toBeNull(); // killed by the crash point
      // The customers before still have messages due on the next channel, so the armed crash may
      // fire on one of them before the service reports ready: that is the crash the next round waits for.
      await p.stack.restartService('notifications', next ? crashAt(next) : {}, { mayExit: next !== null });
    }
    const orderIds = customers.map((c) => c.orderId);
    // A message whose outcome was lost is checked with its provider once the attempt is a minute old.
    await eventually(
      async () => {
        await p.advanceClock('notifications', 61_000);
        return p.count('notifications', "SELECT count(*) FROM notifications WHERE order_id = ANY($1::uuid[]) AND status IN ('sent', 'delivered')", [orderIds]);
      },
      (n) => n === 9,
      90_000,
    );
    await sleep(3_000); // a late resend would show up

    const emails = p.stack.smtp!.messages();
    const sms = (await p.simulators.get('twilio/_sim/messages')).body as Array<{ to: string }>;
    const pushes = (await p.simulators.get('fcm/_sim/messages')).body as Array<{ token: string; replacedBy?: string | null }>;
    const perCustomer = customers.map((c) => ({
      emails: emails.filter((m) => m.to.includes(c.email)).length,
      sms: sms.filter((m) => m.to === c.phone).length,
      // What the phone shows: a repeat carrying the same collapse id replaces the earlier one.
      pushesShown: pushes.filter((m) => m.token === c.token && !m.replacedBy).length,
    }));
    expect(perCustomer).toEqual(customers.map(() => ({ emails: 1, sms: 1, pushesShown: 1 })));
    // FCM offers no way to ask whether it took a message: the push whose outcome was lost went
    // out twice (the second replacing the first on the phone), and that is counted, not hidden.
    const pushed = customers.map((c) => pushes.filter((m) => m.token === c.token).length);
    expect(pushed.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(4);
  });

  it('NATS restarted while orders are being placed: no order lost, none handled twice downstream', async () => {
    platform = await startPlatform();
    const p = platform;
    const placed: { order: Order; email: string }[] = [];
    let restarted = false;
    const placing = (async () => {
      for (let i = 0; i < 40; i++) {
        const batch = await Promise.all([placeOrder(p), placeOrder(p)]);
        placed.push(...batch);
        if (i === 10) {
          // Restart in the middle of the stream of orders, without waiting for it.
          void p.stack.nats!.restart().then(() => (restarted = true));
        }
        await sleep(25);
      }
    })();
    await placing;
    await eventually(async () => restarted, (r) => r, 60_000);
    expect(restarted).toBe(true);

    expect(placed).toHaveLength(80);
    expect(await p.count('orders', 'SELECT count(*) FROM orders')).toBe(80);
    await eventually(() => p.streamMessages('ORDERS', 'orders.order.created'), (n) => n === 80, 60_000);
    await eventually(() => p.count('billing', 'SELECT count(*) FROM payments'), (n) => n === 80, 60_000);
    await eventually(() => p.count('fulfillment', 'SELECT count(*) FROM workflows'), (n) => n === 80, 60_000);
    // Longer than the e2e ack wait (2 s): a redelivery would show up as a second row or a failure.
    await sleep(3_000);
    expect(await p.count('billing', 'SELECT count(DISTINCT order_id) FROM payments')).toBe(80);
    expect(await p.count('billing', 'SELECT count(*) FROM checkout_sessions')).toBe(80);
    expect(await p.count('notifications', 'SELECT count(*) FROM order_contexts')).toBe(80);
  });
});
