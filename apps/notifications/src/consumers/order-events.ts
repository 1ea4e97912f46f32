import type { Clock } from '@platform/runtime/clock';
import { on } from '@platform/runtime/consumer';
import { orderCreated, orderDelayed, orderModified, orderPromised, orderSnapshotVersion, orderStatusChanged } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { type NotificationDeps, planStatusNotifications, statusChangeOf } from '../application/notifications';
import { planRunningLate, storePromise } from '../application/delivery-promise';
import { noteDelay, noteSettled } from '../application/campaigns';
import { storeOrderContext } from '../application/order-context';

/**
 * `orders.order.created|modified` keep the order's read model (no message: a pending order
 * notifies nobody, docs/requirements.md#order-lifecycle step 2; the confirmation goes out
 * when it is `confirmed`).
 * `orders.order.status_changed` plans the notifications for the new status.
 * `orders.order.promised` keeps the delivery promise (the confirmation shows it); `orders.order.delayed`
 * plans the one "running late" notice (docs/delivery-promise.md). Both keep the delayed orders
 * read model the bulk sends' segment is found in (docs/notification-admin.md#bulk-sends).
 */
export function orderEventSubscriptions(deps: NotificationDeps, clock: Clock) {
  return [
    // Snapshots: one older than the order's version already stored changes nothing.
    on(orderCreated, async (event, tx: Transaction) => storeOrderContext(tx, event.data, clock.now()), { version: orderSnapshotVersion }),
    on(orderModified, async (event, tx: Transaction) => storeOrderContext(tx, event.data.order, clock.now()), { version: orderSnapshotVersion }),
    on(orderStatusChanged, async (event, tx: Transaction) => {
      await planStatusNotifications(deps, tx, statusChangeOf(event.data), event.id, clock.now());
      await noteSettled(tx, event.data, clock.now());
    }),
    on(orderPromised, async (event, tx: Transaction) => storePromise(tx, event.data)),
    on(orderDelayed, async (event, tx: Transaction) => {
      await planRunningLate(deps, tx, event.data, event.id, clock.now());
      await noteDelay(tx, event.data);
    }),
  ];
}
