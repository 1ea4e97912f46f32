import got from 'got';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { iopSign } from '../src/providers/aliexpress';
import { LOCAL_PROVIDER_CREDENTIALS, type SimulatorHandle, startSimulators } from '../src';
import { impbCheckDigit, s10CheckDigit } from '../src/tracking-numbers';

let sim: SimulatorHandle;
const http = got.extend({ throwHttpErrors: false, retry: { limit: 0 }, responseType: 'json', timeout: { request: 5_000 } });
const { aliexpress, cj, spocket } = LOCAL_PROVIDER_CREDENTIALS;

beforeAll(async () => {
  sim = await startSimulators({ webhookBaseUrl: 'http://127.0.0.1:9' });
});
afterAll(async () => {
  await sim?.stop();
});
beforeEach(() => {
  for (const control of Object.values(sim.controls)) {
    control.set({ mode: 'ok' });
    control.requests.length = 0;
  }
});

const validS10 = (number: string) => {
  const match = /^[A-Z]{2}(\d{8})(\d)[A-Z]{2}$/.exec(number);
  return match !== null && s10CheckDigit(match[1]!) === Number(match[2]);
};

describe('AliExpress simulator', () => {
  const signed = (params: Record<string, string>, secret: string = aliexpress.appSecret) => {
    const all = { app_key: aliexpress.appKey, session: aliexpress.session, timestamp: String(Date.now()), sign_method: 'sha256', ...params };
    return { ...all, sign: iopSign(all, secret) };
  };
  const sync = (form: Record<string, string>) => http.post<Record<string, any>>(`${sim.baseUrl('aliexpress')}/sync`, { form });
  const placeOrder = (reference: string) =>
    sync(
      signed({
        method: 'aliexpress.ds.order.create',
        param_place_order_request4_open_api_d_t_o: JSON.stringify({
          out_order_id: reference,
          logistics_address: { full_name: 'Ana Buyer', country: 'ES', city: 'Madrid', zip: '28001', address: 'Calle 1' },
          product_items: [{ product_id: '1005001', product_count: 1, sku_attr: '14:193#Black', logistics_service_name: 'CAINIAO_STANDARD' }],
        }),
      }),
    );
  const getOrder = (orderId: string) => sync(signed({ method: 'aliexpress.trade.ds.order.get', single_order_query: JSON.stringify({ order_id: orderId }) }));

  it('refuses a request signed with the wrong secret, in the IOP error shape, and logs it unauthorized', async () => {
    const response = await sync(signed({ method: 'aliexpress.trade.ds.order.get', single_order_query: '{"order_id":"1"}' }, 'not-the-secret'));
    expect(response.statusCode).toBe(401);
    expect(response.body).toMatchObject({ type: 'ISV', code: 'IncompleteSignature', request_id: expect.any(String) });
    expect(sim.controls.aliexpress.requests.map((r) => r.outcome)).toEqual(['unauthorized']);
  });

  it('refuses a tampered parameter (the signature covers every parameter)', async () => {
    const form = signed({ method: 'aliexpress.trade.ds.order.get', single_order_query: '{"order_id":"1"}' });
    const response = await sync({ ...form, single_order_query: '{"order_id":"2"}' });
    expect(response.body.code).toBe('IncompleteSignature');
  });

  it('refuses an unknown app key and a wrong session', async () => {
    expect((await sync(signed({ method: 'x', app_key: '999' }))).body.code).toBe('InvalidAppKey');
    expect((await sync(signed({ method: 'x', session: 'stolen' }))).body.code).toBe('IllegalAccessToken');
  });

  it('creates an order and moves it one step per status query, shipping with a valid China Post S10 number', async () => {
    const created = await placeOrder('so-ae-1');
    const result = created.body.aliexpress_ds_order_create_response.result;
    expect(result.is_success).toBe(true);
    const orderId = String(result.order_list.number[0]);
    expect(orderId).toMatch(/^\d{16}$/);
    const statuses: string[] = [];
    let last: Record<string, any> = {};
    for (let i = 0; i < 4; i += 1) {
      last = (await getOrder(orderId)).body.aliexpress_trade_ds_order_get_response.result;
      statuses.push(last.order_status);
    }
    expect(statuses).toEqual(['WAIT_SELLER_SEND_GOODS', 'WAIT_BUYER_ACCEPT_GOODS', 'FINISH', 'FINISH']);
    const [shipment] = last.logistics_info_list;
    expect(shipment.logistics_service).toBe('CAINIAO_STANDARD');
    expect(shipment.logistics_no).toMatch(/^RR\d{9}CN$/);
    expect(validS10(shipment.logistics_no)).toBe(true);
    // A repeated out_order_id returns the same order instead of a duplicate.
    expect(String((await placeOrder('so-ae-1')).body.aliexpress_ds_order_create_response.result.order_list.number[0])).toBe(orderId);
  });

  it('refuses placement in reject mode with the reason given', async () => {
    sim.controls.aliexpress.set({ mode: 'reject', times: 1, options: { reason: 'Address not deliverable' } });
    const result = (await placeOrder('so-ae-2')).body.aliexpress_ds_order_create_response.result;
    expect(result).toMatchObject({ is_success: false, error_msg: 'Address not deliverable' });
  });

  it('never confirms an order placed with confirm:false, until advanced through the control route', async () => {
    sim.controls.aliexpress.set({ mode: 'ok', options: { confirm: false } });
    const orderId = String((await placeOrder('so-ae-3')).body.aliexpress_ds_order_create_response.result.order_list.number[0]);
    for (let i = 0; i < 3; i += 1) expect((await getOrder(orderId)).body.aliexpress_trade_ds_order_get_response.result.order_status).toBe('PLACE_ORDER_SUCCESS');
    const advanced = await http.post<Record<string, any>>(`${sim.baseUrl('aliexpress')}/_sim/orders/${orderId}/advance`);
    expect(advanced.body.stage).toBe('confirmed');
    const listed = await http.get<Array<Record<string, any>>>(`${sim.baseUrl('aliexpress')}/_sim/orders`);
    expect(listed.body.find((order) => order.id === orderId)).toMatchObject({ reference: 'so-ae-3', stage: 'confirmed' });
  });

  it('cancels an order from the console (no API for it) until it has shipped', async () => {
    sim.controls.aliexpress.set({ mode: 'ok' });
    const orderId = String((await placeOrder('so-ae-4')).body.aliexpress_ds_order_create_response.result.order_list.number[0]);
    const cancel = () => http.post<Record<string, any>>(`${sim.baseUrl('aliexpress')}/_sim/orders/${orderId}/cancel`);
    expect((await cancel()).body).toMatchObject({ cancelled: true, order: { stage: 'cancelled' } });
    expect((await getOrder(orderId)).body.aliexpress_trade_ds_order_get_response.result.order_status).toBe('IN_CANCEL');
    const shipped = String((await placeOrder('so-ae-5')).body.aliexpress_ds_order_create_response.result.order_list.number[0]);
    await http.post(`${sim.baseUrl('aliexpress')}/_sim/orders/${shipped}/advance`);
    await http.post(`${sim.baseUrl('aliexpress')}/_sim/orders/${shipped}/advance`);
    const late = await http.post<Record<string, any>>(`${sim.baseUrl('aliexpress')}/_sim/orders/${shipped}/cancel`);
    expect(late.body).toMatchObject({ cancelled: false, order: { stage: 'shipped' } });
  });
});

