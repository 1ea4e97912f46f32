import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SimulatorContext } from '../context';
import { deliverWebhook } from '../tracking-scans';

/**
 * TikTok Shop Partner API, version 202309 (docs/providers/tiktok-shop.md), as a seller's shop:
 * - Every API call carries `app_key`, `timestamp`, `shop_cipher` and `sign` in the query and the
 *   shop's token in `x-tts-access-token`; `sign` = hex(HMAC-SHA256(app_secret, app_secret + path
 *   + sorted key+value query pairs (without sign, access_token) + raw body + app_secret)).
 *   Answers `{code, message, request_id, data}`: `code` 0 is success; refused credentials are
 *   HTTP 401 (the simulators' convention; the real API answers 200 with a non-zero code).
 * - `GET /order/202309/orders?ids=` (Get Order Detail), `POST /order/202309/orders/search`
 *   (Search Orders: `update_time_ge`/`update_time_lt` in the body; `page_size`, `page_token`,
 *   `sort_field` (create_time, update_time) and `sort_order` (ASC, DESC) in the query, newest created first unless asked),
 *   `POST /fulfillment/202309/orders/:orderId/packages` (Mark Package As Shipped:
 *   `{order_line_item_ids, tracking_number, shipping_provider_id}` → `{package_id}`; the same
 *   tracking number again answers the package it made, so a retry after a lost answer is harmless).
 * - Webhooks (type 1 order status change; type 11 cancellation status change) to
 *   `<gateway>/v1/webhooks/tiktok-shop`, signed `Authorization` = hex(HMAC-SHA256(app_secret,
 *   app_key + raw body)), no timestamp.
 * The buyer side is driven through `_sim`: place an order (with or without its webhook), cancel
 * it, replay a webhook byte for byte; `GET /_sim/orders/:id` shows the packages it was told about.
 * The `reject` switch refuses Mark Package As Shipped with a business error (code 21011001 unless
 * `options.code`); `error`, `timeout`, `slow` apply to every API call.
 */

export type TiktokOrderStatus =
  | 'UNPAID'
  | 'ON_HOLD'
  | 'AWAITING_SHIPMENT'
  | 'PARTIALLY_SHIPPING'
  | 'AWAITING_COLLECTION'
  | 'IN_TRANSIT'
  | 'DELIVERED'
  | 'COMPLETED'
  | 'CANCELLED';

/** Webhooks spell a cancelled order `CANCEL` (the order API says `CANCELLED`). */
const WEBHOOK_STATUS: Partial<Record<TiktokOrderStatus, string>> = { CANCELLED: 'CANCEL' };

/** Shipping providers a seller may name (ids as Get Shipping Providers gives them for the shop's region). */
export const TIKTOK_SHIPPING_PROVIDERS: Record<string, string> = {
  '7117858858072016686': 'Correos',
  '7117859084333745966': 'SEUR',
  '7129736293314873131': 'Cainiao',
  '7208502187360519982': 'USPS',
  '7248600717110282027': 'Other',
};

interface LineItem {
  id: string;
  product_id: string;
  product_name: string;
  sku_id: string;
  sku_name: string;
  seller_sku: string;
  sale_price: string;
  original_price: string;
  currency: string;
  display_status: string;
  package_id: string | null;
  tracking_number: string | null;
  shipping_provider_name: string | null;
}

interface Package {
  id: string;
  order_line_item_ids: string[];
  tracking_number: string;
  shipping_provider_id: string;
  shipping_provider_name: string;
  received_at: string;
}

interface TiktokOrder {
  id: string;
  status: TiktokOrderStatus;
  create_time: number;
  update_time: number;
  paid_time: number | null;
  user_id: string;
  buyer_email: string;
  buyer_message: string;
  payment: Record<string, string>;
  recipient_address: Record<string, unknown>;
  line_items: LineItem[];
  packages: Package[];
  fulfillment_type: 'FULFILLMENT_BY_SELLER' | 'FULFILLMENT_BY_TIKTOK';
  delivery_type: 'HOME_DELIVERY';
  is_cod: boolean;
  is_on_hold_order: boolean;
  cancel_reason: string | null;
  cancellation_initiator: string | null;
}

interface SentWebhook {
  orderId: string;
  body: string;
  signature: string;
}

