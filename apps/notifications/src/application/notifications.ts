import { crashpoint } from '@platform/runtime/crashpoint';
import { newEvent, recordEvent } from '@platform/runtime/outbox';
import { scheduleTimer, type DueTimer } from '@platform/runtime/timers';
import {
  type EventData,
  noticePlanned,
  notificationFailed,
  notificationSent,
  type orderStatusChanged,
} from '@platform/contracts';
import { timers } from '@platform/contracts/timers';
import { type DeliveryChannel, deliveryChannelSchema } from '@platform/contracts/api/notifications';
import type { Order } from '@platform/contracts/api/orders';
import { v5 as uuidv5 } from 'uuid';
import { isBreakerOpen, type Provider, type ProviderBreakers } from '../adapters/breakers';
import type { BusinessMetrics } from '../adapters/business-metrics';
import type { Database, Transaction } from '../adapters/database';
import {
  claimUnattempted,
  findNotification,
  insertNotifications,
  markSendingAgain,
  markSent,
  type NoticeFacts,
  type PlannedNotification,
  readNoticeFacts,
} from '../adapters/notification-store';
import type { PushSender } from '../adapters/fcm-push';
import type { Mailer } from '../adapters/mailer';
import type { EmailLookup } from '../adapters/email-lookup';
import { insertFeedItem } from '../adapters/feed-store';
import { certainlyNotSent, isPermanent, ProviderError } from '../adapters/provider-error';
import type { CompiledStored, TemplateRenderer } from '../adapters/template-renderer';
import { liveVersions } from '../adapters/template-store';
import type { FeedItem, Notification } from '../generated/prisma/client';
import type { SmsSender } from '../adapters/twilio-sms';
import { formatPromise } from '../domain/delivery-promise-view';
import { messageView, type OrderContextView, type StatusFacts, type StoreIdentity } from '../domain/message-view';
import { type MessagePlan, planFor, respectsQuietHours } from '../domain/notification-plan';
import { shippingAnnouncedPerParcel } from '../domain/notices';
import { effectivePreferences, type Locale, wantedChannels } from '../domain/preferences';
import { quietHoursEnd } from '../domain/quiet-hours';
import type { OrderLinks } from './order-links';

export const SERVICE = 'notifications';

/**
 * Durable timer kinds, as `@platform/contracts/timers` declares them (when each fires is said
 * there); all three deliver the notification whose id is the timer key.
 */
export const TIMER_KINDS = {
  send: timers.notifications.send.kind,
  deferred: timers.notifications.deferred.kind,
  retry: timers.notifications.retry.kind,
} as const;

/** Namespace for notification ids: uuidv5(`<order>/<notice>/<channel>`) is the same on every attempt and replica. */
const NOTIFICATION_ID_NAMESPACE = '5b0e7e2a-8d0c-4f7e-9a52-6c1f0a3d2b41';

/** A status notification's notice is its status, so ids planned before notices existed are unchanged. */
export function notificationId(orderId: string, notice: string, channel: string): string {
  return uuidv5(`${orderId}/${notice}/${channel}`, NOTIFICATION_ID_NAMESPACE);
}

/** The channels a provider delivers; `in_app` is delivered by writing the customer's feed when planned. */
type ProviderChannel = Exclude<DeliveryChannel, 'in_app'>;

const PROVIDER_OF: Record<ProviderChannel, Provider> = { email: 'smtp', sms: 'twilio', push: 'fcm' };

