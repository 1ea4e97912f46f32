import { on } from '@platform/runtime/consumer';
import { paymentSucceeded, refundSucceeded } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { applyPaymentSucceeded, applyRefundSucceeded } from '../application/billing-updates';
import type { Fulfillment } from '../application/context';
import { applyReturnRefunded } from '../application/returns';

/** `fulfillment--billing-events`: payment succeeded → PAYMENT_RECEIVED; refund succeeded → REFUND_PROCESSED, or the return it paid back is refunded. */
export function billingEventSubscriptions(fulfillment: Fulfillment) {
  return [
    on(paymentSucceeded, (event, tx: Transaction) => applyPaymentSucceeded(tx, fulfillment, event.data)),
    on(refundSucceeded, (event, tx: Transaction) => {
      const { returnId } = event.data;
      // A return's refund is not the order's: the workflow (delivered long ago) is not told.
      return returnId ? applyReturnRefunded(tx, fulfillment, { ...event.data, returnId }) : applyRefundSucceeded(tx, fulfillment, event.data);
    }),
  ];
}
