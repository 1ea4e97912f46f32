import type { EventData, EventOf } from '@platform/contracts';
import type {
  noticePlanned,
  notificationDeferred,
  notificationFailed,
  notificationSent,
  notificationSuppressed,
  paymentFailed,
  paymentSucceeded,
  refundSucceeded,
  returnChanged,
  trackingScanned,
  workflowTransitioned,
} from '@platform/contracts';
import type { TimelineEntry } from '@platform/contracts/api/timeline';
import type { Caller } from './actor';

/**
 * The order's timeline (docs/requirements.md#gw-03-live-updates): one entry per fact, built
 * from the event (or status history row) that states it. An entry's id is derived from its
 * source, so a fact redelivered or replayed gives the same entry (stored once). What a customer
 * may read is `audience: 'customer'`; internal detail (workflow states, provider errors, the
 * channels not used) is for ops.
 */

/** A status history row: the customer sees the move, and a reason only when they gave it (their cancellation's). */
export function statusEntry(change: { id: string; orderId: string; status: string; previousStatus: string | null; details: string | null; actor: string; at: Date }): TimelineEntry {
  return {
    id: `status:${change.id}`,
    orderId: change.orderId,
    at: change.at.toISOString(),
    audience: 'customer',
    kind: 'status',
    status: change.status,
    previousStatus: change.previousStatus,
    reason: change.actor.startsWith('customer:') && change.previousStatus !== null ? change.details : null,
  };
}

export function workflowEntry(event: EventOf<typeof workflowTransitioned>): TimelineEntry {
  return { id: event.id, orderId: event.data.orderId, at: event.data.at, audience: 'ops', kind: 'workflow', from: event.data.from, to: event.data.to, event: event.data.trigger };
}

export function paymentEntry(event: EventOf<typeof paymentSucceeded>): TimelineEntry {
  const { data } = event;
  return { id: event.id, orderId: data.orderId, at: data.paidAt, audience: 'customer', kind: 'payment', outcome: 'succeeded', amount: { amount: data.amount, currency: data.currency }, reason: null };
}

/** A payment that failed or expired: the customer sees that it did not go through; the provider's reason is for ops (billing's view). */
export function paymentFailedEntry(event: EventOf<typeof paymentFailed>): TimelineEntry {
  const { data } = event;
  return { id: event.id, orderId: data.orderId, at: data.failedAt, audience: 'customer', kind: 'payment', outcome: 'failed', amount: null, reason: null };
}

/** The refund's reason is ours (`order cancelled`, a cancellation id): for ops, the amount for everyone. */
export function refundEntry(event: EventOf<typeof refundSucceeded>): TimelineEntry {
  const { data } = event;
  return { id: event.id, orderId: data.orderId, at: data.refundedAt, audience: 'customer', kind: 'refund', outcome: 'succeeded', amount: { amount: data.amount, currency: data.currency }, reason: null };
}

/** A carrier scan: when and where the carrier saw the parcel (one per scan; the status changes it caused are status entries). */
export function carrierScanEntry(event: EventOf<typeof trackingScanned>): TimelineEntry {
  const { data } = event;
  return {
    id: `scan:${data.scanId}`,
    orderId: data.orderId,
    at: data.scannedAt,
    audience: 'customer',
    kind: 'carrier_scan',
    trackingNumber: data.trackingNumber,
    carrier: data.carrier,
    status: data.status,
    location: data.location,
    description: data.description,
  };
}

/** A step of a return: the customer reads it by the return's number (the page words each status); a refusal with ops' reason. */
export function returnEntry(event: EventOf<typeof returnChanged>): TimelineEntry {
  const { data } = event;
  return { id: event.id, orderId: data.orderId, at: data.at, audience: 'customer', kind: 'return', number: data.number, status: data.status, reason: data.refusalReason };
}

type NotificationOutcome =
  | { outcome: 'sent'; event: EventOf<typeof notificationSent> }
  | { outcome: 'failed'; event: EventOf<typeof notificationFailed> }
  | { outcome: 'deferred'; event: EventOf<typeof notificationDeferred> }
  | { outcome: 'suppressed'; event: EventOf<typeof notificationSuppressed> };

/** What an entry says of one notification: the same from a notice's plan and from a channel's own event. */
interface ChannelOutcome {
  orderId: string;
  notificationId: string;
  /** The notice, else (events from before notices) the order status, else the template. */
  notice: string;
  channel: string;
  outcome: 'sent' | 'deferred' | 'suppressed' | 'failed';
  at: string;
  reason: string | null;
  until: string | null;
}

/**
 * A notification's outcome. One entry per notification and outcome (a suppression has no
 * notification row: its id is the one it would have had, so a replanned notice repeats nothing).
 * The customer sees what was sent and what waits for the end of their quiet hours; failures
 * (provider errors) and the channels not used are for ops. The notice is its kind alone
 * (`parcel_shipped`, not the shipment id).
 */
function outcomeEntry(o: ChannelOutcome): TimelineEntry {
  return {
    id: `notification:${o.notificationId}:${o.outcome}`,
    orderId: o.orderId,
    at: o.at,
    audience: o.outcome === 'sent' || o.outcome === 'deferred' ? 'customer' : 'ops',
    kind: 'notification',
    notice: o.notice.split(':')[0]!,
    channel: o.channel,
    outcome: o.outcome,
    reason: o.reason,
    until: o.until,
  };
}

/** A notice's plan: an entry for each channel sent at once (in-app), deferred or not used; a pending channel's entry comes with its own outcome. */
export function noticeEntries(event: EventOf<typeof noticePlanned>): TimelineEntry[] {
  const { orderId, notice, plannedAt: at } = event.data;
  return event.data.channels.flatMap((c) => {
    const about = { orderId, notificationId: c.notificationId, notice, channel: c.channel, at };
    switch (c.outcome) {
      case 'pending':
        return [];
      case 'sent':
        return [outcomeEntry({ ...about, outcome: 'sent', reason: null, until: null })];
      case 'deferred':
        return [outcomeEntry({ ...about, outcome: 'deferred', reason: c.reason, until: c.until })];
      case 'suppressed':
        return [outcomeEntry({ ...about, outcome: 'suppressed', reason: c.reason, until: null })];
    }
  });
}

/** One channel's outcome from its own event: sent or failed by its provider, or (events from before notice.planned) deferred or suppressed. */
export function notificationEntry({ outcome, event }: NotificationOutcome): TimelineEntry {
  const data: EventData<typeof notificationSent | typeof notificationFailed | typeof notificationDeferred | typeof notificationSuppressed> = event.data;
  const about = { orderId: data.orderId, notificationId: data.notificationId, notice: data.notice ?? data.orderStatus ?? data.template, channel: data.channel, until: null };
  switch (outcome) {
    case 'sent':
      return outcomeEntry({ ...about, outcome, at: event.data.sentAt, reason: null });
    case 'deferred':
      return outcomeEntry({ ...about, outcome, at: event.data.deferredAt, reason: event.data.reason, until: event.data.until });
    case 'suppressed':
      return outcomeEntry({ ...about, outcome, at: event.data.suppressedAt, reason: event.data.reason });
    case 'failed':
      return outcomeEntry({ ...about, outcome, at: event.data.failedAt, reason: event.data.reason });
  }
}

export type TimelineAudience = 'customer' | 'all';

/** A customer's key reads the customer's entries; staff choose (a signed link's page asks for `customer`). */
export function timelineAudience(actor: Caller, asked: 'customer' | undefined): TimelineAudience {
  return actor.role === 'customer' || asked === 'customer' ? 'customer' : 'all';
}
