import { loadEnv } from '@platform/config/env';
import type { ManagementServer, PlatformHttpServer } from '@platform/runtime/http';
import { ServiceRuntime } from '@platform/runtime/service';
import type { OrderDetail } from '@platform/contracts/api/gateway';
import type { Problem } from '@platform/contracts/api/problem';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGatewayServers } from '../src/app';
import { gatewayEnv } from '../src/config';
import { sha256Hex } from '../src/domain/api-keys';
import { FORWARD_ROUTES } from '../src/http/route-table';
import { WEBHOOK_ROUTES } from '../src/http/webhook-routes';

/**
 * The gateway in-process against small fake services on port 0: they stand in for the real
 * services (covered by their own tests) and record what the gateway sends them.
 */

const MINE = '11111111-1111-4111-8111-111111111111';
const THEIRS = '22222222-2222-4222-8222-222222222222';
const DEGRADED = '33333333-3333-4333-8333-333333333333';
const MISSING = '44444444-4444-4444-8444-444444444444';
const MY_INVOICE = '55555555-5555-4555-8555-555555555555';
const THEIR_INVOICE = '66666666-6666-4666-8666-666666666666';

const KEYS = {
  customer: 'customer-key-0123456789',
  ops: 'ops-key-0123456789',
  admin: 'admin-key-0123456789',
  vendor: 'vendor-key-0123456789',
};
const API_KEYS = JSON.stringify([
  { id: 'shop', keySha256: sha256Hex(KEYS.customer), role: 'customer', customerId: 'cust-1' },
  { id: 'desk', keySha256: sha256Hex(KEYS.ops), role: 'ops' },
  { id: 'root', key: KEYS.admin, role: 'admin' },
  { id: 'acme-portal', key: KEYS.vendor, role: 'vendor', vendorId: 'acme' },
]);
const bearer = (role: keyof typeof KEYS) => ({ authorization: `Bearer ${KEYS[role]}` });

interface Recorded {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** A problem as the platform's services answer it: with the request id the gateway passed on. */
const serviceProblem = (request: FastifyRequest, status: number, code: string) => ({
  type: `/problems/${code.toLowerCase().replaceAll('_', '-')}`,
  title: code,
  status,
  code,
  requestId: request.headers['x-request-id'],
});

/** Sub-orders by number: ORD-000001 is MINE (cust-1), ORD-000002 THEIRS (cust-2); suffix 1 is acme's, 2 zeta's. */
const subOrder = (number: string) => ({
  number,
  orderId: number.startsWith('ORD-000001') ? MINE : THEIRS,
  vendor: { id: number.endsWith('-1') ? 'acme' : 'zeta', type: 'brand' },
  status: 'confirmed',
});

const order = (id: string, customerId: string) => ({ id, number: 'ORD-000001', status: 'confirmed', customer: { id: customerId }, version: 3 });

/** A fake service: canned answers, every request recorded (bodies raw, as bytes). */
async function fakeService(routes: (app: FastifyInstance) => void): Promise<{ app: FastifyInstance; url: string; requests: Recorded[] }> {
  const app = Fastify();
  const requests: Recorded[] = [];
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.addHook('preHandler', async (request) => {
    requests.push({ method: request.method, url: request.url, headers: request.headers, body: request.body });
  });
  routes(app);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url, requests };
}

let orders: Awaited<ReturnType<typeof fakeService>>;
let billing: Awaited<ReturnType<typeof fakeService>>;
let fulfillment: Awaited<ReturnType<typeof fakeService>>;
let tracking: Awaited<ReturnType<typeof fakeService>>;
let notifications: Awaited<ReturnType<typeof fakeService>>;
const gateways: Array<{ app: PlatformHttpServer; management: ManagementServer }> = [];
let gateway: PlatformHttpServer;
/** The first gateway's management listener (metrics, docs). */
let management: ManagementServer;
/** The fake orders service's timeline answers once this settles. */
let timelineGate: Promise<void> = Promise.resolve();

/** A gateway as `main.ts` builds it (public server and management listener), over the fake services. */
async function startGatewayServers(overrides: Record<string, string> = {}): Promise<{ app: PlatformHttpServer; management: ManagementServer }> {
  const env = loadEnv(gatewayEnv, {
    LOG_LEVEL: 'silent',
    API_KEYS,
    ORDERS_URL: orders.url,
    BILLING_URL: billing.url,
    FULFILLMENT_URL: fulfillment.url,
    TRACKING_URL: tracking.url,
    NOTIFICATIONS_URL: notifications.url,
    COMPOSE_TIMEOUT_MS: '300',
    PUBLIC_BASE_URL: 'https://api.shop.test',
    ...overrides,
  });
  const servers = await buildGatewayServers(await ServiceRuntime.start('gateway', env, { messaging: false }), env);
  gateways.push(servers);
  return servers;
}

const startGateway = async (overrides: Record<string, string> = {}) => (await startGatewayServers(overrides)).app;

