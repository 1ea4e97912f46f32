import { randomUUID } from 'node:crypto';
import { DomainError } from '@platform/contracts/errors';
import { newEvent, recordEvent } from '@platform/runtime/outbox';
import {
  type CancellationOutcome,
  cancellationSettled,
  opsTaskChanged,
  type EventData,
  type SupplierCancellationOutcome,
  supplierCancellationOutcomeSchema,
  type SupplierName,
  type SupplierOverdueOutcome,
} from '@platform/contracts';
import type { OpsTask as OpsTaskView, ResolveOpsTaskRequest } from '@platform/contracts/api/fulfillment';
import type { Transaction } from '../adapters/database';
import type { OpsTask, SupplierOrder } from '../generated/prisma/client';
import { type Fulfillment, SERVICE } from './context';
import { LIVE, supplierOrderEvent } from './placement';
import { loadWorkflow, markCancellationSettled } from './workflow-store';

/** `fulfillment.ops_task.changed` tells the tasks about a supplier order; an automation step's task is told by the step's event. */
async function taskEvent(tx: Transaction, task: OpsTask, now: Date): Promise<void> {
  await recordEvent(
    tx,
    newEvent(opsTaskChanged, {
      aggregateId: task.orderId,
      source: SERVICE,
      occurredAt: now,
      data: {
        taskId: task.id,
        orderId: task.orderId,
        kind: task.kind as SupplierOrderTaskKind,
        status: task.status as 'open' | 'resolved',
        supplier: task.supplier as SupplierName,
        supplierOrderId: task.supplierOrderId!,
        reason: task.reason,
        outcome: task.outcome as SupplierCancellationOutcome | SupplierOverdueOutcome | null,
        resolvedBy: task.resolvedBy,
        at: now.toISOString(),
      },
    }),
  );
}

/**
 * The supplier could not cancel `order` (no cancel API, or it refused): the supplier order
 * becomes `cancellation_pending` and ops gets a task to cancel it by hand and say what happened.
 */
export async function openSupplierCancellationTask(tx: Transaction, fulfillment: Fulfillment, order: SupplierOrder, reason: string, now: Date): Promise<void> {
  await tx.supplierOrder.update({ where: { id: order.id }, data: { status: 'cancellation_pending', reason, updatedAt: now } });
  await supplierOrderEvent(tx, order, 'cancellation_pending', reason, now);
  await openSupplierOrderTask(tx, fulfillment, order, 'supplier_cancellation', reason, now);
}

/** Whether `order` was placed longer than the shipping deadline ago (`SUPPLIER_SHIPPING_DEADLINE_MS`). */
export const pastShippingDeadline = (fulfillment: Fulfillment, order: Pick<SupplierOrder, 'createdAt'>, now: Date) =>
  order.createdAt.getTime() + fulfillment.settings.supplierShippingDeadlineMs <= now.getTime();

/** The deadline as ops read it: whole days, else hours. */
export function shippingDeadline(fulfillment: Fulfillment): string {
  const ms = fulfillment.settings.supplierShippingDeadlineMs;
  if (ms % 86_400_000 === 0) return ms === 86_400_000 ? '1 day' : `${ms / 86_400_000} days`;
  return `${Math.max(1, Math.round(ms / 3_600_000))} h`;
}

/**
 * A supplier order confirmed (or reported shipped without a usable tracking number) that has
 * not shipped by the deadline: ops get a `supplier_overdue` task, once, to chase the supplier;
 * the poll keeps asking. `reason` says what the supplier answered at the poll that opened it.
 */
export function openSupplierOverdueTask(tx: Transaction, fulfillment: Fulfillment, order: SupplierOrder, reason: string, now: Date): Promise<void> {
  return openSupplierOrderTask(tx, fulfillment, order, 'supplier_overdue', reason, now);
}

/** The kinds of task about a supplier order (`fulfillment.ops_task.changed`). */
type SupplierOrderTaskKind = EventData<typeof opsTaskChanged>['kind'];

