import { z } from 'zod';
import { defineEvent } from '../envelope';
import { timestamp } from '../primitives';
import { orderStatusSchema } from './orders';

export const notificationChannelSchema = z.enum(['email', 'sms', 'push', 'in_app']);

/** What every notification event says about the notification it is about. */
const notificationFacts = {
  notificationId: z.uuid(),
  orderId: z.uuid(),
  template: z.string(),
  /** The order status the notification is about (absent on events from before per-status notifications). */
  orderStatus: orderStatusSchema.optional(),
  /**
   * What it announces, one notification per order, notice and channel: the order status
   * (`shipped`), or a part of the order (`parcel_shipped:<shipment id>`,
   * `items_cancelled:<cancellation id>`; docs/requirements.md#ntf-01-parcel-and-item-notices).
   * Absent on events from before such notices.
   */
  notice: z.string().optional(),
  channel: notificationChannelSchema,
};

/** A notification left the platform: the provider (SMTP relay, SMS or push gateway) accepted it. */
export const notificationSent = defineEvent({
  type: 'notifications.notification.sent',
  version: 1,
  stream: 'NOTIFICATIONS',
  description: 'A customer notification was accepted by its provider.',
  data: z.object({
    ...notificationFacts,
    recipient: z.string(),
    locale: z.string(),
    providerMessageId: z.string().nullable(),
    sentAt: timestamp,
  }),
});

/** A notification could not be delivered after its retries (or the provider refused it for good). */
export const notificationFailed = defineEvent({
  type: 'notifications.notification.failed',
  version: 1,
  stream: 'NOTIFICATIONS',
  description: 'A customer notification failed for good.',
  data: z.object({
    ...notificationFacts,
    reason: z.string(),
    attempts: z.number().int().positive(),
    failedAt: timestamp,
  }),
});

/** What a notice does on one channel when it is planned. */
const plannedChannelSchema = z.discriminatedUnion('outcome', [
  /** To be sent by its provider: `notifications.notification.sent` or `.failed` follows. */
  z.object({ channel: notificationChannelSchema, notificationId: z.uuid(), outcome: z.literal('pending') }),
  /** Sent at once: the in-app feed item, written in the plan's transaction (docs/in-app-feed.md). */
  z.object({ channel: notificationChannelSchema, notificationId: z.uuid(), outcome: z.literal('sent'), recipient: z.string() }),
  /** Waits for the end of the customer's quiet hours: its send timer fires at `until`. */
  z.object({ channel: notificationChannelSchema, notificationId: z.uuid(), outcome: z.literal('deferred'), reason: z.enum(['quiet_hours']), until: timestamp }),
  /**
   * Not sent: the customer switched the channel off for this topic (`preference_off`), or there
   * is no address for it (`no_address`: no phone number, no registered device).
   * `notificationId` is the id it would have had.
   */
  z.object({ channel: notificationChannelSchema, notificationId: z.uuid(), outcome: z.literal('suppressed'), reason: z.enum(['preference_off', 'no_address']) }),
]);

/**
 * A notice was planned for an order: one event for all its channels, saying what each does.
 * Published once per notice, with the channels that notice created; an announcement planned
 * again (a replayed event) repeats only the suppressed channels. docs/notification-delivery.md.
 */
export const noticePlanned = defineEvent({
  type: 'notifications.notice.planned',
  version: 1,
  stream: 'NOTIFICATIONS',
  description: 'A customer notice was planned: per channel, to be sent, sent at once (in-app), deferred to the end of quiet hours, or not used.',
  data: z.object({
    orderId: z.uuid(),
    template: z.string(),
    orderStatus: orderStatusSchema.optional(),
    /** As in `notificationFacts`: the order status, or a part of the order (`parcel_shipped:<shipment id>`). */
    notice: z.string(),
    plannedAt: timestamp,
    channels: z.array(plannedChannelSchema).min(1),
  }),
});

/**
 * Published, one per channel, before a notice's plan became one event (`notifications.notice.planned`);
 * still read, so that the events a stream kept from then make the same timeline.
 */
export const notificationDeferred = defineEvent({
  type: 'notifications.notification.deferred',
  version: 1,
  stream: 'NOTIFICATIONS',
  description: "Before notice.planned: a customer notification waits for the end of the customer's quiet hours (`until`).",
  data: z.object({
    ...notificationFacts,
    reason: z.enum(['quiet_hours']),
    until: timestamp,
    deferredAt: timestamp,
  }),
});

/** Published, one per channel, before `notifications.notice.planned`; still read (see `notificationDeferred`). */
export const notificationSuppressed = defineEvent({
  type: 'notifications.notification.suppressed',
  version: 1,
  stream: 'NOTIFICATIONS',
  description: 'Before notice.planned: a customer notification is not sent on a channel (switched off in the preferences, or no address for it).',
  data: z.object({
    ...notificationFacts,
    reason: z.enum(['preference_off', 'no_address']),
    suppressedAt: timestamp,
  }),
});

export const notificationEvents = [noticePlanned, notificationSent, notificationFailed, notificationDeferred, notificationSuppressed] as const;
