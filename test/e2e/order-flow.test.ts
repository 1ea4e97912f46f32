import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { type Envelope, streams } from '@platform/contracts';
import type { Order } from '@platform/contracts/api/orders';
import type { Problem } from '@platform/contracts/api/problem';
import type { TimelineResponse } from '@platform/contracts/api/timeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  advanceFulfillmentUntil,
  carrierScan,
  getNotifications,
  getTracking,
  lifecycleOrder,
  pay,
  SUPPLIER_POLL,
  waitForWorkflow,
  withoutQuietHours,
} from '@platform/test-support/lifecycle';
import { LiveClient } from '@platform/test-support/live';
import { DEV_KEYS, eventually, type Platform, sampleOrder, sleep, startPlatform } from '@platform/test-support/platform';

/** Placing an order through the gateway: validation, idempotency, the confirmation email once paid, tracing. */

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({ logLevel: 'info' });
});
afterAll(async () => {
  await platform?.stop();
});

const emailsTo = (address: string) => platform.stack.smtp!.messages().filter((m) => m.to.includes(address));

async function snapshot() {
  // Earlier orders' events must be on the stream first, or they would count as this test's.
  await eventually(() => platform.count('orders', 'SELECT count(*) FROM outbox_events'), (n) => n === 0);
  return {
    orders: await platform.count('orders', 'SELECT count(*) FROM orders'),
    keys: await platform.count('orders', 'SELECT count(*) FROM idempotency_keys'),
    events: await platform.streamMessages('ORDERS'),
  };
}

async function nothingChanged(before: Awaited<ReturnType<typeof snapshot>>) {
  // Give a wrongly accepted order time to reach the stream before counting.
  await sleep(300);
  expect(await snapshot()).toEqual(before);
}

describe('placing an order', () => {
  it('stores it, answers 201, and once paid sends exactly one confirmation email', async () => {
    const body = sampleOrder();
    const created = await platform.gateway.post('v1/orders', { json: body });
    expect(created.statusCode).toBe(201);
    const order = created.body as Order;
    expect(order).toMatchObject({ status: 'pending', fulfillmentStatus: 'not_fulfilled', currency: 'EUR' });
    expect(order.number).toMatch(/^ORD-\d{6}$/);
    expect(order.totals).toEqual({ subtotal: 3399, shipping: 499, tax: 0, discount: 0, total: 3898 });
    expect(created.headers.location).toBe(`/v1/orders/${order.id}`);
    expect(created.headers['x-request-id']).toBeTruthy();

    const fetched = await platform.gateway.get(`v1/orders/${order.id}`);
    expect(fetched.statusCode).toBe(200);
    // The order as created, with its parts (one per vendor: ORD-05).
    expect((fetched.body as { order: Order }).order).toEqual({ ...order, deliveryPromise: expect.objectContaining({ deliveryType: 'standard', promiseMet: null }), subOrders: [expect.objectContaining({ number: `${order.number}-1` }), expect.objectContaining({ number: `${order.number}-2` })] });

    // docs/requirements.md#order-lifecycle, step 2: no notification for `pending`; the confirmation goes out when payment confirms the order.
    await sleep(1_000);
    expect(emailsTo(body.customer.email)).toHaveLength(0);
    await withoutQuietHours(platform, body.customer.id);
    await pay(platform, order.id);
    const [email] = await platform.stack.smtp!.waitForMessages((m) => m.to.includes(body.customer.email), { timeoutMs: 20_000 });
    expect(email!.subject).toBe(`Order ${order.number} confirmed`);
    expect(email!.html).toContain('Blue mug');
    expect(email!.html).toContain('€38.98');
    expect(email!.text).toContain(`Order number: ${order.number}`);
    expect(email!.text).toContain('Calle Mayor 1');

    const [notification] = await eventually(
      async () => platform.count('notifications', "SELECT count(*) FROM notifications WHERE order_id = $1 AND status IN ('sent', 'delivered')", [order.id]),
      (n) => n === 1,
    ).then((n) => [n]);
    expect(notification).toBe(1);
    await sleep(500);
    expect(emailsTo(body.customer.email)).toHaveLength(1);
  });

  it('sends the email in the customer locale', async () => {
    const body = sampleOrder();
    body.customer.locale = 'es';
    const created = await platform.gateway.post('v1/orders', { json: body });
    expect(created.statusCode).toBe(201);
    await withoutQuietHours(platform, body.customer.id);
    await pay(platform, (created.body as Order).id);
    const [email] = await platform.stack.smtp!.waitForMessages((m) => m.to.includes(body.customer.email), { timeoutMs: 20_000 });
    expect(email!.subject).toBe(`Pedido ${(created.body as Order).number} confirmado`);
    expect(email!.html).toContain('38,98');
  });
});

