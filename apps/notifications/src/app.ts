import { fileURLToPath } from 'node:url';
import type { ServiceRuntime } from '@platform/runtime/service';
import { streams } from '@platform/contracts';
import { type BreakerOptions, ProviderBreakers } from './adapters/breakers';
import { createDatabase, type Transaction } from './adapters/database';
import { createFcmPush, type FcmConfig } from './adapters/fcm-push';
import { createMailpitLookup } from './adapters/email-lookup';
import { createSmtpMailer } from './adapters/mailer';
import { TemplateRenderer } from './adapters/template-renderer';
import { createTwilioSms, type TwilioConfig } from './adapters/twilio-sms';
import { deliverNotification, type NotificationDeps, TIMER_KINDS } from './application/notifications';
import { orderEventSubscriptions } from './consumers/order-events';
import type { StoreIdentity } from './domain/message-view';
import { registerRoutes } from './http/routes';

export interface NotificationsConfig {
  databaseUrl: string;
  smtpUrl: string;
  mailFrom: string;
  /** Base URL of the relay's Mailpit-compatible search API; unset when the relay has none. */
  emailLookupUrl?: string;
  /** What to do with an email whose earlier attempt may have been delivered and cannot be checked. */
  unknownEmailOutcome?: 'resend' | 'mark-unknown';
  /** Pooled SMTP connections. */
  smtpConnections: number;
  store: StoreIdentity;
  twilio: TwilioConfig;
  fcm: FcmConfig;
  maxAttempts: number;
  retryBaseMs: number;
  breaker: BreakerOptions;
  timerPollMs: number;
  /** Durable consumer name; tests give each run its own. */
  consumerName?: string;
}

/**
 * The notifications service on a runtime: database, outbox relay, the order-events consumer,
 * the delivery timers and the HTTP routes. `main.ts` then serves it; tests drive the parts.
 */
export function startNotifications(runtime: ServiceRuntime, config: NotificationsConfig) {
  // Each send lane holds its timer's transaction and briefly a second connection to record the attempt before sending.
  const db = runtime.attachDatabase(createDatabase(config.databaseUrl, config.smtpConnections * 2 + 4));
  const mailer = createSmtpMailer(config.smtpUrl, config.mailFrom, config.smtpConnections);
  runtime.onShutdown(async () => mailer.close());
  const relay = runtime.startOutboxRelay(db);

  // templates/ sits beside src/ and dist/, so the same path works from source and from the bundle.
  const renderer = new TemplateRenderer(fileURLToPath(new URL('../templates', import.meta.url)));
  const deps: NotificationDeps = {
    db,
    renderer,
    store: config.store,
    mailer,
    sms: createTwilioSms(config.twilio),
    push: createFcmPush(config.fcm),
    emailLookup: config.emailLookupUrl ? createMailpitLookup(config.emailLookupUrl) : null,
    unknownEmailOutcome: config.unknownEmailOutcome ?? 'resend',
    breakers: new ProviderBreakers(config.breaker),
    maxAttempts: config.maxAttempts,
    retryBaseMs: config.retryBaseMs,
    log: runtime.log,
  };

  const deliver = deliverNotification(deps);
  const timers = runtime.startTimers<Transaction>(
    db,
    { [TIMER_KINDS.send]: deliver, [TIMER_KINDS.deferred]: deliver, [TIMER_KINDS.retry]: deliver },
    // One send per SMTP connection at once: each holds its transaction while the provider answers.
    { pollIntervalMs: config.timerPollMs, concurrency: config.smtpConnections },
  );
  // Only database writes here (sends happen in the timers), so stream order is kept cheaply.
  const consumer = runtime.addConsumer<Transaction>({
    name: config.consumerName ?? 'notifications--order-events',
    stream: streams.ORDERS.name,
    db,
    subscriptions: orderEventSubscriptions(deps, runtime.clock),
  });

  const app = runtime.createHttpServer();
  registerRoutes(app, { db, renderer, store: config.store, clock: runtime.clock });
  return { app, db, mailer, relay, timers, consumer, deps };
}
