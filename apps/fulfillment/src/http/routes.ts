import { DomainError } from '@platform/runtime/errors';
import type { PlatformHttpServer } from '@platform/runtime/http';
import type { WorkflowState } from '@platform/contracts';
import {
  createHubShipmentRequestSchema,
  fulfillmentOrderParamsSchema,
  hubParamsSchema,
  hubShipmentResponseSchema,
  hubsResponseSchema,
  hubStockResponseSchema,
  opsTaskParamsSchema,
  opsTaskSchema,
  opsTasksQuerySchema,
  opsTasksResponseSchema,
  orderFulfillmentSchema,
  resolveOpsTaskRequestSchema,
  setHubStockRequestSchema,
  supplierCallsResponseSchema,
  timersQuerySchema,
  timersResponseSchema,
  workflowCommandResponseSchema,
} from '@platform/contracts/api/fulfillment';
import type { Fulfillment } from '../application/context';
import { setStock } from '../application/inventory';
import { opsTaskView, resolveOpsTask } from '../application/ops-tasks';
import { shipFromHub } from '../application/shipments';
import { loadWorkflow, sendWorkflowEvent, WorkflowNotFoundError } from '../application/workflows';
import { MAX_RETRIES, type ShippingAddress, type WorkflowContext } from '../domain/order-workflow';

const iso = (date: Date | null) => date?.toISOString() ?? null;

/** The caller as the gateway names it (`x-actor`), or `system`. */
function actorOf(request: { headers: Record<string, string | string[] | undefined> }): string {
  const actor = request.headers['x-actor'];
  return typeof actor === 'string' && actor.length > 0 ? actor : 'system';
}

