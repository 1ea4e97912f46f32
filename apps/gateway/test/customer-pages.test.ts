import { signOrderLink, verifyOrderLink } from '@platform/config/order-links';
import { loadEnv } from '@platform/config/env';
import { createHttpServer, type PlatformHttpServer } from '@platform/runtime/http';
import { createLogger } from '@platform/runtime/logger';
import { createMetrics } from '@platform/runtime/metrics';
import { httpServerSettings } from '@platform/runtime/service';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway } from '../src/app';
import { BackgroundNats } from '@platform/runtime/background-nats';
import { gatewayEnv } from '../src/config';

/**
 * The customer pages in-process (docs/customer-pages.md), against small fake orders and tracking
 * services: who may open what, that every refusal and failure is a page for people, and what the
 * pages leave out. The browser side is test/e2e/customer-pages.test.ts.
 */

const SECRET = 'a-test-order-link-secret-of-32-characters-or-more';
const ORDER = '11111111-1111-4111-8111-111111111111';
const THEIRS = '22222222-2222-4222-8222-222222222222';
const TRACKING_DOWN = '33333333-3333-4333-8333-333333333333';
const KEYS = { mine: 'customer-key-0123456789', theirs: 'other-customer-key-0123456789', vendor: 'vendor-key-0123456789' };
const API_KEYS = JSON.stringify([
  { id: 'shop', key: KEYS.mine, role: 'customer', customerId: 'cust-1' },
  { id: 'other', key: KEYS.theirs, role: 'customer', customerId: 'cust-2' },
  { id: 'acme', key: KEYS.vendor, role: 'vendor', vendorId: 'acme' },
]);
const link = (orderId: string, expiresAt = new Date(Date.now() + 60_000)) => signOrderLink(SECRET, orderId, expiresAt);

const order = (id: string, customerId: string) => ({
  id,
  number: 'ORD-000777',
  status: 'shipped',
  currency: 'EUR',
  createdAt: '2026-12-01T10:00:00.000Z',
  customer: { id: customerId, email: 'ana@example.com', name: 'Ana García', locale: 'ro', timezone: 'Europe/Bucharest' },
  shippingAddress: { name: 'Ana García', line1: 'Strada Lungă 5', city: 'Brașov', postalCode: '500035', country: 'RO' },
  items: [{ name: 'Cană albastră', quantity: 2, lineTotal: 2500, supplierSource: 'aliexpress', vendor: { id: 'acme', type: 'brand' } }],
  totals: { total: 2999 },
  subOrders: [],
});
const scan = (time: string, status: string, location: string | null, description: string) => ({ time, status, location, description });
const publicTracking = {
  trackingNumber: 'RR123456785CN',
  carrier: { code: 'CAINIAO_STANDARD', name: 'Cainiao' },
  status: 'delivered',
  estimatedDelivery: null,
  trackingUrl: 'https://global.cainiao.test/detail?mailNo=RR123456785CN',
  lastUpdate: '2026-12-03T09:00:00.000Z',
  events: [scan('2026-12-02T09:00:00.000Z', 'in_transit', 'Madrid, ES', 'Departed'), scan('2026-12-03T09:00:00.000Z', 'delivered', null, 'Delivered, signed by Ana García at Strada Lungă 5')],
};

let orders: FastifyInstance;
let tracking: FastifyInstance;
let gateway: PlatformHttpServer;

async function listen(app: FastifyInstance): Promise<string> {
  return app.listen({ host: '127.0.0.1', port: 0 });
}

