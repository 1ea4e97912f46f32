import { z } from 'zod';
import { orderStatusSchema } from '../events/orders';
import { localeSchema, timestamp } from '../primitives';
import { deviceTokenSchema, emailTemplateNameSchema, notificationLogEntrySchema, notificationStateSchema, phoneNumberSchema } from './notifications';

/*
 * The notification admin (NTF-04, docs/notification-admin.md): stored templates over the
 * built-in files, their versions, preview against a real order and test sends; the history of
 * every notification and its delivery analytics.
 */

/** The channels a template renders for; the in-app feed shows the push's words. */
export const templateChannelSchema = z.enum(['email', 'sms', 'push']);
export type TemplateChannel = z.infer<typeof templateChannelSchema>;

/** `/notification-templates/:name/:channel/:locale`: an unknown template, channel or locale is refused. */
export const templateKeyParamsSchema = z.object({ name: emailTemplateNameSchema, channel: templateChannelSchema, locale: localeSchema });
export type TemplateKey = z.infer<typeof templateKeyParamsSchema>;

const source = z.string().min(1).max(100_000);

/**
 * Handlebars sources, rendered over the same data as the built-in files, plus `t` (the built-in
 * catalogue's strings for that template or channel in that locale, so `{{t.subject}}` is the
 * built-in subject). email takes subject, html and text; sms takes body; push takes title and body.
 */
export const templateContentSchema = z
  .object({ subject: source, html: source, text: source, title: source, body: source })
  .partial()
  .strict();
export type TemplateContent = z.infer<typeof templateContentSchema>;

/** `PUT /notification-templates/:name/:channel/:locale`: saves a new version, live at once. */
export const saveTemplateRequestSchema = z.object({ content: templateContentSchema }).strict();

/** One saved version; `live` for the newest. */
export const templateVersionSchema = z.object({
  version: z.number().int().positive(),
  content: templateContentSchema,
  author: z.string(),
  createdAt: timestamp,
  live: z.boolean(),
});

/** What a template renders from now: the live stored version, or the built-in files (`source: built-in`, no version). */
export const templateViewSchema = z.object({
  name: emailTemplateNameSchema,
  channel: templateChannelSchema,
  locale: localeSchema,
  source: z.enum(['stored', 'built-in']),
  version: z.number().int().positive().nullable(),
  author: z.string().nullable(),
  createdAt: timestamp.nullable(),
  content: templateContentSchema,
});
export type TemplateView = z.infer<typeof templateViewSchema>;

/** `GET …/versions`: newest first. */
export const templateVersionsResponseSchema = z.object({
  name: emailTemplateNameSchema,
  channel: templateChannelSchema,
  locale: localeSchema,
  versions: z.array(templateVersionSchema),
});

/**
 * `POST …/preview`: renders the live template (or `content`, a draft not saved) for a real
 * order (`orderId`: its items, totals, address and customer) or, without one, the sample order.
 * `status` picks the wording of an order-status template.
 */
export const templatePreviewAdminRequestSchema = z
  .object({ orderId: z.uuid().optional(), status: orderStatusSchema.optional(), content: templateContentSchema.optional() })
  .strict();

/** What a channel shows: email subject, HTML and text; SMS body; push title and body. */
export const renderedTemplateSchema = z.object({
  subject: z.string().nullable(),
  html: z.string().nullable(),
  text: z.string().nullable(),
  title: z.string().nullable(),
  body: z.string().nullable(),
});

/**
 * `POST …/test-send`: the live template, rendered for `orderId` (or the sample order), sent to
 * `to` (an email address, an E.164 phone number or a push device token, by channel). It is
 * recorded in the history as a test and never counted in the analytics.
 */
export const testSendRequestSchema = z
  .object({ to: z.string().min(1).max(4096), orderId: z.uuid().optional(), status: orderStatusSchema.optional() })
  .strict();

/** Addresses a test send takes per channel. */
export const testRecipientSchemas = { email: z.email(), sms: phoneNumberSchema, push: deviceTokenSchema } as const;

export const testSendResponseSchema = z.object({ notificationId: z.uuid(), status: z.literal('pending') });

/** A time range over when notifications were planned: `from` inclusive, `to` exclusive. */
const rangeFields = { from: timestamp.optional(), to: timestamp.optional() };
const inOrder = (q: { from?: string; to?: string }) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to);
const outOfOrder = { path: ['from'], message: 'must not be after to' };

