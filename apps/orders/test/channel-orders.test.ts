import { createHmac, randomUUID } from 'node:crypto';
import { type Parcel, progressChanged } from '@platform/contracts';
import type { OrderWithParts } from '@platform/contracts/api/orders';
import { freePorts } from '@platform/devstack';
import { LOCAL_PROVIDER_CREDENTIALS, type SimulatorHandle, startSimulators } from '@platform/simulators';
import { newEvent } from '@platform/runtime/outbox';
import { startService } from '@platform/test-support/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOrders } from '../src/app';
import { applyChannelOrder } from '../src/application/channel-orders';
import { PULL_BATCH_LIMIT } from '../src/domain/channel-orders';
import { ordersEnv } from '../src/config';
import { onProgressChanged } from '../src/consumers/order-progress-consumers';

/**
 * TikTok Shop as a sales channel (ORD-06) through the orders service: the simulator's signed
 * webhooks arrive at the service (behind a raw forwarder at /v1/webhooks/tiktok-shop, as the
 * gateway does), orders are pulled by the detail API in timers fired here, parcels go back.
 */

const tiktok = LOCAL_PROVIDER_CREDENTIALS.tiktokShop;
const PULL_INTERVAL_MS = 300_000;
let sim: SimulatorHandle;
let service: Awaited<ReturnType<typeof start>>;

async function start(port: number, simulatorUrl: string) {
  return startService(
    async (runtime, env) => {
      const orders = await buildOrders(runtime, env);
      const { app } = orders;
      await app.register(async (scope) => {
        scope.removeAllContentTypeParsers();
        scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
        scope.post('/v1/webhooks/tiktok-shop', async (request, reply) => {
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (typeof request.headers.authorization === 'string') headers.authorization = request.headers.authorization;
          const forwarded = await app.inject({ method: 'POST', url: '/webhooks/tiktok-shop', payload: request.body as string, headers });
          return reply.code(forwarded.statusCode).type(String(forwarded.headers['content-type'])).send(forwarded.body);
        });
      });
      return orders;
    },
    {
      name: 'orders',
      env: ordersEnv,
      workers: false,
      variables: {
        PORT: String(port),
        TIKTOK_SHOP_API_URL: `${simulatorUrl}/tiktok-shop`,
        TIKTOK_SHOP_APP_KEY: tiktok.appKey,
        TIKTOK_SHOP_APP_SECRET: tiktok.appSecret,
        TIKTOK_SHOP_ACCESS_TOKEN: tiktok.accessToken,
        TIKTOK_SHOP_SHOP_CIPHER: tiktok.shopCipher,
        TIKTOK_SHOP_SHOP_ID: tiktok.shopId,
        TIKTOK_SHOP_VENDOR_ID: 'acme',
        CHANNEL_PULL_INTERVAL_MS: String(PULL_INTERVAL_MS),
      },
    },
  );
}

beforeAll(async () => {
  const [port] = await freePorts(1);
  sim = await startSimulators({ webhookBaseUrl: `http://127.0.0.1:${port}` });
  service = await start(port!, sim.url);
});
afterAll(async () => {
  await service?.stop();
  await sim?.stop();
});

interface SimOrder {
  id: string;
  line_items: Array<{ id: string; seller_sku: string }>;
  packages: Array<{ tracking_number: string; shipping_provider_name: string; order_line_item_ids: string[] }>;
}

async function simulator<T>(method: 'GET' | 'POST', path: string, json?: unknown): Promise<T> {
  const response = await fetch(`${sim.url}/tiktok-shop${path}`, { method, headers: json ? { 'content-type': 'application/json' } : {}, ...(json ? { body: JSON.stringify(json) } : {}) });
  return (await response.json()) as T;
}

