import { DomainError } from '@platform/contracts/errors';
import { MAX_RETRIES, stateOf } from '../domain/order-workflow';
import type { Fulfillment } from './context';
import { loadWorkflow, WorkflowNotFoundError } from './workflow-store';
import { sendWorkflowEvent } from './workflows';

/** What ops may ask of a workflow by hand (`POST /orders/:orderId/process|retry`). */

export interface CommandResult {
  orderId: string;
  state: ReturnType<typeof stateOf>;
  retryCount: number;
}

/** Starts processing a paid order now instead of after the delay. */
export function startProcessing(fulfillment: Fulfillment, orderId: string, actor: string): Promise<CommandResult> {
  return fulfillment.db.$transaction(async (tx) => {
    const workflow = await loadWorkflow(tx, fulfillment, orderId);
    if (!workflow) throw new WorkflowNotFoundError(orderId);
    if (!workflow.snapshot.can({ type: 'START_PROCESSING' })) {
      throw new DomainError('conflict', 'WORKFLOW_NOT_PROCESSABLE', `The order is ${stateOf(workflow.snapshot)}; processing starts from payment_confirmed`);
    }
    const { step } = await sendWorkflowEvent(tx, fulfillment, orderId, { type: 'START_PROCESSING' }, { actor });
    return { orderId, state: step.to, retryCount: step.snapshot.context.retryCount };
  });
}

/**
 * Retries a failed order (the machine takes RETRY only in `failed`, and at most `MAX_RETRIES`
 * times): retrying one that is placed would place a second order at a supplier that may still
 * confirm the first.
 */
export function retryFulfillment(fulfillment: Fulfillment, orderId: string, actor: string): Promise<CommandResult> {
  return fulfillment.db.$transaction(async (tx) => {
    const workflow = await loadWorkflow(tx, fulfillment, orderId, { lock: true });
    if (!workflow) throw new WorkflowNotFoundError(orderId);
    const { snapshot } = workflow;
    if (!snapshot.can({ type: 'RETRY' })) {
      const why = snapshot.matches('failed') ? `the order was already retried ${MAX_RETRIES} times` : `the order is ${stateOf(snapshot)}, not failed`;
      throw new DomainError('conflict', 'RETRY_NOT_ALLOWED', `Cannot retry: ${why}`);
    }
    const { step } = await sendWorkflowEvent(tx, fulfillment, orderId, { type: 'RETRY' }, { actor });
    return { orderId, state: step.to, retryCount: step.snapshot.context.retryCount };
  });
}
