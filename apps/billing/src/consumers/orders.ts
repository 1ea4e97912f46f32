import { on } from '@platform/runtime/consumer';
import { orderCancelled, orderCreated, orderModified, orderPaidByChannel, orderSnapshotVersion } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import type { BillingDeps } from '../application/context';
import { cancelOrderMoney } from '../application/cancellation';
import { billChannelOrder, billNewOrder, reconcileModifiedOrder } from '../application/order-billing';

/** billing--orders: the payment side of the order lifecycle (docs/requirements.md#order-lifecycle, steps 2, 9, 10). */
export function orderSubscriptions(deps: BillingDeps) {
  /** `orders.order.created` → payment, checkout session and draft invoice (`billNewOrder`). */
  const created = on(orderCreated, (event, tx: Transaction) => billNewOrder(tx, deps, event.data));

  /**
   * `orders.order.cancelled`: money received is refunded (at once, or once fulfillment has
   * settled the supplier side, per policy: `cancelOrderMoney`); open payments are closed and
   * the invoice is void. The actor says whether a sales channel cancelled (and refunded its buyer) itself.
   */
  const cancelled = on(orderCancelled, (event, tx: Transaction) => cancelOrderMoney(tx, deps, event.data.orderId, event.data.reason, event.data.actor));

  /** `orders.order.modified` (new totals): the payment and invoice follow (`reconcileModifiedOrder`). */
  const modified = on(orderModified, (event, tx: Transaction) => reconcileModifiedOrder(tx, deps, event.data), { version: orderSnapshotVersion });

  /** `orders.order.paid_by_channel` (before its `created`) → the channel's payment, recorded succeeded, no checkout (`billChannelOrder`). */
  const paidByChannel = on(orderPaidByChannel, (event, tx: Transaction) => billChannelOrder(tx, deps, event.data));

  return [created, cancelled, modified, paidByChannel];
}