describe('CJ simulator', () => {
  const base = () => sim.baseUrl('cj');
  const token = async () => (await http.post<Record<string, any>>(`${base()}/authentication/getAccessToken`, { json: { apiKey: cj.apiKey } })).body.data.accessToken as string;
  const order = (orderNumber: string) => ({
    orderNumber,
    shippingCountryCode: 'US',
    shippingCustomerName: 'Ana Buyer',
    shippingAddress: '1 Main St',
    logisticName: 'CJPacket Ordinary',
    payType: 2,
    products: [{ vid: 'V-1', quantity: 2 }],
  });

  it('refuses a wrong API key and calls without a valid token (code 1600001)', async () => {
    const auth = await http.post<Record<string, any>>(`${base()}/authentication/getAccessToken`, { json: { apiKey: 'wrong' } });
    expect(auth.statusCode).toBe(401);
    expect(auth.body).toMatchObject({ code: 1600001, result: false });
    const call = await http.post<Record<string, any>>(`${base()}/shopping/order/createOrderV2`, { json: order('so-cj-0'), headers: { 'CJ-Access-Token': 'forged' } });
    expect(call.body).toMatchObject({ code: 1600001, result: false });
    expect(sim.controls.cj.requests.map((r) => r.outcome)).toEqual(['unauthorized', 'unauthorized']);
  });

  it('creates, progresses to SHIPPED with an S10 number, and refuses deleting a shipped order', async () => {
    const headers = { 'CJ-Access-Token': await token() };
    const created = await http.post<Record<string, any>>(`${base()}/shopping/order/createOrderV2`, { json: order('so-cj-1'), headers });
    expect(created.body).toMatchObject({ code: 200, result: true, data: { orderNumber: 'so-cj-1', orderStatus: 'CREATED' } });
    const orderId = created.body.data.orderId as string;
    const detail = async () => (await http.get<Record<string, any>>(`${base()}/shopping/order/getOrderDetail`, { searchParams: { orderId }, headers })).body.data;
    expect((await detail()).orderStatus).toBe('UNSHIPPED');
    const shipped = await detail();
    expect(shipped).toMatchObject({ orderStatus: 'SHIPPED', logisticName: 'CJPacket Ordinary' });
    expect(validS10(shipped.trackNumber)).toBe(true);
    const deleted = await http.delete<Record<string, any>>(`${base()}/shopping/order/deleteOrder`, { searchParams: { orderId }, headers });
    expect(deleted.body).toMatchObject({ result: false });
  });

  it('validates createOrderV2 parameters', async () => {
    const headers = { 'CJ-Access-Token': await token() };
    const response = await http.post<Record<string, any>>(`${base()}/shopping/order/createOrderV2`, { json: { ...order('so-cj-2'), products: [] }, headers });
    expect(response.body).toMatchObject({ code: 1600100, result: false });
  });
});

