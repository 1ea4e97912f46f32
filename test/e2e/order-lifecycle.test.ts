import { createHmac } from 'node:crypto';
import type { FeedResponse } from '@platform/contracts/api/notifications';
import type { Order } from '@platform/contracts/api/orders';
import { LOCAL_PROVIDER_CREDENTIALS } from '@platform/simulators';
import type { Problem } from '@platform/contracts/api/problem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  advanceFulfillmentUntil,
  carrierScan,
  getBilling,
  getFulfillment,
  getNotifications,
  getTracking,
  HOUR,
  lifecycleOrder,
  MINUTE,
  pay,
  placeOrder,
  reachableCustomer,
  SUPPLIER_POLL,
  waitForStatus,
  waitForWorkflow,
} from '@platform/test-support/lifecycle';
import { type Sample, sampleValue, scrapeMetrics } from '@platform/test-support/metrics';
import { DEV_KEYS, eventually, type Platform, sleep, startPlatform } from '@platform/test-support/platform';

/**
 * One order carried from placement to delivery through the gateway, and the ways it can
 * go wrong, across all six services, the provider simulators, real NATS and PostgreSQL.
 * Time-based steps (60 s, supplier polls, 24 h) move the services' clocks instead of sleeping.
 */

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({
    logLevel: 'info',
    // Quick breaker recovery for the tracking-provider test.
    serviceEnv: { tracking: { BREAKER_HALF_OPEN_AFTER_MS: '1500', BREAKER_CONSECUTIVE_FAILURES: '2' } },
  });
});
afterAll(async () => {
  await platform?.stop();
});

const emailsTo = (address: string) => platform.stack.smtp!.messages().filter((m) => m.to.includes(address));

/** The services that own business facts, each with its own metrics (docs/metrics.md). */
const FACT_OWNERS = ['orders', 'billing', 'fulfillment', 'tracking', 'notifications'] as const;
type FactOwner = (typeof FACT_OWNERS)[number];
const scrapeAll = async () => Object.fromEntries(await Promise.all(FACT_OWNERS.map(async (s) => [s, await scrapeMetrics(platform, s)] as const))) as Record<FactOwner, Sample[]>;
/** Reached the provider: an email or push is delivered on acceptance, an SMS sent until Twilio calls back. */
const reached = (status: string) => status === 'sent' || status === 'delivered';
const topicOf: Record<string, string> = { confirmed: 'order_confirmed' };