beforeAll(async () => {
  orders = await fakeService((app) => {
    app.get('/orders/:id', async (request, reply) => {
      const { id } = request.params as { id: string };
      if (id === MINE || id === DEGRADED) return reply.header('etag', '"3"').send(order(id, 'cust-1'));
      if (id === THEIRS) return order(id, 'cust-2');
      return reply.code(404).type('application/problem+json').send(serviceProblem(request, 404, 'ORDER_NOT_FOUND'));
    });
    app.get('/orders', async () => ({ items: [], nextCursor: null }));
    app.post('/orders', async (_request, reply) => reply.code(201).header('location', `/orders/${MINE}`).send(order(MINE, 'cust-1')));
    app.patch('/orders/:id', async (_request, reply) => reply.header('etag', '"4"').send({ ...order(MINE, 'cust-1'), version: 4 }));
    app.post('/orders/:id/cancel', async (request) => ({ ...order((request.params as { id: string }).id, 'cust-1'), status: 'cancelled' }));
    app.get('/orders/overview', async () => ({ total: 0, byStatus: {} }));
    app.get('/metrics', async (_request, reply) =>
      reply.type('text/plain; version=0.0.4').send('# TYPE orders_placed_total counter\norders_placed_total{channel="api",service="orders"} 4\nhttp_requests_total{service="orders"} 9\n'),
    );
    app.get('/ops/lag', async () => ({ consumers: [{ consumer: 'orders--billing', stream: 'BILLING', pending: 2, ackPending: 1, redelivered: 0 }], outbox: { pending: 3, oldestPendingSeconds: 1.5 } }));
    app.post('/ops/dead-letters/:consumer/:seq/retry', async (request) => ({ ...(request.params as { consumer: string }), seq: 7, outcome: 'processed' }));
    app.get('/sub-orders/:number', async (request) => subOrder((request.params as { number: string }).number));
    app.get('/sub-orders', async () => ({ items: [], nextCursor: null }));
    app.get('/orders/:id/sub-orders', async (request) => ({ orderId: (request.params as { id: string }).id, items: [] }));
    app.get('/orders/:id/timeline', async () => {
      await timelineGate;
      return { items: [] };
    });
  });
  billing = await fakeService((app) => {
    app.get('/orders/:id/billing', async (request, reply) => {
      // Billing is "down" for the degraded order: the connection drops without an answer.
      if ((request.params as { id: string }).id === DEGRADED) return reply.raw.socket?.destroy();
      return { payments: [], invoices: [], refunds: [] };
    });
    app.get('/invoices/:id', async (request) => {
      const { id } = request.params as { id: string };
      return { id, orderId: id === MY_INVOICE ? MINE : THEIRS, number: 'INV-000001' };
    });
    app.post('/webhooks/stripe', async () => ({ received: true }));
    app.get('/vendor/ledger', async (request) => ({ vendorId: (request.query as { vendorId: string }).vendorId, balances: [], entries: [] }));
    app.get('/vendor/payouts', async (request) => ({ vendorId: (request.query as { vendorId: string }).vendorId, stripeAccountId: null, statements: [] }));
  });
  fulfillment = await fakeService((app) => {
    app.get('/orders/:id', async () => ({ state: 'processing', history: [] }));
    app.get('/hubs', async (_request, reply) => reply.code(500).type('text/html').send('<h1>Internal Server Error</h1>'));
    app.get('/timers', async (request, reply) =>
      reply.code(503).header('retry-after', '7').type('application/problem+json').send(serviceProblem(request, 503, 'OVERLOADED')),
    );
    // What a closing Fastify server answers: a bare 503.
    app.get('/orders/:id/supplier-calls', async (_request, reply) => reply.code(503).send({ statusCode: 503, error: 'Service Unavailable' }));
  });
  tracking = await fakeService((app) => {
    // Not shipped yet: tracking does not know the order.
    app.get('/orders/:id/tracking', async (request, reply) => reply.code(404).type('application/problem+json').send(serviceProblem(request, 404, 'NOT_FOUND')));
    app.get('/providers', async (request, reply) =>
      reply.code(429).header('retry-after', '2').type('application/problem+json').send(serviceProblem(request, 429, 'RATE_LIMITED')),
    );
    app.post('/webhooks/17track', async (request, reply) => reply.code(401).type('application/problem+json').send(serviceProblem(request, 401, 'INVALID_SIGNATURE')));
  });
  notifications = await fakeService((app) => {
    app.get('/orders/:id/notifications', async (request) => {
      // Too slow for the order detail of the degraded order.
      if ((request.params as { id: string }).id === DEGRADED) await new Promise((resolve) => setTimeout(resolve, 1_500));
      return { items: [{ template: 'order-confirmation', channel: 'email', status: 'sent' }] };
    });
    const customerOf = (request: { params: unknown }) => (request.params as { customerId: string }).customerId;
    app.get('/customers/:customerId/feed', async (request) => ({ customerId: customerOf(request), items: [], unreadCount: 0, nextCursor: null }));
    app.post('/customers/:customerId/feed/read', async (request) => ({ customerId: customerOf(request), marked: 0, unreadCount: 0 }));
  });
  ({ app: gateway, management } = await startGatewayServers());
});

afterAll(async () => {
  for (const servers of gateways) {
    await servers.app.close();
    await servers.management.close();
  }
  for (const service of [orders, billing, fulfillment, tracking, notifications]) await service?.app.close();
});

const lastRequest = (service: { requests: Recorded[] }) => service.requests.at(-1)!;

