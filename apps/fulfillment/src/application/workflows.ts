import { randomUUID } from 'node:crypto';
import { DomainError } from '@platform/contracts/errors';
import { newEvent, recordEvent } from '@platform/runtime/outbox';
import { cancelTimer, scheduleTimer } from '@platform/runtime/timers';
import { workflowTransitioned } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { countSupplierOrdersIn } from '../adapters/supplier-order-rows';
import { countParkedEvents, firstEnteredAt, insertWorkflow, saveWorkflow, selectParkedEvents } from '../adapters/workflow-rows';
import {
  advance,
  type Effect,
  MACHINE_VERSION,
  type OrderDetails,
  orderImplication,
  startWorkflow,
  type Step,
  stateOf,
  triggerName,
  type WorkflowEvent,
  type WorkflowSnapshot,
} from '../domain/order-workflow';
import { placesAtSuppliers, retryDelayMs } from '../domain/supplier-placement';
import { type Fulfillment, SERVICE, TIMER_KINDS } from './context';
import { ensureReservations, releaseOrderStock, completeFulfillmentOrders } from './inventory';
import { settleCancelAfterShipment, settleCancellationIfClear } from './ops-tasks';
import { LIVE } from './placement';
import { loadWorkflow, rememberSaved, WorkflowNotFoundError } from './workflow-store';

/** Creates the workflow in `pending` (idempotent: an existing workflow is left as it is). */
export async function createWorkflow(tx: Transaction, fulfillment: Fulfillment, orderId: string, order: OrderDetails): Promise<boolean> {
  const snapshot = startWorkflow(fulfillment.machine, { orderId, order });
  const state = stateOf(snapshot);
  return insertWorkflow(tx, {
    orderId,
    state,
    snapshot: persist(fulfillment, snapshot),
    machineVersion: MACHINE_VERSION,
    now: fulfillment.clock.now(),
    history: { id: randomUUID(), fromState: state, toState: state, trigger: 'ORDER_CREATED', details: { number: order.number } },
  });
}

export interface SendResult {
  accepted: boolean;
  step: Step;
}

/**
 * Sends `event` to the order's workflow: the pure machine step, then (when accepted) the
 * snapshot saved under the optimistic lock, a history row, `fulfillment.workflow.transitioned`
 * for a state change, and the step's effects: all in the caller's transaction. An event the
 * current state does not accept changes nothing and is reported as not accepted. After an
 * accepted event, events parked for this order are offered again (`reapplyParkedEvents`), when
 * the saved workflow row counts any waiting: looking for them in every step was a statement
 * each, about 4.6 per order (docs/performance.md, nineteenth round).
 */
export async function sendWorkflowEvent(
  tx: Transaction,
  fulfillment: Fulfillment,
  orderId: string,
  event: WorkflowEvent | { type: string },
  details: Record<string, unknown> = {},
): Promise<SendResult> {
  const { parkedEvents, ...result } = await applyWorkflowEvent(tx, fulfillment, orderId, event, details);
  if (result.accepted && parkedEvents > 0) await reapplyParkedEvents(tx, fulfillment, orderId, result.step);
  return result;
}

/**
 * For consumers of other services' streams, which carry no order between them: an event the
 * workflow cannot take yet (a refund before its cancel) is parked, in the consumer's
 * transaction, and applied after a later transition makes it acceptable; one for a finished
 * workflow can never apply and is recorded as dropped (logged, listed on the order).
 *
 * The workflow's row is locked first, so the event is tried on the state last committed: a step
 * another consumer is saving either commits before (and this event meets the state it left) or
 * waits for this transaction, then finds the parked event counted on the row its save updates
 * (the update waits for this lock and reads the row as this transaction left it). Tried on a row
 * read without the lock, an event could be parked just after that step had saved and before it
 * committed, and wait for a next step that may never come.
 */
