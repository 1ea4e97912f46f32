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

/** A notification waits for the end of the customer's quiet hours (its send timer fires at `until`). */
export const notificationDeferred = defineEvent({
  type: 'notifications.notification.deferred',
  version: 1,
  stream: 'NOTIFICATIONS',
  description: "A customer notification waits for the end of the customer's quiet hours (`until`).",
  data: z.object({
    ...notificationFacts,
    reason: z.enum(['quiet_hours']),
    until: timestamp,
    deferredAt: timestamp,
  }),
});

/**
 * A notification the plan called for is not sent on a channel: the customer switched the
 * channel off for this topic (`preference_off`), or we have no address for it (`no_address`:
 * no phone number, no registered device). `notificationId` is the id it would have had.
 */
export const notificationSuppressed = defineEvent({
  type: 'notifications.notification.suppressed',
  version: 1,
  stream: 'NOTIFICATIONS',
  description: 'A customer notification is not sent on a channel: switched off in the preferences, or no address for it.',
  data: z.object({
    ...notificationFacts,
    reason: z.enum(['preference_off', 'no_address']),
    suppressedAt: timestamp,
  }),
});

export const notificationEvents = [notificationSent, notificationFailed, notificationDeferred, notificationSuppressed] as const;
