import { databaseEnv, envHelpers, serviceEnv } from '@platform/config/env';
import { clickLinkSecret } from '@platform/config/click-links';
import { orderLinkSecret } from '@platform/config/order-links';
import { z } from 'zod';

export const notificationsEnv = serviceEnv.extend(databaseEnv.shape).extend({
  PORT: envHelpers.port.default(8084),
  SMTP_URL: envHelpers.url(['smtp:', 'smtps:']).default('smtp://127.0.0.1:1025'),
  MAIL_FROM: z.string().min(3).default('Shop <orders@shop.local>'),
  /** Mailpit-compatible search API of the relay (`GET /api/v1/search?query=message-id:…`); unset = the relay cannot be asked. */
  EMAIL_LOOKUP_URL: envHelpers.url(['http:', 'https:']).optional(),
  /** An email whose earlier attempt may have been delivered and cannot be checked: `resend` (same Message-ID) or `mark-unknown` (ops decide). */
  EMAIL_UNKNOWN_OUTCOME: z.enum(['resend', 'mark-unknown']).default('resend'),
  STORE_NAME: z.string().min(1).default('Shop'),
  SUPPORT_EMAIL: z.email().default('support@shop.local'),
  /** Public base URL of the platform, for links in messages (the order page, the tracking page). */
  PUBLIC_BASE_URL: envHelpers.url(['http:', 'https:']).default('http://127.0.0.1:8080'),
  /** Signs the order-page link in every email; the gateway checks it with the same secret. */
  ORDER_LINK_SECRET: orderLinkSecret,
  /**
   * Signs the click-tracking links (`<PUBLIC_BASE_URL>/c/<token>`) that wrap the links of every
   * message; unset: links go straight to their target and nothing counts clicks.
   */
  CLICK_LINK_SECRET: clickLinkSecret.optional(),
  /** Bulk sends (docs/notification-admin.md): messages planned per minute per campaign, paced by its release timer. */
  CAMPAIGN_SENDS_PER_MINUTE: envHelpers.positiveInt.max(100_000).default(600),
  /** Notifications sent at once: pooled SMTP connections and timer lanes. */
  SEND_CONCURRENCY: envHelpers.positiveInt.max(32).default(8),
  TWILIO_API_URL: envHelpers.url(['http:', 'https:']).default('https://api.twilio.com'),
  TWILIO_ACCOUNT_SID: z.string().min(1),
  TWILIO_AUTH_TOKEN: z.string().min(1),
  /** Sender number (E.164) or alphanumeric sender id. */
  TWILIO_FROM: z.string().min(1),
  /**
   * Where Twilio posts an SMS's status callbacks: the platform's public webhook
   * (`<PUBLIC_BASE_URL>/v1/webhooks/twilio`). Twilio signs this exact URL, so it is also what the
   * signature is checked against. Unset: no receipts are asked for, and SMS stay `sent`.
   */
  TWILIO_STATUS_CALLBACK_URL: envHelpers.url(['http:', 'https:']).optional(),
  FCM_API_URL: envHelpers.url(['http:', 'https:']).default('https://fcm.googleapis.com'),
  FCM_PROJECT_ID: z.string().min(1),
  /** OAuth 2 access token for the FCM HTTP v1 API. */
  FCM_ACCESS_TOKEN: z.string().min(1),
  /** Attempts per notification before it fails for good. */
  NOTIFICATION_MAX_ATTEMPTS: envHelpers.positiveInt.max(20).default(5),
  /** First retry delay (doubles per attempt, capped at 1 h). */
  NOTIFICATION_RETRY_BASE_MS: envHelpers.positiveInt.default(30_000),
  /** Consecutive provider failures that open its circuit breaker, and how long it stays open. */
  PROVIDER_BREAKER_THRESHOLD: envHelpers.positiveInt.default(5),
  PROVIDER_BREAKER_OPEN_MS: envHelpers.positiveInt.default(30_000),
  /**
   * The longest wait between looks for due timers. The worker wakes at the next due time it knows
   * of and at once for a send this process planned, so the poll only finds other replicas' timers.
   */
  TIMER_POLL_MS: envHelpers.positiveInt.default(1_000),
});

export type NotificationsEnv = z.infer<typeof notificationsEnv>;
