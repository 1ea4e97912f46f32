import type { Order } from '@platform/contracts/api/orders';
import { afterEach, describe, expect, it } from 'vitest';
import { pay } from '../support/lifecycle';
import { eventually, type Platform, sampleOrder, sleep, startPlatform } from '../support/platform';

/**
 * Processes die at the worst moments; afterwards every order is kept, every service applied
 * each event once, and every customer has exactly one confirmation email.
 */

let platform: Platform | undefined;
afterEach(async () => {
  await platform?.stop();
  platform = undefined;
});

async function placeOrder(p: Platform, body = sampleOrder()) {
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

  it('orders SIGKILLed after publishing, before marking the outbox: the re-publish is dropped', async () => {
    platform = await startPlatform({ serviceEnv: { orders: { PLATFORM_CRASH_AT: 'outbox:after-publish' } } });
    const orders = platform.stack.services.orders!;
    const body = sampleOrder();
    // The relay may publish, and die, before the answer leaves: the client then sees a 503
    // from the gateway, yet the order was committed. Either way it exists exactly once.
    const response = await platform.gateway.post('v1/orders', { json: body });
    expect([201, 503], JSON.stringify(response.body)).toContain(response.statusCode);
    expect(await orders.exited).toBeNull();
    expect(await platform.count('orders', 'SELECT count(*) FROM orders WHERE customer_id = $1', [body.customer.id])).toBe(1);
    expect(await platform.count('orders', 'SELECT count(*) FROM outbox_events WHERE published_at IS NULL')).toBe(1);

    await platform.stack.restartService('orders');
    await eventually(
      () => platform!.count('orders', 'SELECT count(*) FROM outbox_events WHERE published_at IS NULL'),
      (n) => n === 0,
    );
    expect(await platform.streamMessages('ORDERS')).toBe(1); // deduplicated by Nats-Msg-Id
    // Downstream saw the order once: one payment request, one workflow.
    await eventually(() => platform!.count('billing', 'SELECT count(*) FROM payments'), (n) => n === 1);
    await eventually(() => platform!.count('fulfillment', 'SELECT count(*) FROM workflows'), (n) => n === 1);
    await sleep(3_000);
    expect(await platform.count('billing', 'SELECT count(*) FROM payments')).toBe(1);
    expect(await platform.count('fulfillment', 'SELECT count(*) FROM workflows')).toBe(1);
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
    await eventually(() => p.streamMessages('ORDERS'), (n) => n === 80, 60_000);
    await eventually(() => p.count('billing', 'SELECT count(*) FROM payments'), (n) => n === 80, 60_000);
    await eventually(() => p.count('fulfillment', 'SELECT count(*) FROM workflows'), (n) => n === 80, 60_000);
    // Longer than the e2e ack wait (2 s): a redelivery would show up as a second row or a failure.
    await sleep(3_000);
    expect(await p.count('billing', 'SELECT count(DISTINCT order_id) FROM payments')).toBe(80);
    expect(await p.count('billing', 'SELECT count(*) FROM checkout_sessions')).toBe(80);
    expect(await p.count('notifications', 'SELECT count(*) FROM order_contexts')).toBe(80);
  });
});