function expectProblem(response: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, status: number, code: string): Problem {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = response.json() as Problem;
  expect(problem).toMatchObject({ status, code, requestId: response.headers['x-request-id'] });
  return problem;
}

describe('the composed order detail', () => {
  it('joins every service into one answer', async () => {
    const response = await gateway.inject({ method: 'GET', url: `/v1/orders/${MINE}`, headers: bearer('customer') });
    expect(response.statusCode).toBe(200);
    expect(response.headers.etag).toBe('"3"');
    const detail = response.json() as OrderDetail;
    expect(detail).toEqual({
      order: order(MINE, 'cust-1'),
      fulfillment: { state: 'processing', history: [] },
      billing: { payments: [], invoices: [], refunds: [] },
      // Tracking answered 404: not shipped yet, which is not an outage.
      tracking: null,
      notifications: { items: [{ template: 'order-confirmation', channel: 'email', status: 'sent' }] },
      partial: false,
      unavailable: [],
    });
  });

  it('stays useful when a service is down or too slow: those parts are null and listed', async () => {
    const started = Date.now();
    const response = await gateway.inject({ method: 'GET', url: `/v1/orders/${DEGRADED}`, headers: bearer('ops') });
    expect(Date.now() - started).toBeLessThan(1_400);
    expect(response.statusCode).toBe(200);
    const detail = response.json() as OrderDetail;
    expect(detail.order.id).toBe(DEGRADED);
    expect(detail.fulfillment).toEqual({ state: 'processing', history: [] });
    expect(detail).toMatchObject({ billing: null, notifications: null, tracking: null, partial: true });
    expect(detail.unavailable).toEqual([
      { service: 'billing', reason: 'unavailable' },
      { service: 'notifications', reason: 'timeout' },
    ]);
  });

  it("answers the orders service's own failure", async () => {
    const response = await gateway.inject({ method: 'GET', url: `/v1/orders/${MISSING}`, headers: bearer('ops') });
    expectProblem(response, 404, 'ORDER_NOT_FOUND');
  });

  it('carries the identity and the request id to every service', async () => {
    const response = await gateway.inject({ method: 'GET', url: `/v1/orders/${MINE}`, headers: { ...bearer('ops'), 'x-request-id': 'req-compose-1' } });
    expect(response.statusCode).toBe(200);
    for (const service of [orders, fulfillment, billing, tracking, notifications]) {
      expect(lastRequest(service).headers).toMatchObject({ 'x-actor': 'ops:desk', 'x-actor-role': 'ops', 'x-request-id': 'req-compose-1' });
      expect(lastRequest(service).headers['x-correlation-id']).toBe('req-compose-1');
    }
  });
});

