import { on } from '@platform/runtime/consumer';
import { cancellationSettled, itemsCancelled, returnChanged } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { supplierSideSettled } from '../application/cancellation';
import type { BillingDeps } from '../application/context';
import { refundCancelledItems, refundReturnedItems } from '../application/item-refunds';

/**
 * billing--fulfillment: the supplier side of a cancelled order is settled → a refund held for it
 * goes out; units that will not ship → refunded once per cancellation (`refundCancelledItems`);
 * a return inspected → refunded once per return, less its restocking fees (`refundReturnedItems`).
 */
export function fulfillmentSubscriptions(deps: BillingDeps) {
  return [
    on(cancellationSettled, (event, tx: Transaction) => supplierSideSettled(tx, deps, event.data.orderId, event.data.outcome)),
    on(itemsCancelled, (event, tx: Transaction) => refundCancelledItems(tx, deps, event.data)),
    on(returnChanged, (event, tx: Transaction) => refundReturnedItems(tx, deps, event.data)),
  ];
}
