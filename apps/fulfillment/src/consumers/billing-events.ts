import { on } from '@platform/runtime/consumer';
import { paymentSucceeded, refundSucceeded } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import type { Fulfillment } from '../application/context';
import { deliverWorkflowEvent, loadWorkflow } from '../application/workflows';

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

/**
 * `fulfillment--billing-events`: payment succeeded → PAYMENT_RECEIVED; refund succeeded →
 * REFUND_PROCESSED once nothing paid is left (a partial refund after a modification is not a
 * cancel's refund: parked, it would complete a later refund_requested too early).
 */
export function billingEventSubscriptions(fulfillment: Fulfillment) {
  return [
    on(paymentSucceeded, async (event, tx: Transaction) => {
      await requireWorkflow(tx, fulfillment, event.data.orderId);
      await deliverWorkflowEvent(tx, fulfillment, event.data.orderId, { type: 'PAYMENT_RECEIVED' }, { paymentId: event.data.paymentId, amount: event.data.amount });
    }),
    on(refundSucceeded, async (event, tx: Transaction) => {
      await requireWorkflow(tx, fulfillment, event.data.orderId);
      if (event.data.remainingPaid !== undefined && event.data.remainingPaid > 0) return;
      await deliverWorkflowEvent(tx, fulfillment, event.data.orderId, { type: 'REFUND_PROCESSED', refundId: event.data.refundId }, { amount: event.data.amount });
    }),
  ];
}
