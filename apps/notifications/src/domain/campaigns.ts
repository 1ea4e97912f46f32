import type { CampaignSegment } from '@platform/contracts/api/notification-admin';
import type { DeliveryPromise } from '@platform/contracts';

/*
 * Bulk sends (docs/notification-admin.md#bulk-sends): who is in a segment, and how a campaign's
 * messages are spread over time.
 */

/** Order statuses after which a late order is no longer late news. */
export const SETTLED_STATUSES: ReadonlySet<string> = new Set(['delivered', 'cancelled', 'refunded', 'returned']);

/** An order is late from its promise's last moment; one flagged without a promise, from when it was flagged. */
export function lateSince(promise: DeliveryPromise | null, flaggedAt: Date): Date {
  return promise ? new Date(promise.latest) : flaggedAt;
}

/** The segment holds the orders late since this moment or earlier. */
export function lateCutoff(segment: CampaignSegment, now: Date): Date {
  return new Date(now.getTime() - segment.minDaysLate * 24 * 60 * 60 * 1000);
}

/**
 * How a campaign keeps to `perMinute`: `batch` messages planned every `intervalMs`, the batch a
 * second's worth (at least one) and the interval what that batch may take, so no minute holds
 * more than `perMinute` and a timer fires at most once a second.
 */
export function pacing(perMinute: number): { batch: number; intervalMs: number } {
  const batch = Math.max(1, Math.ceil(perMinute / 60));
  return { batch, intervalMs: Math.ceil((60_000 * batch) / perMinute) };
}
