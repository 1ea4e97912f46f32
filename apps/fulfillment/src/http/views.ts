import type { PlatformHttpServer } from '@platform/runtime/http';
import {
  fulfillmentOrderIdParamsSchema,
  fulfillmentOrderParamsSchema,
  fulfillmentOrderViewSchema,
  hubsResponseSchema,
  opsTasksQuerySchema,
  stockPoliciesResponseSchema,
  opsTasksResponseSchema,
  orderFulfillmentSchema,
  supplierCallsResponseSchema,
  timersQuerySchema,
  timersResponseSchema,
} from '@platform/contracts/api/fulfillment';
import type { Fulfillment } from '../application/context';
import { listHubs, listStockPolicies } from '../application/hubs';
import { fulfillmentOrderDetails, listOpsTasks, listTimers, orderFulfillmentView, supplierCalls } from '../application/queries';

/** The read side: an order's fulfillment, a hub fulfillment order with its parcels, its supplier calls, ops tasks, hubs, short-stock policies, timers. */
export function registerViewRoutes(app: PlatformHttpServer, fulfillment: Fulfillment): void {
  app.get('/orders/:orderId', { schema: { params: fulfillmentOrderParamsSchema, response: { 200: orderFulfillmentSchema } } }, (request) =>
    orderFulfillmentView(fulfillment, request.params.orderId),
  );

  app.get('/fulfillment-orders/:id', { schema: { params: fulfillmentOrderIdParamsSchema, response: { 200: fulfillmentOrderViewSchema } } }, (request) =>
    fulfillmentOrderDetails(fulfillment, request.params.id),
  );

  app.get(
    '/orders/:orderId/supplier-calls',
    { schema: { params: fulfillmentOrderParamsSchema, response: { 200: supplierCallsResponseSchema } } },
    async (request) => ({ orderId: request.params.orderId, calls: await supplierCalls(fulfillment, request.params.orderId) }),
  );

  app.get('/ops/tasks', { schema: { querystring: opsTasksQuerySchema, response: { 200: opsTasksResponseSchema } } }, async (request) => ({
    tasks: await listOpsTasks(fulfillment, request.query.status),
  }));

  app.get('/hubs', { schema: { response: { 200: hubsResponseSchema } } }, async () => ({ hubs: await listHubs(fulfillment) }));

  app.get('/inventory/policies', { schema: { response: { 200: stockPoliciesResponseSchema } } }, async () => ({
    policies: await listStockPolicies(fulfillment),
  }));

  app.get('/timers', { schema: { querystring: timersQuerySchema, response: { 200: timersResponseSchema } } }, async (request) => ({
    timers: await listTimers(fulfillment, request.query),
  }));
}
