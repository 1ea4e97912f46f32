import type { Clock } from '@platform/runtime/clock';
import { on } from '@platform/runtime/consumer';
import { itemsBackordered, itemsCancelled, itemsSubstituted, progressChanged, returnChanged } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { planItemsNotice, planProgressNotice } from '../application/notices';
import type { NotificationDeps } from '../application/notifications';
import { returnNotice } from '../domain/notices';

/**
 * Notices about part of an order (docs/requirements.md#ntf-01-parcel-and-item-notices): a parcel
 * of several shipped or delivered, items that will not come (and their refund), come later, or
 * come as an equivalent; a return's steps (docs/requirements.md#returns).
 */
export function fulfillmentEventSubscriptions(deps: NotificationDeps, clock: Clock) {
  return [
    on(progressChanged, async (event, tx: Transaction) => {
      await planProgressNotice(deps, tx, event.data, event.id, clock.now());
    }),
    on(itemsCancelled, async (event, tx: Transaction) => {
      const { orderId, cancellationId, items } = event.data;
      await planItemsNotice(deps, tx, orderId, { kind: 'items_cancelled', cancellationId, items }, event.id, clock.now());
    }),
    on(itemsBackordered, async (event, tx: Transaction) => {
      await planItemsNotice(deps, tx, event.data.orderId, { kind: 'items_backordered', items: event.data.items }, event.id, clock.now());
    }),
    on(itemsSubstituted, async (event, tx: Transaction) => {
      await planItemsNotice(deps, tx, event.data.orderId, { kind: 'items_substituted', items: event.data.items }, event.id, clock.now());
    }),
    on(returnChanged, async (event, tx: Transaction) => {
      const notice = returnNotice(event.data);
      if (notice) await planItemsNotice(deps, tx, event.data.orderId, notice, event.id, clock.now());
    }),
  ];
}
