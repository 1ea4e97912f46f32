import { DomainError } from '@platform/contracts/errors';
import type { PlatformHttpServer } from '@platform/runtime/http';
import { type ComposedService, type OrderDetail, orderDetailSchema, type UnavailablePart } from '@platform/contracts/api/gateway';
import { orderIdParamsSchema } from '@platform/contracts/api/orders';
import type { Upstream } from '../adapters/upstream';
import { actorHeaders, mayActFor, type Principal } from '../domain/api-keys';
import { orderNotFound } from './customer-scope';
import { documentation, relay, type Upstreams } from './forward-routes';

/** Each secondary service's view of an order, by the service's own path. */
const PARTS: ReadonlyArray<{ service: ComposedService; path: (orderId: string) => string }> = [
  { service: 'fulfillment', path: (id) => `/orders/${id}` },
  { service: 'billing', path: (id) => `/orders/${id}/billing` },
  { service: 'tracking', path: (id) => `/orders/${id}/tracking` },
  { service: 'notifications', path: (id) => `/orders/${id}/notifications` },
];

export type PartResult = { value: unknown } | { unavailable: string };

/** One part (also the ops views' per-service answers): its answer, null when the service does not know the order yet (404), or why it is missing. */
export async function fetchPart(upstream: Upstream, path: string, principal: Principal | undefined, requestId: string, timeoutMs: number): Promise<PartResult> {
  try {
    const answer = await upstream.request(path, { headers: actorHeaders(principal), requestId, timeout: { request: timeoutMs } });
    if (answer.status === 200) return { value: JSON.parse(answer.body) as unknown };
    if (answer.status === 404) return { value: null };
    return { unavailable: `HTTP ${answer.status}` };
  } catch (error) {
    if (error instanceof DomainError) return { unavailable: error.kind === 'timeout' ? 'timeout' : error.kind === 'unavailable' ? 'unavailable' : error.code };
    return { unavailable: 'unreadable answer' };
  }
}

/**
 * `GET /v1/orders/:id`: the order (its failure is the answer) with every other service's view
 * of it, fetched in parallel, each bounded by `composeTimeoutMs`. A service that fails leaves
 * its part null and is listed in `unavailable`, so the answer stays useful when one is down.
 */
export function registerOrderDetailRoute(app: PlatformHttpServer, upstreams: Upstreams, composeTimeoutMs: number): void {
  app.route({
    method: 'GET',
    url: '/v1/orders/:id',
    config: { access: 'customer' },
    schema: {
      ...documentation({ tag: 'Orders', summary: 'An order with its fulfillment, billing, tracking and notifications (partial when a service is down)', access: 'customer' }),
      params: orderIdParamsSchema,
      response: { 200: orderDetailSchema },
    },
    handler: async (request, reply) => {
      const { id } = request.params as { id: string };
      const requestId = String(request.id);
      const principal = request.principal;
      const orderAnswer = await upstreams.orders.request(`/orders/${id}`, { headers: actorHeaders(principal), requestId });
      const isCustomer = principal?.role === 'customer';
      // For a customer, someone else's order answers exactly like a missing one.
      if (orderAnswer.status === 404 && isCustomer) throw orderNotFound();
      if (orderAnswer.status !== 200) return relay(reply, orderAnswer);
      const order = JSON.parse(orderAnswer.body) as OrderDetail['order'];
      if (!mayActFor(principal, order.customer?.id)) throw orderNotFound();

      const results = await Promise.all(PARTS.map((part) => fetchPart(upstreams[part.service], part.path(id), principal, requestId, composeTimeoutMs)));
      const detail: Record<string, unknown> = { order };
      const unavailable: UnavailablePart[] = [];
      PARTS.forEach((part, index) => {
        const result = results[index]!;
        detail[part.service] = 'value' in result ? result.value : null;
        if ('unavailable' in result) unavailable.push({ service: part.service, reason: result.unavailable });
      });
      if (unavailable.length > 0) request.log.warn({ orderId: id, unavailable }, 'order detail is partial');
      const etag = orderAnswer.headers.etag;
      // Serialized here like a relayed answer: the parts are the services' own documents.
      return relay(reply, {
        status: 200,
        headers: { 'content-type': 'application/json; charset=utf-8', ...(etag && { etag }) },
        body: JSON.stringify({ ...detail, partial: unavailable.length > 0, unavailable }),
      });
    },
  });
}