/** Body of `POST /_sim/orders`. */
interface PlaceOrder {
  items?: Array<{ sku?: unknown; name?: unknown; quantity?: unknown; price?: unknown; originalPrice?: unknown }>;
  currency?: unknown;
  shippingFee?: unknown;
  buyer?: { email?: unknown; name?: unknown; phone?: unknown };
  address?: { line1?: unknown; line2?: unknown; city?: unknown; province?: unknown; postalCode?: unknown; regionCode?: unknown; country?: unknown };
  status?: unknown;
  /** FULFILLMENT_BY_SELLER (default) or FULFILLMENT_BY_TIKTOK (TikTok ships it from its own warehouses). */
  fulfillmentType?: unknown;
  /** Seconds: when it was last changed (default now), e.g. a backlog, or a change the search index shows late. */
  updateTime?: unknown;
  /** Top-level fields of the order replaced as given: an order in a shape the API reference does not promise. */
  override?: unknown;
  /** false: the order exists but its webhook is never sent (a missed webhook). */
  webhook?: unknown;
}

/** Who cancelled, as the cancellation webhook names them. */
const CANCELLATION_ROLES = ['BUYER', 'SELLER', 'SYSTEM'];

/** The 202309 request signature over a request's path, query and raw body. */
export function tiktokApiSign(appSecret: string, path: string, query: Record<string, string>, body: string): string {
  const pairs = Object.keys(query)
    .filter((key) => key !== 'sign' && key !== 'access_token')
    .sort()
    .map((key) => `${key}${query[key]}`)
    .join('');
  return createHmac('sha256', appSecret).update(`${appSecret}${path}${pairs}${body}${appSecret}`, 'utf8').digest('hex');
}

/** The webhook signature: hex(HMAC-SHA256(app_secret, app_key + raw body)). */
export function tiktokWebhookSignature(appKey: string, appSecret: string, body: string): string {
  return createHmac('sha256', appSecret).update(`${appKey}${body}`, 'utf8').digest('hex');
}

