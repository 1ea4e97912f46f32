import { randomUUID } from 'node:crypto';
import type { AdjustableClock } from '@platform/runtime/clock';
import { newEvent } from '@platform/runtime/outbox';
import { type Envelope, orderCancelled, orderCreated } from '@platform/contracts';
import type { Order } from '@platform/contracts/api/orders';
import { freePorts } from '@platform/devstack';
import { LOCAL_PROVIDER_CREDENTIALS, type SimulatorHandle, startSimulators } from '@platform/simulators';
import got from 'got';
import { afterEach } from 'vitest';
import { startService } from '@platform/test-support/service';
import type { Database } from '../src/adapters/database';
import { buildBilling } from '../src/app';
import type { BillingDeps } from '../src/application/context';
import { fulfillmentSubscriptions } from '../src/consumers/fulfillment';
import { orderSubscriptions } from '../src/consumers/orders';
import { computeSignature } from '../src/domain/stripe-signature';
import { billingEnv } from '../src/config';

/**
 * Billing's integration tests' shared harness: the service in process on a fresh database,
 * the simulators, and helpers to feed it events and pay on the checkout page.
 */
export const { secretKey, webhookSecret } = LOCAL_PROVIDER_CREDENTIALS.stripe;
// biome-ignore lint: JSON answers are checked field by field.
export type Json = any;

export interface Harness {
  db: Database;
  sim: SimulatorHandle;
  deps: BillingDeps;
  clock: AdjustableClock;
  url: string;
  deliver(event: Envelope): Promise<void>;
  close(): Promise<void>;
}

const open: Harness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

/**
 * Billing in process on its own fresh database: the webhook and query routes on a real HTTP
 * port (behind a raw forwarder at /v1/webhooks/stripe, as the gateway does), the Stripe
 * simulator sending its webhooks there, and the order consumers' handlers.
 */
export async function harness(refundOnUnconfirmedSupplierCancel: BillingDeps['refundOnUnconfirmedSupplierCancel'] = 'immediately'): Promise<Harness> {
  const [port] = await freePorts(1);
  const url = `http://127.0.0.1:${port}`;
  const sim = await startSimulators({ webhookBaseUrl: url });
  const service = await startService(
    async (runtime, env) => {
      const billing = await buildBilling(runtime, env);
      const { app } = billing;
      await app.register(async (scope) => {
        scope.removeAllContentTypeParsers();
        scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
        scope.post('/v1/webhooks/stripe', async (request, reply) => {
          const forwarded = await app.inject({
            method: 'POST',
            url: '/webhooks/stripe',
            payload: request.body as string,
            headers: { 'content-type': String(request.headers['content-type']), 'stripe-signature': String(request.headers['stripe-signature'] ?? '') },
          });
          return reply.code(forwarded.statusCode).type(String(forwarded.headers['content-type'])).send(forwarded.body);
        });
      });
      return billing;
    },
    {
      name: 'billing',
      env: billingEnv,
      variables: {
        PORT: String(port),
        STRIPE_API_URL: sim.baseUrl('stripe'),
        STRIPE_SECRET_KEY: secretKey,
        STRIPE_WEBHOOK_SECRET: webhookSecret,
        REFUND_ON_UNCONFIRMED_SUPPLIER_CANCEL: refundOnUnconfirmedSupplierCancel,
        PUBLIC_BASE_URL: 'https://shop.example',
      },
      // The tests deliver events to the handlers and fire timers themselves.
      workers: false,
    },
  );
  const { db, deps, clock } = service;
  const subscriptions = new Map([...orderSubscriptions(deps), ...fulfillmentSubscriptions(deps)].map((s) => [s.type, s.handle]));
  const h: Harness = {
    db,
    sim,
    deps,
    clock,
    url,
    // What the consumer runner does with a message: the handler in one transaction.
    deliver: (event) => db.$transaction((tx) => subscriptions.get(event.type)!(event, tx), { timeout: 30_000 }),
    close: async () => {
      await sim.stop();
      await service.stop();
    },
  };
  open.push(h);
  return h;
}

