import { EVENTS_PER_TRANSACTION, ORDERS_AT_ONCE } from '@platform/runtime/consumer';
import { fileURLToPath } from 'node:url';
import type { ServiceRuntime } from '@platform/runtime/service';
import { streams } from '@platform/contracts';
import { ProviderBreakers } from './adapters/breakers';
import { createBusinessMetrics } from './adapters/business-metrics';
import { createDatabase, type Transaction } from './adapters/database';
import { createFcmPush } from './adapters/fcm-push';
import { createMailpitLookup } from './adapters/email-lookup';
import { createSmtpMailer } from './adapters/mailer';
import { TemplateRenderer } from './adapters/template-renderer';
import { createTwilioSms } from './adapters/twilio-sms';
import { CAMPAIGN_RELEASE, type CampaignDeps, releaseCampaign } from './application/campaigns';
import { deliverNotification, type NotificationDeps, TIMER_KINDS } from './application/notifications';
import { orderLinks } from './application/order-links';
import type { NotificationsEnv } from './config';
import { billingEventSubscriptions } from './consumers/billing-events';
import { fulfillmentEventSubscriptions } from './consumers/fulfillment-events';
import { orderEventSubscriptions } from './consumers/order-events';
import type { StoreIdentity } from './domain/message-view';
import { registerClickRedirect } from './http/click-redirect';
import { registerRoutes } from './http/routes';
import { registerTwilioWebhook } from './http/twilio-webhook';

export interface NotificationsOptions {
  /** Durable consumer names; tests give each run its own (the billing one, when not named, follows the orders one). */
  consumerNames?: { orders: string; fulfillment: string; billing?: string };
  /** How long Twilio and FCM may take to answer (default 10 s); tests shorten it. */
  providerTimeoutMs?: number;
}

/**
 * The notifications service on a runtime: database, outbox relay, the order-events and
 * fulfillment-events consumers,
 * the delivery timers and the HTTP routes. `main.ts` serves the app; tests start the same
 * build (`@platform/test-support/service`) and drive the parts.
 */
export function buildNotifications(runtime: ServiceRuntime, env: NotificationsEnv, options: NotificationsOptions = {}) {
  const smtpConnections = env.SEND_CONCURRENCY;
  // Each send lane holds its timer's transaction and briefly a second connection to record the
  // attempt before sending; each consumer lane holds one transaction; plus two for HTTP (the relay has its own).
  const db = runtime.attachDatabase(createDatabase(env.DATABASE_URL, smtpConnections * 2 + ORDERS_AT_ONCE * 2 + 2));
  const mailer = createSmtpMailer(env.SMTP_URL, env.MAIL_FROM, smtpConnections);
  runtime.onShutdown(async () => mailer.close());
  runtime.addOutboxRelay(createDatabase(env.DATABASE_URL, 1));

  const store: StoreIdentity = { storeName: env.STORE_NAME, supportEmail: env.SUPPORT_EMAIL, publicBaseUrl: env.PUBLIC_BASE_URL };
  // templates/ sits beside src/ and dist/, so the same path works from source and from the bundle.
  const renderer = new TemplateRenderer(fileURLToPath(new URL('../templates', import.meta.url)));
  const links = orderLinks(env.PUBLIC_BASE_URL, env.ORDER_LINK_SECRET, env.CLICK_LINK_SECRET);
  const deps: NotificationDeps = {
    db,
    renderer,
    store,
    links,
    mailer,
    sms: createTwilioSms({
      apiUrl: env.TWILIO_API_URL,
      accountSid: env.TWILIO_ACCOUNT_SID,
      authToken: env.TWILIO_AUTH_TOKEN,
      from: env.TWILIO_FROM,
      statusCallbackUrl: env.TWILIO_STATUS_CALLBACK_URL,
      timeoutMs: options.providerTimeoutMs,
    }),
    push: createFcmPush({ apiUrl: env.FCM_API_URL, projectId: env.FCM_PROJECT_ID, accessToken: env.FCM_ACCESS_TOKEN, timeoutMs: options.providerTimeoutMs }),
    emailLookup: env.EMAIL_LOOKUP_URL ? createMailpitLookup(env.EMAIL_LOOKUP_URL) : null,
    unknownEmailOutcome: env.EMAIL_UNKNOWN_OUTCOME,
    breakers: new ProviderBreakers({ threshold: env.PROVIDER_BREAKER_THRESHOLD, halfOpenAfterMs: env.PROVIDER_BREAKER_OPEN_MS }),
    maxAttempts: env.NOTIFICATION_MAX_ATTEMPTS,
    retryBaseMs: env.NOTIFICATION_RETRY_BASE_MS,
    metrics: createBusinessMetrics(runtime.metrics.registry),
    log: runtime.log,
  };

  const deliver = deliverNotification(deps);
  const campaigns: CampaignDeps = { notifications: deps, sendsPerMinute: env.CAMPAIGN_SENDS_PER_MINUTE };
  const timers = runtime.addTimers<Transaction>(
    db,
    { [TIMER_KINDS.send]: deliver, [TIMER_KINDS.deferred]: deliver, [TIMER_KINDS.retry]: deliver, [CAMPAIGN_RELEASE]: releaseCampaign(campaigns) },
    // One send per SMTP connection at once: each holds its transaction while the provider answers.
    { pollIntervalMs: env.TIMER_POLL_MS, concurrency: smtpConnections },
  );
  // The three consumers write only this database (sends happen in the timers); several orders at
  // once, each order's events in stream order, so a burst is not planned one round trip at a
  // time. The events at hand commit together (no row or advisory lock outside the order's own,
  // taken by a batch in the order of its orders' ids): a backlog after a burst or a pause drains
  // in fewer transactions.
  runtime.addConsumer<Transaction>({
    name: options.consumerNames?.orders ?? 'notifications--order-events',
    stream: streams.ORDERS.name,
    db,
    concurrency: ORDERS_AT_ONCE,
    batch: EVENTS_PER_TRANSACTION,
    subscriptions: orderEventSubscriptions(deps, runtime.clock),
  });
  runtime.addConsumer<Transaction>({
    name: options.consumerNames?.fulfillment ?? 'notifications--fulfillment-events',
    stream: streams.FULFILLMENT.name,
    db,
    concurrency: ORDERS_AT_ONCE,
    batch: EVENTS_PER_TRANSACTION,
    subscriptions: fulfillmentEventSubscriptions(deps, runtime.clock),
  });
  runtime.addConsumer<Transaction>({
    name: options.consumerNames ? (options.consumerNames.billing ?? `${options.consumerNames.orders}-billing`) : 'notifications--billing-events',
    stream: streams.BILLING.name,
    db,
    concurrency: ORDERS_AT_ONCE,
    batch: EVENTS_PER_TRANSACTION,
    subscriptions: billingEventSubscriptions(deps, runtime.clock),
  });

  const app = runtime.createHttpServer();
  registerRoutes(app, { db, renderer, store, links, clock: runtime.clock, campaigns });
  registerClickRedirect(app, { db, clock: runtime.clock, links, secret: env.CLICK_LINK_SECRET });
  registerTwilioWebhook(app, { db, clock: runtime.clock, authToken: env.TWILIO_AUTH_TOKEN, statusCallbackUrl: env.TWILIO_STATUS_CALLBACK_URL });
  return { app, db, timers, deps };
}