describe('happy path', () => {
  it('place → pay → invoice → confirmed → placed with the supplier → shipped → in transit → out for delivery → delivered', async () => {
    const body = lifecycleOrder('aliexpress', 'es');
    const prefs = await reachableCustomer(platform, body.customer.id);
    const metricsBefore = await scrapeAll();
    const order = await placeOrder(platform, body);
    expect(order.status).toBe('pending');

    // Payment through the provider's signed webhook; the invoice is issued with a gap-free number.
    await pay(platform, order.id);
    await waitForStatus(platform, order.id, 'confirmed');
    const billing = await eventually(() => getBilling(platform, order.id), (b) => b.invoices.some((i) => i.status === 'paid'));
    const invoice = billing.invoices.find((i) => i.status === 'paid')!;
    expect(invoice.number).toMatch(/^INV-\d{6}$/);
    expect(invoice.total).toBe(order.totals.total);
    expect(billing.payments[0]).toMatchObject({ status: 'succeeded', amountReceived: order.totals.total });

    // The 60 s delay (docs/requirements.md#ful-01-order-workflow), then routing and placement with the supplier.
    await waitForWorkflow(platform, order.id, 'payment_confirmed');
    await platform.advanceClock('fulfillment', 61_000);
    const placed = await waitForWorkflow(platform, order.id, 'placed_with_supplier');
    expect(placed.supplierOrders[0]).toMatchObject({ supplier: 'aliexpress', externalOrderId: expect.any(String) });
    await waitForStatus(platform, order.id, 'processing');

    // Supplier polls: confirmed, then shipped with a tracking number.
    await advanceFulfillmentUntil(platform, order.id, 'supplier_confirmed', SUPPLIER_POLL + 1_000);
    const shipped = await advanceFulfillmentUntil(platform, order.id, 'shipped', SUPPLIER_POLL + 1_000);
    const trackingNumber = shipped.tracking!.number;
    expect(trackingNumber).toMatch(/^RR\d{9}CN$/);
    const shippedOrder = await waitForStatus(platform, order.id, 'shipped');
    expect(shippedOrder.tracking).toMatchObject({ number: trackingNumber });

    // Tracking registers the number with 17TRACK; the courier's scans arrive as signed webhooks.
    const tracking = await eventually(() => getTracking(platform, order.id), (t) => t.shipments?.[0]?.provider === '17track');
    expect(tracking.shipments[0]!.carrier?.code).toBeTruthy();
    const trackingStatus = async () => (await getTracking(platform, order.id)).shipments[0]?.status;
    for (const [scan, state] of [
      ['info_received', 'shipped'],
      ['in_transit', 'in_transit'],
      ['out_for_delivery', 'out_for_delivery'],
      ['delivered', 'delivered'],
    ] as const) {
      await carrierScan(platform, trackingNumber);
      await eventually(trackingStatus, (status) => status === scan);
      await waitForWorkflow(platform, order.id, state);
      if (state === 'out_for_delivery') await waitForStatus(platform, order.id, 'out_for_delivery');
    }
    const delivered = await waitForStatus(platform, order.id, 'delivered');
    expect(delivered.fulfillmentStatus).toBe('fulfilled');

    // The timeline shows every step.
    const timeline = (await platform.gateway.get(`v1/orders/${order.id}/timeline`)).body as { entries: Array<{ kind: string; status: string }> };
    expect(timeline.entries.filter((e) => e.kind === 'status').map((e) => e.status)).toEqual(['pending', 'confirmed', 'processing', 'shipped', 'out_for_delivery', 'delivered']);

    // Exactly the notifications the preferences allow, once each, in the customer's locale.
    const statuses = ['confirmed', 'processing', 'shipped', 'out_for_delivery', 'delivered'];
    const expected = statuses.flatMap((status) =>
      (['email', 'sms', 'push'] as const)
        .filter((channel) => prefs.channels[channel][(topicOf[status] ?? status) as keyof (typeof prefs.channels)['email']])
        .map((channel) => `${status}/${channel}`),
    );
    expect(expected).toContain('shipped/sms');
    const log = await eventually(
      () => getNotifications(platform, order.id),
      (n) => n.notifications.filter((x) => reached(x.status)).length >= expected.length,
    );
    await sleep(1_000);
    const final = await getNotifications(platform, order.id);
    expect(final.notifications.map((n) => `${n.orderStatus}/${n.channel}`).sort()).toEqual(expected.sort());
    expect(final.notifications.every((n) => reached(n.status) && n.locale === 'es')).toBe(true);
    expect(log.orderId).toBe(order.id);
    // The in-app feed (docs/in-app-feed.md): one item per status told, in Spanish, naming no supplier; another customer's key is refused.
    const feedPath = `v1/customers/${encodeURIComponent(body.customer.id)}/feed?limit=100`;
    const feedAnswer = await platform.gateway.get(feedPath);
    expect(feedAnswer.statusCode, JSON.stringify(feedAnswer.body)).toBe(200);
    const feed = feedAnswer.body as FeedResponse;
    const items = feed.items.filter((item) => item.orderId === order.id);
    expect(items.map((item) => item.notice).sort()).toEqual([...statuses].sort());
    expect(items.find((item) => item.notice === 'confirmed')!.title).toBe('Pedido confirmado');
    expect(items.every((item) => !/aliexpress/i.test(`${item.title} ${item.body}`) && item.link.includes(`/orders/${order.id}?t=`))).toBe(true);
    expect(feed.unreadCount).toBe(items.length);
    expect((await platform.as(DEV_KEYS.customer).get(feedPath)).statusCode).toBe(403);
    const emails = emailsTo(body.customer.email);
    expect(emails).toHaveLength(expected.filter((e) => e.endsWith('/email')).length);
    expect(emails.map((m) => m.subject).join('\n')).toContain(order.number);
    // The shipped SMS links to the parcel's tracking through a signed click link (docs/notification-admin.md#clicks).
    const sms = (await platform.simulators.get('twilio/_sim/messages')).body as Array<{ to: string; body: string }>;
    const link = sms.map((m) => m.body.match(/https?:\/\/\S+\/c\/\S+/)?.[0]).find((url) => url !== undefined);
    expect(link, JSON.stringify(sms)).toBeDefined();
    const followed = await fetch(link!, { redirect: 'manual' });
    expect(followed.status).toBe(302);
    expect(followed.headers.get('location')).toContain(trackingNumber);

    // The composed detail shows every service's view.
    const detail = (await platform.gateway.get(`v1/orders/${order.id}`)).body as Record<string, unknown>;
    expect(detail).toMatchObject({ partial: false, unavailable: [] });
    for (const part of ['fulfillment', 'billing', 'tracking', 'notifications']) expect(detail[part], part).not.toBeNull();

    // The business metrics counted this order's facts once each, in the service that owns them.
    const metricsAfter = await scrapeAll();
    const counted = (service: FactOwner, name: string, labels: Record<string, string> = {}) =>
      sampleValue(metricsAfter[service], name, labels) - sampleValue(metricsBefore[service], name, labels);
    expect(counted('orders', 'orders_placed_total', { channel: 'api' })).toBe(1);
    expect(counted('orders', 'orders_placed_total')).toBe(1);
    expect(counted('billing', 'billing_checkout_sessions_opened_total')).toBe(1);
    expect(counted('billing', 'billing_payments_total', { provider: 'stripe', outcome: 'succeeded' })).toBe(1);
    expect(counted('billing', 'billing_payments_total', { outcome: 'failed' })).toBe(0);
    expect(counted('fulfillment', 'fulfillment_lead_time_seconds_count')).toBe(1);
    // Paid, then 61 s and the supplier polls on fulfillment's clock: over a minute, under a day.
    expect(counted('fulfillment', 'fulfillment_lead_time_seconds_bucket', { le: String(24 * 60 * 60) })).toBe(1);
    expect(counted('fulfillment', 'fulfillment_lead_time_seconds_sum')).toBeGreaterThan(61);
    expect(counted('tracking', 'tracking_delivery_time_seconds_count')).toBe(1);
    expect(counted('orders', 'orders_delivery_promises_total', { outcome: 'kept' })).toBe(1);
    expect(counted('orders', 'orders_delivery_promises_total', { outcome: 'missed' })).toBe(0);
    for (const channel of ['email', 'sms', 'push'] as const) {
      expect(counted('notifications', 'notifications_outcomes_total', { channel, outcome: 'sent' }), channel).toBe(expected.filter((e) => e.endsWith(`/${channel}`)).length);
    }
    expect(counted('notifications', 'notifications_outcomes_total', { channel: 'in_app', outcome: 'sent' })).toBe(statuses.length);
    expect(counted('notifications', 'notifications_outcomes_total', { outcome: 'suppressed' })).toBe(3 * statuses.length - expected.length);
    expect(counted('notifications', 'notifications_outcomes_total', { outcome: 'failed' })).toBe(0);
    // Read from fulfillment's database at the scrape: every kind, none open.
    const exceptions = metricsAfter.fulfillment.filter((s) => s.name === 'fulfillment_exceptions_open');
    expect(exceptions.map((s) => s.labels.kind).sort()).toEqual(['automation_step_failed', 'supplier_cancellation', 'supplier_overdue', 'workflow_failed']);
    expect(exceptions.every((s) => s.value === 0)).toBe(true);
  });
});

