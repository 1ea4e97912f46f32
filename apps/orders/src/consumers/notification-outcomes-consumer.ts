import { on } from '@platform/runtime/consumer';
import type { ServiceRuntime } from '@platform/runtime/service';
import { notificationDeferred, notificationFailed, notificationSent, notificationSuppressed, streams } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import type { OrdersDeps } from '../application/dependencies';
import { addToOrderTimeline } from '../application/timeline';
import { notificationEntry } from '../domain/timeline';

/** `orders--notifications`: what became of each notification (sent, deferred, suppressed, failed) joins the order's timeline (GW-03). */
export function registerNotificationOutcomesConsumer(runtime: ServiceRuntime, db: OrdersDeps['db']): void {
  runtime.addConsumer<Transaction>({
    name: 'orders--notifications',
    stream: 'NOTIFICATIONS',
    // Every event of the stream is an outcome it records.
    filterSubject: streams.NOTIFICATIONS.subjects[0],
    db,
    subscriptions: [
      on(notificationSent, (event, tx: Transaction) => addToOrderTimeline(tx, notificationEntry({ outcome: 'sent', event }))),
      on(notificationDeferred, (event, tx: Transaction) => addToOrderTimeline(tx, notificationEntry({ outcome: 'deferred', event }))),
      on(notificationSuppressed, (event, tx: Transaction) => addToOrderTimeline(tx, notificationEntry({ outcome: 'suppressed', event }))),
      on(notificationFailed, (event, tx: Transaction) => addToOrderTimeline(tx, notificationEntry({ outcome: 'failed', event }))),
    ],
  });
}
