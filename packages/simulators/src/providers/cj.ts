import { randomBytes, randomInt } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SimulatorContext } from '../context';
import { s10TrackingNumber } from '../tracking-numbers';
import { refusalReason, type SupplierOrder, SupplierOrderBook, type SupplierStage } from '../supplier-orders';

/**
 * CJ Dropshipping API 2.0 (docs/providers/cj.md) under `/cj` (= .../api2.0/v1):
 * `POST authentication/getAccessToken {apiKey}` issues a 15-day token; every other call needs
 * it in `CJ-Access-Token`. Answers use CJ's envelope `{code, result, message, data, requestId}`.
 * Orders: `POST shopping/order/createOrderV2`, `GET shopping/order/getOrderDetail?orderId=`,
 * `DELETE shopping/order/deleteOrder?orderId=` (only before CJ pays/processes: status CREATED).
 * Shipments: China Post registered S10 (`RR…CN`) via "CJPacket Ordinary" (or the order's logisticName).
 * Simulator choices (not in docs/providers/cj.md): refused key/token → HTTP 401 with code 1600001;
 * invalid parameters code 1600100; a refusal uses options.code (default 1603001).
 * `POST /cj/_sim/tokens/expire` forgets all issued tokens (to exercise re-authentication).
 */

const ORDER_STATUS: Record<SupplierStage, string> = {
  placed: 'CREATED',
  confirmed: 'UNSHIPPED',
  shipped: 'SHIPPED',
  delivered: 'DELIVERED',
  cancelled: 'CANCELLED',
};

const TOKEN_LIFETIME_MS = 15 * 24 * 3_600_000;
const REFRESH_LIFETIME_MS = 180 * 24 * 3_600_000;

const requestId = () => randomBytes(16).toString('hex');
const ok = (data: unknown) => ({ code: 200, result: true, message: 'Success', data, requestId: requestId() });
const failure = (code: number, message: string) => ({ code, result: false, message, data: null, requestId: requestId() });

export function registerCj(app: FastifyInstance, context: SimulatorContext): void {
  const { control, credentials } = context;
  const stored = context.store.keep(() => ({
    tokens: new Set<string>(),
    orders: new Map<string, SupplierOrder>(),
    lastOrderId: randomInt(1_000_000) * 1_000,
  }));
  const { tokens } = stored;
  const book = new SupplierOrderBook(
    stored.orders,
    () => `SD${String((stored.lastOrderId += 1)).padStart(12, '0')}`,
    () => ({ trackingNumber: s10TrackingNumber(randomInt(100_000_000), 'RR', 'CN'), carrier: 'CJPacket Ordinary' }),
  );
  book.registerRoutes(app);
  app.post('/_sim/tokens/expire', async () => {
    tokens.clear();
    return { expired: true };
  });

  function orderView(order: SupplierOrder) {
    const request = order.request as Record<string, unknown>;
    return {
      orderId: order.id,
      orderNum: order.reference,
      orderStatus: ORDER_STATUS[order.stage],
      createDate: order.placedAt,
      shippingCountryCode: request.shippingCountryCode,
      logisticName: order.carrier ?? request.logisticName ?? null,
      trackNumber: order.trackingNumber,
      productList: request.products,
    };
  }

  /** Token check and behaviour switch; null when the reply is already sent. */
  async function admit(request: FastifyRequest, reply: FastifyReply): Promise<{ mode: string; options: Record<string, unknown> } | null> {
    const token = request.headers['cj-access-token'];
    if (typeof token !== 'string' || !tokens.has(token)) {
      control.record(request, 'unauthorized');
      await reply.code(401).send(failure(1600001, 'Invalid API key or access token'));
      return null;
    }
    const behaviour = control.next();
    if (await control.applyFailure(behaviour, request, reply)) return null;
    return behaviour;
  }

  const orderOf = (request: FastifyRequest) => book.get(String((request.query as Record<string, unknown>).orderId ?? ''));

  app.post('/authentication/getAccessToken', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (body.apiKey !== credentials.cj.apiKey) {
      control.record(request, 'unauthorized');
      return reply.code(401).send(failure(1600001, 'Invalid API key'));
    }
    // Refusals are about orders: a token request does not use up a `reject` switch.
    const behaviour = control.peek().mode === 'reject' ? control.peek() : control.next();
    if (await control.applyFailure(behaviour, request, reply)) return reply;
    const accessToken = `cj_at_${randomBytes(24).toString('hex')}`;
    tokens.add(accessToken);
    control.record(request, behaviour.mode);
    const now = Date.now();
    return reply.send(
      ok({
        openId: 1_000_001,
        accessToken,
        accessTokenExpiryDate: new Date(now + TOKEN_LIFETIME_MS).toISOString(),
        refreshToken: `cj_rt_${randomBytes(24).toString('hex')}`,
        refreshTokenExpiryDate: new Date(now + REFRESH_LIFETIME_MS).toISOString(),
        createDate: new Date(now).toISOString(),
      }),
    );
  });

  app.post('/shopping/order/createOrderV2', async (request, reply) => {
    const behaviour = await admit(request, reply);
    if (!behaviour) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const products = body.products;
    const validProducts = Array.isArray(products) && products.length > 0 && products.every((p) => p && typeof p.vid === 'string' && Number.isInteger(p.quantity) && p.quantity > 0);
    const orderNumber = typeof body.orderNumber === 'string' ? body.orderNumber : '';
    if (!orderNumber || orderNumber.length > 50 || !validProducts || typeof body.shippingCountryCode !== 'string' || typeof body.shippingCustomerName !== 'string') {
      control.record(request, 'invalid');
      return reply.send(failure(1600100, 'Param error: orderNumber (≤50), shippingCountryCode, shippingCustomerName and products[{vid, quantity}] are required'));
    }
    if (behaviour.mode === 'reject') {
      control.record(request, 'reject');
      const code = typeof behaviour.options.code === 'number' ? behaviour.options.code : 1603001;
      return reply.send(failure(code, refusalReason(behaviour.options)));
    }
    const { order, repeated } = book.place(orderNumber, body, behaviour.options);
    control.record(request, repeated ? 'repeated' : behaviour.mode);
    return reply.send(
      ok({
        orderId: order.id,
        orderNumber: order.reference,
        shipmentOrderId: null,
        orderStatus: ORDER_STATUS[order.stage],
        productAmount: 0,
        postageAmount: 0,
        orderAmount: 0,
        cjPayUrl: null,
      }),
    );
  });

  app.get('/shopping/order/getOrderDetail', async (request, reply) => {
    const behaviour = await admit(request, reply);
    if (!behaviour) return reply;
    const order = orderOf(request);
    control.record(request, order ? behaviour.mode : 'not_found');
    if (!order) return reply.send(failure(1600100, 'Order not found'));
    return reply.send(ok(orderView(book.advance(order))));
  });

  app.delete('/shopping/order/deleteOrder', async (request, reply) => {
    const behaviour = await admit(request, reply);
    if (!behaviour) return reply;
    const order = orderOf(request);
    if (!order) {
      control.record(request, 'not_found');
      return reply.send(failure(1600100, 'Order not found'));
    }
    if (behaviour.mode === 'reject' || !book.cancel(order, ['placed'])) {
      control.record(request, 'reject');
      return reply.send(failure(1603002, `Order ${order.id} is ${ORDER_STATUS[order.stage]} and can no longer be deleted`));
    }
    control.record(request, behaviour.mode);
    return reply.send(ok(order.id));
  });
}
