import { actorOf } from '@platform/runtime/actor';
import type { PlatformHttpServer } from '@platform/runtime/http';
import {
  createHubRequestSchema,
  createDraftShipmentRequestSchema,
  createHubShipmentRequestSchema,
  fulfillmentOrderIdParamsSchema,
  fulfillmentOrderParamsSchema,
  hubParamsSchema,
  hubSchema,
  hubShipmentResponseSchema,
  hubStockParamsSchema,
  hubStockResponseSchema,
  opsTaskParamsSchema,
  opsTaskSchema,
  resolveOpsTaskRequestSchema,
  setHubStockRequestSchema,
  setStockPolicyRequestSchema,
  shipmentParamsSchema,
  shipmentSchema,
  shipmentStatusRequestSchema,
  stockPolicyParamsSchema,
  stockPolicySchema,
  updateDraftShipmentRequestSchema,
  updateHubRequestSchema,
  workflowCommandResponseSchema,
} from '@platform/contracts/api/fulfillment';
import type { Fulfillment } from '../application/context';
import { createHub, setStock, setStockPolicy, updateHub } from '../application/hubs';
import { opsTaskView, resolveOpsTask } from '../application/ops-tasks';
import { changeShipmentStatus, createDraftShipment, shipFromHub, updateDraftShipment } from '../application/shipments';
import { retryFulfillment, startProcessing } from '../application/workflow-commands';

/** What ops and the hubs do: move a workflow on by hand, prepare and hand over hub shipments, settle an ops task, manage hubs, stock and short-stock policies. */
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
    '/fulfillment-orders/:id/shipments',
    { schema: { params: fulfillmentOrderIdParamsSchema, body: createDraftShipmentRequestSchema, response: { 201: shipmentSchema } } },
    async (request, reply) => {
      const { items, carrier } = request.body;
      const shipment = await createDraftShipment(fulfillment, request.params.id, { ...(items && { items }), carrier: carrier ?? null });
      request.log.info({ shipmentId: shipment.id, actor: actorOf(request).name }, 'hub shipment drafted');
      return reply.code(201).send(shipment);
    },
  );

  app.patch('/shipments/:id', { schema: { params: shipmentParamsSchema, body: updateDraftShipmentRequestSchema, response: { 200: shipmentSchema } } }, async (request) => {
    const shipment = await updateDraftShipment(fulfillment, request.params.id, request.body);
    request.log.info({ shipmentId: shipment.id, changes: request.body, actor: actorOf(request).name }, 'hub shipment draft changed');
    return shipment;
  });

  app.post('/shipments/:id/status', { schema: { params: shipmentParamsSchema, body: shipmentStatusRequestSchema, response: { 200: shipmentSchema } } }, (request) =>
    changeShipmentStatus(fulfillment, request.params.id, { ...request.body, actor: actorOf(request).name }),
  );

  app.post(
    '/ops/tasks/:taskId/resolve',
    { schema: { params: opsTaskParamsSchema, body: resolveOpsTaskRequestSchema, response: { 200: opsTaskSchema } } },
    async (request) => {
      const { outcome, note } = request.body;
      return opsTaskView(await resolveOpsTask(fulfillment, { taskId: request.params.taskId, outcome, note: note ?? null, actor: actorOf(request).name }));
    },
  );

  app.post('/hubs', { schema: { body: createHubRequestSchema, response: { 201: hubSchema } } }, async (request, reply) => {
    const hub = await createHub(fulfillment, request.body);
    request.log.info({ hubId: hub.id, actor: actorOf(request).name }, 'hub created');
    return reply.code(201).send(hub);
  });

  app.patch('/hubs/:id', { schema: { params: hubParamsSchema, body: updateHubRequestSchema, response: { 200: hubSchema } } }, async (request) => {
    const hub = await updateHub(fulfillment, request.params.id, request.body);
    request.log.info({ hubId: hub.id, changes: request.body, actor: actorOf(request).name }, 'hub changed');
    return hub;
  });

  app.put(
    '/hubs/:id/stock/:sku',
    { schema: { params: hubStockParamsSchema, body: setHubStockRequestSchema, response: { 200: hubStockResponseSchema } } },
    async (request) => {
      const stock = await setStock(fulfillment, request.params.id, request.params.sku, request.body);
      request.log.info({ hubId: stock.hubId, sku: stock.sku, onHand: stock.onHand, actor: actorOf(request).name }, 'stock adjusted');
      return stock;
    },
  );

  app.put(
    '/inventory/policies/:sku',
    { schema: { params: stockPolicyParamsSchema, body: setStockPolicyRequestSchema, response: { 200: stockPolicySchema } } },
    async (request) => {
      const policy = await setStockPolicy(fulfillment, request.params.sku, request.body);
      request.log.info({ ...policy, actor: actorOf(request).name }, 'short-stock policy set');
      return policy;
    },
  );
}