/**
 * `GET /notifications`: the history, newest first, every filter optional; `cursor` is the
 * `nextCursor` of the page before. Test sends are in it, marked `test`.
 */
export const notificationHistoryQuerySchema = z
  .object({
    ...rangeFields,
    template: emailTemplateNameSchema.optional(),
    channel: templateChannelSchema.optional(),
    locale: localeSchema.optional(),
    status: notificationStateSchema.optional(),
    orderId: z.uuid().optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, 'must be the nextCursor of an earlier page').optional(),
  })
  .strict()
  .refine(inOrder, outOfOrder);

export const notificationHistoryEntrySchema = notificationLogEntrySchema.extend({
  test: z.boolean(),
  deliveredAt: timestamp.nullable(),
  clickedAt: timestamp.nullable(),
});

export const notificationHistorySchema = z.object({
  notifications: z.array(notificationHistoryEntrySchema),
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: z.string().nullable(),
});

/** `GET /notification-analytics?from=&to=`: over the notifications planned in the range (all time without one). */
export const notificationAnalyticsQuerySchema = z.object(rangeFields).strict().refine(inOrder, outOfOrder);

/**
 * Per template, channel and locale: `sent` reached the provider, `delivered` has the provider's
 * receipt, `failed` failed for good, `clicked` had a link followed. Test sends are not counted.
 */
export const notificationAnalyticsSchema = z.object({
  from: timestamp.nullable(),
  to: timestamp.nullable(),
  rows: z.array(
    z.object({
      template: z.string(),
      channel: z.string(),
      locale: z.string(),
      sent: z.number().int().nonnegative(),
      delivered: z.number().int().nonnegative(),
      failed: z.number().int().nonnegative(),
      clicked: z.number().int().nonnegative(),
    }),
  ),
});

/**
 * Who a bulk send goes to (docs/notification-admin.md#bulk-sends): `delayed_orders` is every
 * customer with an order still not delivered (nor cancelled, refunded or returned) whose promised
 * delivery passed more than `minDaysLate` days ago; a customer with several such orders gets one
 * message, about the most overdue one.
 */
export const campaignSegmentSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('delayed_orders'), minDaysLate: z.number().int().min(0).max(365) }).strict(),
]);
export type CampaignSegment = z.infer<typeof campaignSegmentSchema>;

/** The templates a bulk send may use: each is about one order of its recipient. */
export const campaignTemplateSchema = z.enum(['order-delay-apology']);

/**
 * `POST /notification-campaigns`: `name` identifies the campaign: posting the same name again
 * runs it again (new members of the segment get their message; nobody gets a second), and must
 * repeat its template, channel and segment. `dryRun` counts the recipients and stores nothing.
 */
export const createCampaignRequestSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,99}$/, 'lower-case letters, digits and dashes'),
    template: campaignTemplateSchema,
    channel: templateChannelSchema,
    segment: campaignSegmentSchema,
    dryRun: z.boolean().default(false),
  })
  .strict();
export type CreateCampaignRequest = z.infer<typeof createCampaignRequestSchema>;

export const campaignIdParamsSchema = z.object({ id: z.uuid() });

/** A dry run: how many customers the segment holds now. */
export const campaignDryRunSchema = z.object({ dryRun: z.literal(true), recipients: z.number().int().nonnegative() });

/**
 * A campaign and its counts: `recipients` in it so far; `queued` wait for their batch; `planned`
 * got a message (then `sent`, `delivered`, `failed`, `clicked` as the analytics count them);
 * `skipped` got none (the channel switched off or no address for it, or the order arrived meanwhile).
 */
export const campaignSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  template: campaignTemplateSchema,
  channel: templateChannelSchema,
  segment: campaignSegmentSchema,
  status: z.enum(['running', 'done']),
  sendsPerMinute: z.number().int().positive(),
  createdBy: z.string(),
  createdAt: timestamp,
  lastRunAt: timestamp,
  counts: z.object({
    recipients: z.number().int().nonnegative(),
    queued: z.number().int().nonnegative(),
    planned: z.number().int().nonnegative(),
    skipped: z.number().int().nonnegative(),
    sent: z.number().int().nonnegative(),
    delivered: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    clicked: z.number().int().nonnegative(),
  }),
});
export type Campaign = z.infer<typeof campaignSchema>;
