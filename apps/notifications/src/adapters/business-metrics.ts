import { afterCommit } from '@platform/runtime/transaction-scope';
import { type DeliveryChannel, deliveryChannelSchema } from '@platform/contracts/api/notifications';
import { Counter, type Registry } from 'prom-client';

/**
 * How a notification ended: sent (the provider took it, or the feed item was written),
 * failed for good, suppressed (the customer switched the channel off or has no address for
 * it), or unknown (left for ops: docs/notification-delivery.md).
 */
export type NotificationOutcome = 'sent' | 'failed' | 'suppressed' | 'unknown';
const OUTCOMES: readonly NotificationOutcome[] = ['sent', 'failed', 'suppressed', 'unknown'];

/** The notifications service's business metrics (docs/metrics.md), in the process's registry. */
export function createBusinessMetrics(registry: Registry) {
  const outcomes = new Counter({
    name: 'notifications_outcomes_total',
    help: 'Notifications ended, by channel and outcome (sent, failed, suppressed, unknown)',
    labelNames: ['channel', 'outcome'] as const,
    registers: [registry],
  });
  // Every series from the start: success rates read 0, not "no data", before the first notice.
  for (const channel of deliveryChannelSchema.options) for (const outcome of OUTCOMES) outcomes.inc({ channel, outcome }, 0);
  return {
    /** Counted once `tx` commits: a rolled-back or replayed attempt counts nothing. */
    notificationEnded(tx: object, channel: DeliveryChannel, outcome: NotificationOutcome): void {
      afterCommit(tx, () => outcomes.inc({ channel, outcome }));
    },
  };
}

export type BusinessMetrics = ReturnType<typeof createBusinessMetrics>;
