import { z } from 'zod';
import { orderStatusSchema } from '../events/orders';
import { localeSchema, text, timestamp, timeZoneSchema } from '../primitives';

export { timeZoneSchema };

/** Order statuses a customer can be told about, by their preference names (`order_confirmed` = confirmed; docs/requirements.md#ntf-02-channels-preferences-and-quiet-hours). */
export const notificationTopicSchema = z.enum([
  'order_confirmed',
  'processing',
  'shipped',
  'out_for_delivery',
  'delivered',
  'delayed',
  'exception',
  'cancelled',
  'refunded',
]);
export type NotificationTopic = z.infer<typeof notificationTopicSchema>;

/** How a customer hears: by a provider (email, SMS, push), or in the app's own feed (`in_app`, docs/in-app-feed.md). */
export const deliveryChannelSchema = z.enum(['email', 'sms', 'push', 'in_app']);
export type DeliveryChannel = z.infer<typeof deliveryChannelSchema>;

/** One channel's switches: topic → send or not. */
export const channelSwitchesSchema = z.record(notificationTopicSchema, z.boolean());
export const channelSwitchesPatchSchema = z.partialRecord(notificationTopicSchema, z.boolean());

/** `HH:MM`, 24-hour clock, in the customer's timezone. */
export const clockTimeSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (00:00 to 23:59)');
export const quietHoursSchema = z.object({ start: clockTimeSchema, end: clockTimeSchema });

/** E.164 phone number (`+34600111222`). */
export const phoneNumberSchema = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +34600111222');

export const devicePlatformSchema = z.enum(['ios', 'android', 'web']);

/** `GET /customers/:customerId/preferences`: what applies now (stored choices over the defaults). */
export const notificationPreferencesSchema = z.object({
  customerId: z.string(),
  channels: z.object({ email: channelSwitchesSchema, sms: channelSwitchesSchema, push: channelSwitchesSchema, in_app: channelSwitchesSchema }),
  language: localeSchema,
  timezone: z.string(),
  /** null = no quiet hours. */
  quietHours: quietHoursSchema.nullable(),
  phoneNumber: z.string().nullable(),
  devices: z.array(z.object({ token: z.string(), platform: devicePlatformSchema })),
  /** false while the customer never changed anything (all values are defaults). */
  customized: z.boolean(),
  version: z.number().int().nonnegative(),
});
export type NotificationPreferences = z.infer<typeof notificationPreferencesSchema>;

/** `PUT /customers/:customerId/preferences`: only the fields given change; null resets language/timezone/phone to the order's. */
export const updatePreferencesRequestSchema = z
  .object({
    channels: z
      .object({ email: channelSwitchesPatchSchema, sms: channelSwitchesPatchSchema, push: channelSwitchesPatchSchema, in_app: channelSwitchesPatchSchema })
      .partial()
      .strict(),
    language: localeSchema.nullable(),
    timezone: timeZoneSchema.nullable(),
    quietHours: quietHoursSchema.nullable(),
    phoneNumber: phoneNumberSchema.nullable(),
  })
  .partial()
  .strict();
export type UpdatePreferencesRequest = z.infer<typeof updatePreferencesRequestSchema>;

/** A push registration token as the app got it from FCM (or APNs). */
export const deviceTokenSchema = z.string().regex(/^[\x21-\x7e]{8,4096}$/, 'must be 8 to 4096 visible ASCII characters');

/**
 * `PUT /customers/:customerId/devices`: registers a push token for this customer. A token
 * another customer registered is refused with 409 `DEVICE_TOKEN_IN_USE` (nothing changes)
 * until that customer deregisters it (`DELETE …/devices/:token`, e.g. at sign-out).
 */
export const registerDeviceRequestSchema = z.object({
  token: deviceTokenSchema,
  platform: devicePlatformSchema,
});

/** `PUT` and `DELETE /customers/:customerId/devices…`: the customer's devices afterwards. */
export const customerDevicesResponseSchema = z.object({
  customerId: z.string(),
  devices: z.array(z.object({ token: z.string(), platform: devicePlatformSchema })),
});

/**
 * `GET /customers/:customerId/feed`: newest first; `unread=true` leaves out what was read;
 * `cursor` is the `nextCursor` of the page before.
 */
export const feedQuerySchema = z
  .object({
    unread: z.enum(['true', 'false']).transform((value) => value === 'true').optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, 'must be the nextCursor of an earlier page').optional(),
  })
  .strict();