describe('cancellation after payment, before shipment', () => {
  it('cancels the supplier order, releases the reservation, refunds, adjusts the invoice and tells the customer', async () => {
    const body = lifecycleOrder('cj');
    body.items.push({ sku: 'MUG-WHT', variantId: 'mug-wht-350', name: 'White mug', quantity: 1, unitPrice: 900, vendor: { id: 'acme', type: 'brand' }, supplierSource: 'own_stock' });
    await reachableCustomer(platform, body.customer.id);
    const order = await placeOrder(platform, body);
    await pay(platform, order.id);
    await waitForStatus(platform, order.id, 'confirmed');
    await waitForWorkflow(platform, order.id, 'payment_confirmed');
    await platform.advanceClock('fulfillment', 61_000);
    const placed = await waitForWorkflow(platform, order.id, 'placed_with_supplier');
    expect(placed.reservations.some((r) => r.status !== 'released')).toBe(true);

    const cancelled = await platform.gateway.post(`v1/orders/${order.id}/cancel`, { json: { reason: 'Changed my mind' } });
    expect(cancelled.statusCode, JSON.stringify(cancelled.body)).toBe(200);
    expect((cancelled.body as Order).status).toBe('cancelled');

    await waitForWorkflow(platform, order.id, 'cancelled');
    // Cancelling at the supplier and releasing stock run right after the transition commits.
    const fulfillment = await eventually(
      () => getFulfillment(platform, order.id),
      (f) => f.supplierOrders[0]?.status === 'cancelled' && f.reservations.every((r) => r.status === 'released'),
    );
    expect(fulfillment.reservations.length).toBeGreaterThan(0);
    const cjCalls = (await platform.simulators.get('cj/_sim/requests')).body as Array<{ method: string; url: string }>;
    expect(cjCalls.some((c) => c.method === 'DELETE' && c.url.includes('deleteOrder'))).toBe(true);

    const billing = await eventually(() => getBilling(platform, order.id), (b) => b.refunds.some((r) => r.status === 'succeeded'));
    expect(billing.refunds).toHaveLength(1);
    expect(billing.refunds[0]!.amount).toBe(order.totals.total);
    expect(billing.invoices[0]).toMatchObject({ status: 'void', amountRefunded: order.totals.total });
    expect(billing.invoices[0]!.adjustments.some((a) => a.kind === 'credit')).toBe(true);

    await waitForStatus(platform, order.id, 'refunded');
    await eventually(
      () => getNotifications(platform, order.id),
      (n) => n.notifications.some((x) => x.orderStatus === 'cancelled' && x.channel === 'email' && x.status === 'delivered'),
    );
    const shipped = await platform.gateway.post(`v1/orders/${order.id}/cancel`, { json: { reason: 'again' } });
    expect(shipped.statusCode).toBe(409);
  });
});

