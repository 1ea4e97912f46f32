import type { FulfillmentOrderView, OrderFulfillment, ShipmentView } from '@platform/contracts/api/fulfillment';
import type { Transaction } from '../adapters/database';
import { DomainError } from '@platform/contracts/errors';
import { MAX_RETRIES, type ShippingAddress, stateOf } from '../domain/order-workflow';
import { type Fulfillment, TIMER_KINDS } from './context';
import { opsTaskView } from './ops-tasks';
import { loadWorkflow, WorkflowNotFoundError } from './workflow-store';

/** The read side of the HTTP API: what fulfillment shows of an order, its tasks, calls and timers (hubs: `hubs.ts`). */

const iso = (date: Date | null) => date?.toISOString() ?? null;

/** `GET /orders/:orderId`: the workflow and everything fulfillment did for the order. */
export async function orderFulfillmentView(fulfillment: Fulfillment, orderId: string): Promise<OrderFulfillment> {
  const { db } = fulfillment;
  const workflow = await loadWorkflow(db, fulfillment, orderId);
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
  const { context } = workflow.snapshot;
  // A refused attempt shows `failed` while its automatic retry is pending: say when it is due.
  const retry = timers.find((t) => t.kind === TIMER_KINDS.supplierRetry);
  return {
    orderId,
    state: stateOf(workflow.snapshot),
    version: workflow.version,
    retryCount: context.retryCount,
    maxRetries: MAX_RETRIES,
    nextRetryAt: iso(retry?.fireAt ?? null),
    error: context.error,
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
    failedParts: context.failedParts,
    history: history.map((h) => ({ from: h.fromState as OrderFulfillment['state'], to: h.toState as OrderFulfillment['state'], trigger: h.trigger, details: h.details as Record<string, unknown>, at: h.at.toISOString() })),
    supplierOrders: supplierOrders.map(({ orderId: _orderId, ...s }) => ({ ...s, createdAt: s.createdAt.toISOString(), updatedAt: s.updatedAt.toISOString() })),
    fulfillmentOrders: fulfillmentOrders.map(fulfillmentOrderView),
    shipments: shipments.map(shipmentView),
    reservations: reservations.map((r) => ({
      id: r.id,
      hubId: r.hubId,
      sku: r.sku,
      quantity: r.quantity,
      status: r.status as 'held',
      expiresAt: iso(r.expiresAt),
      expectedAt: iso(r.expectedAt),
      releaseReason: r.releaseReason,
    })),
    pendingTimers: timers.map(timerView),
    opsTasks: tasks.map(opsTaskView),
    parkedEvents: parked.map((p) => ({ eventType: p.eventType, parkedAt: p.parkedAt.toISOString(), droppedAt: iso(p.droppedAt), dropReason: p.dropReason })),
  };
}

type ShipmentRow = NonNullable<Awaited<ReturnType<Transaction['shipment']['findUnique']>>>;
type FulfillmentOrderRow = NonNullable<Awaited<ReturnType<Transaction['fulfillmentOrder']['findUnique']>>>;
type FulfillmentOrderItemRow = NonNullable<Awaited<ReturnType<Transaction['fulfillmentOrderItem']['findUnique']>>>;

export function shipmentView(s: ShipmentRow): ShipmentView {
  return {
    id: s.id,
    source: s.source,
    fulfillmentOrderId: s.fulfillmentOrderId,
    supplierOrderId: s.supplierOrderId,
    status: s.status as ShipmentView['status'],
    trackingNumber: s.trackingNumber,
    carrier: s.carrier,
    address: s.address as unknown as ShippingAddress,
    items: s.items,
    shippedAt: iso(s.shippedAt),
    deliveredAt: iso(s.deliveredAt),
  };
}

function fulfillmentOrderView(f: FulfillmentOrderRow & { items: FulfillmentOrderItemRow[] }) {
  return {
    id: f.id,
    hubId: f.hubId,
    status: f.status as FulfillmentOrderView['status'],
    priority: f.priority as FulfillmentOrderView['priority'],
    attempt: f.attempt,
    items: f.items.map(({ sku, name, quantity, remainingQuantity }) => ({ sku, name, quantity, remainingQuantity })),
  };
}

/** `GET /fulfillment-orders/:id`: one hub's part of an order, what remains of it to allocate, and its parcels. */
export async function fulfillmentOrderDetails(fulfillment: Fulfillment, id: string): Promise<FulfillmentOrderView> {
  const order = await fulfillment.db.fulfillmentOrder.findUnique({ where: { id }, include: { items: true } });
  if (!order) throw new DomainError('not_found', 'FULFILLMENT_ORDER_NOT_FOUND', `Fulfillment order ${id} not found`);
  const shipments = await fulfillment.db.shipment.findMany({ where: { fulfillmentOrderId: id }, orderBy: { createdAt: 'asc' } });
  return { ...fulfillmentOrderView(order), orderId: order.orderId, shipments: shipments.map(shipmentView) };
}

/** `GET /ops/tasks`: the oldest first, at most 500. */
export async function listOpsTasks(fulfillment: Fulfillment, status: 'open' | 'resolved') {
  const tasks = await fulfillment.db.opsTask.findMany({ where: { status }, orderBy: { createdAt: 'asc' }, take: 500 });
  return tasks.map(opsTaskView);
}

/** `GET /orders/:orderId/supplier-calls`: every supplier call made for the order. */
export async function supplierCalls(fulfillment: Fulfillment, orderId: string) {
  const calls = await fulfillment.db.supplierCall.findMany({ where: { orderId }, orderBy: { createdAt: 'asc' } });
  return calls.map(({ orderId: _orderId, ...call }) => ({ ...call, createdAt: call.createdAt.toISOString() }));
}

/** `GET /timers`: pending ones soonest first, fired ones latest first. */
export async function listTimers(fulfillment: Fulfillment, query: { state: 'pending' | 'fired' | 'all'; limit: number }) {
  const { state, limit } = query;
  const timers = await fulfillment.db.timer.findMany({
    where: state === 'pending' ? { firedAt: null } : state === 'fired' ? { firedAt: { not: null } } : {},
    orderBy: { fireAt: state === 'fired' ? 'desc' : 'asc' },
    take: limit,
  });
  return timers.map(timerView);
}

function timerView(timer: { id: string; kind: string; key: string; fireAt: Date; firedAt: Date | null; attempts: number; lastError: string | null }) {
  return { id: timer.id, kind: timer.kind, key: timer.key, fireAt: timer.fireAt.toISOString(), firedAt: iso(timer.firedAt), attempts: timer.attempts, lastError: timer.lastError };
}