describe('Spocket simulator (assumed API)', () => {
  const base = () => sim.baseUrl('spocket');
  const headers = { authorization: `Bearer ${spocket.apiKey}` };
  const body = (external_id: string) => ({ external_id, line_items: [{ variant_id: 'sp-1', quantity: 1 }], shipping_address: { name: 'Ana', country_code: 'US' } });

  it('refuses a missing or wrong bearer key', async () => {
    const response = await http.post<Record<string, any>>(`${base()}/orders`, { json: body('so-sp-0'), headers: { authorization: 'Bearer nope' } });
    expect(response.statusCode).toBe(401);
    expect(response.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
  });

  it('confirms but never ships with ship:false; ships with a valid IMpb number otherwise', async () => {
    sim.controls.spocket.set({ mode: 'ok', times: 1, options: { ship: false } });
    const held = (await http.post<Record<string, any>>(`${base()}/orders`, { json: body('so-sp-1'), headers })).body;
    const status = async (id: string) => (await http.get<Record<string, any>>(`${base()}/orders/${id}`, { headers })).body;
    expect((await status(held.id)).status).toBe('confirmed');
    expect((await status(held.id)).status).toBe('confirmed');

    const created = await http.post<Record<string, any>>(`${base()}/orders`, { json: body('so-sp-2'), headers });
    expect(created.statusCode).toBe(201);
    await status(created.body.id);
    const shipped = await status(created.body.id);
    expect(shipped).toMatchObject({ status: 'shipped', carrier: 'USPS' });
    expect(shipped.tracking_number).toMatch(/^9[1-5]\d{20}$/);
    expect(impbCheckDigit(shipped.tracking_number.slice(0, -1))).toBe(Number(shipped.tracking_number.at(-1)));
  });

  it('cancels before shipment and refuses afterwards; reject mode answers 422 with the reason', async () => {
    const first = (await http.post<Record<string, any>>(`${base()}/orders`, { json: body('so-sp-3'), headers })).body;
    expect((await http.post<Record<string, any>>(`${base()}/orders/${first.id}/cancel`, { headers })).body.status).toBe('cancelled');
    sim.controls.spocket.set({ mode: 'reject', times: 1 });
    const refused = await http.post<Record<string, any>>(`${base()}/orders`, { json: body('so-sp-4'), headers });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toEqual({ error: { code: 'out_of_stock', message: 'Out of stock' } });
  });
});