describe('cancellation within the 60 s after payment', () => {
  it('never reaches the supplier, and the money goes back', async () => {
    const order = await placeOrder(platform, lifecycleOrder('aliexpress'));
    await pay(platform, order.id);
    await waitForWorkflow(platform, order.id, 'payment_confirmed');
    const cancelled = await platform.gateway.post(`v1/orders/${order.id}/cancel`, { json: { reason: 'Ordered by mistake' } });
    expect(cancelled.statusCode, JSON.stringify(cancelled.body)).toBe(200);
    await waitForWorkflow(platform, order.id, 'cancelled');
    await platform.advanceClock('fulfillment', 61_000);
    await sleep(1_000);
    const fulfillment = await getFulfillment(platform, order.id);
    expect(fulfillment.state).toBe('cancelled');
    expect(fulfillment.supplierOrders).toHaveLength(0);
    await waitForStatus(platform, order.id, 'refunded');
  });
});

describe('supplier refuses the order', () => {
  it('retries up to the guard, then fails; the customer gets the issue email; ops can see why', async () => {
    const body = lifecycleOrder('aliexpress');
    await reachableCustomer(platform, body.customer.id);
    await platform.simulators.post('aliexpress/_sim/behaviour', { json: { mode: 'reject', options: { reason: 'Out of stock' } } });
    try {
      const order = await placeOrder(platform, body);
      await pay(platform, order.id);
      await waitForWorkflow(platform, order.id, 'payment_confirmed');
      await platform.advanceClock('fulfillment', 61_000);
      await waitForWorkflow(platform, order.id, 'failed');
      // Three retries with backoff, each refused, then the workflow gives up.
      let fulfillment = await getFulfillment(platform, order.id);
      for (let i = 0; i < 8 && fulfillment.retryCount < 3; i++) {
        await platform.advanceClock('fulfillment', 2 * HOUR);
        await sleep(700);
        fulfillment = await getFulfillment(platform, order.id);
      }
      fulfillment = await eventually(() => getFulfillment(platform, order.id), (f) => f.state === 'failed' && f.retryCount === 3);
      expect(fulfillment.error).toMatch(/Out of stock/);
      expect(fulfillment.pendingTimers.filter((t) => t.kind.includes('retry'))).toHaveLength(0);
      const exception = await waitForStatus(platform, order.id, 'exception');
      expect(exception.status).toBe('exception');
      // Ops sees it among the open exceptions.
      expect(sampleValue(await scrapeMetrics(platform, 'fulfillment'), 'fulfillment_exceptions_open', { kind: 'workflow_failed' })).toBeGreaterThanOrEqual(1);

      const calls = (await platform.gateway.get(`v1/orders/${order.id}/supplier-calls`)).body as { calls: Array<{ operation: string; outcome: string }> };
      expect(calls.calls.filter((c) => c.operation === 'place' && c.outcome === 'rejected')).toHaveLength(4);

      await eventually(
        () => getNotifications(platform, order.id),
        (n) => n.notifications.some((x) => x.orderStatus === 'exception' && x.channel === 'email' && x.status === 'delivered'),
      );
      const issue = emailsTo(body.customer.email).filter((m) => m.subject.includes(order.number));
      expect(issue.length).toBeGreaterThanOrEqual(2); // confirmation + issue
    } finally {
      await platform.simulators.post('aliexpress/_sim/behaviour', { json: { mode: 'ok' } });
    }
  });
});

