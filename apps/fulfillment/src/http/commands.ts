import { actorOf } from '@platform/runtime/actor';
import type { PlatformHttpServer } from '@platform/runtime/http';
import {
  createHubShipmentRequestSchema,
  fulfillmentOrderParamsSchema,
  hubParamsSchema,
  hubShipmentResponseSchema,
  hubStockResponseSchema,
  opsTaskParamsSchema,
  opsTaskSchema,
  resolveOpsTaskRequestSchema,
  setHubStockRequestSchema,
  workflowCommandResponseSchema,
} from '@platform/contracts/api/fulfillment';
import type { Fulfillment } from '../application/context';
import { setStock } from '../application/inventory';
import { opsTaskView, resolveOpsTask } from '../application/ops-tasks';
import { shipFromHub } from '../application/shipments';
import { retryFulfillment, startProcessing } from '../application/workflow-commands';

/** What ops and the hubs do: move a workflow on by hand, record a hub shipment, settle an ops task, set stock. */
export function registerCommandRoutes(app: PlatformHttpServer, fulfillment: Fulfillment): void {
  app.post(
    '/orders/:orderId/process',
    { schema: { params: fulfillmentOrderParamsSchema, response: { 200: workflowCommandResponseSchema } } },
    (request) => startProcessing(fulfillment, request.params.orderId, actorOf(request).name),
  );

  app.post(
    '/orders/:orderId/retry',
    { schema: { params: fulfillmentOrderParamsSchema, response: { 200: workflowCommandResponseSchema } } },
    (request) => retryFulfillment(fulfillment, request.params.orderId, actorOf(request).name),
  );

  app.post(
    '/orders/:orderId/shipments',
    { schema: { params: fulfillmentOrderParamsSchema, body: createHubShipmentRequestSchema, response: { 201: hubShipmentResponseSchema } } },
    async (request, reply) => {
      const { orderId } = request.params;
      const { trackingNumber, carrier, items } = request.body;
      const result = await shipFromHub(fulfillment, orderId, { trackingNumber, carrier: carrier ?? null, ...(items && { items }), actor: actorOf(request).name });
      return reply.code(201).send({ orderId, ...result });
    },
  );

  app.post(
    '/ops/tasks/:taskId/resolve',
    { schema: { params: opsTaskParamsSchema, body: resolveOpsTaskRequestSchema, response: { 200: opsTaskSchema } } },
    async (request) => {
      const { outcome, note } = request.body;
      return opsTaskView(await resolveOpsTask(fulfillment, { taskId: request.params.taskId, outcome, note: note ?? null, actor: actorOf(request).name }));
    },
  );

  app.put(
    '/hubs/:id/stock',
    { schema: { params: hubParamsSchema, body: setHubStockRequestSchema, response: { 200: hubStockResponseSchema } } },
    async (request) => {
      const stock = await setStock(fulfillment, request.params.id, request.body.sku, request.body.onHand);
      request.log.info({ hubId: stock.hubId, sku: stock.sku, onHand: stock.onHand, actor: actorOf(request).name }, 'stock adjusted');
      return stock;
    },
  );
}
