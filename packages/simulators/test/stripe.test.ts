import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import got from 'got';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_PROVIDER_CREDENTIALS, type SimulatorHandle, startSimulators } from '../src/index';

const { secretKey } = LOCAL_PROVIDER_CREDENTIALS.stripe;
const webhookSecret: string = LOCAL_PROVIDER_CREDENTIALS.stripe.webhookSecret;

interface Received {
  path: string;
  signature: string;
  rawBody: string;
}

let sim: SimulatorHandle;
let receiver: Server;
const received: Received[] = [];
/** How many of the next webhooks the receiver answers 503, as a paused endpoint would. */
let refuseNext = 0;

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let raw = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (raw += chunk));
    request.on('end', () => {
      received.push({ path: request.url ?? '', signature: String(request.headers['stripe-signature'] ?? ''), rawBody: raw });
      if (refuseNext > 0) {
        refuseNext -= 1;
        response.writeHead(503).end();
      } else response.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const port = (receiver.address() as AddressInfo).port;
  sim = await startSimulators({ webhookBaseUrl: `http://127.0.0.1:${port}` });
});

afterAll(async () => {
  await sim?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

beforeEach(() => {
  received.length = 0;
  refuseNext = 0;
  sim.controls.stripe.set({ mode: 'ok' });
});

// biome-ignore lint: JSON answers are checked field by field.
type Json = any;
/** A Stripe API call with the secret key; the answer's body parsed as JSON. */
async function stripeCall(method: 'GET' | 'POST', path: string, options: { form?: Record<string, string>; headers?: Record<string, string>; timeoutMs?: number } = {}) {
  const response = await got(`${sim.baseUrl('stripe')}/${path}`, {
    method,
    ...(options.form && { form: options.form }),
    headers: { authorization: `Bearer ${secretKey}`, ...options.headers },
    throwHttpErrors: false,
    retry: { limit: 0 },
    ...(options.timeoutMs && { timeout: { request: options.timeoutMs } }),
  });
  return { statusCode: response.statusCode, headers: response.headers, body: JSON.parse(response.body) as Json };
}

const sessionForm = (orderId = 'order-1') => ({
  mode: 'payment',
  client_reference_id: orderId,
  success_url: `http://127.0.0.1:8080/pay/complete?order=${orderId}`,
  'metadata[order_id]': orderId,
  'payment_intent_data[metadata][order_id]': orderId,
  'line_items[0][price_data][currency]': 'eur',
  'line_items[0][price_data][unit_amount]': '1250',
  'line_items[0][price_data][product_data][name]': 'Widget',
  'line_items[0][quantity]': '2',
  'line_items[1][price_data][currency]': 'eur',
  'line_items[1][price_data][unit_amount]': '499',
  'line_items[1][price_data][product_data][name]': 'Shipping',
  'line_items[1][quantity]': '1',
});

/** What a Stripe library does: any v1 over `t.rawBody` with the secret, within 300 s. */
function verify(header: string, rawBody: string, secret = webhookSecret): boolean {
  const parts = header.split(',').map((p) => p.split('=') as [string, string]);
  const t = parts.find(([k]) => k === 't')?.[1];
  if (!t || Math.abs(Date.now() / 1000 - Number(t)) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  return parts.filter(([k]) => k === 'v1').some(([, v]) => {
    const given = Buffer.from(v, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

async function createSession(orderId?: string, headers: Record<string, string> = {}) {
  return stripeCall('POST', 'v1/checkout/sessions', { form: sessionForm(orderId), headers });
}

describe('Stripe simulator', () => {
  it('refuses a missing or wrong secret key in Stripe\'s error shape', async () => {
    const none = await got.post(`${sim.baseUrl('stripe')}/v1/checkout/sessions`, { form: sessionForm(), throwHttpErrors: false, responseType: 'json' });
    expect(none.statusCode).toBe(401);
    expect((none.body as Json).error.type).toBe('invalid_request_error');
    const wrong = await stripeCall('POST', 'v1/checkout/sessions', { form: sessionForm(), headers: { authorization: 'Bearer sk_test_wrong' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body.error.message).toMatch(/Invalid API Key/);
  });

  it('creates a checkout session from form-encoded line items, and replays it for the same Idempotency-Key', async () => {
    const first = await createSession('order-idem', { 'idempotency-key': 'pay-1' });
    expect(first.statusCode).toBe(200);
    const session = first.body as Record<string, unknown>;
    expect(session).toMatchObject({
      object: 'checkout.session',
      mode: 'payment',
      status: 'open',
      payment_status: 'unpaid',
      amount_total: 2 * 1250 + 499,
      currency: 'eur',
      client_reference_id: 'order-idem',
      metadata: { order_id: 'order-idem' },
      payment_intent: null,
    });
    expect(session.id).toMatch(/^cs_test_/);
    expect(session.url).toBe(`${sim.baseUrl('stripe')}/checkout/${String(session.id)}`);

    const again = await createSession('order-idem', { 'idempotency-key': 'pay-1' });
    expect(again.body.id).toBe(session.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const fetched = await stripeCall('GET', `v1/checkout/sessions/${String(session.id)}`);
    expect(fetched.body.id).toBe(session.id);
  });

  it("shows the customer what we sent, in the session's locale: product names and amounts from minor units, never our ids; a link back to cancel_url", async () => {
    const orderId = '3f5d9c1e-8b7a-4c2d-9e0f-1a2b3c4d5e6f';
    const form = {
      ...sessionForm(orderId),
      locale: 'es',
      cancel_url: `http://127.0.0.1:8080/pay/cancelled?order=${orderId}`,
      'line_items[0][price_data][product_data][name]': 'Pedido ORD-000042',
      'line_items[0][price_data][product_data][description]': '2 artículos',
    };
    const session = (await stripeCall('POST', 'v1/checkout/sessions', { form })).body as { id: string; url: string; locale: string };
    expect(session.locale).toBe('es');
    const page = (await got(session.url)).body;
    expect(page).toContain('<html lang="es">');
    expect(page).toContain('<strong>Pedido ORD-000042</strong><br>2 artículos<br>2 × 12,50');
    expect(page.replace(/\s/g, ' ')).toContain('Total: 29,99 €');
    expect(page).toContain('Pagar 29,99');
    expect(page).toContain(`<a href="http://127.0.0.1:8080/pay/cancelled?order=${orderId}">Volver</a>`);
    expect(page.replaceAll(/href="[^"]*"/g, '')).not.toContain(orderId);

    // Paid in the browser: back to the success URL, `{CHECKOUT_SESSION_ID}` filled in as Stripe does.
    const withId = { ...form, success_url: `http://127.0.0.1:8080/pay/complete?order=${orderId}&session={CHECKOUT_SESSION_ID}` };
    const paying = (await stripeCall('POST', 'v1/checkout/sessions', { form: withId })).body as { id: string };
    const paid = await got.post(`${sim.baseUrl('stripe')}/_sim/checkout/sessions/${paying.id}/complete`, { form: { outcome: 'paid' }, followRedirect: false, throwHttpErrors: false });
    expect(paid.statusCode).toBe(303);
    expect(paid.headers.location).toBe(`http://127.0.0.1:8080/pay/complete?order=${orderId}&session=${paying.id}`);

    // A currency without minor units is not divided by 100.
    const yen = { ...sessionForm('order-jpy'), 'line_items[0][price_data][currency]': 'jpy', 'line_items[1][price_data][currency]': 'jpy' };
    const yenSession = (await stripeCall('POST', 'v1/checkout/sessions', { form: yen })).body as { url: string };
    expect((await got(yenSession.url)).body).toContain('Total: ¥2,999');
  });

  it('refuses a line item without a product name and a locale Stripe does not know, as Stripe does', async () => {
    const unnamed: Record<string, string> = { ...sessionForm() };
    delete unnamed['line_items[1][price_data][product_data][name]'];
    const noName = await stripeCall('POST', 'v1/checkout/sessions', { form: unnamed });
    expect(noName.statusCode).toBe(400);
    expect(noName.body.error).toMatchObject({ type: 'invalid_request_error', param: 'line_items[1][price_data][product_data][name]' });
    const klingon = await stripeCall('POST', 'v1/checkout/sessions', { form: { ...sessionForm(), locale: 'tlh' } });
    expect(klingon.statusCode).toBe(400);
    expect(klingon.body.error).toMatchObject({ type: 'invalid_request_error', param: 'locale' });
  });

  it('completes a session: signed checkout.session.completed to the webhook URL, payment intent succeeded', async () => {
    const session = (await createSession('order-pay')).body as { id: string; url: string };
    const page = await got(session.url);
    expect(page.body).toContain(`/stripe/_sim/checkout/sessions/${session.id}/complete`);

    const completed = await got.post(`${sim.baseUrl('stripe')}/_sim/checkout/sessions/${session.id}/complete`, { json: { outcome: 'paid' }, responseType: 'json' });
    expect((completed.body as { delivery: { status: number } }).delivery.status).toBe(200);
    expect(received).toHaveLength(1);
    const hook = received[0]!;
    expect(hook.path).toBe('/v1/webhooks/stripe');
    expect(hook.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verify(hook.signature, hook.rawBody)).toBe(true);
    expect(verify(hook.signature, hook.rawBody, 'whsec_other')).toBe(false);
    expect(verify(hook.signature, hook.rawBody.replace('"paid"', '"unpaid"'))).toBe(false);

    const event = JSON.parse(hook.rawBody);
    expect(event).toMatchObject({ object: 'event', type: 'checkout.session.completed', livemode: false, pending_webhooks: 1 });
    expect(event.id).toMatch(/^evt_/);
    expect(event.data.object).toMatchObject({ id: session.id, status: 'complete', payment_status: 'paid', url: null, amount_total: 2999 });
    const intent = await stripeCall('GET', `v1/payment_intents/${event.data.object.payment_intent}`);
    expect(intent.body).toMatchObject({ object: 'payment_intent', status: 'succeeded', amount_received: 2999, currency: 'eur', metadata: { order_id: 'order-pay' } });

    // A second completion is refused: a session is paid once.
    const twice = await got.post(`${sim.baseUrl('stripe')}/_sim/checkout/sessions/${session.id}/complete`, { json: {}, throwHttpErrors: false });
    expect(twice.statusCode).toBe(400);
  });

  it('lists the sessions opened after a cursor, in the order they were opened (the load generator finds what to pay)', async () => {
    const first = (await createSession('order-list-1')).body as { id: string };
    const second = (await createSession('order-list-2')).body as { id: string };
    const third = (await createSession('order-list-3')).body as { id: string };
    const list = async (query: string) =>
      (await got(`${sim.baseUrl('stripe')}/_sim/checkout/sessions?${query}`, { responseType: 'json' })).body as { data: { id: string; client_reference_id: string }[]; has_more: boolean };

    const afterFirst = await list(`after=${first.id}`);
    expect(afterFirst.data.map((session) => session.id)).toEqual([second.id, third.id]);
    expect(afterFirst.data[0]!.client_reference_id).toBe('order-list-2');
    expect(afterFirst.has_more).toBe(false);
    const page = await list(`after=${first.id}&limit=1`);
    expect(page.data.map((session) => session.id)).toEqual([second.id]);
    expect(page.has_more).toBe(true);
    expect((await list(`after=${third.id}`)).data).toEqual([]);
  });

  it('resends an old event byte for byte (replay)', async () => {
    const session = (await createSession('order-replay')).body as { id: string };
    await got.post(`${sim.baseUrl('stripe')}/_sim/checkout/sessions/${session.id}/complete`, { json: {} });
    const eventId = JSON.parse(received[0]!.rawBody).id as string;
    const resent = await got.post(`${sim.baseUrl('stripe')}/_sim/webhooks/resend`, { json: { eventId }, responseType: 'json' });
    expect((resent.body as Json).status).toBe(200);
    expect(received).toHaveLength(2);
    expect(received[1]!.rawBody).toBe(received[0]!.rawBody);
    expect(verify(received[1]!.signature, received[1]!.rawBody)).toBe(true);
  });

  it('sends a refused webhook again by itself, backing off, until the endpoint accepts it; an accepted manual resend ends the retries', async () => {
    const retries = async () => (await got(`${sim.baseUrl('stripe')}/_sim/webhooks/retries`, { responseType: 'json' })).body as Json;
    const before = await retries();

    // Refused once, then resent by hand: accepted, nothing is left to retry.
    const byHand = (await createSession('order-retry-hand')).body as { id: string };
    refuseNext = 1;
    const first = await got.post(`${sim.baseUrl('stripe')}/_sim/checkout/sessions/${byHand.id}/complete`, { json: {}, responseType: 'json' });
    expect((first.body as Json).delivery).toMatchObject({ attempt: 1, status: 503 });
    expect((await retries()).pending).toBe(before.pending + 1);
    const resent = await got.post(`${sim.baseUrl('stripe')}/_sim/webhooks/resend`, { json: { eventId: (first.body as Json).event.id }, responseType: 'json' });
    expect(resent.body).toMatchObject({ attempt: null, status: 200 });
    expect((await retries()).pending).toBe(before.pending);

    // Refused twice: Stripe sends it again 1 s, then 2 s later, the same bytes signed anew.
    received.length = 0;
    const session = (await createSession('order-retry')).body as { id: string };
    refuseNext = 2;
    const completed = await got.post(`${sim.baseUrl('stripe')}/_sim/checkout/sessions/${session.id}/complete`, { json: {}, responseType: 'json' });
    const eventId = (completed.body as Json).event.id as string;
    expect((completed.body as Json).delivery).toMatchObject({ eventId, attempt: 1, status: 503 });
    await expect.poll(async () => (await retries()).pending, { timeout: 10_000, interval: 200 }).toBe(before.pending);
    expect(received).toHaveLength(3);
    expect(new Set(received.map((hook) => hook.rawBody)).size).toBe(1);
    for (const hook of received) expect(verify(hook.signature, hook.rawBody)).toBe(true);
    const deliveries = ((await got(`${sim.baseUrl('stripe')}/_sim/webhooks`, { responseType: 'json' })).body as Json).deliveries.filter((d: Json) => d.eventId === eventId);
    // The backoff doubles: the waits the simulator booked after each refusal.
    expect(deliveries.map((d: Json) => [d.attempt, d.status, d.retryInMs])).toEqual([
      [1, 503, 1_000],
      [2, 503, 2_000],
      [3, 200, null],
    ]);
    expect(await retries()).toMatchObject({ sent: before.sent + 2, accepted: before.accepted + 1, abandoned: before.abandoned });
  });

  it('sends payment_intent.payment_failed for a declined card and keeps the session open', async () => {
    const session = (await createSession('order-fail')).body as { id: string };
    await got.post(`${sim.baseUrl('stripe')}/_sim/checkout/sessions/${session.id}/complete`, { json: { outcome: 'failed' } });
    const event = JSON.parse(received[0]!.rawBody);
    expect(event.type).toBe('payment_intent.payment_failed');
    expect(event.data.object).toMatchObject({ object: 'payment_intent', status: 'requires_payment_method', metadata: { order_id: 'order-fail' } });
    expect(((await stripeCall('GET', `v1/checkout/sessions/${session.id}`)).body as { status: string }).status).toBe('open');
  });

  it('expires an open session (and sends checkout.session.expired)', async () => {
    const session = (await createSession('order-expire')).body as { id: string };
    const expired = await stripeCall('POST', `v1/checkout/sessions/${session.id}/expire`);
    expect(expired.body).toMatchObject({ status: 'expired', url: null });
    const again = await stripeCall('POST', `v1/checkout/sessions/${session.id}/expire`);
    expect(again.statusCode).toBe(400);
    await expect.poll(() => received.map((r) => JSON.parse(r.rawBody).type)).toContain('checkout.session.expired');
  });

  it('refunds a paid intent (full and partial) and sends charge.refunded', async () => {
    const session = (await createSession('order-refund')).body as { id: string };
    await got.post(`${sim.baseUrl('stripe')}/_sim/checkout/sessions/${session.id}/complete`, { json: {} });
    const intentId = JSON.parse(received[0]!.rawBody).data.object.payment_intent as string;

    const partial = await stripeCall('POST', 'v1/refunds', { form: { payment_intent: intentId, amount: '999', reason: 'requested_by_customer', 'metadata[refund_id]': 'r1' }, headers: { 'idempotency-key': 'refund-1' } });
    expect(partial.body).toMatchObject({ object: 'refund', status: 'succeeded', amount: 999, currency: 'eur', payment_intent: intentId, metadata: { refund_id: 'r1' } });
    expect(partial.body.id).toMatch(/^re_/);
    const replay = await stripeCall('POST', 'v1/refunds', { form: { payment_intent: intentId, amount: '999' }, headers: { 'idempotency-key': 'refund-1' } });
    expect(replay.body.id).toBe(partial.body.id);

    const rest = await stripeCall('POST', 'v1/refunds', { form: { payment_intent: intentId } });
    expect(rest.body).toMatchObject({ amount: 2000 });
    const tooMuch = await stripeCall('POST', 'v1/refunds', { form: { payment_intent: intentId, amount: '1' } });
    expect(tooMuch.statusCode).toBe(400);

    await expect.poll(() => received.filter((r) => JSON.parse(r.rawBody).type === 'charge.refunded').length).toBe(2);
    const last = received.map((r) => JSON.parse(r.rawBody)).filter((e) => e.type === 'charge.refunded').at(-1);
    expect(last.data.object).toMatchObject({ object: 'charge', amount: 2999, amount_refunded: 2999, refunded: true, payment_intent: intentId });
    expect(last.data.previous_attributes).toEqual({ amount_refunded: 999, refunded: false });
  });

  it('switches to failure modes: 503 Stripe error, card_declined rejection, timeout', async () => {
    sim.controls.stripe.set({ mode: 'error', times: 1 });
    const down = await createSession();
    expect(down.statusCode).toBe(503);
    expect(down.body.error.type).toBe('api_error');

    sim.controls.stripe.set({ mode: 'reject', times: 1 });
    const declined = await createSession();
    expect(declined.statusCode).toBe(402);
    expect(declined.body.error.code).toBe('card_declined');

    sim.controls.stripe.set({ mode: 'timeout', times: 1 });
    await expect(stripeCall('POST', 'v1/checkout/sessions', { form: sessionForm(), timeoutMs: 300 })).rejects.toThrow(/timeout/i);

    expect((await createSession()).statusCode).toBe(200);
  });

  it("transfers to a connected account in Stripe Connect's shape, once per Idempotency-Key, refusing a bad destination", async () => {
    const form = { amount: '2625', currency: 'eur', destination: 'acct_1VendorBrand', transfer_group: 'payout_1', 'metadata[vendor_id]': 'brand-1' };
    const unauthorized = await stripeCall('POST', 'v1/transfers', { form, headers: { authorization: 'Bearer sk_test_wrong' } });
    expect(unauthorized.statusCode).toBe(401);

    const first = await stripeCall('POST', 'v1/transfers', { form, headers: { 'idempotency-key': 'statement-1' } });
    expect(first.statusCode).toBe(200);
    expect(first.body).toMatchObject({
      object: 'transfer',
      amount: 2625,
      amount_reversed: 0,
      currency: 'eur',
      destination: 'acct_1VendorBrand',
      transfer_group: 'payout_1',
      metadata: { vendor_id: 'brand-1' },
      reversed: false,
      reversals: { object: 'list', data: [], total_count: 0 },
    });
    expect(first.body.id).toMatch(/^tr_/);
    expect(first.body.destination_payment).toMatch(/^py_/);

    const again = await stripeCall('POST', 'v1/transfers', { form, headers: { 'idempotency-key': 'statement-1' } });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    const fetched = await stripeCall('GET', `v1/transfers/${first.body.id}`);
    expect(fetched.body).toEqual(first.body);
    const listed = await stripeCall('GET', 'v1/transfers?destination=acct_1VendorBrand');
    expect(listed.body.data.map((t: Json) => t.id)).toEqual([first.body.id]);

    const closed = await stripeCall('POST', 'v1/transfers', { form: { ...form, destination: 'acct_closedVendor' } });
    expect(closed.statusCode).toBe(400);
    expect(closed.body.error).toMatchObject({ type: 'invalid_request_error', code: 'account_invalid', param: 'destination' });
    const malformed = await stripeCall('POST', 'v1/transfers', { form: { ...form, destination: 'vendor-1' } });
    expect(malformed.statusCode).toBe(404);
    expect(malformed.body.error.code).toBe('resource_missing');
    const noAmount = await stripeCall('POST', 'v1/transfers', { form: { currency: 'eur', destination: 'acct_1VendorBrand' } });
    expect(noAmount.body.error.param).toBe('amount');
  });
});