describe('API keys and roles', () => {
  it('answers 401 without a key, with a challenge', async () => {
    const response = await gateway.inject({ method: 'GET', url: `/v1/orders/${MINE}` });
    expectProblem(response, 401, 'UNAUTHENTICATED');
    expect(response.headers['www-authenticate']).toBe('Bearer realm="platform"');
  });

  it('answers 401 for an unknown key, and asks no service', async () => {
    const before = orders.requests.length;
    const response = await gateway.inject({ method: 'POST', url: '/v1/orders', headers: { 'x-api-key': 'guess' }, payload: {} });
    expectProblem(response, 401, 'UNAUTHENTICATED');
    expect(response.headers['www-authenticate']).toContain('invalid_token');
    expect(orders.requests.length).toBe(before);
  });

  it('answers 403 to a customer key on an ops route', async () => {
    const response = await gateway.inject({ method: 'GET', url: '/v1/orders/overview', headers: bearer('customer') });
    expectProblem(response, 403, 'FORBIDDEN');
    const ops = await gateway.inject({ method: 'GET', url: '/v1/orders/overview', headers: { 'x-api-key': KEYS.ops } });
    expect(ops.statusCode).toBe(200);
  });

  it("answers 404 to a customer key on another customer's order, like a missing one", async () => {
    const theirs = await gateway.inject({ method: 'GET', url: `/v1/orders/${THEIRS}`, headers: bearer('customer') });
    const missing = await gateway.inject({ method: 'GET', url: `/v1/orders/${MISSING}`, headers: bearer('customer') });
    const a = expectProblem(theirs, 404, 'ORDER_NOT_FOUND');
    const b = expectProblem(missing, 404, 'ORDER_NOT_FOUND');
    expect({ ...a, requestId: '', instance: '' }).toEqual({ ...b, requestId: '', instance: '' });
    const admin = await gateway.inject({ method: 'GET', url: `/v1/orders/${THEIRS}`, headers: bearer('admin') });
    expect(admin.statusCode).toBe(200);
  });

  it("refuses a customer key every order-scoped action on another customer's order, before the service sees it", async () => {
    const before = orders.requests.filter((r) => r.method !== 'GET').length;
    const cancel = await gateway.inject({ method: 'POST', url: `/v1/orders/${THEIRS}/cancel`, headers: bearer('customer'), payload: { reason: 'not mine' } });
    expectProblem(cancel, 404, 'ORDER_NOT_FOUND');
    expect(orders.requests.filter((r) => r.method !== 'GET').length).toBe(before);
    const timeline = await gateway.inject({ method: 'GET', url: `/v1/orders/${THEIRS}/notifications`, headers: bearer('customer') });
    expectProblem(timeline, 404, 'ORDER_NOT_FOUND');
  });

  it('lets a customer act on its own order, as itself', async () => {
    const response = await gateway.inject({ method: 'POST', url: `/v1/orders/${MINE}/cancel`, headers: bearer('customer'), payload: { reason: 'changed my mind' } });
    expect(response.statusCode).toBe(200);
    expect(lastRequest(orders)).toMatchObject({ method: 'POST', url: `/orders/${MINE}/cancel`, headers: { 'x-actor': 'customer:cust-1', 'x-actor-role': 'customer' } });
  });

  it("narrows a customer's order list to its own customer", async () => {
    const response = await gateway.inject({ method: 'GET', url: '/v1/orders?customerId=cust-2&status=pending', headers: bearer('customer') });
    expect(response.statusCode).toBe(200);
    const url = new URL(lastRequest(orders).url, 'http://x');
    expect(url.pathname).toBe('/orders');
    expect(url.searchParams.get('customerId')).toBe('cust-1');
    expect(url.searchParams.get('status')).toBe('pending');
  });

  it('lets a customer key place orders only for its own customer', async () => {
    const body = {
      customer: { id: 'cust-2', email: 'a@b.test', name: 'Other' },
      shippingAddress: { name: 'A', line1: 'Street 1', city: 'Madrid', postalCode: '28001', country: 'ES' },
      items: [{ sku: 'MUG', variantId: 'MUG-BLUE', name: 'Blue mug', quantity: 1, vendor: { id: 'v1', type: 'brand' } }],
      currency: 'EUR',
    };
    const refused = await gateway.inject({ method: 'POST', url: '/v1/orders', headers: bearer('customer'), payload: body });
    expectProblem(refused, 403, 'FORBIDDEN');
    const placed = await gateway.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { ...bearer('customer'), 'idempotency-key': 'place-1' },
      payload: { ...body, customer: { ...body.customer, id: 'cust-1' } },
    });
    expect(placed.statusCode).toBe(201);
    expect(placed.headers.location).toBe(`/v1/orders/${MINE}`);
    expect(lastRequest(orders).headers['idempotency-key']).toBe('place-1');
  });

  it('passes If-Match on and the new ETag back', async () => {
    const response = await gateway.inject({ method: 'PATCH', url: `/v1/orders/${MINE}`, headers: { ...bearer('customer'), 'if-match': '"3"' }, payload: { notes: 'ring twice' } });
    expect(response.statusCode).toBe(200);
    expect(response.headers.etag).toBe('"4"');
    expect(lastRequest(orders).headers['if-match']).toBe('"3"');
  });

  it("shows a customer its own invoices only, another's answering 404", async () => {
    expect((await gateway.inject({ method: 'GET', url: `/v1/invoices/${MY_INVOICE}`, headers: bearer('customer') })).statusCode).toBe(200);
    expectProblem(await gateway.inject({ method: 'GET', url: `/v1/invoices/${THEIR_INVOICE}`, headers: bearer('customer') }), 404, 'INVOICE_NOT_FOUND');
    expect((await gateway.inject({ method: 'GET', url: `/v1/invoices/${THEIR_INVOICE}`, headers: bearer('ops') })).statusCode).toBe(200);
  });

  it("keeps a customer out of another customer's preferences", async () => {
    const response = await gateway.inject({ method: 'GET', url: '/v1/customers/cust-2/preferences', headers: bearer('customer') });
    expectProblem(response, 403, 'FORBIDDEN');
  });

  it("reads and marks a customer's own in-app feed, never another customer's (docs/in-app-feed.md)", async () => {
    const mine = await gateway.inject({ method: 'GET', url: '/v1/customers/cust-1/feed?unread=true&limit=5', headers: bearer('customer') });
    expect(mine.statusCode).toBe(200);
    expect(lastRequest(notifications).url).toBe('/customers/cust-1/feed?unread=true&limit=5');
    const read = await gateway.inject({ method: 'POST', url: '/v1/customers/cust-1/feed/read', headers: bearer('customer'), payload: { all: true } });
    expect(read.json()).toEqual({ customerId: 'cust-1', marked: 0, unreadCount: 0 });

    const asked = notifications.requests.length;
    expectProblem(await gateway.inject({ method: 'GET', url: '/v1/customers/cust-2/feed', headers: bearer('customer') }), 403, 'FORBIDDEN');
    expectProblem(await gateway.inject({ method: 'POST', url: '/v1/customers/cust-2/feed/read', headers: bearer('customer'), payload: { all: true } }), 403, 'FORBIDDEN');
    expect(notifications.requests).toHaveLength(asked);
    expect((await gateway.inject({ method: 'GET', url: '/v1/customers/cust-2/feed', headers: bearer('ops') })).statusCode).toBe(200);
  });
});

