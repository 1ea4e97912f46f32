import type { Clock } from '@platform/runtime/clock';
import { on } from '@platform/runtime/consumer';
import { refundSucceeded } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { planItemsNotice } from '../application/notices';
import type { NotificationDeps } from '../application/notifications';

/**
 * A return's refund is told when billing confirms it (`billing.refund.succeeded` with
 * `returnId`): it carries the amount actually refunded (less restocking fees, capped by what
 * was left), which the return's own `refunded` step does not. That step is not told again.
 * Other refunds are told by the order's status (`refunded`) or the items-cancelled notice.
 */
export function billingEventSubscriptions(deps: NotificationDeps, clock: Clock) {
  return [
    on(refundSucceeded, async (event, tx: Transaction) => {
      const { orderId, returnId, amount } = event.data;
      if (returnId) await planItemsNotice(deps, tx, orderId, { kind: 'return_refunded', returnId, amount }, event.id, clock.now());
    }),
  ];
}