describe('observability', () => {
  it('carries one correlation id and one trace from the gateway request to the consumers of its event', async () => {
    const body = sampleOrder();
    const created = await platform.gateway.post('v1/orders', { json: body });
    expect(created.statusCode).toBe(201);
    const requestId = created.headers['x-request-id'];
    expect(created.headers['x-correlation-id']).toBe(requestId);

    // Log lines reach the files asynchronously.
    const gateway = await eventually(
      async () => platform.logLines('gateway').find((l) => l.msg === 'request' && l.reqId === requestId),
      (line) => line !== undefined,
    );
    const trace = gateway?.traceId;
    expect(gateway).toMatchObject({ url: '/v1/orders', status: 201, correlationId: requestId });
    expect(trace).toMatch(/^[0-9a-f]{32}$/);
    const orders = await eventually(
      async () => platform.logLines('orders').find((l) => l.msg === 'request' && l.url === '/orders' && l.reqId === requestId),
      (line) => line !== undefined,
    );
    expect(orders).toMatchObject({ correlationId: requestId, traceId: trace });
    for (const service of ['billing', 'fulfillment', 'notifications'] as const) {
      const handled = await eventually(
        async () => platform.logLines(service).find((l) => l.msg === 'event handled' && l.correlationId === requestId && l.type === 'orders.order.created'),
        (line) => line !== undefined,
      );
      expect(handled, service).toMatchObject({ outcome: 'processed', traceId: trace });
    }
  });
});

/** Every event about `orderId` on the domain streams, with its stream and correlation header. */
async function eventsAbout(orderId: string) {
  const nc = await platform.connectNats();
  try {
    const jsm = await jetstreamManager(nc);
    const found: { stream: string; event: Envelope; header: string | undefined }[] = [];
    for (const { name } of Object.values(streams).filter((s) => s.name !== 'DEAD_LETTERS')) {
      const { state } = await jsm.streams.info(name);
      if (state.messages === 0) continue;
      for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
        const message = await jsm.streams.getMessage(name, { seq });
        const event = message?.json<Envelope>();
        if (event?.aggregateId === orderId) found.push({ stream: name, event, header: message!.header.get('Platform-Correlation-Id') });
      }
    }
    return found;
  } finally {
    await nc.close();
  }
}