export function sampleOrder(overrides: Partial<Order> = {}): Order {
  const now = new Date().toISOString();
  const address = { name: 'Ana Pop', line1: 'Str. Lunga 1', city: 'Cluj', postalCode: '400000', country: 'RO' };
  return {
    id: randomUUID(),
    number: `ORD-${Math.floor(Math.random() * 1e6)}`,
    status: 'pending',
    fulfillmentStatus: 'not_fulfilled',
    customer: { id: 'cust-1', email: 'ana@example.com', name: 'Ana Pop', locale: 'ro', timezone: 'Europe/Bucharest' },
    shippingAddress: address,
    billingAddress: address,
    items: [
      { id: randomUUID(), sku: 'SKU-A', variantId: 'v-a', name: 'Widget', quantity: 2, unitPrice: 1250, lineTotal: 2500, vendor: { id: 'v1', type: 'brand' }, supplierSource: 'own_stock', ageRestricted: false },
      { id: randomUUID(), sku: 'SKU-B', variantId: 'v-b', name: 'Gadget', quantity: 1, unitPrice: 499, lineTotal: 499, vendor: { id: 'v1', type: 'brand' }, supplierSource: 'cj', ageRestricted: false },
    ],
    deliveryType: 'standard',
    deliveryWindow: null,
    notes: null,
    ageVerified: false,
    currency: 'EUR',
    totals: { subtotal: 2999, shipping: 500, tax: 0, discount: 0, total: 3499 },
    version: 1,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

export const created = (order: Order) => newEvent(orderCreated, { aggregateId: order.id, source: 'orders', data: order });
export const cancelled = (order: Order) =>
  newEvent(orderCancelled, { aggregateId: order.id, source: 'orders', data: { orderId: order.id, reason: 'customer changed mind', actor: 'customer:cust-1', previousStatus: 'confirmed', cancelledAt: new Date().toISOString() } });

export async function outboxTypes(db: Database, orderId: string): Promise<string[]> {
  const rows = await db.outboxEvent.findMany({ where: { aggregateId: orderId }, orderBy: { seq: 'asc' } });
  return rows.map((r) => r.type);
}

export async function billingOf(h: Harness, orderId: string): Promise<Json> {
  const response = await got(`${h.url}/orders/${orderId}/billing`, { throwHttpErrors: false });
  return { status: response.statusCode, ...JSON.parse(response.body) };
}

/** The customer pays on the simulator's checkout page: Stripe then sends the signed webhook to billing. */
export async function pay(h: Harness, orderId: string, outcome = 'paid'): Promise<Json> {
  const session = await h.db.checkoutSession.findFirstOrThrow({ where: { orderId, status: 'open' }, orderBy: { createdAt: 'desc' } });
  const response = await got.post(`${h.sim.baseUrl('stripe')}/_sim/checkout/sessions/${session.providerSessionId}/complete`, { json: { outcome } });
  return JSON.parse(response.body);
}

export function signed(body: string, timestamp = Math.floor(Date.now() / 1000), secret: string = webhookSecret): Record<string, string> {
  return { 'content-type': 'application/json', 'stripe-signature': `t=${timestamp},v1=${computeSignature(secret, timestamp, body)}` };
}

export async function postWebhook(h: Harness, body: string, headers: Record<string, string>) {
  const response = await got.post(`${h.url}/webhooks/stripe`, { body, headers, throwHttpErrors: false });
  return { status: response.statusCode, body: JSON.parse(response.body) as Json };
}

/** Everything that could change, for "nothing changed" checks. */
export async function snapshot(db: Database) {
  const [payments, invoices, refunds, outbox, webhooks] = await Promise.all([
    db.payment.findMany({ orderBy: { id: 'asc' } }),
    db.invoice.findMany({ orderBy: { id: 'asc' }, include: { lines: true, adjustments: true } }),
    db.refund.findMany({ orderBy: { id: 'asc' } }),
    db.outboxEvent.count(),
    db.processedWebhookEvent.count(),
  ]);
  return JSON.parse(JSON.stringify({ payments, invoices, refunds, outbox, webhooks }, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
}
/** A JSON call to billing's own routes: status and body. */
export async function call(h: Harness, method: 'GET' | 'POST' | 'PUT', path: string, json?: object, headers: Record<string, string> = {}): Promise<Json> {
  const response = await got(`${h.url}${path}`, { method, headers, ...(json && { json }), throwHttpErrors: false });
  return { status: response.statusCode, ...JSON.parse(response.body) };
}

