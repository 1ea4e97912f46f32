import { actorOf } from '@platform/runtime/actor';
import type { PlatformHttpServer } from '@platform/runtime/http';
import {
  listSubOrdersQuerySchema,
  orderIdParamsSchema,
  orderSubOrdersSchema,
  subOrderDetailSchema,
  subOrderNumberParamsSchema,
  subOrderPageSchema,
} from '@platform/contracts/api/orders';
import { problemSchema } from '@platform/contracts/api/problem';
import type { OrdersDeps } from '../application/dependencies';
import { findSubOrders, getSubOrder, orderSubOrders } from '../application/sub-order-queries';

const problems = { 400: problemSchema, 403: problemSchema, 404: problemSchema };

/** Vendors' parts of orders (ORD-05): by order, by number, and a vendor's list. */
export function registerSubOrderRoutes(app: PlatformHttpServer, deps: OrdersDeps): void {
  app.get(
    '/orders/:id/sub-orders',
    { schema: { params: orderIdParamsSchema, response: { 200: orderSubOrdersSchema, ...problems } } },
    async (request) => orderSubOrders(deps.db, request.params.id, actorOf(request)),
  );

  app.get(
    '/sub-orders/:number',
    { schema: { params: subOrderNumberParamsSchema, response: { 200: subOrderDetailSchema, ...problems } } },
    async (request) => getSubOrder(deps.db, request.params.number, actorOf(request)),
  );

  app.get(
    '/sub-orders',
    { schema: { querystring: listSubOrdersQuerySchema, response: { 200: subOrderPageSchema, ...problems } } },
    async (request) => findSubOrders(deps.db, request.query, actorOf(request)),
  );
}
