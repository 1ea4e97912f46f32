import { randomBytes, randomInt } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SimulatorContext } from '../context';
import { impbTrackingNumber } from '../tracking-numbers';
import { refusalReason, type SupplierOrder, SupplierOrderBook, type SupplierStage } from '../supplier-orders';

/**
 * Spocket. ASSUMED API, NOT DOCUMENTED: Spocket publishes no order API, so this is the small
 * REST shape our adapter speaks (apps/fulfillment/src/adapters/suppliers/spocket.ts):
 * `Authorization: Bearer <api key>`; `POST /orders {external_id, line_items[{variant_id,
 * quantity}], shipping_address}` → 201 order; `GET /orders/:id`; `POST /orders/:id/cancel`;
 * errors `{error: {code, message}}` (401 unauthorized, 404 not_found, 409 not_cancellable,
 * 422 invalid / refusal). Spocket suppliers are mostly US/EU warehouses: orders ship with
 * 22-digit USPS IMpb numbers.
 */

const ORDER_STATUS: Record<SupplierStage, string> = {
  placed: 'pending',
  confirmed: 'confirmed',
  shipped: 'shipped',
  delivered: 'delivered',
  cancelled: 'cancelled',
};

const apiError = (reply: FastifyReply, status: number, code: string, message: string) => reply.code(status).send({ error: { code, message } });

export function registerSpocket(app: FastifyInstance, context: SimulatorContext): void {
  const { control, credentials } = context;
  const book = new SupplierOrderBook(
    context.store.keep(() => ({ orders: new Map<string, SupplierOrder>() })).orders,
    () => `ord_${randomBytes(10).toString('hex')}`,
    () => ({ trackingNumber: impbTrackingNumber(BigInt(randomInt(10 ** 14)) * 1_000n + BigInt(randomInt(1_000))), carrier: 'USPS' }),
  );
  book.registerRoutes(app);

  function orderView(order: SupplierOrder) {
    const request = order.request as Record<string, unknown>;
    return {
      id: order.id,
      external_id: order.reference,
      status: ORDER_STATUS[order.stage],
      line_items: request.line_items,
      tracking_number: order.trackingNumber,
      carrier: order.carrier,
      reason: null,
      created_at: order.placedAt,
      updated_at: order.updatedAt,
    };
  }

  /** Bearer key check and behaviour switch; null when the reply is already sent. */
  async function admit(request: FastifyRequest, reply: FastifyReply) {
    if (request.headers.authorization !== `Bearer ${credentials.spocket.apiKey}`) {
      control.record(request, 'unauthorized');
      await apiError(reply, 401, 'unauthorized', 'Missing or invalid API key');
      return null;
    }
    const behaviour = control.next();
    if (await control.applyFailure(behaviour, request, reply)) return null;
    return behaviour;
  }

  const orderOf = (request: FastifyRequest) => book.get((request.params as { id: string }).id);

  app.post('/orders', async (request, reply) => {
    const behaviour = await admit(request, reply);
    if (!behaviour) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const lines = body.line_items;
    const validLines =
      Array.isArray(lines) &&
      lines.length > 0 &&
      lines.every((line: Record<string, unknown>) => typeof line?.variant_id === 'string' && Number.isInteger(line.quantity) && Number(line.quantity) > 0);
    const address = body.shipping_address as Record<string, unknown> | undefined;
    if (typeof body.external_id !== 'string' || !body.external_id || !validLines || typeof address?.country_code !== 'string') {
      control.record(request, 'invalid');
      return apiError(reply, 422, 'invalid_request', 'external_id, line_items[{variant_id, quantity}] and shipping_address.country_code are required');
    }
    if (behaviour.mode === 'reject') {
      control.record(request, 'reject');
      const code = typeof behaviour.options.code === 'string' ? behaviour.options.code : 'out_of_stock';
      return apiError(reply, 422, code, refusalReason(behaviour.options));
    }
    const { order, repeated } = book.place(body.external_id, body, behaviour.options);
    control.record(request, repeated ? 'repeated' : behaviour.mode);
    return reply.code(repeated ? 200 : 201).send(orderView(order));
  });

  app.get('/orders/:id', async (request, reply) => {
    const behaviour = await admit(request, reply);
    if (!behaviour) return reply;
    const order = orderOf(request);
    control.record(request, order ? behaviour.mode : 'not_found');
    if (!order) return apiError(reply, 404, 'not_found', 'No such order');
    return orderView(book.advance(order));
  });

  app.post('/orders/:id/cancel', async (request, reply) => {
    const behaviour = await admit(request, reply);
    if (!behaviour) return reply;
    const order = orderOf(request);
    if (!order) {
      control.record(request, 'not_found');
      return apiError(reply, 404, 'not_found', 'No such order');
    }
    if (behaviour.mode === 'reject' || !book.cancel(order, ['placed', 'confirmed'])) {
      control.record(request, 'reject');
      return apiError(reply, 409, 'not_cancellable', `Order is ${ORDER_STATUS[order.stage]} and can no longer be cancelled`);
    }
    control.record(request, behaviour.mode);
    return orderView(order);
  });
}