/** One message in the customer's in-app feed, in their language, naming nothing internal. */
export const feedItemSchema = z.object({
  id: z.uuid(),
  orderId: z.uuid(),
  /** What it announces: the order status (`shipped`) or a part of the order (`parcel_shipped:<shipment id>`). */
  notice: z.string(),
  title: z.string(),
  body: z.string(),
  /** The customer's order page (a signed link, like the emails'). */
  link: z.string(),
  read: z.boolean(),
  createdAt: timestamp,
  readAt: timestamp.nullable(),
});
export type FeedItem = z.infer<typeof feedItemSchema>;

export const feedResponseSchema = z.object({
  customerId: z.string(),
  items: z.array(feedItemSchema),
  /** Unread items in the whole feed, not only this page. */
  unreadCount: z.number().int().nonnegative(),
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: z.string().nullable(),
});
export type FeedResponse = z.infer<typeof feedResponseSchema>;

/** `POST /customers/:customerId/feed/read`: some items (`ids`) or every item (`all: true`) become read; reading again changes nothing. */
export const markFeedReadRequestSchema = z.union([
  z.object({ ids: z.array(z.uuid()).min(1).max(100) }).strict(),
  z.object({ all: z.literal(true) }).strict(),
]);
export type MarkFeedReadRequest = z.infer<typeof markFeedReadRequestSchema>;

export const markFeedReadResponseSchema = z.object({ customerId: z.string(), marked: z.number().int().nonnegative(), unreadCount: z.number().int().nonnegative() });

export const customerIdParamsSchema = z.object({ customerId: text(100) });
export const customerDeviceParamsSchema = z.object({ customerId: text(100), token: deviceTokenSchema });
export const orderIdParamsSchema = z.object({ orderId: z.uuid() });

/**
 * pending (queued or retrying), deferred (quiet hours), sending (an attempt is out and its outcome
 * not recorded yet; after a crash or timeout the provider is asked before any resend), sent
 * (provider accepted), delivered (the provider's receipt: Twilio's callback, FCM's or the relay's
 * acceptance), clicked (the customer followed a link), failed (for good), unknown (may or may not
 * have reached the customer and the provider cannot tell: left for ops).
 */
export const notificationStateSchema = z.enum(['pending', 'deferred', 'sending', 'sent', 'delivered', 'clicked', 'failed', 'unknown']);

export const notificationLogEntrySchema = z.object({
  id: z.uuid(),
  orderId: z.uuid(),
  /** The order status it announces; null for a notice about part of the order (a parcel, some items). */
  orderStatus: z.string().nullable(),
  /** What it announces: the order status, or `<kind>:<ref>` for part of the order (`parcel_shipped:<shipment id>`). */
  notice: z.string(),
  channel: z.string(),
  template: z.string(),
  recipient: z.string(),
  locale: z.string(),
  status: notificationStateSchema,
  subject: z.string().nullable(),
  attempts: z.number().int().nonnegative(),
  lastError: z.string().nullable(),
  providerMessageId: z.string().nullable(),
  /** When a deferred or retrying notification is due next. */
  scheduledFor: timestamp.nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
  sentAt: timestamp.nullable(),
  failedAt: timestamp.nullable(),
});
export type NotificationLogEntry = z.infer<typeof notificationLogEntrySchema>;

/** `GET /orders/:orderId/notifications`. */
export const orderNotificationsResponseSchema = z.object({
  orderId: z.uuid(),
  notifications: z.array(notificationLogEntrySchema),
});

export const emailTemplateNameSchema = z.enum([
  'order-confirmation',
  'order-shipped',
  'order-delivered',
  'order-issue',
  'order-status-update',
  'parcel-shipped',
  'parcel-delivered',
  'items-cancelled',
  'items-backordered',
  'items-substituted',
  'order-running-late',
  'order-delay-apology',
  'return-requested',
  'return-approved',
  'return-refused',
  'return-received',
  'return-refunded',
]);
export const templateNameParamsSchema = z.object({ name: emailTemplateNameSchema });

/**
 * `POST /templates/:name/preview`: renders with sample data; `data` overrides sample values
 * (customerName, orderNumber, ...). `status` picks the wording of an order-status template; the
 * templates about part of an order (parcels, items) take none.
 */
export const templatePreviewRequestSchema = z
  .object({
    locale: localeSchema,
    status: orderStatusSchema.optional(),
    data: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const templatePreviewResponseSchema = z.object({ subject: z.string(), html: z.string(), text: z.string() });
export type OrderNotifications = z.infer<typeof orderNotificationsResponseSchema>;
