import { on } from '@platform/runtime/consumer';
import { paymentSucceeded, refundSucceeded } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { applyPaymentSucceeded, applyRefundSucceeded } from '../application/billing-updates';
import type { Fulfillment } from '../application/context';

/** `fulfillment--billing-events`: payment succeeded → PAYMENT_RECEIVED; refund succeeded → REFUND_PROCESSED. */
export function billingEventSubscriptions(fulfillment: Fulfillment) {
  return [
    on(paymentSucceeded, (event, tx: Transaction) => applyPaymentSucceeded(tx, fulfillment, event.data)),
    on(refundSucceeded, (event, tx: Transaction) => applyRefundSucceeded(tx, fulfillment, event.data)),
  ];
}
