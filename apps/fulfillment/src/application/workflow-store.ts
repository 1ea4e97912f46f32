import { DomainError } from '@platform/contracts/errors';
import type { Transaction } from '../adapters/database';
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
 * `lock` takes the row lock for the rest of the transaction (placement holds it across supplier
 * calls). A snapshot stored by another machine version is refused (`UnknownMachineVersionError`).
 */
export async function loadWorkflow(tx: Transaction, fulfillment: Fulfillment, orderId: string, options: { lock?: boolean } = {}): Promise<LoadedWorkflow | null> {
  if (options.lock) await tx.$queryRaw`SELECT 1 FROM workflows WHERE order_id = ${orderId}::uuid FOR UPDATE`;
  const row = await tx.workflow.findUnique({ where: { orderId } });
  if (!row) return null;
  const snapshot = restoreWorkflow(fulfillment.machine, { orderId, machineVersion: row.machineVersion, snapshot: row.snapshot as { value: unknown; context: unknown } });
  return { orderId, version: row.version, snapshot, cancellationSettledAt: row.cancellationSettledAt };
}
