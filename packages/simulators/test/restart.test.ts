import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import got from 'got';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_PROVIDER_CREDENTIALS, type SimulatorHandle, startSimulators } from '../src';

// biome-ignore lint: JSON answers are checked field by field.
type Json = any;
const http = got.extend({ throwHttpErrors: false, retry: { limit: 0 }, responseType: 'json', timeout: { request: 5_000 } });
const { stripe, cj, aftership, twilio } = LOCAL_PROVIDER_CREDENTIALS;
const stripeAuth = { authorization: `Bearer ${stripe.secretKey}` };
const aftershipAuth = { 'as-api-key': aftership.apiKey };

let dir: string;
const running: SimulatorHandle[] = [];
// Webhooks go nowhere (nothing listens on port 9) unless a test gives an endpoint.
const start = async (stateFile?: string, webhookBaseUrl = 'http://127.0.0.1:9') => {
  const sim = await startSimulators({ webhookBaseUrl, stateFile });
  running.push(sim);
  return sim;
};
const stop = async (sim: SimulatorHandle) => {
  running.splice(running.indexOf(sim), 1);
  await sim.stop();
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sim-restart-'));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((sim) => sim.stop()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const createSession = (sim: SimulatorHandle) =>
  http.post<Json>(`${sim.baseUrl('stripe')}/v1/checkout/sessions`, {
    headers: stripeAuth,
    form: {
      mode: 'payment',
      client_reference_id: 'order-restart',
      success_url: 'http://127.0.0.1:8080/pay/complete?order=order-restart',
      'line_items[0][price_data][currency]': 'eur',
      'line_items[0][price_data][unit_amount]': '1250',
      'line_items[0][price_data][product_data][name]': 'Order ORD-000001',
      'line_items[0][quantity]': '2',
    },
  });
const cjToken = async (sim: SimulatorHandle) =>
  (await http.post<Json>(`${sim.baseUrl('cj')}/authentication/getAccessToken`, { json: { apiKey: cj.apiKey } })).body.data.accessToken as string;
const placeCjOrder = (sim: SimulatorHandle, token: string, orderNumber: string) =>
  http.post<Json>(`${sim.baseUrl('cj')}/shopping/order/createOrderV2`, {
    headers: { 'CJ-Access-Token': token },
    json: { orderNumber, shippingCountryCode: 'US', shippingCustomerName: 'Ana Buyer', products: [{ vid: 'V-1', quantity: 1 }] },
  });

describe('simulators with a state file', () => {
  it('find their stored objects and switches again after a restart', async () => {
    const file = join(dir, 'simulators.json');
    const first = await start(file);
    const session = await createSession(first);
    expect(session.statusCode).toBe(200);
    const token = await cjToken(first);
    const placed = await placeCjOrder(first, token, 'so-restart-1');
    expect(placed.body.result).toBe(true);
    const tracking = await http.post<Json>(`${first.baseUrl('aftership')}/trackings`, { headers: aftershipAuth, json: { tracking_number: 'RB123456785CN' } });
    expect(tracking.statusCode).toBe(201);
    await http.post(`${first.baseUrl('aliexpress')}/_sim/behaviour`, { json: { mode: 'reject', options: { reason: 'Out of stock' } } });
    await http.post(`${first.baseUrl('twilio')}/_sim/behaviour`, { json: { mode: 'error', times: 3 } });
    // A call uses up one of the three.
    const sms = await http.post(`${first.baseUrl('twilio')}/2010-04-01/Accounts/${twilio.accountSid}/Messages.json`, {
      username: twilio.accountSid,
      password: twilio.authToken,
      form: { To: '+34600000000', From: twilio.from, Body: 'Your order shipped' },
    });
    expect(sms.statusCode).toBe(503);
    const switchesBefore = (await http.get<Json>(`${first.url}/_sim/behaviour`)).body;
    expect(switchesBefore.twilio).toMatchObject({ mode: 'error', times: 2 });
    await stop(first);

    const second = await start(file);
    const again = await http.get<Json>(`${second.baseUrl('stripe')}/v1/checkout/sessions/${session.body.id}`, { headers: stripeAuth });
    expect(again.statusCode).toBe(200);
    expect(again.body).toEqual(session.body);
    // The token CJ issued still works, and the order is there (a status query moves it one step).
    const detail = await http.get<Json>(`${second.baseUrl('cj')}/shopping/order/getOrderDetail`, { headers: { 'CJ-Access-Token': token }, searchParams: { orderId: placed.body.data.orderId } });
    expect(detail.statusCode).toBe(200);
    expect(detail.body.data).toMatchObject({ orderId: placed.body.data.orderId, orderNum: 'so-restart-1', orderStatus: 'UNSHIPPED' });
    // Placing the same reference again is a repeat, not a second order; a new one gets the next id.
    expect((await placeCjOrder(second, token, 'so-restart-1')).body.data.orderId).toBe(placed.body.data.orderId);
    const next = (await placeCjOrder(second, token, 'so-restart-2')).body.data.orderId as string;
    expect(next > placed.body.data.orderId).toBe(true);
    // AfterShip's lookup by id works on the restored trackings.
    const found = await http.get<Json>(`${second.baseUrl('aftership')}/trackings/${tracking.body.data.id}`, { headers: aftershipAuth });
    expect(found.statusCode).toBe(200);
    expect(found.body.data.tracking_number).toBe('RB123456785CN');
    expect((await http.get<Json>(`${second.url}/_sim/behaviour`)).body).toEqual(switchesBefore);
    expect(second.controls.aliexpress.peek()).toMatchObject({ mode: 'reject', options: { reason: 'Out of stock' } });
  });

  it('go on retrying a refused webhook after a restart', async () => {
    const file = join(dir, 'simulators-retry.json');
    const first = await start(file);
    const session = await createSession(first);
    const paid = await http.post<Json>(`${first.baseUrl('stripe')}/_sim/checkout/sessions/${session.body.id}/complete`, { json: {} });
    expect(paid.body.delivery).toMatchObject({ attempt: 1, status: null });
    expect((await http.get<Json>(`${first.baseUrl('stripe')}/_sim/webhooks/retries`)).body.pending).toBe(1);
    await stop(first);

    const received: string[] = [];
    const endpoint = createServer((request, response) => {
      let raw = '';
      request.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      request.on('end', () => {
        received.push(raw);
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    try {
      const second = await start(file, `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}`);
      await expect.poll(async () => (await http.get<Json>(`${second.baseUrl('stripe')}/_sim/webhooks/retries`)).body.pending, { timeout: 10_000, interval: 200 }).toBe(0);
      expect(received.map((body) => JSON.parse(body).id)).toEqual([paid.body.event.id]);
      const deliveries = (await http.get<Json>(`${second.baseUrl('stripe')}/_sim/webhooks`)).body.deliveries;
      expect(deliveries.at(-1)).toMatchObject({ eventId: paid.body.event.id, attempt: 2, status: 200 });
    } finally {
      await new Promise((resolve) => endpoint.close(resolve));
    }
  });

  it('without a state file forget everything on a restart, as before', async () => {
    const first = await start();
    const session = await createSession(first);
    await http.post(`${first.baseUrl('cj')}/_sim/behaviour`, { json: { mode: 'error' } });
    await stop(first);
    const second = await start();
    expect((await http.get(`${second.baseUrl('stripe')}/v1/checkout/sessions/${session.body.id}`, { headers: stripeAuth })).statusCode).toBe(404);
    expect(second.controls.cj.peek().mode).toBe('ok');
  });
});

describe('switch reset', () => {
  it('DELETE /<provider>/_sim/behaviour resets one provider, DELETE /_sim/behaviour all of them', async () => {
    const sim = await start();
    for (const provider of ['stripe', 'cj', '17track'] as const) {
      await http.post(`${sim.baseUrl(provider)}/_sim/behaviour`, { json: { mode: 'error' } });
    }
    const one = await http.delete<Json>(`${sim.baseUrl('stripe')}/_sim/behaviour`);
    expect(one.body).toEqual({ mode: 'ok', delayMs: 0, times: null, options: {} });
    expect(sim.controls.cj.peek().mode).toBe('error');
    const all = await http.delete<Json>(`${sim.url}/_sim/behaviour`);
    expect(all.statusCode).toBe(200);
    expect(Object.keys(all.body)).toEqual(Object.keys(sim.controls));
    expect(Object.values(all.body)).toEqual(Object.keys(sim.controls).map(() => ({ mode: 'ok', delayMs: 0, times: null, options: {} })));
    expect(sim.controls['17track'].peek().mode).toBe('ok');
  });
});
