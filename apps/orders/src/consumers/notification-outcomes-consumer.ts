import { EVENTS_PER_TRANSACTION, on, ORDERS_AT_ONCE } from '@platform/runtime/consumer';
import type { ServiceRuntime } from '@platform/runtime/service';
import { type EventOf, noticePlanned, notificationDeferred, notificationFailed, notificationSent, notificationSuppressed } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import type { OrdersDeps } from '../application/dependencies';
import { addToTimeline } from '../application/timeline';
import { noticeEntries, notificationEntry } from '../domain/timeline';

type Outcome = Parameters<typeof notificationEntry>[0];

/** A notice's plan joins its order's timeline: the channels sent at once (in-app), deferred or not used. */
export async function onNoticePlanned(event: EventOf<typeof noticePlanned>, tx: Transaction): Promise<void> {
  addToTimeline(tx, noticeEntries(event));
}

/** A notification's outcome joins its order's timeline. */
export async function onNotificationOutcome(outcome: Outcome, tx: Transaction): Promise<void> {
  addToTimeline(tx, [notificationEntry(outcome)]);
}

/**
 * `orders--notifications`: what became of each notification joins the order's timeline (GW-03):
 * a notice's plan (sent at once in-app, deferred, not used), then each channel's sent or failed.
 * Deferred and suppressed on their own are events from before the plan was one event.
 */
export function registerNotificationOutcomesConsumer(runtime: ServiceRuntime, db: OrdersDeps['db']): void {
  runtime.addConsumer<Transaction>({
    name: 'orders--notifications',
    stream: 'NOTIFICATIONS',
    // Timeline entries only (appends, no row lock): a burst of outcomes commits together, and
    // several orders' batches run side by side.
    batch: EVENTS_PER_TRANSACTION,
    concurrency: ORDERS_AT_ONCE,
    db,
    subscriptions: [
      on(noticePlanned, (event, tx: Transaction) => onNoticePlanned(event, tx)),
      on(notificationSent, (event, tx: Transaction) => onNotificationOutcome({ outcome: 'sent', event }, tx)),
      on(notificationDeferred, (event, tx: Transaction) => onNotificationOutcome({ outcome: 'deferred', event }, tx)),
      on(notificationSuppressed, (event, tx: Transaction) => onNotificationOutcome({ outcome: 'suppressed', event }, tx)),
      on(notificationFailed, (event, tx: Transaction) => onNotificationOutcome({ outcome: 'failed', event }, tx)),
    ],
  });
}
