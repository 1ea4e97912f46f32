import { createHmac } from 'node:crypto';
import type { PlacementResult, SupplierClient, SupplierOrderRequest, SupplierOrderStatus } from './supplier-client';
import { SupplierUnavailableError } from './supplier-client';
import type { SupplierAnswer, SupplierHttp, Verdict } from './supplier-http';

/**
 * AliExpress dropshipping through the Open Platform (IOP) gateway (docs/providers/aliexpress.md):
 * `POST {base}/sync` with form parameters, signed with HMAC-SHA256.
 *
 * Item mapping (ours): an AliExpress item's `sku` is the AliExpress `product_id` and its
 * `variantId` the `sku_attr` string ("14:193#Black;5:100014064").
 */

export interface AliexpressConfig {
  appKey: string;
  appSecret: string;
  session: string;
  /** `logistics_service_name` per item; AliExpress' standard tracked service by default. */
  logisticsService?: string;
}

export const ALIEXPRESS_METHODS = {
  createOrder: 'aliexpress.ds.order.create',
  getOrder: 'aliexpress.trade.ds.order.get',
} as const;

/**
 * IOP request signature (iop-sdk `sign`): parameters except `sign` sorted by key (ASCII),
 * concatenated as key+value, prefixed with the API path only when the API name contains "/"
 * (REST system APIs; `/sync` business methods are not prefixed), then
 * UPPER(hex(HMAC-SHA256(app_secret, text))).
 */
export function iopSignature(params: Record<string, string>, appSecret: string, apiPath?: string): string {
  const text = Object.keys(params)
    .filter((key) => key !== 'sign')
    .sort()
    .map((key) => `${key}${params[key]}`)
    .join('');
  const signed = apiPath?.includes('/') ? `${apiPath}${text}` : text;
  return createHmac('sha256', appSecret).update(signed, 'utf8').digest('hex').toUpperCase();
}

/**
 * `aliexpress.trade.ds.order.get` `order_status` → our supplier status. AliExpress' values come
 * without meanings (docs/providers/aliexpress.md); these follow its order lifecycle:
 * PLACE_ORDER_SUCCESS is "created, awaiting payment" and RISK_CONTROL a review hold, so both
 * still count as placed (the 24 h placement timeout covers an order stuck there);
 * WAIT_SELLER_SEND_GOODS means paid and with the seller: confirmed.
 */
const ORDER_STATUS: Record<string, SupplierOrderStatus['status']> = {
  PLACE_ORDER_SUCCESS: 'placed',
  FUND_PROCESSING: 'placed',
  WAIT_SELLER_EXAMINE_MONEY: 'placed',
  RISK_CONTROL: 'placed',
  WAIT_SELLER_SEND_GOODS: 'confirmed',
  SELLER_PART_SEND_GOODS: 'shipped',
  WAIT_BUYER_ACCEPT_GOODS: 'shipped',
  FINISH: 'delivered',
  IN_CANCEL: 'cancelled',
};

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {});
const asString = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : null);

/** `logistics_info_list` comes as a plain array or wrapped (`{ae_order_logistics_info: [...]}`). */
function listOf(value: unknown): Json[] {
  if (Array.isArray(value)) return value.map(asObject);
  const wrapped = Object.values(asObject(value)).find(Array.isArray);
  return wrapped ? wrapped.map(asObject) : [];
}

/**
 * AliExpress wants the calling code apart (`phone_country` "34", `mobile_no` "600000000").
 * Only a written separator after "+CC" tells where the code ends; otherwise all digits go
 * in `mobile_no`.
 */
export function splitPhone(phone: string): { country: string; number: string } {
  const match = /^\s*\+(\d{1,3})[\s.-]+(.+)$/.exec(phone);
  return match ? { country: match[1]!, number: match[2]!.replace(/\D/g, '') } : { country: '', number: phone.replace(/\D/g, '') };
}

/** `order_list` is `{number: [...]}` or, in some answers, a plain array. */
function orderIds(orderList: unknown): string[] {
  const list = Array.isArray(orderList) ? orderList : asObject(orderList).number;
  return Array.isArray(list) ? list.map(asString).filter((id): id is string => id !== null) : [];
}

/** Maps an order-get `result` to our status; unknown statuses count as placed (nothing to act on). */
export function aliexpressOrderStatus(result: Json): SupplierOrderStatus {
  const raw = asString(result.order_status) ?? 'UNKNOWN';
  const status = ORDER_STATUS[raw] ?? 'placed';
  const shipment = listOf(result.logistics_info_list).find((entry) => asString(entry.logistics_no));
  const shipped = status === 'shipped' || status === 'delivered';
  return {
    status,
    trackingNumber: shipped ? (asString(shipment?.logistics_no) ?? null) : null,
    carrier: shipped ? (asString(shipment?.logistics_service) ?? null) : null,
    reason: status === 'placed' && raw !== 'PLACE_ORDER_SUCCESS' ? `AliExpress order status ${raw}` : status === 'cancelled' ? 'Cancelled at AliExpress' : null,
  };
}

