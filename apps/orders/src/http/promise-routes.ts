import { actorOf } from '@platform/runtime/actor';
import type { PlatformHttpServer } from '@platform/runtime/http';
import { delayedOrdersPageSchema, delayedOrdersQuerySchema } from '@platform/contracts/api/orders';
import { problemSchema } from '@platform/contracts/api/problem';
import type { OrdersDeps } from '../application/dependencies';
import { delayedOrders } from '../application/promise-watch';

const problems = { 400: problemSchema, 403: problemSchema };

/** Ops' list of orders running late (docs/delivery-promise.md). */
export function registerPromiseRoutes(app: PlatformHttpServer, deps: OrdersDeps): void {
  app.get(
    '/ops/orders/delayed',
    { schema: { querystring: delayedOrdersQuerySchema, response: { 200: delayedOrdersPageSchema, ...problems } } },
    async (request) => delayedOrders(deps.db, request.query, actorOf(request)),
  );
}
