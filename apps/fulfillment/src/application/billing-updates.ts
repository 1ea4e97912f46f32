import type { EventData, paymentSucceeded, refundSucceeded } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import type { Fulfillment } from './context';
import { loadWorkflow } from './workflow-store';
import { deliverWorkflowEvent } from './workflows';

/**
 * Billing and orders are different streams: a payment can overtake its order's
 * `orders.order.created`. Thrown, so the consumer redelivers it with backoff (bounded: an
 * order that never appears ends in the dead letters, replayable).
 */
export class OrderNotKnownYetError extends Error {
  constructor(orderId: string) {
    super(`No workflow for order ${orderId} yet (orders.order.created not applied); retrying later`);
    this.name = 'OrderNotKnownYetError';
  }
}

async function requireWorkflow(tx: Transaction, fulfillment: Fulfillment, orderId: string): Promise<void> {
  if (!(await loadWorkflow(tx, fulfillment, orderId))) throw new OrderNotKnownYetError(orderId);
}

/** The payment succeeded: PAYMENT_RECEIVED. */
export async function applyPaymentSucceeded(tx: Transaction, fulfillment: Fulfillment, payment: EventData<typeof paymentSucceeded>): Promise<void> {
  await requireWorkflow(tx, fulfillment, payment.orderId);
  await deliverWorkflowEvent(tx, fulfillment, payment.orderId, { type: 'PAYMENT_RECEIVED' }, { paymentId: payment.paymentId, amount: payment.amount });
}

/**
 * A refund succeeded: REFUND_PROCESSED once nothing paid is left (a partial refund after a
 * modification is not a cancel's refund: parked, it would complete a later refund_requested too early).
 */
export async function applyRefundSucceeded(tx: Transaction, fulfillment: Fulfillment, refund: EventData<typeof refundSucceeded>): Promise<void> {
  await requireWorkflow(tx, fulfillment, refund.orderId);
  if (refund.remainingPaid !== undefined && refund.remainingPaid > 0) return;
  await deliverWorkflowEvent(tx, fulfillment, refund.orderId, { type: 'REFUND_PROCESSED', refundId: refund.refundId }, { amount: refund.amount });
}
