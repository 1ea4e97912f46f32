import { actorOf } from '@platform/runtime/actor';
import { type PlatformHttpServer, sendProblem } from '@platform/runtime/http';
import {
  cancelOrderRequestSchema,
  createOrderRequestSchema,
  idempotencyKeySchema,
  listOrdersQuerySchema,
  manualStatusChangeRequestSchema,
  modifyOrderRequestSchema,
  orderIdParamsSchema,
  orderOverviewSchema,
  orderPageSchema,
  orderSchema,
  orderHistorySchema,
  orderWithPartsSchema,
} from '@platform/contracts/api/orders';
import { problemSchema } from '@platform/contracts/api/problem';
import { timelineQuerySchema, timelineResponseSchema } from '@platform/contracts/api/timeline';
import { z } from 'zod';
import { createOrder } from '../application/create-order';
import type { OrdersDeps } from '../application/dependencies';
import { cancelOrder, changeStatusManually, modifyOrder } from '../application/order-commands';
import { findOrders, getOrder, orderHistory, statusOverview } from '../application/order-queries';
import { orderTimeline } from '../application/timeline';
import { assertStaff } from '../domain/actor';
import { etagOf, ifMatchVersion } from './caller';

const problems = { 400: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema };

export function registerOrderRoutes(app: PlatformHttpServer, deps: OrdersDeps): void {
  app.post(
    '/orders',
    {
      schema: {
        headers: z.object({ 'idempotency-key': idempotencyKeySchema.optional() }),
        body: createOrderRequestSchema,
        response: { 200: orderSchema, 201: orderSchema, ...problems },
      },
    },
    async (request, reply) => {
      const result = await createOrder(deps, request.body, actorOf(request), request.headers['idempotency-key']);
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      return reply
        .code(result.status as 201)
        .header('location', `/orders/${result.body.id}`)
        .header('etag', etagOf(result.body))
        .send(result.body);
    },
  );

  app.get(
    '/orders',
    { schema: { querystring: listOrdersQuerySchema, response: { 200: orderPageSchema, ...problems } } },
    async (request) => findOrders(deps.db, request.query, actorOf(request)),
  );

  app.get('/orders/overview', { schema: { response: { 200: orderOverviewSchema, ...problems } } }, async (request) => {
    assertStaff(actorOf(request));
    return statusOverview(deps.db);
  });

  app.get(
    '/orders/:id',
    { schema: { params: orderIdParamsSchema, response: { 200: orderWithPartsSchema, ...problems } } },
    async (request, reply) => {
      const order = await getOrder(deps.db, request.params.id, actorOf(request));
      return reply.header('etag', etagOf(order)).send(order);
    },
  );

  app.get(
    '/orders/:id/history',
    { schema: { params: orderIdParamsSchema, response: { 200: orderHistorySchema, ...problems } } },
    async (request) => orderHistory(deps.db, request.params.id, actorOf(request)),
  );

  app.get(
    '/orders/:id/timeline',
    { schema: { params: orderIdParamsSchema, querystring: timelineQuerySchema, response: { 200: timelineResponseSchema, ...problems } } },
    async (request) => orderTimeline(deps.db, request.params.id, actorOf(request), request.query.audience),
  );

  app.post(
    '/orders/:id/cancel',
    { schema: { params: orderIdParamsSchema, body: cancelOrderRequestSchema, response: { 200: orderSchema, ...problems } } },
    async (request, reply) => {
      const order = await cancelOrder(deps, {
        orderId: request.params.id,
        reason: request.body.reason,
        actor: actorOf(request),
        expectedVersion: ifMatchVersion(request),
      });
      return reply.header('etag', etagOf(order)).send(order);
    },
  );

  app.patch(
    '/orders/:id',
    {
      schema: {
        params: orderIdParamsSchema,
        body: modifyOrderRequestSchema,
        response: { 200: orderSchema, 428: problemSchema, ...problems },
      },
    },
    async (request, reply) => {
      const expectedVersion = ifMatchVersion(request);
      if (expectedVersion === undefined) {
        return sendProblem(request, reply, 428, 'PRECONDITION_REQUIRED', 'If-Match is required', 'Send If-Match: "<version>" with the version you read');
      }
      const order = await modifyOrder(deps, { orderId: request.params.id, expectedVersion, changes: request.body, actor: actorOf(request) });
      return reply.header('etag', etagOf(order)).send(order);
    },
  );

  app.post(
    '/orders/:id/status',
    { schema: { params: orderIdParamsSchema, body: manualStatusChangeRequestSchema, response: { 200: orderSchema, ...problems } } },
    async (request, reply) => {
      const order = await changeStatusManually(deps, {
        orderId: request.params.id,
        status: request.body.status,
        reason: request.body.reason,
        actor: actorOf(request),
        expectedVersion: ifMatchVersion(request),
      });
      return reply.header('etag', etagOf(order)).send(order);
    },
  );
}