const digits = (count: number) => Array.from({ length: count }, (_, index) => (index === 0 ? randomInt(1, 10) : randomInt(0, 10))).join('');
const money = (minor: number) => (minor / 100).toFixed(2);
const toMinor = (value: unknown, fallback: number) => (typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : fallback);
const nowSeconds = () => Math.floor(Date.now() / 1000);
const requestId = () => randomBytes(10).toString('hex').toUpperCase();
const answer = (data: unknown) => ({ code: 0, message: 'Success', request_id: requestId(), data });
const refuse = (reply: FastifyReply, status: number, code: number, message: string) => reply.code(status).send({ code, message, request_id: requestId(), data: null });

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function registerTiktokShop(app: FastifyInstance, context: SimulatorContext): void {
  const { control, webhookBaseUrl } = context;
  const credentials = context.credentials.tiktokShop;
  const { orders, webhooks } = context.store.keep(() => ({ orders: new Map<string, TiktokOrder>(), webhooks: [] as SentWebhook[] }));

  // The signature covers the raw body: keep it beside the parsed one (this provider's scope only).
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    (request as FastifyRequest & { rawBody?: string }).rawBody = String(body);
    try {
      done(null, body === '' ? {} : JSON.parse(String(body)));
    } catch (error) {
      done(Object.assign(error as Error, { statusCode: 400 }), undefined);
    }
  });

  /** Credentials, signature and the switch, as every API call checks them: true when the call may proceed. */
  async function guard(request: FastifyRequest, reply: FastifyReply): Promise<'ok' | 'reject' | undefined> {
    const query = Object.fromEntries(Object.entries((request.query ?? {}) as Record<string, unknown>).map(([key, value]) => [key, String(value)]));
    const path = request.url.split('?')[0]!.replace(/^\/tiktok-shop/, '');
    const raw = (request as FastifyRequest & { rawBody?: string }).rawBody ?? '';
    const expected = tiktokApiSign(credentials.appSecret, path, query, raw);
    const fault =
      query.app_key !== credentials.appKey
        ? 'app_key is invalid'
        : !/^\d+$/.test(query.timestamp ?? '')
          ? 'timestamp is required'
          : !same(query.sign ?? '', expected)
            ? 'sign is invalid'
            : request.headers['x-tts-access-token'] !== credentials.accessToken
              ? 'access token is invalid'
              : query.shop_cipher !== credentials.shopCipher
                ? 'shop_cipher is invalid'
                : null;
    if (fault) {
      control.record(request, 'unauthorized');
      await refuse(reply, 401, 106001, fault);
      return undefined;
    }
    const behaviour = control.next();
    if (await control.applyFailure(behaviour, request, reply)) return undefined;
    control.record(request, behaviour.mode);
    return behaviour.mode === 'reject' ? 'reject' : 'ok';
  }

  async function notify(order: TiktokOrder) {
    const body = JSON.stringify({
      type: 1,
      tts_notification_id: digits(19),
      shop_id: credentials.shopId,
      timestamp: nowSeconds(),
      data: { order_id: order.id, order_status: WEBHOOK_STATUS[order.status] ?? order.status, is_on_hold_order: order.is_on_hold_order, update_time: order.update_time },
    });
    const signature = tiktokWebhookSignature(credentials.appKey, credentials.appSecret, body);
    webhooks.push({ orderId: order.id, body, signature });
    context.store.changed();
    return deliverWebhook(`${webhookBaseUrl}/v1/webhooks/tiktok-shop`, body, { authorization: signature });
  }

  /** Type 11, cancellation status change: a cancellation (already done here) of the order. */
  async function notifyCancellation(order: TiktokOrder) {
    const role = CANCELLATION_ROLES.includes(order.cancellation_initiator ?? '') ? order.cancellation_initiator : 'SYSTEM';
    const body = JSON.stringify({
      type: 11,
      tts_notification_id: digits(19),
      shop_id: credentials.shopId,
      timestamp: nowSeconds(),
      data: { order_id: order.id, cancellations_role: role, cancel_status: 'CANCELLATION_REQUEST_COMPLETE', cancel_id: digits(19), create_time: order.update_time },
    });
    const signature = tiktokWebhookSignature(credentials.appKey, credentials.appSecret, body);
    webhooks.push({ orderId: order.id, body, signature });
    context.store.changed();
    return deliverWebhook(`${webhookBaseUrl}/v1/webhooks/tiktok-shop`, body, { authorization: signature });
  }

  function touch(order: TiktokOrder, status: TiktokOrderStatus) {
    order.status = status;
    // Strictly later than before, so a search by update time sees every change.
    order.update_time = Math.max(nowSeconds(), order.update_time + 1);
  }

  app.get('/order/202309/orders', async (request, reply) => {
    if (!(await guard(request, reply))) return reply;
    const ids = String((request.query as { ids?: string }).ids ?? '').split(',').filter(Boolean);
    if (ids.length === 0 || ids.length > 50) return refuse(reply, 400, 36009003, 'ids must name 1 to 50 orders');
    return answer({ orders: ids.flatMap((id) => orders.get(id) ?? []) });
  });

  app.post('/order/202309/orders/search', async (request, reply) => {
    if (!(await guard(request, reply))) return reply;
    const query = request.query as { page_size?: string; page_token?: string; sort_field?: string; sort_order?: string };
    const body = (request.body ?? {}) as { update_time_ge?: unknown; update_time_lt?: unknown; order_status?: unknown };
    const pageSize = Math.min(Math.max(Number(query.page_size ?? 20), 1), 100);
    const offset = Number(query.page_token ?? 0) || 0;
    const matching = [...orders.values()]
      .filter((order) => typeof body.update_time_ge !== 'number' || order.update_time >= body.update_time_ge)
      .filter((order) => typeof body.update_time_lt !== 'number' || order.update_time < body.update_time_lt)
      .filter((order) => typeof body.order_status !== 'string' || order.status === body.order_status)
      .sort((a, b) => {
        const field = query.sort_field === 'update_time' ? 'update_time' : 'create_time';
        return (query.sort_order === 'ASC' ? 1 : -1) * (a[field] - b[field] || a.id.localeCompare(b.id));
      });
    const page = matching.slice(offset, offset + pageSize);
    const next = offset + pageSize < matching.length ? String(offset + pageSize) : '';
    return answer({ orders: page, next_page_token: next, total_count: matching.length });
  });

  app.post('/fulfillment/202309/orders/:orderId/packages', async (request, reply) => {
    const mode = await guard(request, reply);
    if (!mode) return reply;
    const order = orders.get((request.params as { orderId: string }).orderId);
    if (!order) return refuse(reply, 404, 21001001, 'order not found');
    const body = (request.body ?? {}) as { order_line_item_ids?: unknown; tracking_number?: unknown; shipping_provider_id?: unknown };
    const trackingNumber = typeof body.tracking_number === 'string' ? body.tracking_number.trim() : '';
    const providerName = typeof body.shipping_provider_id === 'string' ? TIKTOK_SHIPPING_PROVIDERS[body.shipping_provider_id] : undefined;
    const lineItemIds = Array.isArray(body.order_line_item_ids) ? body.order_line_item_ids.filter((id): id is string => typeof id === 'string') : [];
    if (!trackingNumber) return refuse(reply, 400, 21011002, 'tracking_number is required');
    if (!providerName) return refuse(reply, 400, 21011003, 'shipping_provider_id is not a shipping provider of this shop');
    const known = order.packages.find((p) => p.tracking_number === trackingNumber);
    if (known) return answer({ package_id: known.id });
    if (mode === 'reject') {
      const behaviour = control.peek();
      return refuse(reply, 200, Number(behaviour.options.code ?? 21011001), String(behaviour.options.reason ?? 'The order cannot be shipped in its current status'));
    }
    if (order.status === 'CANCELLED' || order.status === 'UNPAID') return refuse(reply, 200, 21011001, `The order cannot be shipped while ${order.status}`);
    const items = lineItemIds.length > 0 ? order.line_items.filter((item) => lineItemIds.includes(item.id)) : order.line_items.filter((item) => !item.package_id);
    if (items.length === 0 || items.length !== (lineItemIds.length || items.length)) return refuse(reply, 400, 21011004, 'order_line_item_ids must name unshipped items of the order');
    const shipped: Package = {
      id: digits(19),
      order_line_item_ids: items.map((item) => item.id),
      tracking_number: trackingNumber,
      shipping_provider_id: body.shipping_provider_id as string,
      shipping_provider_name: providerName,
      received_at: new Date().toISOString(),
    };
    order.packages.push(shipped);
    for (const item of items) Object.assign(item, { package_id: shipped.id, tracking_number: trackingNumber, shipping_provider_name: providerName, display_status: 'IN_TRANSIT' });
    touch(order, order.line_items.every((item) => item.package_id) ? 'IN_TRANSIT' : 'PARTIALLY_SHIPPING');
    return answer({ package_id: shipped.id });
  });

  // The buyer's side: what happens on TikTok that the seller only hears of by webhook (or by searching).

  app.post('/_sim/orders', async (request, reply) => {
    const body = (request.body ?? {}) as PlaceOrder;
    const items = Array.isArray(body.items) ? body.items : [];
    // An empty seller SKU is allowed: TikTok does not require sellers to set one.
    if (items.length === 0 || items.some((item) => typeof item.sku !== 'string')) return reply.code(400).send({ error: 'items[] with sku are required' });
    const currency = typeof body.currency === 'string' ? body.currency : 'EUR';
    const lineItems: LineItem[] = [];
    for (const item of items) {
      const quantity = toMinor(item.quantity, 1) || 1;
      const price = toMinor(item.price, 1000);
      const productId = digits(19);
      const skuId = digits(19);
      // One line item per unit, as TikTok lists them.
      for (let unit = 0; unit < quantity; unit += 1) {
        lineItems.push({
          id: digits(19),
          product_id: productId,
          product_name: typeof item.name === 'string' ? item.name : String(item.sku),
          sku_id: skuId,
          sku_name: 'Default',
          seller_sku: String(item.sku),
          sale_price: money(price),
          original_price: money(toMinor(item.originalPrice, price)),
          currency,
          display_status: 'AWAITING_SHIPMENT',
          package_id: null,
          tracking_number: null,
          shipping_provider_name: null,
        });
      }
    }
    const subTotal = lineItems.reduce((sum, item) => sum + Math.round(Number(item.sale_price) * 100), 0);
    const originalTotal = lineItems.reduce((sum, item) => sum + Math.round(Number(item.original_price) * 100), 0);
    const shippingFee = toMinor(body.shippingFee, 0);
    const buyer = body.buyer ?? {};
    const address = body.address ?? {};
    const name = typeof buyer.name === 'string' ? buyer.name : 'Lucía Pérez';
    const line1 = typeof address.line1 === 'string' ? address.line1 : 'Calle de Alcalá 50';
    const city = typeof address.city === 'string' ? address.city : 'Madrid';
    const postalCode = typeof address.postalCode === 'string' ? address.postalCode : '28014';
    const regionCode = typeof address.regionCode === 'string' ? address.regionCode : 'ES';
    const status = typeof body.status === 'string' ? (body.status as TiktokOrderStatus) : 'AWAITING_SHIPMENT';
    const created = typeof body.updateTime === 'number' && Number.isInteger(body.updateTime) ? body.updateTime : nowSeconds();
    const order: TiktokOrder = {
      id: `57${digits(16)}`,
      status,
      create_time: created,
      update_time: created,
      paid_time: status === 'UNPAID' ? null : created,
      user_id: digits(19),
      buyer_email: typeof buyer.email === 'string' ? buyer.email : `v${digits(10)}@scs.tiktokw.eu`,
      buyer_message: '',
      payment: {
        currency,
        sub_total: money(subTotal),
        shipping_fee: money(shippingFee),
        seller_discount: '0.00',
        platform_discount: '0.00',
        tax: '0.00',
        total_amount: money(subTotal + shippingFee),
        original_total_product_price: money(originalTotal),
        original_shipping_fee: money(shippingFee),
      },
      recipient_address: {
        name,
        phone_number: typeof buyer.phone === 'string' ? buyer.phone : '(+34)600000000',
        address_line1: line1,
        address_line2: typeof address.line2 === 'string' ? address.line2 : '',
        address_line3: '',
        address_line4: '',
        postal_code: postalCode,
        region_code: regionCode,
        full_address: `${line1}, ${postalCode} ${city}`,
        district_info: [
          { address_level_name: 'Country', address_name: typeof address.country === 'string' ? address.country : 'Spain', address_level: 'L0' },
          { address_level_name: 'Province', address_name: typeof address.province === 'string' ? address.province : city, address_level: 'L1' },
          { address_level_name: 'City', address_name: city, address_level: 'L2' },
        ],
      },
      line_items: lineItems,
      packages: [],
      fulfillment_type: body.fulfillmentType === 'FULFILLMENT_BY_TIKTOK' ? 'FULFILLMENT_BY_TIKTOK' : 'FULFILLMENT_BY_SELLER',
      delivery_type: 'HOME_DELIVERY',
      is_cod: false,
      is_on_hold_order: status === 'ON_HOLD',
      cancel_reason: null,
      cancellation_initiator: null,
    };
    if (body.override && typeof body.override === 'object') Object.assign(order, body.override);
    orders.set(order.id, order);
    const webhook = body.webhook === false ? null : await notify(order);
    return reply.code(201).send({ order, webhook });
  });

  /**
   * The buyer (or TikTok) cancels: the order becomes CANCELLED and TikTok sends both its webhooks,
   * the status change (`CANCEL`) then the cancellation (type 11); `webhook` picks one
   * (`status`, `cancellation`) or none (false).
   */
  app.post('/_sim/orders/:id/cancel', async (request, reply) => {
    const order = orders.get((request.params as { id: string }).id);
    if (!order) return reply.code(404).send({ error: 'no such order' });
    const body = (request.body ?? {}) as { reason?: unknown; initiator?: unknown; webhook?: unknown };
    touch(order, 'CANCELLED');
    order.cancel_reason = typeof body.reason === 'string' ? body.reason : 'No longer needed';
    order.cancellation_initiator = typeof body.initiator === 'string' ? body.initiator : 'BUYER';
    for (const item of order.line_items) item.display_status = 'CANCELLED';
    const webhook = body.webhook === false || body.webhook === 'cancellation' ? null : await notify(order);
    const cancellationWebhook = body.webhook === false || body.webhook === 'status' ? null : await notifyCancellation(order);
    return { order, webhook, cancellationWebhook };
  });

  /** Sends the order's last webhook again, byte for byte with its signature (a retry or a duplicate). */
  app.post('/_sim/orders/:id/replay-webhook', async (request, reply) => {
    const id = (request.params as { id: string }).id;
    const last = webhooks.findLast((webhook) => webhook.orderId === id);
    if (!last) return reply.code(404).send({ error: 'no webhook was sent for this order' });
    return deliverWebhook(`${webhookBaseUrl}/v1/webhooks/tiktok-shop`, last.body, { authorization: last.signature });
  });

  app.get('/_sim/orders/:id', async (request, reply) => {
    const order = orders.get((request.params as { id: string }).id);
    return order ?? reply.code(404).send({ error: 'no such order' });
  });
}