describe('supplier never answers', () => {
  it('fails after 24 h, even when fulfillment restarted in between', async () => {
    const body = lifecycleOrder('spocket');
    await platform.simulators.post('spocket/_sim/behaviour', { json: { mode: 'ok', options: { confirm: false } } });
    try {
      const order = await placeOrder(platform, body);
      await pay(platform, order.id);
      await waitForWorkflow(platform, order.id, 'payment_confirmed');
      await platform.advanceClock('fulfillment', 61_000);
      const placed = await waitForWorkflow(platform, order.id, 'placed_with_supplier');
      expect(placed.pendingTimers.some((t) => t.kind.includes('timeout'))).toBe(true);

      const timeout = placed.pendingTimers.find((t) => t.kind.includes('timeout'))!;
      const placedAt = placed.history.find((h) => h.to === 'placed_with_supplier')!.at;
      expect(Date.parse(timeout.fireAt) - Date.parse(placedAt)).toBe(24 * HOUR);

      platform.stack.services.fulfillment!.kill('SIGKILL');
      await platform.stack.services.fulfillment!.exited;
      await platform.stack.restartService('fulfillment');

      // The restarted process starts on real time: move its clock to 1 minute before the deadline, then past it.
      const now = Date.parse(((await platform.service('fulfillment').get('_test/clock')).body as { now: string }).now);
      await platform.advanceClock('fulfillment', Date.parse(timeout.fireAt) - now - MINUTE);
      await sleep(1_000);
      expect((await getFulfillment(platform, order.id)).state).toBe('placed_with_supplier');
      await platform.advanceClock('fulfillment', 2 * MINUTE);
      const failed = await waitForWorkflow(platform, order.id, 'failed');
      expect(failed.error).toMatch(/timed out/i);
      await waitForStatus(platform, order.id, 'exception');
    } finally {
      await platform.simulators.post('spocket/_sim/behaviour', { json: { mode: 'ok' } });
    }
  });
});