describe('one correlation id per order journey', () => {
  it("follows the order from its POST through the payment webhook, the timers, the supplier and the carrier's webhooks to the last email", async () => {
    const body = lifecycleOrder('cj');
    await withoutQuietHours(platform, body.customer.id);
    // The tests call from a trusted address (TRUSTED_PROXIES), so the gateway continues their id.
    const journey = `journey-${randomUUID()}`;
    const created = await platform.gateway.post('v1/orders', { json: body, headers: { 'x-correlation-id': journey } });
    expect(created.statusCode, JSON.stringify(created.body)).toBe(201);
    expect(created.headers['x-correlation-id']).toBe(journey);
    const order = created.body as Order;

    // The payment webhook arrives with none of our ids; the 60 s delay fires on fulfillment's clock.
    await pay(platform, order.id);
    await waitForWorkflow(platform, order.id, 'payment_confirmed');
    await platform.advanceClock('fulfillment', 61_000);
    await waitForWorkflow(platform, order.id, 'placed_with_supplier');
    // Supplier polls ship the parcel; the carrier's scans come as webhooks, with none of our ids either.
    const shipped = await advanceFulfillmentUntil(platform, order.id, 'shipped', SUPPLIER_POLL + 1_000);
    await eventually(() => getTracking(platform, order.id), (t) => t.shipments?.[0]?.provider === '17track');
    for (const state of ['shipped', 'in_transit', 'out_for_delivery', 'delivered'] as const) {
      await carrierScan(platform, shipped.tracking!.number);
      await waitForWorkflow(platform, order.id, state);
    }
    await eventually(
      () => getNotifications(platform, order.id),
      (n) => n.notifications.some((x) => x.orderStatus === 'delivered' && x.channel === 'email' && x.status === 'delivered'),
    );

    // Every event about the order, on every stream, carries the journey's id.
    const events = await eventually(
      () => eventsAbout(order.id),
      (found) =>
        ['billing.payment.succeeded', 'fulfillment.supplier_order.changed', 'tracking.shipment.status_changed', 'orders.order.status_changed', 'notifications.notification.sent'].every(
          (type) => found.some((f) => f.event.type === type),
        ),
    );
    // TIMELINE: the order's timeline entries, published by orders in the flows that learnt them.
    expect(new Set(events.map((e) => e.stream))).toEqual(new Set(['ORDERS', 'BILLING', 'FULFILLMENT', 'TRACKING', 'NOTIFICATIONS', 'TIMELINE']));
    expect(events.filter((e) => e.event.correlationId !== journey || e.header !== journey)).toEqual([]);

    // The journey as the order's timeline (GW-03), and the same entries on its live stream: the
    // orders relay publishes them to TIMELINE, the gateway process reads them from JetStream.
    const timeline = (await platform.gateway.get(`v1/orders/${order.id}/timeline`)).body as TimelineResponse;
    expect(new Set(timeline.entries.map((e) => e.kind))).toEqual(new Set(['status', 'payment', 'workflow', 'carrier_scan', 'notification']));
    expect(timeline.entries.some((e) => e.kind === 'carrier_scan' && e.location !== null)).toBe(true);
    const live = await LiveClient.open(`${platform.stack.gatewayUrl}/v1/orders/${order.id}/live`, { authorization: `Bearer ${DEV_KEYS.admin}` });
    try {
      expect(live.status).toBe(200);
      // Every entry of the timeline read above (more may have come since: a late notification outcome).
      await eventually(async () => live.entries.map(({ entry }) => entry.id), (received) => timeline.entries.every((e) => received.includes(e.id)));
    } finally {
      live.close();
    }

    // And so do the services' log lines for the webhook, the timers and the emails.
    const linesOf = (service: Parameters<Platform['logLines']>[0]) => platform.logLines(service).filter((l) => l.correlationId === journey);
    const webhook = linesOf('billing').find((l) => l.msg === 'stripe webhook');
    expect(webhook).toMatchObject({ type: 'checkout.session.completed', outcome: 'applied' });
    // The webhook request keeps its own id at the gateway; billing's line ties the two together.
    const ingress = platform.logLines('gateway').find((l) => l.msg === 'request' && l.reqId === webhook!.reqId);
    expect(ingress).toMatchObject({ url: '/v1/webhooks/stripe', correlationId: webhook!.reqId });
    const timers = [...linesOf('fulfillment'), ...linesOf('notifications')].filter((l) => l.msg === 'timer fired').map((l) => String(l.timer).split(':')[0]);
    expect(timers).toEqual(
      expect.arrayContaining(['fulfillment.payment-confirmed-delay', 'fulfillment.place-supplier-orders', 'fulfillment.supplier-poll', 'notifications.send']),
    );
    // The supplier was asked under the journey's id too.
    const cjCalls = (await platform.simulators.get('cj/_sim/requests')).body as Array<{ url: string; headers: Record<string, string> }>;
    expect(cjCalls.some((c) => c.url.includes('createOrderV2') && c.headers['x-correlation-id'] === journey)).toBe(true);
  });
});