/**
 * The gateway's error answer, on any HTTP status: IOP `{type, code, message, request_id}`,
 * or the legacy `{error_response: {code, msg}}`.
 */
function gatewayError(body: unknown): { code: string; message: string } | null {
  const object = asObject(body);
  const error = object.error_response ? asObject(object.error_response) : object;
  const code = asString(error.code);
  if (!code || code === '0') return null;
  return { code, message: asString(error.message) ?? asString(error.msg) ?? code };
}

export class AliexpressClient implements SupplierClient {
  readonly supplier = 'aliexpress' as const;

  constructor(
    private readonly transport: SupplierHttp,
    private readonly config: AliexpressConfig,
  ) {}

  async placeOrder(request: SupplierOrderRequest): Promise<PlacementResult> {
    const address = request.shippingAddress;
    const phone = splitPhone(address.phone ?? request.customer.phone ?? '');
    const placeOrder = {
      out_order_id: request.reference,
      logistics_address: {
        contact_person: address.name,
        full_name: address.name,
        address: address.line1,
        address2: address.line2 ?? '',
        city: address.city,
        province: address.state ?? '',
        zip: address.postalCode,
        country: address.country,
        mobile_no: phone.number,
        phone_country: phone.country,
        locale: 'en_US',
      },
      product_items: request.items.map((item) => ({
        product_id: item.sku,
        product_count: item.quantity,
        sku_attr: item.variantId,
        logistics_service_name: this.config.logisticsService ?? 'CAINIAO_STANDARD',
      })),
    };
    const answer = await this.call('place', request.reference, ALIEXPRESS_METHODS.createOrder, {
      param_place_order_request4_open_api_d_t_o: JSON.stringify(placeOrder),
    }, (body) => {
      const result = asObject(asObject(asObject(body).aliexpress_ds_order_create_response).result);
      return result.is_success === true ? { outcome: 'ok' } : { outcome: 'rejected', error: asString(result.error_msg) ?? asString(result.error_code) };
    });
    const failure = gatewayError(answer.body);
    if (failure) return { outcome: 'rejected', reason: `AliExpress refused the request: ${failure.message}`, code: failure.code };
    const result = asObject(asObject(asObject(answer.body).aliexpress_ds_order_create_response).result);
    const externalOrderId = orderIds(result.order_list)[0];
    if (result.is_success === true && externalOrderId) return { outcome: 'placed', externalOrderId };
    return {
      outcome: 'rejected',
      reason: asString(result.error_msg) ?? 'AliExpress did not create the order',
      code: asString(result.error_code),
    };
  }

  async getOrderStatus(externalOrderId: string): Promise<SupplierOrderStatus> {
    const answer = await this.call('status', null, ALIEXPRESS_METHODS.getOrder, {
      single_order_query: JSON.stringify({ order_id: externalOrderId }),
    }, (body) => (asObject(body).aliexpress_trade_ds_order_get_response ? { outcome: 'ok' } : { outcome: 'error', error: 'no order in the answer' }));
    const failure = gatewayError(answer.body);
    if (failure) throw new SupplierUnavailableError('aliexpress', `AliExpress order get refused: ${failure.code} ${failure.message}`);
    const response = asObject(asObject(answer.body).aliexpress_trade_ds_order_get_response);
    if (!response.result) throw new SupplierUnavailableError('aliexpress', `AliExpress has no order ${externalOrderId}`);
    return aliexpressOrderStatus(asObject(response.result));
  }

  /**
   * AliExpress' documentation shows no dropshipping cancel method
   * (docs/providers/aliexpress.md#cancelling; `aliexpress.ds.order.cancel` appears only in
   * third-party code, unverified):
   * an unpaid order expires by itself, a paid one is cancelled in the AliExpress console.
   * So nothing is sent, and we say so (in the call log too): the caller opens an ops task.
   */
  async cancelOrder(externalOrderId: string): Promise<{ cancelled: boolean; reason: string | null }> {
    const reason = 'AliExpress has no cancel API: cancel in the AliExpress console';
    await this.transport.recordUnsupported('cancel', externalOrderId, reason);
    return { cancelled: false, reason };
  }

  /** One signed `/sync` call. Gateway errors (bad signature, session) are logged as refusals. */
  private async call(
    operation: 'place' | 'status',
    reference: string | null,
    method: string,
    businessParams: Record<string, string>,
    judge: (body: unknown) => Verdict,
  ): Promise<SupplierAnswer> {
    const params: Record<string, string> = {
      app_key: this.config.appKey,
      method,
      session: this.config.session,
      // Protocol timestamp (the gateway checks it against its own clock), not business time.
      timestamp: String(Date.now()),
      sign_method: 'sha256',
      ...businessParams,
    };
    params.sign = iopSignature(params, this.config.appSecret);
    return this.transport.send({ operation, reference, method: 'POST', path: 'sync', form: params }, (answer) => {
      const failure = gatewayError(answer.body);
      return failure ? { outcome: 'rejected', error: `${failure.code}: ${failure.message}` } : judge(answer.body);
    });
  }
}
