import { on } from '@platform/runtime/consumer';
import { cancellationSettled } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { supplierSideSettled } from '../application/cancellation';
import type { BillingDeps } from '../application/context';

/** billing--fulfillment: the supplier side of a cancelled order is settled → a refund held for it goes out. */
export function fulfillmentSubscriptions(deps: BillingDeps) {
  return [on(cancellationSettled, (event, tx: Transaction) => supplierSideSettled(tx, deps, event.data.orderId, event.data.outcome))];
}