beforeAll(async () => {
  orders = Fastify();
  orders.get('/orders/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    if (id === ORDER || id === TRACKING_DOWN) return order(id, 'cust-1');
    if (id === THEIRS) return order(id, 'cust-2');
    return reply.code(404).type('application/problem+json').send({ status: 404, code: 'ORDER_NOT_FOUND' });
  });
  tracking = Fastify();
  tracking.get('/orders/:id/tracking', async (request, reply) => {
    const { id } = request.params as { id: string };
    if (id === TRACKING_DOWN) return reply.code(503).send('busy');
    return { orderId: id, shipments: [{ ...publicTracking, shipmentId: '44444444-4444-4444-8444-444444444444', provider: '17track', registeredAt: null, shippedAt: '2026-12-01T12:00:00.000Z', deliveryAttempts: 0 }] };
  });
  tracking.get('/tracking/:number', async (request, reply) => {
    const { number } = request.params as { number: string };
    if (number === publicTracking.trackingNumber) return publicTracking;
    if (number === 'DOWN12345') return reply.code(503).send('busy');
    return reply.code(404).type('application/problem+json').send({ status: 404, code: 'TRACKING_NOT_FOUND' });
  });
  const unreachable = 'http://127.0.0.1:9';
  const env = loadEnv(gatewayEnv, {
    API_KEYS,
    ORDER_LINK_SECRET: SECRET,
    ORDERS_URL: await listen(orders),
    TRACKING_URL: await listen(tracking),
    BILLING_URL: unreachable,
    FULFILLMENT_URL: unreachable,
    NOTIFICATIONS_URL: unreachable,
    COMPOSE_TIMEOUT_MS: '300',
  });
  const [log, metrics] = [createLogger('gateway', 'silent'), createMetrics('gateway')];
  gateway = createHttpServer({ log, metrics, readiness: {}, ...httpServerSettings(env) });
  await buildGateway(gateway, env, { metrics, nats: new BackgroundNats(env, 'gateway', log) });
  await gateway.ready();
});

afterAll(async () => {
  await gateway?.close();
  await orders?.close();
  await tracking?.close();
});

const get = (url: string, headers: Record<string, string> = {}) => gateway.inject({ method: 'GET', url, headers });
const h1 = (body: string) => /<h1>([^<]*)<\/h1>/.exec(body)?.[1];

function expectPage(response: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(response.headers['cache-control']).toBe('no-store');
  return response.body;
}

describe('the order page', () => {
  it("opens by a signed link, in the order's language, by number, without what the customer needs not see", async () => {
    const token = link(ORDER);
    const response = await get(`/orders/${ORDER}?t=${token}`, { 'accept-language': 'es' });
    const body = expectPage(response, 200);
    expect(body).toContain('<html lang="ro">');
    expect(h1(body)).toBe('Comanda ORD-000777');
    expect(body).toContain('Cană albastră');
    // Romanian writes the currency's code after the amount.
    expect(body).toContain('25,00\u00a0EUR');
    expect(body).toContain('Cainiao');
    expect(body).toContain('href="https://global.cainiao.test/detail?mailNo&#x3D;RR123456785CN"');
    for (const hidden of ['aliexpress', 'acme', 'CAINIAO_STANDARD', 'Strada Lungă', 'ana@example.com', 'Signed by']) expect(body).not.toContain(hidden);
    // The id and the token reach the page only as its script's data.
    const data = JSON.parse(/<script type="application\/json" id="page-data">(.*?)<\/script>/s.exec(body)![1]!) as Record<string, unknown>;
    expect(data).toMatchObject({ orderId: ORDER, token, locale: 'ro', timeZone: 'Europe/Bucharest' });
    expect(body.replace(/<script type="application\/json"[\s\S]*?<\/script>/, '')).not.toContain(ORDER);
    // The gateway's CSP stands: scripts from the gateway only, none inline.
    expect(response.headers['content-security-policy']).toMatch(/script-src 'self'(;|$)/);
    expect(body).not.toMatch(/<script(?![^>]*(type="application\/json"|src=))/);
  });

  it('without a link, is the key form in the visitor’s language', async () => {
    const body = expectPage(await get(`/orders/${ORDER}`, { 'accept-language': 'ru-RU,ru;q=0.9,en;q=0.5' }), 200);
    expect(h1(body)).toBe('Откройте свой заказ');
    expect(body).toContain('<label for="api-key">Ваш API-ключ</label>');
    expect(body).not.toContain('ORD-000777');
  });

  it('refuses a forged, a malformed, an expired and another order’s link with a page, not JSON', async () => {
    const token = link(ORDER);
    const forged = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    for (const [t, title] of [
      [forged, 'This link does not work'],
      ['not-a-token', 'This link does not work'],
      [link(THEIRS), 'This link does not work'],
      [link(ORDER, new Date(Date.now() - 1_000)), 'This link has expired'],
    ] as const) {
      const body = expectPage(await get(`/orders/${ORDER}?t=${encodeURIComponent(t)}`), 403);
      expect(h1(body)).toBe(title);
      expect(body).not.toContain('ORD-000777');
    }
  });

  it('says when its parcels cannot be shown, and is a page for people when the order cannot be', async () => {
    const partial = expectPage(await get(`/orders/${TRACKING_DOWN}?t=${link(TRACKING_DOWN)}`), 200);
    expect(partial).toContain('Detaliile coletelor nu pot fi afișate acum.');
    const missing = '55555555-5555-4555-8555-555555555555';
    expect(h1(expectPage(await get(`/orders/${missing}?t=${link(missing)}`), 404))).toBe('We cannot find this page');
    expect(h1(expectPage(await get('/orders/not-an-id?t=x', { 'accept-language': 'es' }), 404))).toBe('No encontramos esta página');
  });
});