/** Opens ops' task of `kind` about a supplier order, once (a task already there, open or resolved, stays as it is). */
async function openSupplierOrderTask(
  tx: Transaction,
  fulfillment: Fulfillment,
  order: SupplierOrder,
  kind: SupplierOrderTaskKind,
  reason: string,
  now: Date,
): Promise<void> {
  const existing = await tx.opsTask.findUnique({ where: { supplierOrderId_kind: { supplierOrderId: order.id, kind } } });
  if (existing) return;
  const task = await tx.opsTask.create({
    data: {
      id: randomUUID(),
      orderId: order.orderId,
      kind,
      status: 'open',
      supplier: order.supplier,
      supplierOrderId: order.id,
      externalOrderId: order.externalOrderId,
      reason,
      createdAt: now,
    },
  });
  await taskEvent(tx, task, now);
  fulfillment.log.warn({ orderId: order.orderId, supplier: order.supplier, taskId: task.id, kind, reason }, 'ops task opened for a supplier order');
}

/** A supplier order's status that ends its overdue task, and how. */
const OVERDUE_ENDED_BY: Partial<Record<string, SupplierOverdueOutcome>> = {
  shipped: 'supplier_shipped',
  rejected: 'supplier_refused',
  cancelled: 'supplier_order_cancelled',
  cancellation_pending: 'cancellation_left_to_ops',
};

/**
 * `order` took `status`: an open `supplier_overdue` task about it closes when that status ends it
 * (one statement, at the end of a supplier order's life only). Not gated on the deadline: it may
 * have changed since the task opened.
 */
export async function closeSupplierOverdueTask(tx: Transaction, order: Pick<SupplierOrder, 'id'>, status: string, now: Date): Promise<void> {
  const outcome = OVERDUE_ENDED_BY[status];
  if (!outcome) return;
  const closed = await tx.opsTask.updateManyAndReturn({
    where: { supplierOrderId: order.id, kind: 'supplier_overdue', status: 'open' },
    data: { status: 'resolved', outcome, resolvedBy: SERVICE, resolvedAt: now },
  });
  for (const task of closed) await taskEvent(tx, task, now);
}

/**
 * Ops close a supplier order's task. One the supplier could not cancel: ops record what happened
 * there, the supplier order takes that status, the task closes (event + workflow history), and
 * the order's cancellation may now be settled. One overdue for shipping: ops handled it their own
 * way (`handled_by_ops`); the supplier order is still asked for its parcel.
 */
