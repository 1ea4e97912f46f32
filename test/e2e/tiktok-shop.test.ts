import { createHmac } from 'node:crypto';
import type { Order } from '@platform/contracts/api/orders';
import type { Problem } from '@platform/contracts/api/problem';
import { LOCAL_PROVIDER_CREDENTIALS } from '@platform/simulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceFulfillmentUntil, getBilling, SUPPLIER_POLL, waitForStatus, waitForWorkflow } from '@platform/test-support/lifecycle';
import { eventually, type Platform, startPlatform } from '@platform/test-support/platform';

/**
 * TikTok Shop as a sales channel (ORD-06, GW-04), the whole platform as command one runs it:
 * the simulator's signed webhook reaches orders through the gateway, the order is pulled,
 * paid by the channel (no checkout), placed with CJ, shipped, and its tracking number goes back
 * to TikTok; a replay creates nothing, a missed webhook is caught by the pull, and a
 * cancellation on TikTok cancels and refunds (the refund made by the channel).
 */

const tiktok = LOCAL_PROVIDER_CREDENTIALS.tiktokShop;
const PULL_INTERVAL_MS = 300_000;

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({ serviceEnv: { orders: { TIKTOK_SHOP_SKU_SOURCES: 'SUP-CJ-1=cj', CHANNEL_PULL_INTERVAL_MS: String(PULL_INTERVAL_MS) } } });
});
afterAll(async () => {
  await platform?.stop();
});

interface SimOrder {
  id: string;
  user_id: string;
  packages: Array<{ tracking_number: string; shipping_provider_name: string }>;
}

async function placeOnTiktok(webhook = true): Promise<SimOrder> {
  const answer = await platform.simulators.post('tiktok-shop/_sim/orders', {
    json: { items: [{ sku: 'SUP-CJ-1', name: 'Phone case', quantity: 2, price: 995 }], shippingFee: 300, webhook },
  });
  expect(answer.statusCode, JSON.stringify(answer.body)).toBe(201);
  const { order, webhook: delivered } = answer.body as { order: SimOrder; webhook: { statusCode: number } | null };
  if (webhook) expect(delivered?.statusCode).toBe(200);
  return order;
}

async function ordersOf(placed: SimOrder): Promise<Order[]> {
  const page = await platform.gateway.get(`v1/orders?customerId=${encodeURIComponent(`tiktok_shop:${placed.user_id}`)}`);
  return (page.body as { items: Order[] }).items;
}

const ourOrder = (placed: SimOrder) => eventually(() => ordersOf(placed), (orders) => orders.length > 0, 20_000).then(([order]) => order!);

/** Every webhook-scheduled pull of this TikTok order has fired. */
const syncsSettled = (placed: SimOrder) =>
  eventually(() => platform.count('orders', "SELECT count(*) FROM timers WHERE kind = 'orders.channel-order-sync' AND key = $1 AND fired_at IS NULL", [`tiktok_shop:${placed.id}`]), (n) => n === 0);

