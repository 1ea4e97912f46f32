import type { Clock } from '@platform/runtime/clock';
import { on } from '@platform/runtime/consumer';
import { orderCreated, orderModified, orderStatusChanged } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { type NotificationDeps, planStatusNotifications, statusChangeOf } from '../application/notifications';
import { storeOrderContext } from '../application/order-context';

/**
 * `orders.order.created|modified` keep the order's read model (no message: a pending order
 * notifies nobody, docs/requirements.md#order-lifecycle step 2; the confirmation goes out
 * when it is `confirmed`).
 * `orders.order.status_changed` plans the notifications for the new status.
 */
export function orderEventSubscriptions(deps: NotificationDeps, clock: Clock) {
  return [
    on(orderCreated, async (event, tx: Transaction) => storeOrderContext(tx, event.data, clock.now())),
    on(orderModified, async (event, tx: Transaction) => storeOrderContext(tx, event.data.order, clock.now())),
    on(orderStatusChanged, async (event, tx: Transaction) => {
      await planStatusNotifications(deps, tx, statusChangeOf(event.data), event.id, clock.now());
    }),
  ];
}