export function resolveOpsTask(
  fulfillment: Fulfillment,
  input: { taskId: string; outcome: ResolveOpsTaskRequest['outcome']; note: string | null; actor: string },
): Promise<OpsTask> {
  return fulfillment.db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT 1 FROM ops_tasks WHERE id = ${input.taskId}::uuid FOR UPDATE`;
    const task = await tx.opsTask.findUnique({ where: { id: input.taskId } });
    if (!task) throw new DomainError('not_found', 'OPS_TASK_NOT_FOUND', `No ops task ${input.taskId}`);
    if (task.status !== 'open') throw new DomainError('conflict', 'OPS_TASK_RESOLVED', `The task was already resolved (${task.outcome}) by ${task.resolvedBy}`);
    if ((task.kind !== 'supplier_cancellation' && task.kind !== 'supplier_overdue') || !task.supplierOrderId) {
      throw new DomainError('conflict', 'OPS_TASK_NOT_RESOLVABLE_HERE', "An automation step's task closes when the step is retried successfully or its fallback is triggered (POST /v1/automation-steps/:id/retry or /fallback)");
    }
    if ((task.kind === 'supplier_overdue') !== (input.outcome === 'handled_by_ops')) {
      const allowed = task.kind === 'supplier_overdue' ? 'handled_by_ops' : supplierCancellationOutcomeSchema.options.join(' or ');
      throw new DomainError('unprocessable', 'OPS_TASK_OUTCOME_MISMATCH', `A ${task.kind} task is resolved with ${allowed}`, [{ pointer: '/outcome', detail: `Expected ${allowed}` }]);
    }
    const now = fulfillment.clock.now();
    const resolved = await tx.opsTask.update({
      where: { id: task.id },
      data: { status: 'resolved', outcome: input.outcome, note: input.note, resolvedBy: input.actor, resolvedAt: now },
    });
    await taskEvent(tx, resolved, now);
    // An overdue supplier order handled by ops stays as it is: still asked for its parcel.
    if (task.kind === 'supplier_overdue') return resolved;
    const supplierOrder = await tx.supplierOrder.findUniqueOrThrow({ where: { id: task.supplierOrderId } });
    const status = input.outcome === 'cancelled_at_supplier' ? 'cancelled' : 'shipped';
    const reason = `${input.outcome === 'cancelled_at_supplier' ? 'Cancelled at the supplier by ops' : 'Shipped although cancelled (ops)'}${input.note ? `: ${input.note}` : ''}`;
    await tx.supplierOrder.update({ where: { id: supplierOrder.id }, data: { status, reason, updatedAt: now } });
    await supplierOrderEvent(tx, supplierOrder, status, reason, now);
    const workflow = await tx.workflow.findUniqueOrThrow({ where: { orderId: task.orderId } });
    await tx.workflowHistory.create({
      data: {
        id: randomUUID(),
        orderId: task.orderId,
        fromState: workflow.state,
        toState: workflow.state,
        trigger: 'SUPPLIER_CANCELLATION_RESOLVED',
        details: { taskId: task.id, supplier: task.supplier, outcome: input.outcome, actor: input.actor, ...(input.note && { note: input.note }) },
        at: now,
      },
    });
    await settleCancellationIfClear(tx, fulfillment, task.orderId, now);
    return resolved;
  });
}

/**
 * Records `fulfillment.cancellation.settled` once for a cancelled order whose supplier side is
 * done: no supplier order still live, no ops task open. Called wherever that may become true
 * (the cancel itself, the supplier cancel calls, an ops resolution).
 */
export async function settleCancellationIfClear(tx: Transaction, fulfillment: Fulfillment, orderId: string, now: Date): Promise<void> {
  const workflow = await loadWorkflow(tx, fulfillment, orderId);
  if (!workflow?.snapshot.hasTag('cancelled') || workflow.cancellationSettledAt) return;
  const [live, open, orders, shippedAnyway] = await Promise.all([
    tx.supplierOrder.count({ where: { orderId, status: { in: LIVE } } }),
    tx.opsTask.count({ where: { orderId, kind: 'supplier_cancellation', status: 'open' } }),
    tx.supplierOrder.count({ where: { orderId, status: 'cancelled' } }),
    tx.opsTask.count({ where: { orderId, outcome: 'shipped_anyway' } }),
  ]);
  if (live > 0 || open > 0) return;
  await recordSettlement(tx, fulfillment, orderId, shippedAnyway > 0 ? 'shipped_anyway' : orders > 0 ? 'cancelled_at_supplier' : 'nothing_at_supplier', now);
}

/**
 * A cancel that reached the workflow after the parcel left (orders accepted it before it
 * heard of the shipment) can never apply: the supplier side is settled as shipped anyway,
 * once, so a refund held for it is not held for ever.
 */
export async function settleCancelAfterShipment(tx: Transaction, fulfillment: Fulfillment, orderId: string, now: Date): Promise<void> {
  const workflow = await loadWorkflow(tx, fulfillment, orderId);
  if (!workflow?.snapshot.hasTag('dispatched') || workflow.cancellationSettledAt) return;
  await recordSettlement(tx, fulfillment, orderId, 'shipped_anyway', now);
}

async function recordSettlement(tx: Transaction, fulfillment: Fulfillment, orderId: string, outcome: CancellationOutcome, now: Date): Promise<void> {
  await markCancellationSettled(tx, fulfillment, orderId, now);
  await recordEvent(tx, newEvent(cancellationSettled, { aggregateId: orderId, source: SERVICE, occurredAt: now, data: { orderId, outcome, at: now.toISOString() } }));
}

export function opsTaskView(task: OpsTask): OpsTaskView {
  return {
    ...task,
    kind: task.kind as OpsTaskView['kind'],
    status: task.status as OpsTaskView['status'],
    supplier: task.supplier as SupplierName | null,
    outcome: task.outcome as OpsTaskView['outcome'],
    createdAt: task.createdAt.toISOString(),
    resolvedAt: task.resolvedAt?.toISOString() ?? null,
  };
}
