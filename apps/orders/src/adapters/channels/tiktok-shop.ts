import { createHmac, timingSafeEqual } from 'node:crypto';
import { DependencyUnavailableError } from '@platform/contracts/errors';
import type { createHttpClient } from '@platform/runtime/http-client';
import { z } from 'zod';
import type { ChangedOrder, ChannelOrderDetail, ChannelOrderState, SalesChannel, ShipmentReport, UnreadableOrder } from './port';
import { WebhookRejected } from './port';

/**
 * TikTok Shop Partner API 202309 (docs/providers/tiktok-shop.md), as one seller's shop.
 * Webhook: `Authorization` = hex(HMAC-SHA256(app_secret, app_key + raw body)), no scheme, no
 * timestamp; types 1 (order status change) and 11 (cancellation status change) name an order. API calls carry `app_key`, `timestamp`,
 * `shop_cipher` and `sign` in the query and the token in `x-tts-access-token`.
 */

export interface TiktokShopConfig {
  appKey: string;
  appSecret: string;
  accessToken: string;
  shopCipher: string;
  /** The shop's id (webhooks name it; the order detail does not). */
  shopId: string;
  /** Our carrier code → TikTok `shipping_provider_id`; `*` is the provider for any other carrier. */
  shippingProviders: Record<string, string>;
}

type HttpClient = ReturnType<typeof createHttpClient>;

/** The 202309 request signature: path, sorted query pairs (without sign, access_token) and body, wrapped in the secret. */
export function tiktokRequestSign(appSecret: string, path: string, query: Record<string, string>, body: string): string {
  const pairs = Object.keys(query)
    .filter((key) => key !== 'sign' && key !== 'access_token')
    .sort()
    .map((key) => `${key}${query[key]}`)
    .join('');
  return createHmac('sha256', appSecret).update(`${appSecret}${path}${pairs}${body}${appSecret}`, 'utf8').digest('hex');
}

export function tiktokWebhookSignature(appKey: string, appSecret: string, raw: Buffer): string {
  return createHmac('sha256', appSecret).update(Buffer.concat([Buffer.from(appKey, 'utf8'), raw])).digest('hex');
}

const webhookSchema = z.object({
  type: z.number().int(),
  tts_notification_id: z.string(),
  shop_id: z.string(),
  timestamp: z.number().int(),
  data: z.record(z.string(), z.unknown()),
});
const orderStatusChangeSchema = z.object({ order_id: z.string().min(1), order_status: z.string(), update_time: z.number().int().optional() });
const cancellationChangeSchema = z.object({ order_id: z.string().min(1), cancel_status: z.string().optional() });
const ORDER_STATUS_CHANGE = 1;
const CANCELLATION_STATUS_CHANGE = 11;

/**
 * Both spellings: webhooks say CANCEL, the order API CANCELLED. Only AWAITING_SHIPMENT is still
 * to be shipped: a partly shipped order, or one packed and awaiting the carrier, is already being
 * fulfilled outside us.
 */
const STATE: Record<string, ChannelOrderState> = {
  UNPAID: 'unpaid',
  ON_HOLD: 'on_hold',
  AWAITING_SHIPMENT: 'paid',
  PARTIALLY_SHIPPING: 'shipped',
  AWAITING_COLLECTION: 'shipped',
  IN_TRANSIT: 'shipped',
  DELIVERED: 'delivered',
  COMPLETED: 'delivered',
  CANCEL: 'cancelled',
  CANCELLED: 'cancelled',
};

const amount = z.string().regex(/^\d+(\.\d+)?$/);
const orderSchema = z.object({
  id: z.string(),
  status: z.string(),
  update_time: z.number().int(),
  paid_time: z.number().int().nullable().optional(),
  user_id: z.string(),
  buyer_email: z.string(),
  payment: z.object({
    currency: z.string().length(3),
    shipping_fee: amount.optional(),
    seller_discount: amount.optional(),
    platform_discount: amount.optional(),
    tax: amount.optional(),
    total_amount: amount,
  }),
  recipient_address: z.object({
    name: z.string(),
    phone_number: z.string().optional(),
    address_line1: z.string(),
    address_line2: z.string().optional(),
    postal_code: z.string(),
    region_code: z.string().length(2),
    district_info: z.array(z.object({ address_level_name: z.string(), address_name: z.string() })).default([]),
  }),
  line_items: z
    .array(
      z.object({
        id: z.string(),
        sku_id: z.string(),
        seller_sku: z.string(),
        product_name: z.string(),
        sku_name: z.string().optional(),
        sale_price: amount,
        original_price: amount,
      }),
    )
    .min(1),
  cancel_reason: z.string().nullable().optional(),
  fulfillment_type: z.string().optional(),
});
type TiktokOrder = z.infer<typeof orderSchema>;