describe('trading an API key for a link', () => {
  const trade = (orderId: string, key?: string) => gateway.inject({ method: 'POST', url: `/orders/${orderId}/link`, headers: key ? { 'x-api-key': key } : {} });

  it("gives the customer's own key a working link to their order", async () => {
    const response = await trade(ORDER, KEYS.mine);
    expect(response.statusCode).toBe(200);
    const url = new URL((response.json() as { url: string }).url, 'http://gateway.test');
    expect(url.pathname).toBe(`/orders/${ORDER}`);
    expect(verifyOrderLink(SECRET, ORDER, url.searchParams.get('t')!, new Date())).toMatchObject({ ok: true });
  });

  it("refuses another customer's key as if the order did not exist, a vendor key and no key", async () => {
    expect((await trade(ORDER, KEYS.theirs)).statusCode).toBe(404);
    expect((await trade(ORDER, KEYS.vendor)).statusCode).toBe(403);
    expect((await trade(ORDER)).statusCode).toBe(401);
  });
});

describe('the public tracking page', () => {
  it("shows status, carrier, link and each scan's time, place and status, and none of the carrier's free text", async () => {
    const body = expectPage(await get(`/track/${publicTracking.trackingNumber}`, { 'accept-language': 'en' }), 200);
    expect(h1(body)).toBe('Parcel RR123456785CN');
    expect(body).toContain("Follow the parcel on Cainiao's site</a>");
    expect(body).toMatch(/<time datetime="2026-12-03T09:00:00.000Z">Dec 3, 2026, 9:00\s?AM UTC<\/time> <span class="entry-text">Delivered<\/span><\/li>/);
    expect(body).toContain('Madrid, ES');
    for (const hidden of ['Ana', 'García', 'Strada', 'signed by', 'Departed', 'CAINIAO_STANDARD']) expect(body).not.toContain(hidden);
  });

  it('is a page for people for an unknown or malformed number and when tracking is down', async () => {
    expect(h1(expectPage(await get('/track/ZZ999999999', { 'accept-language': 'es' }), 404))).toBe('No encontramos este paquete');
    expect(h1(expectPage(await get('/track/%3Cscript%3E'), 404))).toBe('We cannot find this parcel');
    expect(h1(expectPage(await get('/track/DOWN12345'), 503))).toBe('We cannot show this right now');
  });
});

describe('the payment return pages', () => {
  it("thank the customer in the order's language with a link to the order by number when the link is valid", async () => {
    const token = link(ORDER);
    const body = expectPage(await get(`/pay/complete?order=${ORDER}&t=${token}`), 200);
    expect(h1(body)).toBe('Mulțumim!');
    expect(body).toContain(`href="/orders/${ORDER}?t&#x3D;${token}">Vezi comanda ORD-000777</a>`);
  });

  it("without a valid link, speak the visitor's language and show nothing of the order", async () => {
    const body = expectPage(await get(`/pay/cancelled?order=${ORDER}&t=forged`, { 'accept-language': 'es' }), 200);
    expect(h1(body)).toBe('Pago cancelado');
    expect(body).not.toContain('ORD-000777');
    expect(h1(expectPage(await get('/pay/complete'), 200))).toBe('Thank you!');
  });

  it('replace the old JSON landing route, which is gone', async () => {
    expect((await get('/v1/checkout/complete?session_id=cs_1')).statusCode).toBe(404);
  });
});

describe('the static files', () => {
  it('serves the stylesheet and the script with their types, and a page for anything else', async () => {
    expect((await get('/pages/assets/pages.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await get('/pages/assets/pages.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(h1(expectPage(await get('/pages/assets/..%2Fapp.ts'), 404))).toBe('We cannot find this page');
  });
});