describe('bad input', () => {
  it('answers 400 problem+json naming every offending field, and stores and publishes nothing', async () => {
    const before = await snapshot();
    const body = sampleOrder();
    const response = await platform.gateway.post('v1/orders', {
      json: { ...body, customer: { ...body.customer, email: 'not-an-email' }, items: [{ ...body.items[0], quantity: 0 }], currency: 'euro' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = response.body as Problem;
    expect(problem).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', requestId: response.headers['x-request-id'] });
    expect(problem.errors!.map((e) => e.pointer).sort()).toEqual(['/currency', '/customer/email', '/items/0/quantity']);
    await nothingChanged(before);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const response = await platform.gateway.post('v1/orders', { body: '{"customer":', headers: { 'content-type': 'application/json' } });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('answers 422 for a rule violation, naming the field, and changes nothing, not even its Idempotency-Key', async () => {
    const before = await snapshot();
    const body = sampleOrder();
    body.items[1] = { ...body.items[1]!, ageRestricted: true };
    const headers = { 'idempotency-key': `key-${body.customer.id}` };
    const response = await platform.gateway.post('v1/orders', { json: body, headers });
    expect(response.statusCode).toBe(422);
    expect((response.body as Problem).errors).toEqual([{ pointer: '/items/1/ageRestricted', detail: expect.stringMatching(/ageVerified/) }]);
    await nothingChanged(before);
    // The refused request left no claim on the key: the corrected order goes through with it.
    const corrected = await platform.gateway.post('v1/orders', { json: { ...body, ageVerified: true }, headers });
    expect(corrected.statusCode).toBe(201);
  });

  it('answers 400 for NUL characters and amounts the order cannot store, before any write', async () => {
    const before = await snapshot();
    const body = sampleOrder();
    const nul = await platform.gateway.post('v1/orders', { json: { ...body, notes: 'leave at door\u0000' } });
    expect(nul.statusCode).toBe(400);
    expect((nul.body as Problem).errors?.[0]?.pointer).toBe('/notes');
    const huge = await platform.gateway.post('v1/orders', { json: { ...body, items: [{ ...body.items[0]!, unitPrice: 3_000_000_000 }] } });
    expect(huge.statusCode).toBe(400);
    expect((huge.body as Problem).errors?.[0]?.pointer).toBe('/items/0/unitPrice');
    await nothingChanged(before);
  });

  it('answers 404 problem for an unknown order and 400 for a malformed id', async () => {
    const missing = await platform.gateway.get('v1/orders/6c0e8c9e-2b1f-4b8e-9d7a-000000000000');
    expect(missing.statusCode).toBe(404);
    expect((missing.body as Problem).code).toBe('ORDER_NOT_FOUND');
    const malformed = await platform.gateway.get('v1/orders/not-a-uuid');
    expect(malformed.statusCode).toBe(400);
    expect((malformed.body as Problem).errors?.[0]?.pointer).toBe('/params/id');
  });
});

describe('Idempotency-Key', () => {
  it('replays the first answer to a retry, and the order and its payment request exist once', async () => {
    const body = sampleOrder();
    const headers = { 'idempotency-key': `key-${body.customer.id}` };
    const first = await platform.gateway.post('v1/orders', { json: body, headers });
    const retry = await platform.gateway.post('v1/orders', { json: body, headers });
    expect(first.statusCode).toBe(201);
    expect(retry.statusCode).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await platform.count('orders', 'SELECT count(*) FROM orders WHERE customer_id = $1', [body.customer.id])).toBe(1);
    const orderId = (first.body as Order).id;
    await eventually(() => platform.count('billing', 'SELECT count(*) FROM payments WHERE order_id = $1', [orderId]), (n) => n === 1);
    await sleep(500);
    expect(await platform.count('billing', 'SELECT count(*) FROM payments WHERE order_id = $1', [orderId])).toBe(1);
  });

  it('gives concurrent duplicates the same order', async () => {
    const body = sampleOrder();
    const headers = { 'idempotency-key': `key-${body.customer.id}` };
    const answers = await Promise.all(Array.from({ length: 6 }, () => platform.gateway.post('v1/orders', { json: body, headers })));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(6).fill(201));
    expect(new Set(answers.map((a) => (a.body as Order).id)).size).toBe(1);
    expect(await platform.count('orders', 'SELECT count(*) FROM orders WHERE customer_id = $1', [body.customer.id])).toBe(1);
  });

  it('refuses the same key with a different body, changing nothing', async () => {
    const body = sampleOrder();
    const headers = { 'idempotency-key': `key-${body.customer.id}` };
    expect((await platform.gateway.post('v1/orders', { json: body, headers })).statusCode).toBe(201);
    const before = await snapshot();
    const changed = await platform.gateway.post('v1/orders', { json: { ...body, notes: 'different' }, headers });
    expect(changed.statusCode).toBe(422);
    expect((changed.body as Problem).code).toBe('IDEMPOTENCY_KEY_REUSED');
    await nothingChanged(before);
  });
});

describe('operations endpoints', () => {
  it('every service is alive, ready (database checked, NATS reported) and exposes metrics', async () => {
    for (const service of Object.values(platform.stack.services)) {
      const base = service!.url;
      const health = await fetch(`${base}/healthz`);
      expect(health.status, `${service!.name} /healthz`).toBe(200);
      const ready = (await (await fetch(`${base}/readyz`)).json()) as { status: string; checks: Record<string, string> };
      expect(ready.status, `${service!.name} /readyz`).toBe('ok');
      if (service!.name !== 'gateway') expect(ready.checks).toEqual({ nats: 'ok', database: 'ok' });
      // The gateway's metrics are on its management listener only.
      const metrics = await (await fetch(`${service!.name === 'gateway' ? platform.stack.gatewayManagementUrl : base}/metrics`)).text();
      expect(metrics, `${service!.name} /metrics`).toContain('process_cpu_seconds_total');
    }
    const orders = await (await fetch(`${platform.stack.services.orders!.url}/metrics`)).text();
    expect(orders).toMatch(/outbox_events_published_total\{[^}]*type="orders.order.created"[^}]*\} [1-9]/);
  });
});