export async function deliverWorkflowEvent(
  tx: Transaction,
  fulfillment: Fulfillment,
  orderId: string,
  event: WorkflowEvent,
  details: Record<string, unknown> = {},
): Promise<SendResult> {
  // The same statement the step would read it with, FOR UPDATE (workflow-store.ts keeps it for the step).
  await loadWorkflow(tx, fulfillment, orderId, { lock: true });
  const result = await sendWorkflowEvent(tx, fulfillment, orderId, event, details);
  if (result.accepted) return result;
  const now = fulfillment.clock.now();
  const finished = result.step.snapshot.status === 'done';
  await tx.parkedEvent.create({
    data: {
      id: randomUUID(),
      orderId,
      eventType: event.type,
      event: event as object,
      details: details as object,
      parkedAt: now,
      ...(finished && { droppedAt: now, dropReason: staleReason(result.step.to) }),
    },
  });
  if (!finished) await countParkedEvents(tx, orderId, 1);
  if (event.type === 'CANCEL') await settleCancelAfterShipment(tx, fulfillment, orderId, now);
  if (finished) fulfillment.log.warn({ orderId, state: result.step.to, event: event.type }, 'event for a finished workflow dropped as stale');
  else fulfillment.log.info({ orderId, state: result.step.to, event: event.type }, 'workflow event parked until the workflow can take it');
  return result;
}

const staleReason = (state: string) => `The workflow had finished in ${state}`;

/**
 * Offers the order's parked events again, oldest first, after `step` was accepted; each one
 * that applies may make an older one acceptable, so it starts over. Once the workflow has
 * finished, what is left can never apply and is dropped (logged, kept with the reason).
 */
async function reapplyParkedEvents(tx: Transaction, fulfillment: Fulfillment, orderId: string, step: Step): Promise<void> {
  let last = step;
  for (let applied = true; applied; ) {
    applied = false;
    const parked = await selectParkedEvents(tx, orderId);
    if (parked.length === 0) return;
    if (last.snapshot.status === 'done') {
      const now = fulfillment.clock.now();
      await tx.parkedEvent.updateMany({ where: { id: { in: parked.map((p) => p.id) } }, data: { droppedAt: now, dropReason: staleReason(last.to) } });
      await countParkedEvents(tx, orderId, -parked.length);
      fulfillment.log.warn({ orderId, state: last.to, events: parked.map((p) => p.eventType) }, 'parked events can no longer apply; dropped as stale');
      return;
    }
    for (const row of parked) {
      const result = await applyWorkflowEvent(tx, fulfillment, orderId, row.event as WorkflowEvent, { ...(row.details as object), parkedAt: row.parkedAt.toISOString() });
      if (!result.accepted) continue;
      await tx.parkedEvent.delete({ where: { id: row.id } });
      await countParkedEvents(tx, orderId, -1);
      last = result.step;
      applied = true;
      break;
    }
  }
}

async function applyWorkflowEvent(
  tx: Transaction,
  fulfillment: Fulfillment,
  orderId: string,
  event: WorkflowEvent | { type: string },
  details: Record<string, unknown>,
): Promise<SendResult & { parkedEvents: number }> {
  const workflow = await loadWorkflow(tx, fulfillment, orderId);
  if (!workflow) throw new WorkflowNotFoundError(orderId);
  const step = advance(fulfillment.machine, workflow.snapshot, event);
  if (!step.changed) {
    fulfillment.log.info({ orderId, state: step.from, event: event.type }, 'workflow event not accepted in this state; ignored');
    return { accepted: false, step, parkedEvents: 0 };
  }
  const now = fulfillment.clock.now();
  const context = step.snapshot.context;
  const trigger = triggerName(event.type);
  const saved = await saveWorkflow(tx, {
    orderId,
    expectedVersion: workflow.version,
    state: step.to,
    snapshot: persist(fulfillment, step.snapshot),
    machineVersion: MACHINE_VERSION,
    retryCount: context.retryCount,
    error: context.error,
    now,
    history: {
      id: randomUUID(),
      fromState: step.from,
      toState: step.to,
      trigger,
      details: { ...eventDetails(event), ...details, ...(step.to === 'failed' && step.transitioned && { error: context.error, willRetry: step.willRetry }) },
    },
  });
  if (!saved) {
    throw new DomainError('conflict', 'WORKFLOW_VERSION_CONFLICT', `The workflow of order ${orderId} changed meanwhile; try again`);
  }
  rememberSaved(tx, fulfillment, { ...workflow, version: workflow.version + 1, snapshot: step.snapshot });
  if (step.transitioned) {
    await recordEvent(
      tx,
      newEvent(workflowTransitioned, {
        aggregateId: orderId,
        source: SERVICE,
        occurredAt: now,
        data: {
          orderId,
          from: step.from,
          to: step.to,
          trigger,
          retryCount: context.retryCount,
          error: step.to === 'failed' ? context.error : null,
          willRetry: step.willRetry,
          tracking: context.tracking,
          at: now.toISOString(),
          ...orderImplication(step),
        },
      }),
    );
  }
  if (step.transitioned && step.to === 'shipped') {
    const paidAt = await firstEnteredAt(tx, orderId, 'payment_confirmed');
    if (paidAt) fulfillment.metrics.shipped(tx, paidAt, now);
  }
  for (const effect of step.effects) await executeEffect(tx, fulfillment, step, effect, now);
  return { accepted: true, step, parkedEvents: saved.parkedEvents };
}

