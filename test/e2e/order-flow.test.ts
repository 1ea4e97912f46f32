import type { Order } from '@platform/contracts/api/orders';
import type { Problem } from '@platform/contracts/api/problem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pay, withoutQuietHours } from '../support/lifecycle';
import { eventually, type Platform, sampleOrder, sleep, startPlatform } from '../support/platform';

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
  await eventually(() => platform.count('orders', 'SELECT count(*) FROM outbox_events WHERE published_at IS NULL'), (n) => n === 0);
  return {
    orders: await platform.count('orders', 'SELECT count(*) FROM orders'),
    outbox: await platform.count('orders', 'SELECT count(*) FROM outbox_events'),
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
    expect((fetched.body as { order: Order }).order).toEqual(order);

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
      async () => platform.count('notifications', "SELECT count(*) FROM notifications WHERE order_id = $1 AND status = 'sent'", [order.id]),
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
  it('every service is alive, ready (database and NATS checked) and exposes metrics', async () => {
    for (const service of Object.values(platform.stack.services)) {
      const base = service!.url;
      const health = await fetch(`${base}/healthz`);
      expect(health.status, `${service!.name} /healthz`).toBe(200);
      const ready = (await (await fetch(`${base}/readyz`)).json()) as { status: string; checks: Record<string, string> };
      expect(ready.status, `${service!.name} /readyz`).toBe('ok');
      if (service!.name !== 'gateway') expect(ready.checks).toEqual({ nats: 'ok', database: 'ok' });
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics, `${service!.name} /metrics`).toContain('process_cpu_seconds_total');
    }
    const orders = await (await fetch(`${platform.stack.services.orders!.url}/metrics`)).text();
    expect(orders).toMatch(/outbox_events_published_total\{[^}]*type="orders.order.created"[^}]*\} [1-9]/);
  });
});
