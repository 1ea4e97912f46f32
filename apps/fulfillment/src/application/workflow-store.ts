import { DomainError } from '@platform/contracts/errors';
import type { Transaction } from '../adapters/database';
import { selectWorkflow, updateCancellationSettled } from '../adapters/workflow-rows';
import { restoreWorkflow, type WorkflowSnapshot } from '../domain/order-workflow';
import type { Fulfillment } from './context';

/** An order's workflow as stored: the snapshot (restored on this machine), its optimistic-lock version. */
export interface LoadedWorkflow {
  orderId: string;
  version: number;
  snapshot: WorkflowSnapshot;
  /** When `fulfillment.cancellation.settled` was recorded (once per cancelled order). */
  cancellationSettledAt: Date | null;
}

export class WorkflowNotFoundError extends DomainError {
  constructor(orderId: string) {
    super('not_found', 'WORKFLOW_NOT_FOUND', `No fulfillment workflow for order ${orderId}`);
  }
}

/**
 * The workflows a transaction has read or written, by order: a handler's steps (placement,
 * progress, the events they send) read the row once per transaction instead of once per step.
 * Written back by every save, so it is what the row holds in this transaction; `locked` once
 * the transaction holds the row lock (taken by `lock`, or by its own UPDATE).
 */
const known = new WeakMap<Transaction, Map<string, { workflow: LoadedWorkflow; locked: boolean }>>();

function knownIn(tx: Transaction, fulfillment: Fulfillment) {
  // Outside a transaction (the read side on the root client) every read is its own.
  if ((tx as unknown) === fulfillment.db) return undefined;
  let workflows = known.get(tx);
  if (!workflows) known.set(tx, (workflows = new Map()));
  return workflows;
}

/**
 * `lock` takes the row lock for the rest of the transaction (placement holds it across supplier
 * calls). A snapshot stored by another machine version is refused (`UnknownMachineVersionError`).
 */
export async function loadWorkflow(tx: Transaction, fulfillment: Fulfillment, orderId: string, options: { lock?: boolean } = {}): Promise<LoadedWorkflow | null> {
  const workflows = knownIn(tx, fulfillment);
  const lock = options.lock ?? false;
  const seen = workflows?.get(orderId);
  // Only a locked row cannot change under this transaction; an unlocked read is read again.
  if (seen?.locked) return seen.workflow;
  const row = await selectWorkflow(tx, orderId, lock);
  if (!row) return null;
  const snapshot = restoreWorkflow(fulfillment.machine, { orderId, machineVersion: row.machineVersion, snapshot: row.snapshot });
  const workflow = { orderId, version: row.version, snapshot, cancellationSettledAt: row.cancellationSettledAt };
  workflows?.set(orderId, { workflow, locked: lock });
  return workflow;
}

/** The transaction saved `workflow` (and so holds its row lock): later loads in it get this one. */
export function rememberSaved(tx: Transaction, fulfillment: Fulfillment, workflow: LoadedWorkflow): void {
  knownIn(tx, fulfillment)?.set(workflow.orderId, { workflow, locked: true });
}

/** Records that `fulfillment.cancellation.settled` was recorded for the order (so it never is twice). */
export async function markCancellationSettled(tx: Transaction, fulfillment: Fulfillment, orderId: string, at: Date): Promise<void> {
  await updateCancellationSettled(tx, orderId, at);
  const seen = knownIn(tx, fulfillment)?.get(orderId);
  if (seen) seen.workflow = { ...seen.workflow, cancellationSettledAt: at };
}
