import type { EventData, orderDelayed, orderPromised } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { savePromise } from '../adapters/promise-store';
import { planItemsNotice } from './notices';
import type { NotificationDeps } from './notifications';

/*
 * The delivery promise as customers hear of it (docs/delivery-promise.md): the confirmation
 * shows it (kept here from `orders.order.promised`), and a late order gets one "running late"
 * notice with the new estimate.
 */

export function storePromise(tx: Transaction, promised: EventData<typeof orderPromised>): Promise<void> {
  return savePromise(tx, promised.orderId, promised.promise, new Date(promised.promisedAt));
}

/**
 * `orders.order.delayed` → the running-late notice. Its key is the same for every delay of the
 * order, so a repeated fact, a redelivery or a replay after a restart plans nothing new
 * (one notification per order, notice and channel).
 */
export function planRunningLate(deps: NotificationDeps, tx: Transaction, delayed: EventData<typeof orderDelayed>, causationEventId: string, now: Date): Promise<number> {
  return planItemsNotice(
    deps,
    tx,
    delayed.orderId,
    { kind: 'running_late', promise: delayed.promise, estimatedDelivery: delayed.estimatedDelivery, trackingNumber: delayed.tracking?.number ?? null },
    causationEventId,
    now,
  );
}