export interface NotificationDeps {
  /** For reads and writes that must not wait for (or roll back with) the timer's transaction. */
  db: Database;
  renderer: TemplateRenderer;
  store: StoreIdentity;
  links: OrderLinks;
  mailer: Mailer;
  sms: SmsSender;
  push: PushSender;
  /** The relay's Message-ID search (Mailpit API), or null when the relay offers none. */
  emailLookup: EmailLookup | null;
  /** An email whose earlier attempt may have been delivered and cannot be checked: send again (same Message-ID) or leave it `unknown` for ops. */
  unknownEmailOutcome: 'resend' | 'mark-unknown';
  breakers: ProviderBreakers;
  /** Attempts per notification before it fails for good. */
  maxAttempts: number;
  /** First retry delay; doubles per attempt, capped at an hour. */
  retryBaseMs: number;
  metrics: BusinessMetrics;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export interface StatusChange extends StatusFacts {
  customer: Order['customer'];
}

/**
 * What a status change tells the customer. Its `details` stay out: they are orders' words for
 * its operators (English, and may name a supplier, a provider or an error); the customer reads
 * a reason code the catalogue words (domain/customer-reasons.ts).
 */
export function statusChangeOf(change: EventData<typeof orderStatusChanged>): StatusChange {
  return {
    orderId: change.orderId,
    number: change.number,
    status: change.status,
    actor: change.actor,
    customerName: change.customer.name,
    customer: change.customer,
    total: change.total,
    currency: change.currency,
    tracking: change.tracking,
  };
}

/** One thing to tell a customer: what it announces, under which plan, and what its templates render. */
export interface Announcement {
  orderId: string;
  /** The order status it announces; null for a notice about part of the order. */
  orderStatus: string | null;
  /** One notification per order, notice and channel: the status, or `<kind>:<ref>` (domain/notices.ts). */
  notice: string;
  plan: MessagePlan;
  customer: Order['customer'];
  /** The view, once the customer's language and time zone are known. */
  view: (audience: { locale: Locale; timezone: string }) => Record<string, unknown>;
  /** Only these channels (a bulk send names its one); the others are not considered, so nothing is said of them. */
  channels?: readonly DeliveryChannel[];
}

/**
 * The order-level `shipped` notice and parcel 1's notice each decide on whether the other went
 * out, from different streams (domain/notices.ts, `parcelNotice`): one decision per order at a
 * time, each seeing what the other committed.
 */
export async function lockShippingNews(tx: Transaction, orderId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('notifications.shipping'), hashtext(${orderId}))`;
}

/**
 * An order status change → one notification row per channel the customer wants (see
 * `planNotifications`). An order of several parcels hears of its shipping per parcel, so its
 * order-level `shipped` notice is left out (docs/requirements.md#ntf-01-parcel-and-item-notices).
 */
export async function planStatusNotifications(deps: NotificationDeps, tx: Transaction, change: StatusChange, causationEventId: string, now: Date): Promise<number> {
  const plan = planFor(change.status);
  if (!plan) return 0;
  if (plan.status === 'shipped') await lockShippingNews(tx, change.orderId);
  const facts = await readNoticeFacts(tx, { orderId: change.orderId, customerId: change.customer.id });
  const contextRow = facts.context;
  if (plan.status === 'shipped' && shippingAnnouncedPerParcel(contextRow?.parcels ?? null)) {
    deps.log.info({ orderId: change.orderId, parcels: contextRow?.parcels }, 'order ships in several parcels; each parcel is announced instead');
    return 0;
  }
  const context: OrderContextView | null = contextRow
    ? {
        items: contextRow.items as unknown as OrderContextView['items'],
        totals: contextRow.totals as OrderContextView['totals'],
        shippingAddress: contextRow.shippingAddress as OrderContextView['shippingAddress'],
        orderCreatedAt: contextRow.orderCreatedAt.toISOString(),
      }
    : null;
  const { promise } = facts;
  const view = (audience: { locale: Locale; timezone: string }) =>
    messageView(change, context && { ...context, promisedDelivery: promise && formatPromise(promise, audience) }, audience.locale, deps.store);
  return planNotifications(
    deps,
    tx,
    { orderId: change.orderId, orderStatus: change.status, notice: change.status, plan, customer: change.customer, view },
    facts,
    causationEventId,
    now,
  );
}

/**
 * One notification row per channel the customer wants for the plan's topic, rendered now in
 * their language, each with its own delivery timer (at once, or at the end of quiet hours). The
 * rows are unique per (order, notice, channel) and commit with the consumer's processed-event
 * record: a redelivered or replayed event creates nothing new. The in-app channel has no
 * provider: its message is the customer's feed item, written here and sent (recorded as such)
 * in the same transaction; quiet hours never hold it back, it makes no sound (docs/in-app-feed.md).
 */
export async function planNotifications(
  deps: NotificationDeps,
  tx: Transaction,
  announcement: Announcement,
  audience: Pick<NoticeFacts, 'preferences' | 'deviceTokens'>,
  causationEventId: string,
  now: Date,
): Promise<number> {
  const { orderId, orderStatus, notice, plan, customer } = announcement;
  const preferences = effectivePreferences(audience.preferences, customer);
  const locale = preferences.language;
  // Every email links the customer's order page (`orderUrl`; the short channels leave it out).
  const view = { ...announcement.view({ locale, timezone: preferences.timezone }), orderUrl: deps.links.orderPage(orderId, now) };
  // Templates an admin stored for this template and language replace the files, channel by channel (docs/notification-admin.md).
  const stored = await storedTemplates(deps.renderer, tx, plan.template, locale);
  const rows: PlannedNotification[] = [];
  let feedItem: FeedItem | null = null;
  const about = { orderId, template: plan.template, notice, ...(orderStatus && { orderStatus: orderStatus as EventData<typeof noticePlanned>['orderStatus'] }) };
  const facts = (channel: DeliveryChannel) => ({ notificationId: notificationId(orderId, notice, channel), ...about, channel });
  // The channels not used (switched off, or no address): the customer's timeline says so (GW-03).
  const suppressed: PlannedChannel[] = [];
  const suppress = (channel: DeliveryChannel, reason: 'preference_off' | 'no_address') => {
    suppressed.push({ channel, notificationId: notificationId(orderId, notice, channel), outcome: 'suppressed', reason });
  };
  const wanted = wantedChannels(preferences, plan.topic);
  for (const channel of announcement.channels ?? deliveryChannelSchema.options) {
    if (!wanted.includes(channel)) {
      suppress(channel, 'preference_off');
      continue;
    }
    if (channel === 'in_app') {
      feedItem = feedItemOf(deps.renderer, { ...facts(channel), customerId: customer.id, link: view.orderUrl, locale, view, now }, stored.get('push'));
      continue;
    }
    const recipient = channel === 'email' ? customer.email : channel === 'sms' ? preferences.phoneNumber : audience.deviceTokens.join(',') || null;
    if (!recipient) {
      deps.log.info({ orderId, notice, channel }, 'no address for channel; skipped');
      suppress(channel, 'no_address');
      continue;
    }
    const deferUntil = respectsQuietHours(plan, channel) ? quietHoursEnd(now, preferences.quietHours, preferences.timezone) : null;
    const id = notificationId(orderId, notice, channel);
    rows.push({
      id,
      orderId,
      orderStatus,
      notice,
      customerId: customer.id,
      template: plan.template,
      channel,
      recipient,
      locale,
      status: deferUntil ? 'deferred' : 'pending',
      ...renderMessage(deps.renderer, channel, plan.template, locale, withTrackedLinks(deps.links, id, view, now), stored.get(channel)),
      scheduledFor: deferUntil,
      causationEventId,
      createdAt: now,
      updatedAt: now,
    });
  }
  const inserted = await insertNotifications(tx, rows);
  // What each channel does, in one event for the notice (docs/notification-delivery.md).
  const channels: PlannedChannel[] = [];
  // A row not inserted was already planned (or sent) for this order, notice and channel: it keeps its own timer.
  for (const n of rows) {
    if (!inserted.has(n.id)) continue;
    await scheduleTimer(tx, n.scheduledFor ? { kind: TIMER_KINDS.deferred, key: n.id, fireAt: n.scheduledFor } : { kind: TIMER_KINDS.send, key: n.id, fireAt: now });
    const channel = n.channel as DeliveryChannel;
    channels.push(
      n.scheduledFor
        ? { channel, notificationId: n.id, outcome: 'deferred', reason: 'quiet_hours', until: n.scheduledFor.toISOString() }
        : { channel, notificationId: n.id, outcome: 'pending' },
    );
  }
  // Written at most once per (order, notice): a replayed announcement finds its item and is not sent again.
  const feedWritten = feedItem !== null && (await insertFeedItem(tx, feedItem));
  // Counted for a new announcement only: the same news published again finds every row and
  // the feed item there, and its suppressed channels were counted the first time.
  if (inserted.size > 0 || feedWritten) for (const { channel } of suppressed) deps.metrics.notificationEnded(tx, channel, 'suppressed');
  if (feedWritten) {
    deps.metrics.notificationEnded(tx, 'in_app', 'sent');
    channels.push({ channel: 'in_app', notificationId: notificationId(orderId, notice, 'in_app'), outcome: 'sent', recipient: customer.id });
  }
  channels.push(...suppressed);
  if (channels.length > 0) {
    await recordEvent(tx, newEvent(noticePlanned, { aggregateId: orderId, source: SERVICE, occurredAt: now, data: { ...about, plannedAt: now.toISOString(), channels } }));
  }
  return inserted.size + (feedWritten ? 1 : 0);
}

type PlannedChannel = EventData<typeof noticePlanned>['channels'][number];

/** The view's links that go through the click redirect: the order page and the tracking page. */
const TRACKED_LINKS = ['orderUrl', 'trackingUrl'] as const;

/** The view of notification `id`, its links wrapped so that following one counts as its click (docs/notification-admin.md). */
function withTrackedLinks(links: OrderLinks, id: string, view: Record<string, unknown>, now: Date): Record<string, unknown> {
  const wrapped = TRACKED_LINKS.flatMap((key) => {
    const url = view[key];
    return typeof url === 'string' ? [[key, links.tracked(id, url, now)]] : [];
  });
  return { ...view, ...Object.fromEntries(wrapped) };
}

/** The live stored templates of `template` in `locale`, compiled, by channel. */
export async function storedTemplates(renderer: TemplateRenderer, tx: Transaction | Database, template: string, locale: string): Promise<Map<string, CompiledStored>> {
  const versions = await liveVersions(tx, template, locale);
  return new Map([...versions].map(([channel, version]) => [channel, renderer.compile(version.content, version.id)]));
}

/** The feed item of an announcement: the push's words (title and body), in the customer's language, and the order page's signed link. */
function feedItemOf(
  renderer: TemplateRenderer,
  item: { notificationId: string; orderId: string; notice: string; customerId: string; link: string; locale: string; view: Record<string, unknown>; now: Date },
  storedPush: CompiledStored | undefined,
): FeedItem {
  const { title, body } = renderer.short('push', item.locale, item.view, storedPush);
  if (!title || !body) throw new Error(`no push title and body for "${String(item.view.status)}" to show in the feed`);
  return {
    id: item.notificationId,
    customerId: item.customerId,
    orderId: item.orderId,
    notice: item.notice,
    title,
    body,
    link: item.link,
    createdAt: item.now,
    readAt: null,
  };
}

/** A notification's columns for one channel: email subject, HTML and text; push title and text; SMS text. */
export function renderMessage(renderer: TemplateRenderer, channel: ProviderChannel, template: string, locale: string, view: Record<string, unknown>, stored?: CompiledStored) {
  if (channel === 'email') {
    const message = renderer.render(template, locale, view, stored);
    return { subject: message.subject, html: message.html, body: message.text };
  }
  const message = renderer.short(channel, locale, view, stored);
  return { subject: message.title, html: null, body: message.body };
}

/**
 * The row's device tokens that are still registered to its customer: a device signed out (and
 * perhaps registered by someone else) while the message waited must not get it (docs/push-devices.md).
 */
async function tokensStillOwned(deps: NotificationDeps, n: Notification): Promise<string[]> {
  const tokens = n.recipient.split(',');
  if (n.customerId === null) return tokens;
  const owned = await deps.db.customerDevice.findMany({ where: { token: { in: tokens }, customerId: n.customerId }, select: { token: true } });
  const kept = new Set(owned.map((d) => d.token));
  return tokens.filter((token) => kept.has(token));
}

/** Hands one notification to its provider; returns the provider's message id. */
async function sendOver(deps: NotificationDeps, n: Notification): Promise<string> {
  switch (n.channel) {
    case 'email':
      return (await deps.mailer.send({ to: n.recipient, subject: n.subject ?? '', html: n.html ?? '', text: n.body ?? '', messageId: messageIdOf(n) })).providerMessageId;
    case 'sms':
      return (await deps.sms.send({ to: n.recipient, body: n.body ?? '', notificationId: n.id })).providerMessageId;
    case 'push': {
      const accepted: string[] = [];
      let firstError: unknown;
      const tokens = await tokensStillOwned(deps, n);
      if (tokens.length === 0) throw new ProviderError('fcm', 'no device registered to the customer any more', true);
      for (const token of tokens) {
        try {
          const data = { orderId: n.orderId, notice: n.notice, notificationId: n.id, ...(n.orderStatus && { status: n.orderStatus }) };
          accepted.push((await deps.push.send({ token, title: n.subject ?? '', body: n.body ?? '', data, collapseId: collapseIdOf(n) })).providerMessageId);
        } catch (error) {
          // A dead token on one device must not cost the customer's other devices their message,
          // and once one device has it, a retry would push it again to that device: the
          // notification counts as sent when any device accepted it.
          // What the row becomes follows the worst case: a device that may have the push
          // (unknown outcome) outweighs a refusal, so the notification is settled, not resent.
          if (firstError === undefined || (certainlyNotSent(firstError) && !certainlyNotSent(error))) firstError = error;
          deps.log.warn({ err: error, notificationId: n.id, permanent: isPermanent(error) }, 'push to one device failed');
          // FCM's token guidance: a token it reports unregistered will never work again; forget it.
          if (error instanceof ProviderError && error.tokenGone) await deps.db.customerDevice.deleteMany({ where: { token } });
        }
      }
      if (accepted.length === 0) throw firstError ?? new ProviderError('fcm', 'no device token', true);
      return accepted.join(',');
    }
    default:
      throw new ProviderError(n.channel, 'unknown channel', true);
  }
}

/**
 * An attempt whose outcome was lost is checked with the provider only once it is this old: long
 * after any request of ours could still be in progress there (provider timeouts are 10 s).
 */
const OUTCOME_SETTLE_MS = 60_000;

/** The Message-ID of a notification's email: derived from its id, so every attempt carries the same one. */
const messageIdOf = (n: Notification) => `<${n.id}@notifications.platform>`;

/** The collapse id of a notification's push (32 hex digits: fits APNs' 64 bytes and Web Push's 32-character Topic). */
const collapseIdOf = (n: Notification) => n.id.replaceAll('-', '');

/**
 * What the provider knows of an earlier attempt whose outcome was lost: its message id, `absent`
 * (it never got it: send), or `unknowable` (no way to ask: FCM, or a relay without a lookup).
 */
async function earlierAttempt(deps: NotificationDeps, n: Notification): Promise<{ providerMessageId: string } | 'absent' | 'unknowable'> {
  switch (n.channel) {
    case 'email':
      if (!deps.emailLookup) return 'unknowable';
      return (await deps.emailLookup.wasReceived(messageIdOf(n))) ? { providerMessageId: messageIdOf(n) } : 'absent';
    case 'sms': {
      const sid = await deps.sms.findSent({ to: n.recipient, body: n.body ?? '' });
      return sid ? { providerMessageId: sid } : 'absent';
    }
    default:
      return 'unknowable';
  }
}

/**
 * The timer handler for every delivery kind; the whole protocol is in docs/notification-delivery.md.
 * One delivery of a notification runs at a time (an advisory lock held by the timer's
 * transaction, released at its end or when a killed process's connection closes). The attempt
 * is committed (`sending`) before the provider hears of it; the outcome is recorded with the
 * timer. A row found in `sending` is an attempt whose outcome was lost (a crash, a timeout): the
 * provider is asked first (the relay's Message-ID search, Twilio's message list) and the message
 * is sent again only if the provider does not have it; where nobody can be asked, a push is
 * resent with the same collapse id (the phone shows one) and an email per EMAIL_UNKNOWN_OUTCOME.
 * A failure the provider answered: an open breaker means "later" (no attempt counted); a
 * permanent refusal, or a certain refusal on the last allowed attempt, fails it
 * (`notifications.notification.failed`); an unknown outcome on the last attempt leaves it
 * `unknown` (docs/notification-delivery.md); otherwise a retry timer with exponential backoff.
 */
export function deliverNotification(deps: NotificationDeps) {
  return async (timer: DueTimer, tx: Transaction, now: Date): Promise<void> => {
    const [lock] = await tx.$queryRaw<Array<{ locked: boolean }>>`
      SELECT pg_try_advisory_xact_lock(hashtext('notifications.delivery'), hashtext(${timer.key})) AS locked`;
    // Another lane or replica is delivering it right now; that delivery records the outcome and any retry.
    if (!lock?.locked) return;
    // On record before the provider hears of it: a crash from here on leaves `sending`, and the
    // next run asks the provider instead of sending blindly. A row not attempted yet is put on
    // record by the statement that reads it, so no other delivery can have changed it in between.
    const claimed = await claimUnattempted(deps.db, timer.key, now);
    const n = claimed ?? (await findNotification(tx, timer.key));
    if (!n || n.status !== 'sending') return;
    if (!claimed && now.getTime() < n.updatedAt.getTime() + OUTCOME_SETTLE_MS) {
      // Too early to ask: a request cut off a moment ago may still be completing at the provider.
      await scheduleTimer(tx, { kind: TIMER_KINDS.retry, key: n.id, fireAt: new Date(n.updatedAt.getTime() + OUTCOME_SETTLE_MS) });
      return;
    }
    const channel = n.channel as ProviderChannel;
    const provider = PROVIDER_OF[channel];
    const eventBase = {
      notificationId: n.id,
      orderId: n.orderId,
      template: n.template,
      notice: n.notice,
      ...(n.orderStatus && { orderStatus: n.orderStatus as EventData<typeof notificationSent>['orderStatus'] }),
      channel,
    };
    // This attempt's number: a claimed row has it counted already.
    const attempts = claimed ? n.attempts : n.attempts + 1;
    const retryAfter = (count: number) => new Date(now.getTime() + Math.min(deps.retryBaseMs * 2 ** (count - 1), 60 * 60 * 1000));

    const recordSent = async (providerMessageId: string, how: 'sent' | 'found at the provider') => {
      // An email the relay took (250 after DATA) and a push FCM took are delivered as far as any receipt says; an SMS waits for Twilio's callback.
      await markSent(tx, n.id, { providerMessageId, attempts, delivered: channel !== 'sms', now });
      // A test send is no customer's news: nothing for the order's timeline, other services or the business metrics.
      if (!n.test) deps.metrics.notificationEnded(tx, channel, 'sent');
      if (!n.test) await recordEvent(
        tx,
        newEvent(notificationSent, {
          aggregateId: n.orderId,
          source: SERVICE,
          occurredAt: now,
          data: { ...eventBase, recipient: n.recipient, locale: n.locale, providerMessageId, sentAt: now.toISOString() },
        }),
      );
      if (how !== 'sent') deps.log.info({ notificationId: n.id, provider, providerMessageId }, 'earlier attempt found at the provider; not sent again');
    };
    const markUnknown = async (reason: string) => {
      await tx.notification.update({ where: { id: n.id }, data: { status: 'unknown', attempts, lastError: reason, scheduledFor: null, updatedAt: now } });
      if (!n.test) deps.metrics.notificationEnded(tx, channel, 'unknown');
      deps.log.warn({ notificationId: n.id, provider, reason }, 'notification outcome unknown; left for ops');
    };

    let handedOver = claimed !== null;
    try {
      if (!claimed) {
        // An earlier attempt's outcome was lost: the provider is asked before anything is sent again.
        const earlier = await earlierAttempt(deps, n);
        if (typeof earlier === 'object') return await recordSent(earlier.providerMessageId, 'found at the provider');
        if (earlier === 'unknowable') {
          if (channel === 'email' && deps.unknownEmailOutcome === 'mark-unknown') {
            return await markUnknown('an earlier attempt may have reached the relay (no way to ask it); not resent (EMAIL_UNKNOWN_OUTCOME=mark-unknown)');
          }
          // Counted in the logs: the customer may get it twice (an email with the same Message-ID; a push replaces the first on the phone).
          deps.log.warn({ notificationId: n.id, provider, duplicateRisk: true }, 'earlier attempt may have been delivered and the provider cannot be asked; sending again');
        }
        // The new attempt on record only if the row is still as read: a delivery whose lock went
        // with its connection (PostgreSQL restarted) must not send what the delivery that took
        // the lock over has sent or put on record meanwhile.
        if (!(await markSendingAgain(deps.db, n, attempts, now))) {
          deps.log.warn({ notificationId: n.id, provider }, 'notification changed while this delivery lost its lock; left to the delivery that changed it');
          return;
        }
        handedOver = true;
      }
      const providerMessageId = await deps.breakers.execute(provider, () => sendOver(deps, n));
      crashpoint(`notifications:${channel}:after-provider-accepted`);
      await recordSent(providerMessageId, 'sent');
    } catch (error) {
      const reason = (error as Error).message?.slice(0, 2000) ?? String(error);
      if (isBreakerOpen(error)) {
        const retryAt = new Date(now.getTime() + deps.breakers.options.halfOpenAfterMs);
        await tx.notification.update({ where: { id: n.id }, data: { status: 'pending', attempts: attempts - 1, lastError: `${provider} circuit open`, scheduledFor: retryAt, updatedAt: now } });
        await scheduleTimer(tx, { kind: TIMER_KINDS.retry, key: n.id, fireAt: retryAt });
        deps.log.warn({ notificationId: n.id, provider, retryAt }, 'provider circuit open; notification postponed');
        return;
      }
      // Handed over without a clear answer (timeout), or not handed over because the lookup of an earlier attempt failed: still unknown.
      const stillUnknown = !handedOver || !certainlyNotSent(error);
      if (stillUnknown && attempts >= deps.maxAttempts) return await markUnknown(`outcome unknown after ${attempts} attempts: ${reason}`);
      if (!stillUnknown && (isPermanent(error) || attempts >= deps.maxAttempts)) {
        await tx.notification.update({ where: { id: n.id }, data: { status: 'failed', attempts, lastError: reason, scheduledFor: null, failedAt: now, updatedAt: now } });
        if (!n.test) deps.metrics.notificationEnded(tx, channel, 'failed');
        if (!n.test) await recordEvent(
          tx,
          newEvent(notificationFailed, { aggregateId: n.orderId, source: SERVICE, occurredAt: now, data: { ...eventBase, reason, attempts, failedAt: now.toISOString() } }),
        );
        deps.log.warn({ notificationId: n.id, provider, attempts, reason }, 'notification failed for good');
        return;
      }
      const retryAt = retryAfter(attempts);
      await tx.notification.update({ where: { id: n.id }, data: { status: stillUnknown ? 'sending' : 'pending', attempts, lastError: reason, scheduledFor: retryAt, updatedAt: now } });
      await scheduleTimer(tx, { kind: TIMER_KINDS.retry, key: n.id, fireAt: retryAt });
      deps.log.warn({ notificationId: n.id, provider, attempts, retryAt, reason, outcomeUnknown: stillUnknown }, 'notification send failed; will retry');
    }
  };
}