describe('tracking provider down', () => {
  it('registers with the fallback provider; the breaker opens, then closes when 17TRACK is back', async () => {
    await platform.simulators.post('17track/_sim/behaviour', { json: { mode: 'error' } });
    const providers = async () =>
      ((await platform.service('tracking').get('providers')).body as { providers: Array<{ name: string; breaker: string }> }).providers;
    try {
      const orders: Order[] = [];
      for (let i = 0; i < 2; i++) {
        const order = await placeOrder(platform, lifecycleOrder('aliexpress'));
        orders.push(order);
        await pay(platform, order.id);
        await waitForWorkflow(platform, order.id, 'payment_confirmed');
        await platform.advanceClock('fulfillment', 61_000);
        await waitForWorkflow(platform, order.id, 'placed_with_supplier');
        await advanceFulfillmentUntil(platform, order.id, 'shipped', SUPPLIER_POLL + 1_000);
      }
      for (const order of orders) {
        const tracking = await eventually(() => getTracking(platform, order.id), (t) => Boolean(t.shipments?.[0]?.provider));
        expect(tracking.shipments[0]!.provider).toBe('aftership');
      }
      expect((await providers()).find((p) => p.name === '17track')!.breaker).toBe('open');

      await platform.simulators.post('17track/_sim/behaviour', { json: { mode: 'ok' } });
      await sleep(2_000);
      const next = await placeOrder(platform, lifecycleOrder('aliexpress'));
      await pay(platform, next.id);
      await waitForWorkflow(platform, next.id, 'payment_confirmed');
      await platform.advanceClock('fulfillment', 61_000);
      await waitForWorkflow(platform, next.id, 'placed_with_supplier');
      await advanceFulfillmentUntil(platform, next.id, 'shipped', SUPPLIER_POLL + 1_000);
      const tracking = await eventually(() => getTracking(platform, next.id), (t) => Boolean(t.shipments?.[0]?.provider));
      expect(tracking.shipments[0]!.provider).toBe('17track');
      expect((await providers()).find((p) => p.name === '17track')!.breaker).toBe('closed');
    } finally {
      await platform.simulators.post('17track/_sim/behaviour', { json: { mode: 'ok' } });
    }
  });
});