/** The next `fulfillment.supplier-poll` in `intervalMs`; the payload carries the interval the next one backs off from. */
export async function scheduleSupplierPoll(tx: Transaction, fulfillment: Fulfillment, orderId: string, now: Date, intervalMs: number): Promise<void> {
  await scheduleTimer(tx, { kind: TIMER_KINDS.supplierPoll, key: orderId, fireAt: new Date(now.getTime() + intervalMs), payload: { intervalMs } });
}

function persist(fulfillment: Fulfillment, snapshot: WorkflowSnapshot): object {
  return fulfillment.machine.getPersistedSnapshot(snapshot) as object;
}

/** The event's own fields for the history row (the whole order of ORDER_MODIFIED is not repeated). */
function eventDetails(event: WorkflowEvent | { type: string }): Record<string, unknown> {
  const { type: _type, ...rest } = event as Record<string, unknown>;
  if ('order' in rest) return {};
  return rest;
}

async function executeEffect(tx: Transaction, fulfillment: Fulfillment, step: Step, effect: Effect, now: Date): Promise<void> {
  const orderId = step.snapshot.context.orderId;
  const at = (ms: number) => new Date(now.getTime() + ms);
  switch (effect.type) {
    case 'startDelay':
      return scheduleTimer(tx, { kind: TIMER_KINDS[effect.delay], key: orderId, fireAt: at(effect.delayMs), payload: { event: effect.event } });
    case 'cancelDelay':
      return cancelTimer(tx, TIMER_KINDS[effect.delay], orderId);
    case 'startSupplierOrder':
      // Reserve now (the TTL starts here); a shortage is answered by the placement, which fails the attempt.
      await ensureReservations(tx, fulfillment, step.snapshot.context, now);
      return scheduleTimer(tx, { kind: TIMER_KINDS.placeSupplierOrders, key: orderId, fireAt: now });
    case 'startSupplierPolling':
      // Where the attempt has a supplier part; a poll that finds none of its orders live stops
      // polling. Counting the live supplier orders here was a statement at each entry
      // (docs/performance.md, twentieth round).
      if (placesAtSuppliers(step.snapshot.context)) await scheduleSupplierPoll(tx, fulfillment, orderId, now, fulfillment.settings.supplierPoll.baseMs);
      return;
    case 'stopSupplierPolling':
      return cancelTimer(tx, TIMER_KINDS.supplierPoll, orderId);
    case 'scheduleRetry':
      return scheduleTimer(tx, { kind: TIMER_KINDS.supplierRetry, key: orderId, fireAt: at(retryDelayMs(step.snapshot.context.retryCount)) });
    case 'cancelRetry':
      return cancelTimer(tx, TIMER_KINDS.supplierRetry, orderId);
    case 'abandonAttempt':
    case 'cancelOrder': {
      await cancelTimer(tx, TIMER_KINDS.placeSupplierOrders, orderId);
      await cancelTimer(tx, TIMER_KINDS.supplierPoll, orderId);
      await releaseOrderStock(tx, orderId, effect.type === 'cancelOrder' ? 'cancelled' : 'attempt_failed', now);
      const live = await countSupplierOrdersIn(tx, orderId, LIVE);
      // A failed attempt cancels only its own (and older) supplier orders: a later attempt may
      // be placed before this timer gets through to a slow supplier.
      const upToAttempt = effect.type === 'cancelOrder' ? null : step.snapshot.context.retryCount + 1;
      if (live > 0) await scheduleTimer(tx, { kind: TIMER_KINDS.cancelSupplierOrders, key: orderId, fireAt: now, payload: { upToAttempt } });
      else if (effect.type === 'cancelOrder') await settleCancellationIfClear(tx, fulfillment, orderId, now);
      return;
    }
    case 'completeOrder':
      return completeFulfillmentOrders(tx, orderId, now);
  }
}