/** "12.50" in a currency with `digits` decimals → 1250, without floating point. */
export function minorUnits(value: string, digits: number): number {
  const [whole, fraction = ''] = value.split('.');
  return Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0').slice(0, digits) || 0);
}
const currencyDigits = (currency: string) => new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;

function district(order: TiktokOrder, level: string): string | undefined {
  return order.recipient_address.district_info.find((d) => d.address_level_name.toLowerCase() === level)?.address_name;
}

/** The order detail in our words: buyer, address, one line per unit with its prices, the amounts paid. */
export function readTiktokOrder(order: TiktokOrder, shopId: string): ChannelOrderDetail {
  const digits = currencyDigits(order.payment.currency);
  const money = (value: string | undefined) => (value === undefined ? 0 : minorUnits(value, digits));
  const address = order.recipient_address;
  const city = district(order, 'city') ?? district(order, 'province') ?? address.postal_code;
  return {
    externalOrderId: order.id,
    shopId,
    state: STATE[order.status] ?? 'unpaid',
    fulfilledBySeller: order.fulfillment_type === 'FULFILLMENT_BY_SELLER',
    channelStatus: order.status,
    paidAt: order.paid_time ? new Date(order.paid_time * 1000) : null,
    updatedAt: order.update_time,
    currency: order.payment.currency,
    buyer: { id: order.user_id, email: order.buyer_email, name: address.name, phone: address.phone_number || undefined },
    shippingAddress: {
      name: address.name,
      line1: address.address_line1,
      ...(address.address_line2 && { line2: address.address_line2 }),
      city,
      ...(district(order, 'province') && { state: district(order, 'province') }),
      postalCode: address.postal_code,
      country: address.region_code.toUpperCase(),
      ...(address.phone_number && { phone: address.phone_number }),
    },
    lines: order.line_items.map((item) => ({
      lineItemId: item.id,
      sku: item.seller_sku,
      variantId: item.sku_id,
      name: item.sku_name && item.sku_name !== 'Default' ? `${item.product_name} (${item.sku_name})` : item.product_name,
      salePrice: money(item.sale_price),
      originalPrice: money(item.original_price),
    })),
    shippingFee: money(order.payment.shipping_fee),
    tax: money(order.payment.tax),
    discount: money(order.payment.seller_discount) + money(order.payment.platform_discount),
    total: money(order.payment.total_amount),
    cancelReason: order.cancel_reason ?? null,
    raw: order,
  };
}

const envelopeSchema = z.object({ code: z.number(), message: z.string().optional(), data: z.unknown() });

