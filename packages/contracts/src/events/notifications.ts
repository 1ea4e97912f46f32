import { z } from 'zod';
import { defineEvent } from '../envelope';

export const notificationChannelSchema = z.enum(['email', 'sms', 'push', 'in_app']);

/** A notification left the platform: the provider (SMTP relay, SMS or push gateway) accepted it. */
export const notificationSent = defineEvent({
  type: 'notifications.notification.sent',
  version: 1,
  stream: 'NOTIFICATIONS',
  description: 'A customer notification was accepted by its provider.',
  data: z.object({
    notificationId: z.uuid(),
    orderId: z.uuid(),
    template: z.string(),
    channel: notificationChannelSchema,
    recipient: z.string(),
    locale: z.string(),
    providerMessageId: z.string().nullable(),
    sentAt: z.iso.datetime({ offset: true }),
  }),
});

export const notificationEvents = [notificationSent] as const;