describe('bad input at public endpoints and webhooks', () => {
  const stripeEvent = (sessionId: string) =>
    JSON.stringify({ id: `evt_${Date.now()}`, object: 'event', type: 'checkout.session.completed', data: { object: { id: sessionId, object: 'checkout.session' } } });

  it('payment webhook: malformed, wrong signature, replayed, unknown session: clear error, nothing changed', async () => {
    const order = await placeOrder(platform, lifecycleOrder('aliexpress'));
    const session = await pay(platform, order.id);
    await waitForStatus(platform, order.id, 'confirmed');
    const before = await getBilling(platform, order.id);
    const paymentsCounted = async () => sampleValue(await scrapeMetrics(platform, 'billing'), 'billing_payments_total');
    const countedBefore = await paymentsCounted();

    const unsigned = await platform.as(null).post('v1/webhooks/stripe', { body: stripeEvent(session), headers: { 'content-type': 'application/json' } });
    expect(unsigned.statusCode).toBe(400);
    expect(unsigned.headers['content-type']).toMatch(/problem\+json/);
    const forged = await platform.as(null).post('v1/webhooks/stripe', {
      body: stripeEvent(session),
      headers: { 'content-type': 'application/json', 'stripe-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` },
    });
    expect(forged.statusCode).toBe(400);
    expect((forged.body as Problem).code).toBe('INVALID_SIGNATURE');

    // The provider re-sends an event it already delivered: acknowledged, no second payment or invoice.
    const requests = (await platform.simulators.get('stripe/_sim/requests')).body as unknown[];
    expect(requests.length).toBeGreaterThan(0);
    const { events } = (await platform.simulators.get('stripe/_sim/webhooks')).body as {
      events: Array<{ id: string; type: string; event: { data: { object: { id: string } } } }>;
    };
    const delivered = events.find((e) => e.type === 'checkout.session.completed' && e.event.data.object.id === session)!;
    const replay = await platform.simulators.post('stripe/_sim/webhooks/resend', { json: { eventId: delivered.id } });
    expect(replay.statusCode).toBe(200);

    // Correctly signed, but not JSON, or about a session nobody opened.
    const signed = (body: string) => {
      const t = Math.floor(Date.now() / 1000);
      const v1 = createHmac('sha256', LOCAL_PROVIDER_CREDENTIALS.stripe.webhookSecret).update(`${t}.${body}`).digest('hex');
      return { body, headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${v1}` } };
    };
    const malformed = await platform.as(null).post('v1/webhooks/stripe', signed('{"id": "evt_1", "type":'));
    expect(malformed.statusCode).toBe(400);
    expect((malformed.body as Problem).code).toBe('MALFORMED_JSON');
    const unknown = await platform.as(null).post('v1/webhooks/stripe', signed(stripeEvent('cs_test_unknown_session')));
    expect(unknown.statusCode).toBe(404);
    expect((unknown.body as Problem).code).toBe('PAYMENT_NOT_FOUND');

    await sleep(500);
    expect(await getBilling(platform, order.id)).toEqual(before);
    // Nor counted again.
    expect(await paymentsCounted()).toBe(countedBefore);
  });

  it('tracking webhooks: wrong signature → 401, unknown number → 404, nothing changed', async () => {
    const body = JSON.stringify({ event: 'TRACKING_UPDATED', data: { number: 'RR000000000CN', carrier: 3011, tag: null, track_info: {} } });
    const forged = await platform.as(null).post('v1/webhooks/17track', { body, headers: { 'content-type': 'application/json', sign: 'f'.repeat(64) } });
    expect(forged.statusCode).toBe(401);
    const aftership = await platform.as(null).post('v1/webhooks/aftership', {
      body: JSON.stringify({ event: 'tracking_update', event_id: crypto.randomUUID(), msg: { tracking_number: 'RR000000000CN', tag: 'InTransit' }, ts: 1 }),
      headers: { 'content-type': 'application/json', 'aftership-hmac-sha256': 'bm90LWEtc2lnbmF0dXJl' },
    });
    expect(aftership.statusCode).toBe(401);
    const unknown = await platform.simulators.post('17track/_sim/push', { json: { number: 'RR999999995CN', status: 'InTransit' } });
    expect(JSON.stringify(unknown.body)).toMatch(/404/);
  });

  it('orders API: unauthenticated 401, foreign order 404, bad status 400, unknown order 404', async () => {
    const order = await placeOrder(platform, lifecycleOrder('aliexpress'));
    expect((await platform.as(null).get(`v1/orders/${order.id}`)).statusCode).toBe(401);
    expect((await platform.as('not-a-key').get(`v1/orders/${order.id}`)).statusCode).toBe(401);
    const foreign = await platform.as(DEV_KEYS.customer).get(`v1/orders/${order.id}`);
    expect(foreign.statusCode).toBe(404);
    expect((foreign.body as Problem).requestId).toBeTruthy();
    expect((await platform.as(DEV_KEYS.customer).get('v1/hubs')).statusCode).toBe(403);
    const cancelUnknown = await platform.gateway.post('v1/orders/6c0e8c9e-2b1f-4b8e-9d7a-000000000000/cancel', { json: { reason: 'x' } });
    expect(cancelUnknown.statusCode).toBe(404);
    const badStatus = await platform.gateway.post(`v1/orders/${order.id}/status`, { json: { status: 'teleported', reason: 'x' } });
    expect(badStatus.statusCode).toBe(400);
    expect((badStatus.body as Problem).errors?.[0]?.pointer).toBe('/status');
  });
});

describe('concurrency', () => {
  it('two conflicting updates to one order: one wins, the other gets 409', async () => {
    const order = await placeOrder(platform, lifecycleOrder('own_stock'));
    const ifMatch = { 'if-match': `"${order.version}"` };
    const [a, b] = await Promise.all([
      platform.gateway.patch(`v1/orders/${order.id}`, { json: { notes: 'Leave with the neighbour' }, headers: ifMatch }),
      platform.gateway.patch(`v1/orders/${order.id}`, { json: { notes: 'Ring twice' }, headers: ifMatch }),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
    const loser = [a, b].find((r) => r.statusCode === 409)!;
    expect((loser.body as Problem).code).toBe('VERSION_CONFLICT');
  });
});