export function registerRoutes(app: PlatformHttpServer, fulfillment: Fulfillment): void {
  const { db } = fulfillment;

  app.get('/orders/:orderId', { schema: { params: fulfillmentOrderParamsSchema, response: { 200: orderFulfillmentSchema } } }, async (request) => {
    const { orderId } = request.params;
    const workflow = await db.workflow.findUnique({ where: { orderId } });
    if (!workflow) throw new WorkflowNotFoundError(orderId);
    const [history, supplierOrders, fulfillmentOrders, shipments, reservations, timers, parked, tasks] = await Promise.all([
      db.workflowHistory.findMany({ where: { orderId }, orderBy: { at: 'asc' } }),
      db.supplierOrder.findMany({ where: { orderId }, orderBy: [{ attempt: 'asc' }, { supplier: 'asc' }] }),
      db.fulfillmentOrder.findMany({ where: { orderId }, include: { items: true }, orderBy: { createdAt: 'asc' } }),
      db.shipment.findMany({ where: { orderId }, orderBy: { createdAt: 'asc' } }),
      db.reservation.findMany({ where: { orderId }, orderBy: { createdAt: 'asc' } }),
      db.timer.findMany({ where: { key: orderId, firedAt: null }, orderBy: { fireAt: 'asc' } }),
      db.parkedEvent.findMany({ where: { orderId }, orderBy: { seq: 'asc' } }),
      db.opsTask.findMany({ where: { orderId }, orderBy: { createdAt: 'asc' } }),
    ]);
    const { context } = workflow.snapshot as unknown as { context: WorkflowContext };
    return {
      orderId,
      state: workflow.state as WorkflowState,
      version: workflow.version,
      retryCount: workflow.retryCount,
      error: workflow.error,
      order: {
        number: context.order.number,
        customerId: context.order.customer.id,
        deliveryType: context.order.deliveryType,
        deliveryWindow: context.order.deliveryWindow,
        currency: context.order.currency,
        total: context.order.total,
        shippingAddress: context.order.shippingAddress,
        items: context.order.items.map(({ sku, name, quantity, supplierSource }) => ({ sku, name, quantity, supplierSource })),
      },
      tracking: context.tracking,
      history: history.map((h) => ({ from: h.fromState as WorkflowState, to: h.toState as WorkflowState, trigger: h.trigger, details: h.details as Record<string, unknown>, at: h.at.toISOString() })),
      supplierOrders: supplierOrders.map((s) => ({ ...s, orderId: undefined, createdAt: s.createdAt.toISOString(), updatedAt: s.updatedAt.toISOString() })),
      fulfillmentOrders: fulfillmentOrders.map((f) => ({
        id: f.id,
        hubId: f.hubId,
        status: f.status as 'ready_to_prepare',
        priority: f.priority as 'NORMAL',
        attempt: f.attempt,
        items: f.items.map(({ sku, name, quantity, remainingQuantity }) => ({ sku, name, quantity, remainingQuantity })),
      })),
      shipments: shipments.map((s) => ({
        id: s.id,
        source: s.source,
        fulfillmentOrderId: s.fulfillmentOrderId,
        supplierOrderId: s.supplierOrderId,
        status: s.status as 'in_transit',
        trackingNumber: s.trackingNumber,
        carrier: s.carrier,
        address: s.address as unknown as ShippingAddress,
        items: s.items,
        shippedAt: iso(s.shippedAt),
        deliveredAt: iso(s.deliveredAt),
      })),
      reservations: reservations.map((r) => ({
        id: r.id,
        hubId: r.hubId,
        sku: r.sku,
        quantity: r.quantity,
        status: r.status as 'held',
        expiresAt: iso(r.expiresAt),
        releaseReason: r.releaseReason,
      })),
      pendingTimers: timers.map(timerView),
      opsTasks: tasks.map(opsTaskView),
      parkedEvents: parked.map((p) => ({ eventType: p.eventType, parkedAt: p.parkedAt.toISOString(), droppedAt: iso(p.droppedAt), dropReason: p.dropReason })),
    };
  });

  app.get('/ops/tasks', { schema: { querystring: opsTasksQuerySchema, response: { 200: opsTasksResponseSchema } } }, async (request) => {
    const tasks = await db.opsTask.findMany({ where: { status: request.query.status }, orderBy: { createdAt: 'asc' }, take: 500 });
    return { tasks: tasks.map(opsTaskView) };
  });

  app.post(
    '/ops/tasks/:taskId/resolve',
    { schema: { params: opsTaskParamsSchema, body: resolveOpsTaskRequestSchema, response: { 200: opsTaskSchema } } },
    async (request) => {
      const { outcome, note } = request.body;
      const task = await db.$transaction((tx) => resolveOpsTask(tx, fulfillment, { taskId: request.params.taskId, outcome, note: note ?? null, actor: actorOf(request) }));
      return opsTaskView(task);
    },
  );

  app.post(
    '/orders/:orderId/process',
    { schema: { params: fulfillmentOrderParamsSchema, response: { 200: workflowCommandResponseSchema } } },
    async (request) => {
      const { orderId } = request.params;
      return db.$transaction(async (tx) => {
        const workflow = await loadWorkflow(tx, fulfillment, orderId);
        if (!workflow) throw new WorkflowNotFoundError(orderId);
        if (workflow.snapshot.value !== 'payment_confirmed') {
          throw new DomainError('conflict', 'WORKFLOW_NOT_PROCESSABLE', `The order is ${String(workflow.snapshot.value)}; processing starts from payment_confirmed`);
        }
        const { step } = await sendWorkflowEvent(tx, fulfillment, orderId, { type: 'START_PROCESSING' }, { actor: actorOf(request) });
        return { orderId, state: step.to, retryCount: step.snapshot.context.retryCount };
      });
    },
  );

  app.post(
    '/orders/:orderId/retry',
    { schema: { params: fulfillmentOrderParamsSchema, response: { 200: workflowCommandResponseSchema } } },
    async (request) => {
      const { orderId } = request.params;
      return db.$transaction(async (tx) => {
        // Only a failed order is retried by hand: retrying one that is placed would place a
        // second order at a supplier that may still confirm the first.
        const current = await loadWorkflow(tx, fulfillment, orderId, { lock: true });
        if (current && current.snapshot.value !== 'failed') {
          throw new DomainError('conflict', 'RETRY_NOT_ALLOWED', `Cannot retry: the order is ${String(current.snapshot.value)}, not failed`);
        }
        const result = await sendWorkflowEvent(tx, fulfillment, orderId, { type: 'RETRY' }, { actor: actorOf(request) });
        if (!result.accepted) {
          const { from, snapshot } = result.step;
          const why =
            (from === 'failed' || from === 'placed_with_supplier') && snapshot.context.retryCount >= MAX_RETRIES
              ? `the order was already retried ${MAX_RETRIES} times`
              : `the order is ${from}`;
          throw new DomainError('conflict', 'RETRY_NOT_ALLOWED', `Cannot retry: ${why}`);
        }
        return { orderId, state: result.step.to, retryCount: result.step.snapshot.context.retryCount };
      });
    },
  );

  app.post(
    '/orders/:orderId/shipments',
    { schema: { params: fulfillmentOrderParamsSchema, body: createHubShipmentRequestSchema, response: { 201: hubShipmentResponseSchema } } },
    async (request, reply) => {
      const { orderId } = request.params;
      const { trackingNumber, carrier, items } = request.body;
      const result = await db.$transaction((tx) =>
        shipFromHub(tx, fulfillment, orderId, { trackingNumber, carrier: carrier ?? null, ...(items && { items }), actor: actorOf(request) }),
      );
      return reply.code(201).send({ orderId, shipmentId: result.shipmentId, state: result.state as WorkflowState });
    },
  );

  app.get(
    '/orders/:orderId/supplier-calls',
    { schema: { params: fulfillmentOrderParamsSchema, response: { 200: supplierCallsResponseSchema } } },
    async (request) => {
      const { orderId } = request.params;
      const calls = await db.supplierCall.findMany({ where: { orderId }, orderBy: { createdAt: 'asc' } });
      return { orderId, calls: calls.map(({ orderId: _orderId, ...call }) => ({ ...call, createdAt: call.createdAt.toISOString() })) };
    },
  );

  app.get('/hubs', { schema: { response: { 200: hubsResponseSchema } } }, async () => {
    const hubs = await db.hub.findMany({ include: { stock: { orderBy: { sku: 'asc' } } }, orderBy: { id: 'asc' } });
    return {
      hubs: hubs.map(({ createdAt: _createdAt, stock, ...hub }) => ({
        ...hub,
        stock: stock.map((s) => ({ sku: s.sku, onHand: s.onHand, reserved: s.reserved, available: s.onHand - s.reserved })),
      })),
    };
  });

  app.put(
    '/hubs/:id/stock',
    { schema: { params: hubParamsSchema, body: setHubStockRequestSchema, response: { 200: hubStockResponseSchema } } },
    async (request) => {
      const stock = await setStock(db, request.params.id, request.body.sku, request.body.onHand, fulfillment.clock.now());
      request.log.info({ hubId: stock.hubId, sku: stock.sku, onHand: stock.onHand, actor: actorOf(request) }, 'stock adjusted');
      return { hubId: stock.hubId, sku: stock.sku, onHand: stock.onHand, reserved: stock.reserved, available: stock.onHand - stock.reserved };
    },
  );

  app.get('/timers', { schema: { querystring: timersQuerySchema, response: { 200: timersResponseSchema } } }, async (request) => {
    const { state, limit } = request.query;
    const timers = await db.timer.findMany({
      where: state === 'pending' ? { firedAt: null } : state === 'fired' ? { firedAt: { not: null } } : {},
      orderBy: { fireAt: state === 'fired' ? 'desc' : 'asc' },
      take: limit,
    });
    return { timers: timers.map(timerView) };
  });
}

function timerView(timer: { id: string; kind: string; key: string; fireAt: Date; firedAt: Date | null; attempts: number; lastError: string | null }) {
  return { id: timer.id, kind: timer.kind, key: timer.key, fireAt: timer.fireAt.toISOString(), firedAt: iso(timer.firedAt), attempts: timer.attempts, lastError: timer.lastError };
}