describe('a TikTok Shop order', () => {
  it('arrives by webhook, is pulled, paid by the channel, fulfilled and shipped; TikTok receives the tracking number; a replay creates nothing', async () => {
    const placed = await placeOnTiktok();
    const order = await ourOrder(placed);
    expect(order).toMatchObject({ currency: 'EUR', totals: { subtotal: 1990, shipping: 300, total: 2290 }, customer: { name: 'Lucía Pérez', locale: 'es' } });

    // Paid on TikTok: billing records the channel's payment, and no checkout is opened.
    await waitForStatus(platform, order.id, 'confirmed');
    const billing = await getBilling(platform, order.id);
    expect(billing.payments).toMatchObject([{ provider: 'tiktok_shop', status: 'succeeded', amountReceived: 2290, providerPaymentId: `tiktok_shop:${placed.id}` }]);
    const stripeCalls = (await platform.simulators.get('stripe/_sim/requests')).body as Array<{ body: unknown }>;
    expect(JSON.stringify(stripeCalls)).not.toContain(order.id);

    // The usual flow: payment → fulfillment (CJ) → shipped.
    await waitForWorkflow(platform, order.id, 'payment_confirmed');
    await platform.advanceClock('fulfillment', 61_000);
    await waitForWorkflow(platform, order.id, 'placed_with_supplier');
    await advanceFulfillmentUntil(platform, order.id, 'supplier_confirmed', SUPPLIER_POLL + 1_000);
    const shipped = await advanceFulfillmentUntil(platform, order.id, 'shipped', SUPPLIER_POLL + 1_000);
    const trackingNumber = shipped.shipments[0]!.trackingNumber!;
    await waitForStatus(platform, order.id, 'shipped');

    // TikTok is told the tracking number (after the commit, by the orders service's timer).
    const atTiktok = await eventually(
      async () => (await platform.simulators.get(`tiktok-shop/_sim/orders/${placed.id}`)).body as SimOrder & { status: string },
      (o) => o.packages.length > 0,
      20_000,
    );
    expect(atTiktok.packages.map((p) => p.tracking_number)).toEqual([trackingNumber]);
    expect(atTiktok.status).toBe('IN_TRANSIT');

    // The same webhook again, byte for byte: pulled again, nothing created.
    const replay = await platform.simulators.post(`tiktok-shop/_sim/orders/${placed.id}/replay-webhook`);
    expect((replay.body as { statusCode: number }).statusCode).toBe(200);
    await syncsSettled(placed);
    expect(await ordersOf(placed)).toHaveLength(1);
    expect(await platform.count('orders', "SELECT count(*) FROM channel_orders WHERE external_order_id = $1", [placed.id])).toBe(1);
  });

  it('whose webhook never came is caught by the periodic pull', async () => {
    const placed = await placeOnTiktok(false);
    expect(await ordersOf(placed)).toHaveLength(0);
    await platform.advanceClock('orders', PULL_INTERVAL_MS + 1_000);
    const order = await ourOrder(placed);
    await waitForStatus(platform, order.id, 'confirmed');
  });

  it('cancelled on TikTok is cancelled here and refunded, the refund made by the channel', async () => {
    const placed = await placeOnTiktok();
    const order = await ourOrder(placed);
    await waitForStatus(platform, order.id, 'confirmed');
    const cancel = await platform.simulators.post(`tiktok-shop/_sim/orders/${placed.id}/cancel`, { json: { reason: 'Buyer changed their mind' } });
    expect(cancel.statusCode).toBe(200);
    await waitForStatus(platform, order.id, 'refunded');
    const billing = await getBilling(platform, order.id);
    expect(billing.refunds).toHaveLength(1);
    expect(billing.refunds[0]).toMatchObject({ status: 'succeeded', amount: 2290 });
    expect(billing.payments[0]).toMatchObject({ provider: 'tiktok_shop', amountRefunded: 2290 });
  });
});

describe('the TikTok Shop webhook at the gateway (GW-04)', () => {
  it('is refused when its signature is missing, forged, of another scheme or over another body, and nothing changes', async () => {
    const body = JSON.stringify({ type: 1, tts_notification_id: '7300000000000000001', shop_id: tiktok.shopId, timestamp: 1764800000, data: { order_id: '5799999999999999999', order_status: 'AWAITING_SHIPMENT', update_time: 1764800000 } });
    const sign = (secret: string, text: string) => createHmac('sha256', secret).update(`${tiktok.appKey}${text}`).digest('hex');
    const valid = sign(tiktok.appSecret, body);
    const anonymous = platform.as(null);
    const post = (payload: string, headers: Record<string, string>) => anonymous.post('v1/webhooks/tiktok-shop', { body: payload, headers: { 'content-type': 'application/json', ...headers } });
    const timers = () => platform.count('orders', "SELECT count(*) FROM timers WHERE kind = 'orders.channel-order-sync'");
    const before = { timers: await timers(), orders: await platform.count('orders', 'SELECT count(*) FROM orders') };

    const refused = [
      await post(body, {}),
      await post(body, { authorization: sign('forged-secret', body) }),
      await post(body, { authorization: `Bearer ${valid}` }),
      await post(body, { 'tiktok-signature': `t=1764800000,s=${valid}` }),
      await post(body.replace('AWAITING_SHIPMENT', 'CANCEL'), { authorization: valid }),
    ];
    for (const answer of refused) {
      expect(answer.statusCode).toBe(401);
      expect((answer.body as Problem).code).toBe('WEBHOOK_SIGNATURE_INVALID');
    }
    expect({ timers: await timers(), orders: await platform.count('orders', 'SELECT count(*) FROM orders') }).toEqual(before);

    // The valid one is accepted (the order is unknown to TikTok, so its pull imports nothing).
    const accepted = await post(body, { authorization: valid });
    expect(accepted.statusCode, JSON.stringify(accepted.body)).toBe(200);
    expect(await timers()).toBe(before.timers + 1);
  });
});
