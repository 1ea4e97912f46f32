import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SimulatorContext } from '../context';
import { s10TrackingNumber } from '../tracking-numbers';
import { refusalReason, type SupplierOrder, SupplierOrderBook, type SupplierStage } from '../supplier-orders';

/**
 * AliExpress dropshipping through the Open Platform gateway (docs/providers/aliexpress.md):
 * `POST /aliexpress/sync` with form (or query) parameters `app_key`, `method`, `session`,
 * `timestamp`, `sign_method=sha256`, `sign`. Verifies the app key, the HMAC-SHA256 signature
 * and the session like the gateway; answers its error shape `{type, code, message, request_id}`
 * (with HTTP 401, as the simulators' convention for refused credentials; the real gateway
 * uses 200). Methods: `aliexpress.ds.order.create`, `aliexpress.trade.ds.order.get`.
 * There is no dropshipping cancel method (none is documented).
 * Orders ship with China Post registered S10 numbers (`RR…CN`) via `CAINIAO_STANDARD`.
 * Error codes not in docs/providers/aliexpress.md (simulator choices): InvalidAppKey, IllegalAccessToken,
 * InvalidMethod, and the refusal `error_code` INVENTORY_HOLD_ERROR (override: options.code).
 */

/** IOP signature: sorted key+value pairs (without `sign`), UPPER(hex(HMAC-SHA256(secret, text))). */
export function iopSign(params: Record<string, string>, appSecret: string): string {
  const text = Object.keys(params)
    .filter((key) => key !== 'sign')
    .sort()
    .map((key) => `${key}${params[key]}`)
    .join('');
  return createHmac('sha256', appSecret).update(text, 'utf8').digest('hex').toUpperCase();
}

const ORDER_STATUS: Record<SupplierStage, string> = {
  placed: 'PLACE_ORDER_SUCCESS',
  confirmed: 'WAIT_SELLER_SEND_GOODS',
  shipped: 'WAIT_BUYER_ACCEPT_GOODS',
  delivered: 'FINISH',
  cancelled: 'IN_CANCEL',
};

const requestId = () => randomBytes(8).toString('hex');

/** Form body and query string as flat strings (the gateway accepts parameters in either). */
function parameters(request: FastifyRequest): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const source of [request.query, request.body]) {
    if (!source || typeof source !== 'object') continue;
    for (const [key, value] of Object.entries(source as Record<string, unknown>)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') merged[key] = String(value);
    }
  }
  return merged;
}

function parseJson(text: string | undefined): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text ?? '');
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const sameText = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export function registerAliexpress(app: FastifyInstance, context: SimulatorContext): void {
  const { control, credentials } = context;
  const stored = context.store.keep(() => ({
    orders: new Map<string, SupplierOrder>(),
    // 16-digit numeric order ids, like AliExpress', kept below 2^53 so they stay exact as JSON numbers.
    lastOrderId: 8_100_000_000_000_000 + randomInt(1_000_000) * 1_000,
  }));
  const book = new SupplierOrderBook(
    stored.orders,
    () => String((stored.lastOrderId += 1)),
    () => ({ trackingNumber: s10TrackingNumber(randomInt(100_000_000), 'RR', 'CN'), carrier: 'CAINIAO_STANDARD' }),
  );
  book.registerRoutes(app);

  const gatewayError = (reply: FastifyReply, status: number, code: string, message: string) =>
    reply.code(status).send({ type: 'ISV', code, message, request_id: requestId() });

  function orderView(order: SupplierOrder) {
    const shipped = order.trackingNumber !== null;
    return {
      order_id: Number(order.id),
      order_status: ORDER_STATUS[order.stage],
      gmt_create: order.placedAt,
      ...(shipped && { logistics_info_list: [{ logistics_no: order.trackingNumber, logistics_service: order.carrier }] }),
    };
  }

  app.post('/sync', async (request, reply) => {
    const params = parameters(request);
    const { aliexpress } = credentials;
    if (params.app_key !== aliexpress.appKey) {
      control.record(request, 'unauthorized');
      return gatewayError(reply, 401, 'InvalidAppKey', 'The specified app key is invalid');
    }
    if (params.sign_method !== 'sha256' || !params.sign || !sameText(params.sign, iopSign(params, aliexpress.appSecret))) {
      control.record(request, 'unauthorized');
      return gatewayError(reply, 401, 'IncompleteSignature', 'The request signature does not conform to platform standards');
    }
    if (params.session !== aliexpress.session) {
      control.record(request, 'unauthorized');
      return gatewayError(reply, 401, 'IllegalAccessToken', 'The specified access token is invalid or expired');
    }
    const behaviour = control.next();
    if (await control.applyFailure(behaviour, request, reply)) return reply;

    if (params.method === 'aliexpress.ds.order.create') {
      const placeOrder = parseJson(params.param_place_order_request4_open_api_d_t_o);
      const items = placeOrder?.product_items;
      const address = placeOrder?.logistics_address as Record<string, unknown> | undefined;
      if (!placeOrder || !Array.isArray(items) || items.length === 0 || !address?.country) {
        control.record(request, 'invalid');
        return reply.send({
          aliexpress_ds_order_create_response: {
            result: { is_success: false, error_code: 'PARAM_ERROR', error_msg: 'param_place_order_request4_open_api_d_t_o needs product_items and logistics_address.country' },
            request_id: requestId(),
          },
        });
      }
      if (behaviour.mode === 'reject') {
        control.record(request, 'reject');
        const errorCode = typeof behaviour.options.code === 'string' ? behaviour.options.code : 'INVENTORY_HOLD_ERROR';
        return reply.send({
          aliexpress_ds_order_create_response: { result: { is_success: false, error_code: errorCode, error_msg: refusalReason(behaviour.options) }, request_id: requestId() },
        });
      }
      const reference = typeof placeOrder.out_order_id === 'string' && placeOrder.out_order_id ? placeOrder.out_order_id : `anonymous-${requestId()}`;
      const { order, repeated } = book.place(reference, placeOrder, behaviour.options);
      control.record(request, repeated ? 'repeated' : behaviour.mode);
      return reply.send({
        aliexpress_ds_order_create_response: { result: { is_success: true, order_list: { number: [Number(order.id)] } }, request_id: requestId() },
      });
    }

    if (params.method === 'aliexpress.trade.ds.order.get') {
      const orderId = parseJson(params.single_order_query)?.order_id;
      const order = orderId === undefined ? undefined : book.get(String(orderId));
      control.record(request, order ? behaviour.mode : 'not_found');
      if (!order) return reply.send({ aliexpress_trade_ds_order_get_response: { request_id: requestId() } });
      book.advance(order);
      return reply.send({ aliexpress_trade_ds_order_get_response: { result: orderView(order), request_id: requestId() } });
    }

    control.record(request, 'invalid');
    return gatewayError(reply, 400, 'InvalidMethod', `The simulator does not implement method ${params.method ?? '(none)'}`);
  });
}