/** A buyer orders on TikTok: two blue mugs at 12.50 and a tea at 8.99, 3.00 shipping. */
function placeOnTiktok(options: { webhook?: boolean; status?: string; fulfillmentType?: string; updateTime?: number } = {}) {
  return simulator<{ order: SimOrder; webhook: { statusCode: number } | null }>('POST', '/_sim/orders', {
    items: [
      { sku: 'MUG-BLUE', name: 'Blue mug', quantity: 2, price: 1250, originalPrice: 1500 },
      { sku: 'TEA-1', name: 'Earl Grey', quantity: 1, price: 899 },
    ],
    shippingFee: 300,
    buyer: { name: 'Lucía Pérez' },
    ...options,
    webhook: options.webhook ?? true,
  });
}

const pendingPull = () => service.db.timer.findFirstOrThrow({ where: { kind: 'orders.channel-pull', firedAt: null } });
const pullCursor = async () => (await pendingPull()).payload as { cursor: number | null; continuing: boolean };

async function outbox(orderId: string) {
  const rows = await service.db.outboxEvent.findMany({ where: { aggregateId: orderId }, orderBy: { seq: 'asc' } });
  // Timeline entries ride the same outbox; these tests are about the order's own events.
  return rows
    .map((row) => row.envelope as { type: string; data: Record<string, unknown> })
    .filter((event) => event.type.startsWith('orders.'));
}

const channelOrders = (externalOrderId: string) => service.db.channelOrder.findMany({ where: { channel: 'tiktok_shop', externalOrderId } });

async function ourOrder(externalOrderId: string): Promise<OrderWithParts> {
  const [row] = await channelOrders(externalOrderId);
  if (!row) throw new Error(`no order for TikTok order ${externalOrderId}`);
  return (await service.app.inject({ method: 'GET', url: `/orders/${row.orderId}` })).json();
}

