import type { PlatformHttpServer } from '@platform/config';
import {
  createOrderRequestSchema,
  idempotencyKeySchema,
  orderIdParamsSchema,
  orderSchema,
} from '@platform/contracts/api/orders';
import { problemSchema } from '@platform/contracts/api/problem';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Upstream, UpstreamResponse } from '../adapters/upstream';

/**
 * Sends a service's answer as it came: the body is already serialized JSON, so Fastify passes
 * the string through instead of serializing it again against the route's response schema.
 */
function relay(reply: FastifyReply, answer: UpstreamResponse): FastifyReply {
  const location = answer.headers.location;
  return reply
    .code(answer.status)
    .headers({ ...answer.headers, ...(location && { location: `/v1${location}` }) })
    .send(answer.body);
}

const problems = { 400: problemSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema, 502: problemSchema, 503: problemSchema, 504: problemSchema };

/** `/v1/orders`: validated here (bad input never leaves the gateway), then served by the orders service. */
export function registerOrderRoutes(app: PlatformHttpServer, orders: Upstream): void {
  app.post(
    '/v1/orders',
    {
      schema: {
        summary: 'Place an order',
        headers: z.object({ 'idempotency-key': idempotencyKeySchema.optional() }),
        body: createOrderRequestSchema,
        response: { 201: orderSchema, ...problems },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      const answer = await orders.request('orders', {
        method: 'POST',
        json: request.body,
        headers: key ? { 'idempotency-key': key } : {},
        requestId: String(request.id),
      });
      return relay(reply, answer);
    },
  );

  app.get(
    '/v1/orders/:id',
    { schema: { summary: 'Get an order', params: orderIdParamsSchema, response: { 200: orderSchema, ...problems } } },
    async (request, reply) => relay(reply, await orders.request(`orders/${request.params.id}`, { requestId: String(request.id) })),
  );
}
