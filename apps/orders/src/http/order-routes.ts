import { DomainError, type PlatformHttpServer } from '@platform/config';
import {
  createOrderRequestSchema,
  idempotencyKeySchema,
  orderIdParamsSchema,
  orderSchema,
} from '@platform/contracts/api/orders';
import { problemSchema } from '@platform/contracts/api/problem';
import { z } from 'zod';
import type { Database } from '../adapters/database';
import { findOrder } from '../adapters/order-repository';
import { createOrder, type CreateOrderDeps } from '../application/create-order';

export function registerOrderRoutes(app: PlatformHttpServer, deps: CreateOrderDeps & { db: Database }): void {
  app.post(
    '/orders',
    {
      schema: {
        headers: z.object({ 'idempotency-key': idempotencyKeySchema.optional() }),
        body: createOrderRequestSchema,
        response: { 200: orderSchema, 201: orderSchema, 400: problemSchema, 409: problemSchema, 422: problemSchema },
      },
    },
    async (request, reply) => {
      const result = await createOrder(deps, request.body, request.headers['idempotency-key']);
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(result.status as 201).header('location', `/orders/${result.body.id}`).send(result.body);
    },
  );

  app.get(
    '/orders/:id',
    { schema: { params: orderIdParamsSchema, response: { 200: orderSchema, 404: problemSchema } } },
    async (request) => {
      const order = await findOrder(deps.db, request.params.id);
      if (!order) throw new DomainError('not_found', 'ORDER_NOT_FOUND', `Order ${request.params.id} does not exist`);
      return order;
    },
  );
}