export function createTiktokShopChannel(http: HttpClient, config: TiktokShopConfig): SalesChannel {
  /** One signed call; an outage (no answer, 5xx, 429) is DependencyUnavailable, a refused credential an error. */
  async function call(method: 'GET' | 'POST', path: string, query: Record<string, string>, json?: unknown): Promise<z.infer<typeof envelopeSchema>> {
    const body = json === undefined ? '' : JSON.stringify(json);
    const signed = { ...query, app_key: config.appKey, shop_cipher: config.shopCipher, timestamp: String(Math.floor(Date.now() / 1000)) };
    const searchParams = { ...signed, sign: tiktokRequestSign(config.appSecret, path, signed, body) };
    let response;
    try {
      response = await http(path.slice(1), {
        method,
        searchParams,
        headers: { 'x-tts-access-token': config.accessToken, ...(body && { 'content-type': 'application/json' }) },
        ...(body && { body }),
      });
    } catch (error) {
      throw new DependencyUnavailableError(`TikTok Shop ${path}: ${(error as Error).message}`, { cause: error });
    }
    if (response.statusCode >= 500 || response.statusCode === 429) throw new DependencyUnavailableError(`TikTok Shop ${path} answered ${response.statusCode}`);
    const parsed = envelopeSchema.safeParse(safeJson(response.body));
    if (!parsed.success) throw new Error(`TikTok Shop ${path} answered ${response.statusCode} without its envelope`);
    if (response.statusCode === 401) throw new Error(`TikTok Shop refused our credentials: ${parsed.data.message ?? parsed.data.code}`);
    return parsed.data;
  }

  return {
    name: 'tiktok_shop',

    readWebhook(raw, headers) {
      const given = headers.authorization;
      if (!given) throw new WebhookRejected('Authorization header is missing', 'unauthorized');
      const expected = tiktokWebhookSignature(config.appKey, config.appSecret, raw);
      const a = Buffer.from(given, 'utf8');
      const b = Buffer.from(expected, 'utf8');
      if (a.length !== b.length || !timingSafeEqual(a, b)) throw new WebhookRejected('Authorization is not the signature of this body', 'unauthorized');
      const envelope = webhookSchema.safeParse(safeJson(raw.toString('utf8')));
      if (!envelope.success) throw new WebhookRejected('not a TikTok Shop webhook', 'invalid');
      if (envelope.data.type === ORDER_STATUS_CHANGE) {
        const change = orderStatusChangeSchema.safeParse(envelope.data.data);
        if (!change.success) throw new WebhookRejected('an order status change without order_id', 'invalid');
        return { orderIds: [change.data.order_id] };
      }
      if (envelope.data.type === CANCELLATION_STATUS_CHANGE) {
        // Whatever its cancel_status, the order's detail says whether it is cancelled.
        const change = cancellationChangeSchema.safeParse(envelope.data.data);
        if (!change.success) throw new WebhookRejected('a cancellation status change without order_id', 'invalid');
        return { orderIds: [change.data.order_id] };
      }
      return { orderIds: [] };
    },

    async fetchOrders(ids) {
      const orders: ChannelOrderDetail[] = [];
      const unreadable: UnreadableOrder[] = [];
      for (let start = 0; start < ids.length; start += 50) {
        const answer = await call('GET', '/order/202309/orders', { ids: ids.slice(start, start + 50).join(',') });
        if (answer.code !== 0) throw new Error(`TikTok Shop order detail refused: ${answer.code} ${answer.message ?? ''}`);
        // Each order read on its own: one in a shape we do not expect must not hide the others.
        for (const raw of z.object({ orders: z.array(z.unknown()) }).parse(answer.data).orders) {
          const order = orderSchema.safeParse(raw);
          if (order.success) orders.push(readTiktokOrder(order.data, config.shopId));
          else unreadable.push({ externalOrderId: idOf(raw), reason: z.prettifyError(order.error) });
        }
      }
      return { orders, unreadable };
    },

    async changedOrders(since, limit) {
      const orders: ChangedOrder[] = [];
      let pageToken = '';
      // Past the limit only while the orders still share the limit-th's second (the next page may too).
      const wanted = () => orders.length < limit || orders.at(-1)!.updatedAt === orders[limit - 1]!.updatedAt;
      do {
        const query = { page_size: '50', sort_field: 'update_time', sort_order: 'ASC', ...(pageToken && { page_token: pageToken }) };
        const answer = await call('POST', '/order/202309/orders/search', query, { update_time_ge: since });
        if (answer.code !== 0) throw new Error(`TikTok Shop order search refused: ${answer.code} ${answer.message ?? ''}`);
        const page = z.object({ orders: z.array(z.object({ id: z.string(), update_time: z.number().int() })), next_page_token: z.string().optional() }).parse(answer.data);
        orders.push(...page.orders.map((order) => ({ externalOrderId: order.id, updatedAt: order.update_time })));
        pageToken = page.next_page_token ?? '';
      } while (pageToken && wanted());
      let end = Math.min(limit, orders.length);
      while (end < orders.length && orders[end]!.updatedAt === orders[end - 1]!.updatedAt) end += 1;
      return { orders: orders.slice(0, end), more: end < orders.length || pageToken !== '' };
    },

    async markShipped(report: ShipmentReport) {
      const provider = (report.carrier && config.shippingProviders[report.carrier.toUpperCase()]) ?? config.shippingProviders['*'];
      if (!provider) return { accepted: false, reason: `no TikTok shipping provider for carrier ${report.carrier ?? '(none)'}` };
      const answer = await call('POST', `/fulfillment/202309/orders/${encodeURIComponent(report.externalOrderId)}/packages`, {}, {
        order_line_item_ids: report.lineItemIds,
        tracking_number: report.trackingNumber,
        shipping_provider_id: provider,
      });
      if (answer.code !== 0) return { accepted: false, reason: `${answer.code}: ${answer.message ?? 'refused'}` };
      return { accepted: true, packageId: z.object({ package_id: z.string() }).parse(answer.data).package_id };
    },
  };
}

function idOf(raw: unknown): string {
  const id = (raw as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : '(no id)';
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
