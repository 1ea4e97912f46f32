import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import got from 'got';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_PROVIDER_CREDENTIALS, type SimulatorHandle, startSimulators } from '../src';

/** The TikTok Shop simulator speaks the 202309 API and signs its webhooks as TikTok Shop does. */

const tiktok = LOCAL_PROVIDER_CREDENTIALS.tiktokShop;
const http = got.extend({ throwHttpErrors: false, retry: { limit: 0 }, responseType: 'json', timeout: { request: 5_000 } });
let sim: SimulatorHandle;
let receiver: Server;
const received: Array<{ url: string; authorization: string | undefined; body: string }> = [];

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      received.push({ url: request.url ?? '', authorization: request.headers.authorization, body });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"received":1}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  sim = await startSimulators({ webhookBaseUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}` });
});
afterAll(async () => {
  await sim?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});
beforeEach(() => {
  sim.controls['tiktok-shop'].reset();
  sim.controls['tiktok-shop'].requests.length = 0;
  received.length = 0;
});

/** A signed API call, as the orders adapter makes it. */
function call(method: 'GET' | 'POST', path: string, query: Record<string, string> = {}, json?: unknown, secret: string = tiktok.appSecret) {
  const body = json === undefined ? '' : JSON.stringify(json);
  const signed: Record<string, string> = { ...query, app_key: tiktok.appKey, shop_cipher: tiktok.shopCipher, timestamp: String(Math.floor(Date.now() / 1000)) };
  const text = `${secret}${path}${Object.keys(signed).sort().map((k) => `${k}${signed[k]}`).join('')}${body}${secret}`;
  const sign = createHmac('sha256', secret).update(text).digest('hex');
  return http<Record<string, any>>(`${sim.baseUrl('tiktok-shop')}${path}`, {
    method,
    searchParams: { ...signed, sign },
    headers: { 'x-tts-access-token': tiktok.accessToken, ...(body && { 'content-type': 'application/json' }) },
    ...(body && { body }),
  });
}

async function place(webhook = true) {
  const answer = await http.post<Record<string, any>>(`${sim.baseUrl('tiktok-shop')}/_sim/orders`, {
    json: { items: [{ sku: 'MUG-BLUE', quantity: 2, price: 1250 }], shippingFee: 300, webhook },
  });
  expect(answer.statusCode).toBe(201);
  return answer.body.order as { id: string; line_items: Array<{ id: string }> };
}

describe('TikTok Shop simulator', () => {
  it('sends an order status change signed Authorization = hex(HMAC-SHA256(app secret, app key + body))', async () => {
    const order = await place();
    expect(received).toHaveLength(1);
    const [webhook] = received;
    expect(webhook!.url).toBe('/v1/webhooks/tiktok-shop');
    expect(webhook!.authorization).toBe(createHmac('sha256', tiktok.appSecret).update(`${tiktok.appKey}${webhook!.body}`).digest('hex'));
    expect(JSON.parse(webhook!.body)).toMatchObject({ type: 1, shop_id: tiktok.shopId, data: { order_id: order.id, order_status: 'AWAITING_SHIPMENT' } });

    // A replay is the same bytes and signature; a cancellation says CANCEL (the order API: CANCELLED),
    // then sends its own signed cancellation status change (type 11).
    await http.post(`${sim.baseUrl('tiktok-shop')}/_sim/orders/${order.id}/replay-webhook`);
    expect(received[1]).toEqual(received[0]);
    await http.post(`${sim.baseUrl('tiktok-shop')}/_sim/orders/${order.id}/cancel`, { json: { reason: 'No longer needed' } });
    expect(JSON.parse(received[2]!.body).data.order_status).toBe('CANCEL');
    expect(received[3]!.authorization).toBe(createHmac('sha256', tiktok.appSecret).update(`${tiktok.appKey}${received[3]!.body}`).digest('hex'));
    expect(JSON.parse(received[3]!.body)).toMatchObject({
      type: 11,
      shop_id: tiktok.shopId,
      data: { order_id: order.id, cancellations_role: 'BUYER', cancel_status: 'CANCELLATION_REQUEST_COMPLETE', cancel_id: expect.any(String) },
    });
    expect((await call('GET', '/order/202309/orders', { ids: order.id })).body.data.orders[0]).toMatchObject({ status: 'CANCELLED', cancel_reason: 'No longer needed' });
  });

  it('sends only the cancellation webhook when asked, as TikTok may send it without a status change', async () => {
    const order = await place(false);
    const answer = await http.post<Record<string, any>>(`${sim.baseUrl('tiktok-shop')}/_sim/orders/${order.id}/cancel`, { json: { webhook: 'cancellation', initiator: 'SELLER' } });
    expect(answer.body).toMatchObject({ webhook: null, cancellationWebhook: { statusCode: 200 } });
    expect(received.map((webhook) => JSON.parse(webhook.body))).toMatchObject([{ type: 11, data: { order_id: order.id, cancellations_role: 'SELLER' } }]);
  });

  it('searches by update time oldest first when asked (newest created first by default)', async () => {
    const base = Math.floor(Date.now() / 1000) - 3_000;
    const placeAt = async (updateTime: number) =>
      (await http.post<Record<string, any>>(`${sim.baseUrl('tiktok-shop')}/_sim/orders`, { json: { items: [{ sku: 'MUG-BLUE' }], updateTime, webhook: false } })).body.order.id as string;
    const later = await placeAt(base + 2);
    const earlier = await placeAt(base + 1);
    const window = { update_time_ge: base, update_time_lt: base + 3 };
    const ascending = await call('POST', '/order/202309/orders/search', { page_size: '50', sort_field: 'update_time', sort_order: 'ASC' }, window);
    expect(ascending.body.data.orders.map((o: { id: string }) => o.id)).toEqual([earlier, later]);
    const byDefault = await call('POST', '/order/202309/orders/search', { page_size: '50' }, window);
    expect(byDefault.body.data.orders.map((o: { id: string }) => o.id)).toEqual([later, earlier]);
  });

  it('places orders TikTok fulfils itself, without a seller SKU, or in a shape the reference does not promise', async () => {
    const answer = await http.post<Record<string, any>>(`${sim.baseUrl('tiktok-shop')}/_sim/orders`, {
      json: { items: [{ sku: '', name: '' }], fulfillmentType: 'FULFILLMENT_BY_TIKTOK', override: { buyer_email: null }, webhook: false },
    });
    expect(answer.statusCode).toBe(201);
    const detail = await call('GET', '/order/202309/orders', { ids: answer.body.order.id });
    expect(detail.body.data.orders[0]).toMatchObject({ fulfillment_type: 'FULFILLMENT_BY_TIKTOK', buyer_email: null, line_items: [{ seller_sku: '', product_name: '' }] });
  });

  it('answers order detail and search to signed calls only, one line item per unit and amounts as strings', async () => {
    const order = await place(false);
    expect(received).toHaveLength(0);
    const detail = await call('GET', '/order/202309/orders', { ids: order.id });
    expect(detail.statusCode).toBe(200);
    expect(detail.body).toMatchObject({ code: 0, data: { orders: [{ id: order.id, status: 'AWAITING_SHIPMENT', payment: { currency: 'EUR', total_amount: '28.00', shipping_fee: '3.00' } }] } });
    expect(detail.body.data.orders[0].line_items.map((i: { sale_price: string }) => i.sale_price)).toEqual(['12.50', '12.50']);

    const found = await call('POST', '/order/202309/orders/search', { page_size: '50' }, { update_time_ge: detail.body.data.orders[0].update_time });
    expect(found.body.data.orders.map((o: { id: string }) => o.id)).toContain(order.id);

    const forged = await call('GET', '/order/202309/orders', { ids: order.id }, undefined, 'wrong-secret');
    expect(forged.statusCode).toBe(401);
    expect(forged.body).toMatchObject({ code: 106001, message: 'sign is invalid' });
    expect(sim.controls['tiktok-shop'].requests.map((r) => r.outcome)).toEqual(['ok', 'ok', 'unauthorized']);
  });

  it('records shipped packages once per tracking number, and refuses them under `reject` or when down', async () => {
    const order = await place(false);
    const ship = () => call('POST', `/fulfillment/202309/orders/${order.id}/packages`, {}, { order_line_item_ids: order.line_items.map((i) => i.id), tracking_number: 'RR123456785CN', shipping_provider_id: '7129736293314873131' });

    sim.controls['tiktok-shop'].set({ mode: 'error', times: 1 });
    expect((await ship()).statusCode).toBe(503);
    sim.controls['tiktok-shop'].set({ mode: 'reject', times: 1 });
    expect((await ship()).body).toMatchObject({ code: 21011001 });

    const first = await ship();
    const again = await ship();
    expect(first.body.code).toBe(0);
    expect(again.body.data.package_id).toBe(first.body.data.package_id);
    const stored = (await http.get<Record<string, any>>(`${sim.baseUrl('tiktok-shop')}/_sim/orders/${order.id}`)).body;
    expect(stored.status).toBe('IN_TRANSIT');
    expect(stored.packages).toMatchObject([{ tracking_number: 'RR123456785CN', shipping_provider_name: 'Cainiao' }]);

    const unknownProvider = await call('POST', `/fulfillment/202309/orders/${order.id}/packages`, {}, { tracking_number: 'RR999999995CN', shipping_provider_id: '1' });
    expect(unknownProvider.statusCode).toBe(400);
  });
});