describe('the vendor role', () => {
  it("lists a vendor key's own sub-orders, whatever vendor it names, as the vendor", async () => {
    const response = await gateway.inject({ method: 'GET', url: '/v1/vendor/sub-orders?vendorId=zeta&limit=5', headers: bearer('vendor') });
    expect(response.statusCode).toBe(200);
    const sent = lastRequest(orders);
    const url = new URL(sent.url, 'http://x');
    expect(url.pathname).toBe('/sub-orders');
    expect([url.searchParams.get('vendorId'), url.searchParams.get('limit')]).toEqual(['acme', '5']);
    expect(sent.headers).toMatchObject({ 'x-actor': 'vendor:acme', 'x-actor-role': 'vendor' });
    // Ops name the vendor themselves; a customer key has no vendor list.
    await gateway.inject({ method: 'GET', url: '/v1/vendor/sub-orders?vendorId=zeta', headers: bearer('ops') });
    expect(new URL(lastRequest(orders).url, 'http://x').searchParams.get('vendorId')).toBe('zeta');
    expectProblem(await gateway.inject({ method: 'GET', url: '/v1/vendor/sub-orders', headers: bearer('customer') }), 403, 'FORBIDDEN');
  });

  it("shows a vendor key its own ledger and payouts, whatever vendor it names, and no other vendor's", async () => {
    for (const path of ['/v1/vendor/ledger?vendorId=zeta&limit=5', '/v1/vendor/payouts?vendorId=zeta']) {
      const response = await gateway.inject({ method: 'GET', url: path, headers: bearer('vendor') });
      expect(response.statusCode).toBe(200);
      expect(response.json().vendorId).toBe('acme');
      const sent = lastRequest(billing);
      expect(new URL(sent.url, 'http://x').searchParams.get('vendorId')).toBe('acme');
      expect(sent.headers).toMatchObject({ 'x-actor': 'vendor:acme', 'x-actor-role': 'vendor' });
    }
    // Ops name the vendor; another vendor's ledger by id, payout accounts and runs are not a vendor's.
    await gateway.inject({ method: 'GET', url: '/v1/vendor/ledger?vendorId=zeta', headers: bearer('ops') });
    expect(new URL(lastRequest(billing).url, 'http://x').searchParams.get('vendorId')).toBe('zeta');
    const before = billing.requests.length;
    expectProblem(await gateway.inject({ method: 'GET', url: '/v1/vendors/zeta/ledger', headers: bearer('vendor') }), 403, 'FORBIDDEN');
    expectProblem(await gateway.inject({ method: 'GET', url: '/v1/vendors/acme/payouts', headers: bearer('vendor') }), 403, 'FORBIDDEN');
    expectProblem(await gateway.inject({ method: 'POST', url: '/v1/payouts/run', headers: bearer('vendor') }), 403, 'FORBIDDEN');
    expectProblem(await gateway.inject({ method: 'GET', url: '/v1/vendor/ledger', headers: bearer('customer') }), 403, 'FORBIDDEN');
    expect(billing.requests.length).toBe(before);
  });

  it("shows a vendor its own sub-order, another vendor's answering 404 like a missing one", async () => {
    const mine = await gateway.inject({ method: 'GET', url: '/v1/sub-orders/ORD-000001-1', headers: bearer('vendor') });
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toMatchObject({ number: 'ORD-000001-1', vendor: { id: 'acme' } });
    expectProblem(await gateway.inject({ method: 'GET', url: '/v1/sub-orders/ORD-000001-2', headers: bearer('vendor') }), 404, 'SUB_ORDER_NOT_FOUND');
    expectProblem(await gateway.inject({ method: 'GET', url: '/v1/sub-orders/not-a-number', headers: bearer('vendor') }), 400, 'VALIDATION_FAILED');
  });

  it("shows a customer every part of its own order, none of another customer's", async () => {
    expect((await gateway.inject({ method: 'GET', url: '/v1/sub-orders/ORD-000001-2', headers: bearer('customer') })).statusCode).toBe(200);
    expectProblem(await gateway.inject({ method: 'GET', url: '/v1/sub-orders/ORD-000002-1', headers: bearer('customer') }), 404, 'SUB_ORDER_NOT_FOUND');
    expect((await gateway.inject({ method: 'GET', url: `/v1/orders/${MINE}/sub-orders`, headers: bearer('customer') })).statusCode).toBe(200);
    expectProblem(await gateway.inject({ method: 'GET', url: `/v1/orders/${THEIRS}/sub-orders`, headers: bearer('customer') }), 404, 'ORDER_NOT_FOUND');
  });

  it('keeps a vendor key out of orders, their other parts, customer data and ops routes, before any service sees it', async () => {
    const before = orders.requests.length;
    for (const url of [`/v1/orders/${MINE}`, '/v1/orders', `/v1/orders/${MINE}/sub-orders`, `/v1/orders/${MINE}/timeline`, '/v1/orders/overview', `/v1/invoices/${MY_INVOICE}`, '/v1/ops/tasks', '/v1/customers/cust-1/preferences']) {
      expectProblem(await gateway.inject({ method: 'GET', url, headers: bearer('vendor') }), 403, 'FORBIDDEN');
    }
    expect(orders.requests.length).toBe(before);
  });
});