describe('TikTok Shop orders (ORD-06)', () => {
  it('imports a webhook-announced order once, pulled by its detail, paid by the channel before it is created', async () => {
    const { order: placed, webhook } = await placeOnTiktok();
    expect(webhook?.statusCode).toBe(200);
    // The webhook only scheduled the pull: nothing is imported before the timer fires.
    expect(await channelOrders(placed.id)).toHaveLength(0);
    await service.timers.fireDue();

    const order = await ourOrder(placed.id);
    expect(order).toMatchObject({
      status: 'pending',
      currency: 'EUR',
      customer: { name: 'Lucía Pérez', locale: 'es' },
      shippingAddress: { name: 'Lucía Pérez', line1: 'Calle de Alcalá 50', city: 'Madrid', postalCode: '28014', country: 'ES' },
      totals: { subtotal: 3399, shipping: 300, tax: 0, discount: 0, total: 3699 },
    });
    expect(order.items.map((i) => [i.sku, i.quantity, i.unitPrice, i.vendor.id, i.priceSource])).toEqual([
      ['MUG-BLUE', 2, 1250, 'acme', 'BESPOKE'],
      ['TEA-1', 1, 899, 'acme', 'BESPOKE'],
    ]);
    const events = await outbox(order.id);
    expect(events.map((e) => e.type).slice(0, 2)).toEqual(['orders.order.paid_by_channel', 'orders.order.created']);
    expect(events[0]!.data).toMatchObject({ channel: 'tiktok_shop', externalOrderId: placed.id, amount: 3699, currency: 'EUR' });
    const provenance = (events[0]!.data as { items: Array<{ channelLineItemIds: string[]; salePrice: number; originalPrice: number }> }).items;
    expect(provenance.map((p) => [p.channelLineItemIds.length, p.salePrice, p.originalPrice])).toEqual([
      [2, 1250, 1500],
      [1, 899, 899],
    ]);

    // The same webhook again, byte for byte, and a pull that sees the order: still one order.
    const replay = await simulator<{ statusCode: number }>('POST', `/_sim/orders/${placed.id}/replay-webhook`);
    expect(replay.statusCode).toBe(200);
    await service.timers.fireDue();
    const [detail] = (await service.channelDeps.channels.get('tiktok_shop')!.fetchOrders([placed.id])).orders;
    await service.db.$transaction((tx) => applyChannelOrder(tx, service.channelDeps, 'tiktok_shop', detail!));
    expect(await channelOrders(placed.id)).toHaveLength(1);
    expect((await outbox(order.id)).filter((e) => e.type === 'orders.order.created')).toHaveLength(1);
  });

  it('refuses webhooks whose signature is missing, forged, of another scheme or over another body, recording nothing', async () => {
    const body = JSON.stringify({ type: 1, tts_notification_id: '1', shop_id: tiktok.shopId, timestamp: 1, data: { order_id: '5700000000000000001', order_status: 'AWAITING_SHIPMENT' } });
    const valid = createHmac('sha256', tiktok.appSecret).update(`${tiktok.appKey}${body}`).digest('hex');
    const pendingBefore = await service.db.timer.count({ where: { kind: 'orders.channel-order-sync' } });
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: createHmac('sha256', 'not-the-secret').update(`${tiktok.appKey}${body}`).digest('hex') },
      { authorization: `Bearer ${valid}` },
      { authorization: `t=1700000000,s=${valid}` },
    ];
    for (const headers of attempts) {
      const response = await service.app.inject({ method: 'POST', url: '/webhooks/tiktok-shop', payload: body, headers: { 'content-type': 'application/json', ...headers } });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ code: 'WEBHOOK_SIGNATURE_INVALID', errors: [{ pointer: '/headers/authorization' }] });
    }
    const tampered = body.replace('AWAITING_SHIPMENT', 'CANCEL');
    const response = await service.app.inject({ method: 'POST', url: '/webhooks/tiktok-shop', payload: tampered, headers: { 'content-type': 'application/json', authorization: valid } });
    expect(response.statusCode).toBe(401);
    expect(await service.db.timer.count({ where: { kind: 'orders.channel-order-sync' } })).toBe(pendingBefore);
  });

  it('catches an order whose webhook never came with the periodic pull', async () => {
    const { order: placed, webhook } = await placeOnTiktok({ webhook: false });
    expect(webhook).toBeNull();
    await service.timers.fireDue();
    expect(await channelOrders(placed.id)).toHaveLength(0);
    service.clock.advance(PULL_INTERVAL_MS);
    await service.timers.fireDue();
    expect((await ourOrder(placed.id)).totals.total).toBe(3699);
    // The next pull is scheduled, continuing from the newest change it saw.
    const next = await service.db.timer.findFirstOrThrow({ where: { kind: 'orders.channel-pull', firedAt: null } });
    expect(next.fireAt.getTime()).toBeGreaterThan(service.clock.now().getTime() + PULL_INTERVAL_MS - 60_000);
    expect(typeof (next.payload as { cursor: unknown }).cursor).toBe('number');
  });

  it('sends each shipped parcel’s tracking number and carrier to the channel once, with the line items it carries', async () => {
    const { order: placed } = await placeOnTiktok();
    await service.timers.fireDue();
    const order = await ourOrder(placed.id);
    const parcel = (number: number, sku: string, quantity: number, trackingNumber: string): Parcel => ({
      shipmentId: randomUUID(),
      number,
      of: 2,
      source: 'own_stock',
      status: 'in_transit',
      trackingNumber,
      carrier: 'CAINIAO',
      items: [{ sku, vendorId: 'acme', quantity }],
      shippedAt: new Date().toISOString(),
      deliveredAt: null,
    });
    const first = parcel(1, 'MUG-BLUE', 2, 'RR123456785CN');
    const report = (parcels: Parcel[]) =>
      service.db.$transaction((tx) =>
        onProgressChanged(
          service.deps,
          newEvent(progressChanged, { aggregateId: order.id, source: 'test', data: {
            orderId: order.id,
            fulfillmentStatus: 'partially_shipped',
            units: { ordered: 3, shipped: parcels.reduce((n, p) => n + p.items[0]!.quantity, 0), delivered: 0, returned: 0, cancelled: 0 },
            vendors: [],
            parcels,
            cause: { kind: 'parcel_shipped', shipmentId: parcels.at(-1)!.shipmentId },
            at: new Date().toISOString(),
          } }),
          tx as never,
        ),
      );
    await report([first]);
    // The channel is told after the commit, by the timer; a redelivered event changes nothing.
    await report([first]);
    sim.controls['tiktok-shop'].set({ mode: 'error', times: 1 });
    await service.timers.fireDue();
    expect((await simulator<SimOrder>('GET', `/_sim/orders/${placed.id}`)).packages).toHaveLength(0);
    service.clock.advance(5_000);
    await service.timers.fireDue();
    const second = parcel(2, 'TEA-1', 1, 'RR987654321CN');
    await report([first, second]);
    await service.timers.fireDue();

    const atTiktok = await simulator<SimOrder>('GET', `/_sim/orders/${placed.id}`);
    expect(atTiktok.packages.map((p) => [p.tracking_number, p.shipping_provider_name, p.order_line_item_ids.length])).toEqual([
      ['RR123456785CN', 'Cainiao', 2],
      ['RR987654321CN', 'Cainiao', 1],
    ]);
    const mugs = atTiktok.line_items.filter((i) => i.seller_sku === 'MUG-BLUE').map((i) => i.id);
    expect(atTiktok.packages[0]!.order_line_item_ids.sort()).toEqual(mugs.sort());
    expect(await service.db.channelShipment.findMany({ where: { orderId: order.id }, select: { status: true } })).toEqual([{ status: 'sent' }, { status: 'sent' }]);
  });

  it('skips an order it cannot map (no postal code) without retrying it forever or writing anything', async () => {
    const answer = await simulator<{ order: SimOrder }>('POST', '/_sim/orders', { items: [{ sku: 'MUG-BLUE', quantity: 1, price: 1250 }], address: { postalCode: '' } });
    await service.timers.fireDue();
    expect(await channelOrders(answer.order.id)).toHaveLength(0);
    const timer = await service.db.timer.findFirstOrThrow({ where: { kind: 'orders.channel-order-sync', key: `tiktok_shop:${answer.order.id}` } });
    expect(timer).toMatchObject({ firedAt: expect.any(Date), lastError: null });
  });

  it('cancels our order when the channel cancels it, once', async () => {
    const { order: placed } = await placeOnTiktok();
    await service.timers.fireDue();
    await simulator('POST', `/_sim/orders/${placed.id}/cancel`, { reason: 'Buyer changed their mind' });
    await service.timers.fireDue();
    const cancelled = await ourOrder(placed.id);
    expect(cancelled.status).toBe('cancelled');
    const events = await outbox(cancelled.id);
    expect(events.filter((e) => e.type === 'orders.order.cancelled').map((e) => e.data)).toEqual([
      expect.objectContaining({ reason: 'Cancelled on TikTok Shop: Buyer changed their mind', actor: 'channel:tiktok_shop' }),
    ]);
    // Replayed: already cancelled, nothing more.
    await simulator('POST', `/_sim/orders/${placed.id}/replay-webhook`);
    await service.timers.fireDue();
    expect((await outbox(cancelled.id)).filter((e) => e.type === 'orders.order.cancelled')).toHaveLength(1);
  });

  it('cancels our order on the cancellation webhook (type 11) alone', async () => {
    const { order: placed } = await placeOnTiktok();
    await service.timers.fireDue();
    const cancel = await simulator<{ webhook: unknown; cancellationWebhook: { statusCode: number } }>('POST', `/_sim/orders/${placed.id}/cancel`, {
      reason: 'Out of stock',
      initiator: 'SELLER',
      webhook: 'cancellation',
    });
    expect(cancel).toMatchObject({ webhook: null, cancellationWebhook: { statusCode: 200 } });
    await service.timers.fireDue();
    const cancelled = await ourOrder(placed.id);
    expect(cancelled.status).toBe('cancelled');
    expect((await outbox(cancelled.id)).filter((e) => e.type === 'orders.order.cancelled').map((e) => e.data)).toEqual([
      expect.objectContaining({ reason: 'Cancelled on TikTok Shop: Out of stock', actor: 'channel:tiktok_shop' }),
    ]);
  });

  it('imports only orders awaiting shipment by the seller: not ones already shipping or delivered, nor ones TikTok fulfils', async () => {
    const skipped = [
      await placeOnTiktok({ status: 'PARTIALLY_SHIPPING' }),
      await placeOnTiktok({ status: 'AWAITING_COLLECTION' }),
      await placeOnTiktok({ status: 'IN_TRANSIT' }),
      await placeOnTiktok({ status: 'DELIVERED' }),
      await placeOnTiktok({ fulfillmentType: 'FULFILLMENT_BY_TIKTOK' }),
    ];
    await service.timers.fireDue();
    for (const { order } of skipped) {
      expect(await channelOrders(order.id)).toHaveLength(0);
      const timer = await service.db.timer.findFirstOrThrow({ where: { kind: 'orders.channel-order-sync', key: `tiktok_shop:${order.id}` } });
      expect(timer).toMatchObject({ firedAt: expect.any(Date), lastError: null });
    }
  });

  it('goes on pulling past an order it cannot read or map, skipping only that one', async () => {
    const place = (json: Record<string, unknown>) => simulator<{ order: SimOrder }>('POST', '/_sim/orders', { items: [{ sku: 'MUG-BLUE', name: 'Blue mug', price: 1250 }], webhook: false, ...json });
    const unreadable = await place({ override: { payment: { currency: 'EUR', total_amount: 12.5 } } });
    const noSku = await place({ items: [{ sku: '', name: 'Blue mug', price: 1250 }] });
    const noName = await place({ items: [{ sku: 'MUG-BLUE', name: ' ', price: 1250 }] });
    const { order: good } = await placeOnTiktok({ webhook: false });
    service.clock.advance(PULL_INTERVAL_MS);
    await service.timers.fireDue();

    expect((await ourOrder(good.id)).totals.total).toBe(3699);
    for (const { order } of [unreadable, noSku, noName]) expect(await channelOrders(order.id)).toHaveLength(0);
    // The pull itself went through: rescheduled an interval on, from a cursor, with no error kept.
    const next = await pendingPull();
    expect(next).toMatchObject({ lastError: null, attempts: 0 });
    expect(next.fireAt.getTime()).toBeGreaterThan(service.clock.now().getTime() + PULL_INTERVAL_MS - 60_000);
    expect(await pullCursor()).toMatchObject({ cursor: expect.any(Number), continuing: false });
  });

  it('finds an order the search index shows only after a later change was pulled (its update time behind the cursor)', async () => {
    service.clock.advance(PULL_INTERVAL_MS);
    await service.timers.fireDue();
    const { cursor } = await pullCursor();
    const { order: late } = await placeOnTiktok({ webhook: false, updateTime: cursor! - 60 });
    service.clock.advance(PULL_INTERVAL_MS);
    await service.timers.fireDue();
    expect((await ourOrder(late.id)).totals.total).toBe(3699);
  });

  it('caps one pull at a batch and continues at once from its last applied change, until the backlog is done', async () => {
    const { cursor } = await pullCursor();
    // A backlog of 105 orders changed one second apart, all after the overlap window starts.
    const base = cursor! - 200;
    const backlog: string[] = [];
    for (let i = 0; i < 105; i += 1) backlog.push((await placeOnTiktok({ webhook: false, updateTime: base + i })).order.id);
    service.clock.advance(PULL_INTERVAL_MS);
    // One timer only: the pull's continuation is due at once and would otherwise fire in the same call.
    expect(await service.timers.fireDue(1)).toBe(1);

    const imported = async () => (await service.db.channelOrder.findMany({ where: { channel: 'tiktok_shop', externalOrderId: { in: backlog } } })).length;
    const firstBatch = await imported();
    expect(firstBatch).toBe(PULL_BATCH_LIMIT);
    const continuing = await pendingPull();
    expect(continuing.fireAt.getTime()).toBeLessThanOrEqual(service.clock.now().getTime() + 1);
    expect(continuing.payload).toMatchObject({ continuing: true, cursor: base + firstBatch });

    await service.timers.fireDue();
    expect(await imported()).toBe(105);
    expect((await pendingPull()).fireAt.getTime()).toBeGreaterThan(service.clock.now().getTime() + PULL_INTERVAL_MS - 60_000);
    expect(await pullCursor()).toMatchObject({ continuing: false, cursor: expect.any(Number) });
  });
});