describe('upstream failures', () => {
  it('answers 502/503/504 problem+json for a failing, unreachable or slow service, and passes service problems through', async () => {
    // Notifications has no /customers routes: the fake answers 404, passed through unchanged.
    const passed = await gateway.inject({ method: 'GET', url: '/v1/customers/cust-1/preferences', headers: bearer('customer') });
    expect(passed.statusCode).toBe(404);
    // A bare 5xx becomes the gateway's 502; a service's own problem passes through.
    expectProblem(await gateway.inject({ method: 'GET', url: '/v1/hubs', headers: bearer('ops') }), 502, 'UPSTREAM_FAILED');
    expectProblem(await gateway.inject({ method: 'GET', url: '/v1/timers', headers: bearer('ops') }), 503, 'OVERLOADED');
    const impatient = await startGateway({ UPSTREAM_TIMEOUT_MS: '200' });
    expectProblem(await impatient.inject({ method: 'GET', url: `/v1/orders/${DEGRADED}/notifications`, headers: bearer('ops') }), 504, 'UPSTREAM_TIMEOUT');
    const down = await startGateway({ TRACKING_URL: 'http://127.0.0.1:9' });
    const response = await down.inject({ method: 'GET', url: '/v1/carriers', headers: bearer('customer') });
    expectProblem(response, 503, 'UPSTREAM_UNAVAILABLE');
  });
});

describe('overload', () => {
  it("passes a service's 503 and 429 on with their Retry-After, and turns a bare 503 into its own 503 with one", async () => {
    const overloaded = await gateway.inject({ method: 'GET', url: '/v1/timers', headers: bearer('ops') });
    expectProblem(overloaded, 503, 'OVERLOADED');
    expect(overloaded.headers['retry-after']).toBe('7');
    const limited = await gateway.inject({ method: 'GET', url: '/v1/tracking/providers', headers: bearer('ops') });
    expectProblem(limited, 429, 'RATE_LIMITED');
    expect(limited.headers['retry-after']).toBe('2');
    const closing = await gateway.inject({ method: 'GET', url: `/v1/orders/${MINE}/supplier-calls`, headers: bearer('ops') });
    expectProblem(closing, 503, 'UPSTREAM_UNAVAILABLE');
    expect(Number(closing.headers['retry-after'])).toBeGreaterThan(0);
    const down = await startGateway({ TRACKING_URL: 'http://127.0.0.1:9' });
    const unreachable = await down.inject({ method: 'GET', url: '/v1/carriers', headers: bearer('customer') });
    expectProblem(unreachable, 503, 'UPSTREAM_UNAVAILABLE');
    expect(Number(unreachable.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('sheds forwarded requests beyond its own limit with 503 OVERLOADED and Retry-After, never its health, readiness or metrics', async () => {
    const { app: small, management: smallManagement } = await startGatewayServers({ HTTP_MAX_IN_FLIGHT: '2', HTTP_MAX_QUEUE: '1', HTTP_QUEUE_TIMEOUT_MS: '50' });
    let open!: () => void;
    timelineGate = new Promise<void>((resolve) => (open = resolve));
    const answered: Array<Awaited<ReturnType<PlatformHttpServer['inject']>>> = [];
    let othersAnswered!: () => void;
    const allButAdmitted = new Promise<void>((resolve) => (othersAnswered = resolve));
    const requests = Array.from({ length: 6 }, () =>
      small.inject({ method: 'GET', url: `/v1/orders/${MINE}/timeline`, headers: bearer('ops') }).then((answer) => {
        answered.push(answer);
        if (answered.length === 4) othersAnswered();
        return answer;
      }),
    );
    // Two are with the service; the queued one waits its 50 ms, the rest are refused at once.
    await allButAdmitted;
    for (const url of ['/healthz', '/readyz']) expect((await small.inject({ method: 'GET', url })).statusCode).toBe(200);
    for (const url of ['/healthz', '/readyz', '/metrics']) expect((await smallManagement.inject({ method: 'GET', url })).statusCode).toBe(200);
    open();
    const answers = await Promise.all(requests);
    expect(answers.filter((answer) => answer.statusCode === 200)).toHaveLength(2);
    for (const answer of answers.filter((a) => a.statusCode !== 200)) {
      expectProblem(answer, 503, 'OVERLOADED');
      expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
    }
    const metrics = await smallManagement.inject({ method: 'GET', url: '/metrics' });
    const shed = [...metrics.body.matchAll(/^http_requests_shed_total\{.*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
    expect(shed).toBe(4);
  });
});

describe('webhooks', () => {
  it('forwards the raw body byte for byte with its signature header, without a key', async () => {
    // Whitespace, key order and a non-ASCII character: anything re-serialized would differ.
    const raw = Buffer.from('{"id":"evt_1",  "type":"checkout.session.completed","data":{"object":{"name":"Zoë"}}}\n', 'utf8');
    const signature = 't=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd';
    const response = await gateway.inject({
      method: 'POST',
      url: '/v1/webhooks/stripe',
      headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature },
      payload: raw,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ received: true });
    const forwarded = lastRequest(billing);
    expect(forwarded.url).toBe('/webhooks/stripe');
    expect(forwarded.headers['stripe-signature']).toBe(signature);
    expect(forwarded.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Buffer.compare(forwarded.body as Buffer, raw)).toBe(0);
  });

  it("passes a service's refusal back unchanged, and forwards a body that is not even JSON", async () => {
    const raw = Buffer.from('not json at all', 'utf8');
    const response = await gateway.inject({ method: 'POST', url: '/v1/webhooks/17track', headers: { 'content-type': 'application/json', sign: 'abc' }, payload: raw });
    expectProblem(response, 401, 'INVALID_SIGNATURE');
    expect(lastRequest(tracking).headers.sign).toBe('abc');
    expect(Buffer.compare(lastRequest(tracking).body as Buffer, raw)).toBe(0);
  });
});

describe('errors', () => {
  it('answers validation failures and unknown routes as problem+json with the request id', async () => {
    expectProblem(await gateway.inject({ method: 'GET', url: '/v1/orders/not-a-uuid', headers: bearer('ops') }), 400, 'VALIDATION_FAILED');
    expectProblem(await gateway.inject({ method: 'GET', url: '/v1/nothing-here' }), 404, 'ROUTE_NOT_FOUND');
  });

  it('sends security headers, and no CORS grant to an unlisted origin', async () => {
    const response = await gateway.inject({ method: 'GET', url: '/v1/tracking/LX123456789CN', headers: { origin: 'https://evil.test' } });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('grants CORS to a listed origin', async () => {
    const open = await startGateway({ CORS_ORIGINS: 'https://shop.test' });
    const response = await open.inject({ method: 'OPTIONS', url: '/v1/orders', headers: { origin: 'https://shop.test', 'access-control-request-method': 'POST' } });
    expect(response.headers['access-control-allow-origin']).toBe('https://shop.test');
  });

  it('lets a browser on a listed origin PATCH an order and PUT preferences, with the headers the API reads and sends', async () => {
    const open = await startGateway({ CORS_ORIGINS: 'https://shop.test' });
    for (const [method, url, requested] of [
      ['PATCH', `/v1/orders/${MINE}`, 'authorization, content-type, if-match'],
      ['PUT', '/v1/customers/cust-1/preferences', 'authorization, content-type'],
      ['POST', '/v1/orders', 'authorization, content-type, idempotency-key'],
    ] as const) {
      const response = await open.inject({
        method: 'OPTIONS',
        url,
        headers: { origin: 'https://shop.test', 'access-control-request-method': method, 'access-control-request-headers': requested },
      });
      expect(response.statusCode).toBe(204);
      expect(response.headers['access-control-allow-origin']).toBe('https://shop.test');
      const allowedMethods = String(response.headers['access-control-allow-methods']).split(/,\s*/);
      expect(allowedMethods).toContain(method);
      const allowedHeaders = String(response.headers['access-control-allow-headers']).toLowerCase().split(/,\s*/);
      for (const header of requested.split(', ')) expect(allowedHeaders).toContain(header);
    }
    const actual = await open.inject({ method: 'GET', url: '/v1/tracking/LX123456789CN', headers: { origin: 'https://shop.test' } });
    const exposed = String(actual.headers['access-control-expose-headers']).toLowerCase().split(/,\s*/);
    for (const header of ['x-request-id', 'etag', 'location', 'retry-after', 'idempotent-replayed']) expect(exposed).toContain(header);
  });

  it('grants a preflight every method the routes use', async () => {
    const open = await startGateway({ CORS_ORIGINS: 'https://shop.test' });
    const response = await open.inject({ method: 'OPTIONS', url: '/v1/orders', headers: { origin: 'https://shop.test', 'access-control-request-method': 'GET' } });
    const allowedMethods = String(response.headers['access-control-allow-methods']).split(/,\s*/);
    for (const route of FORWARD_ROUTES) expect(allowedMethods).toContain(route.method);
  });
});

describe('the ops views and console', () => {
  it("list every service's lag, marking one that does not answer, for ops and admin keys only", async () => {
    const answer = await gateway.inject({ method: 'GET', url: '/v1/ops/lag', headers: bearer('ops') });
    expect(answer.statusCode).toBe(200);
    const { services } = answer.json() as { services: Array<{ service: string; available: boolean }> };
    expect(services.map((s) => s.service)).toEqual(['orders', 'billing', 'fulfillment', 'tracking', 'notifications']);
    expect(services[0]).toEqual({ service: 'orders', available: true, consumers: [{ consumer: 'orders--billing', stream: 'BILLING', pending: 2, ackPending: 1, redelivered: 0 }], outbox: { pending: 3, oldestPendingSeconds: 1.5 } });
    // The fake billing service has no such endpoint.
    expect(services[1]).toEqual({ service: 'billing', available: false, error: 'not found' });
    expectProblem(await gateway.inject({ method: 'GET', url: '/v1/ops/lag', headers: bearer('customer') }), 403, 'FORBIDDEN');
    expectProblem(await gateway.inject({ method: 'GET', url: '/v1/ops/dead-letters', headers: bearer('vendor') }), 403, 'FORBIDDEN');
  });

  it('reads the business metrics from every service’s /metrics, for ops keys only', async () => {
    const answer = await gateway.inject({ method: 'GET', url: '/v1/ops/metrics', headers: bearer('ops') });
    expect(answer.statusCode).toBe(200);
    const body = answer.json() as { at: string; services: Array<{ service: string; available: boolean }>; series: Record<string, unknown> };
    expect(body.series).toEqual({ orders_placed_total: [{ labels: { channel: 'api' }, value: 4 }] });
    expect(body.services[0]).toEqual({ service: 'orders', available: true });
    // The fake billing service has no /metrics: listed, its series missing.
    expect(body.services[1]).toEqual({ service: 'billing', available: false, error: 'HTTP 404' });
    expectProblem(await gateway.inject({ method: 'GET', url: '/v1/ops/metrics', headers: bearer('customer') }), 403, 'FORBIDDEN');
  });

  it("sends a retry to the service owning the consumer, naming the acting key; refuses a consumer no service owns", async () => {
    const retried = await gateway.inject({ method: 'POST', url: '/v1/ops/dead-letters/orders--billing/7/retry', headers: bearer('admin') });
    expect(retried.statusCode).toBe(200);
    expect(retried.json()).toEqual({ consumer: 'orders--billing', seq: 7, outcome: 'processed' });
    const forwarded = orders.requests.at(-1)!;
    expect(forwarded.url).toBe('/ops/dead-letters/orders--billing/7/retry');
    expect(forwarded.headers['x-actor']).toBe('admin:root');
    expectProblem(await gateway.inject({ method: 'POST', url: '/v1/ops/dead-letters/gateway--x/7/retry', headers: bearer('ops') }), 404, 'CONSUMER_NOT_FOUND');
    expectProblem(await gateway.inject({ method: 'POST', url: '/v1/ops/dead-letters/orders--billing/zero/retry', headers: bearer('ops') }), 400, 'VALIDATION_FAILED');
  });

  it('serves the console page and its modules without a key, under a policy allowing only its own scripts', async () => {
    const page = await gateway.inject({ method: 'GET', url: '/console' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('<script type="module" src="/console/assets/console.js">');
    const script = await gateway.inject({ method: 'GET', url: '/console/assets/console.js' });
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    // The charts' library, from the gateway's own dependencies.
    const charts = await gateway.inject({ method: 'GET', url: '/console/assets/uPlot.esm.js' });
    expect(charts.headers['content-type']).toMatch(/^text\/javascript/);
    expect(charts.body).toContain('export { uPlot as default }');
    expect((await gateway.inject({ method: 'GET', url: '/console/assets/..%2Fconsole.ts' })).statusCode).toBe(404);
  });
});

describe('the OpenAPI document and docs page', () => {
  const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');

  it('is OpenAPI 3.1 listing every /v1 route with schemas, security and problem answers', async () => {
    const response = await management.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json() as {
      openapi: string;
      servers: Array<{ url: string }>;
      paths: Record<string, Record<string, { security?: unknown[]; requestBody?: unknown; responses: Record<string, { content?: Record<string, unknown> }> }>>;
      components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
    };
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers).toEqual([{ url: 'https://api.shop.test' }]);
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(['apiKey', 'bearerAuth']);
    expect(document.components.schemas.Problem).toBeDefined();

    const expected = [
      ...FORWARD_ROUTES.map((r) => [r.method, r.path] as const),
      ...WEBHOOK_ROUTES.map((r) => ['POST', r.path] as const),
      ['GET', '/v1/orders/:id'] as const,
      ['GET', '/v1/orders/:id/timeline'] as const,
      ['GET', '/v1/orders/:id/live'] as const,
      ['GET', '/v1/customers/:customerId/live'] as const,
      ['GET', '/v1/ops/lag'] as const,
      ['GET', '/v1/ops/dead-letters'] as const,
      ['GET', '/v1/ops/timers'] as const,
      ['GET', '/v1/ops/metrics'] as const,
      ['POST', '/v1/ops/dead-letters/:consumer/:seq/retry'] as const,
      ['DELETE', '/v1/ops/dead-letters/:consumer/:seq'] as const,
    ];
    for (const [method, path] of expected) {
      const operation = document.paths[toOpenApiPath(path)]?.[method.toLowerCase()];
      expect(operation, `${method} ${path}`).toBeDefined();
      expect(operation!.responses['429']!.content!['application/problem+json']).toBeDefined();
    }
    const documented = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).filter((m) => m !== 'head').map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(expected.map(([m, p]) => `${m} ${toOpenApiPath(p)}`).sort());
    expect(Object.keys(document.paths).some((p) => /^\/(healthz|readyz|metrics|docs)/.test(p))).toBe(false);

    const create = document.paths['/v1/orders']!.post!;
    expect(create.requestBody).toMatchObject({ content: { 'application/json': { schema: { type: 'object', required: expect.arrayContaining(['customer', 'items']) } } } });
    expect(create.responses['401']).toBeDefined();
    expect(document.paths['/v1/tracking/{number}']!.get!.security).toEqual([]);
    expect(document.paths['/v1/webhooks/stripe']!.post!.security).toEqual([]);
    expect(document.paths['/v1/orders/{id}']!.get!.responses['200']!.content!['application/json']).toBeDefined();
  });

  it('serves the docs page as HTML under a policy that allows its own scripts', async () => {
    const page = await management.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('swagger-ui');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const script = await management.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(script.statusCode).toBe(200);
  });

  it('keeps the document, the docs page and the metrics off the public listener', async () => {
    for (const url of ['/docs', '/docs/static/swagger-initializer.js', '/openapi.json', '/v1/openapi.json', '/metrics']) {
      expectProblem(await gateway.inject({ method: 'GET', url }), 404, 'ROUTE_NOT_FOUND');
    }
    expect((await management.inject({ method: 'GET', url: '/metrics' })).body).toContain('process_cpu_seconds_total');
  });
});
