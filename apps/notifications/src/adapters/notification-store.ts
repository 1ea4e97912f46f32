import type { DeliveryPromise } from '@platform/contracts';
import type { CustomerPreferences, Notification, OrderContext } from '../generated/prisma/client';
import { Prisma } from '../generated/prisma/client';
import type { Locale, StoredPreferences } from '../domain/preferences';
import type { Database, Transaction } from './database';

/*
 * The statements of the hot paths (an order's events, a notification's delivery) as typed raw
 * SQL: each is one round trip where the model API needed several, and costs a fraction of a
 * model call's CPU (query compiler and interpreter).
 */

type JsonColumn = 'items' | 'totals' | 'shippingAddress' | 'customer';

/** The order as `orders.order.created|modified` gave it, in the read model's columns (JSON ones as values to serialize). */
export type OrderContextRecord = Omit<OrderContext, 'parcels' | JsonColumn> & Record<JsonColumn, unknown>;

/** Inserts or replaces the order's read model; the parcel count fulfillment reported is kept. */
export async function saveOrderContext(tx: Transaction, context: OrderContextRecord): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO order_contexts (order_id, customer_id, number, currency, items, totals, shipping_address, customer, order_created_at, updated_at)
    VALUES (${context.orderId}::uuid, ${context.customerId}, ${context.number}, ${context.currency}, ${JSON.stringify(context.items)}::jsonb,
            ${JSON.stringify(context.totals)}::jsonb, ${JSON.stringify(context.shippingAddress)}::jsonb, ${JSON.stringify(context.customer)}::jsonb,
            ${context.orderCreatedAt}::timestamptz, ${context.updatedAt}::timestamptz)
    ON CONFLICT (order_id) DO UPDATE SET
      customer_id = EXCLUDED.customer_id, number = EXCLUDED.number, currency = EXCLUDED.currency, items = EXCLUDED.items,
      totals = EXCLUDED.totals, shipping_address = EXCLUDED.shipping_address, customer = EXCLUDED.customer,
      order_created_at = EXCLUDED.order_created_at, updated_at = EXCLUDED.updated_at`;
}

type PreferenceFields = Pick<CustomerPreferences, 'email' | 'sms' | 'push' | 'inApp' | 'language' | 'timezone' | 'quietHoursStart' | 'quietHoursEnd' | 'phoneNumber' | 'version'>;

export function toStoredPreferences(row: PreferenceFields): StoredPreferences {
  return {
    channels: {
      email: row.email as StoredPreferences['channels']['email'],
      sms: row.sms as StoredPreferences['channels']['sms'],
      push: row.push as StoredPreferences['channels']['push'],
      in_app: row.inApp as StoredPreferences['channels']['in_app'],
    },
    language: row.language as Locale | null,
    timezone: row.timezone,
    quietHours: row.quietHoursStart && row.quietHoursEnd ? { start: row.quietHoursStart, end: row.quietHoursEnd } : null,
    phoneNumber: row.phoneNumber,
    version: row.version,
  };
}

/** What planning a notice reads about the order and its customer. */
export interface NoticeFacts {
  /** The order's read model; null until `orders.order.created` was consumed. */
  context: OrderContext | null;
  /** The customer's stored choices; null when they never changed anything. */
  preferences: StoredPreferences | null;
  /** The customer's push device tokens, oldest registration first. */
  deviceTokens: string[];
  /** The order-level `shipped` notice was planned (on any channel, the in-app feed included). */
  orderShippedAnnounced: boolean;
  /** The order's newest delivery promise; null until one was consumed. */
  promise: DeliveryPromise | null;
}

type FactsRow = OrderContext & {
  hasContext: boolean;
  hasPreferences: boolean;
  deviceTokens: string[];
  orderShippedAnnounced: boolean;
  promiseDeliveryType: string | null;
  promiseEarliest: Date | null;
  promiseLatest: Date | null;
} & {
  [K in keyof PreferenceFields as `pref_${K}`]: PreferenceFields[K];
};

/**
 * The order's read model and delivery promise, its customer's preferences and devices (the
 * customer `customerId`, or the order's when null), and whether the order-level `shipped` notice
 * was planned, in one statement; with `parcels`, the order's parcel count is recorded by the same
 * statement.
 */
export async function readNoticeFacts(tx: Transaction, query: { orderId: string; customerId: string | null; parcels?: number }): Promise<NoticeFacts> {
  const { orderId, customerId, parcels } = query;
  // A data-modifying WITH runs once whether or not the SELECT reads it; the SELECT sees the row as before it.
  const recordParcels =
    parcels === undefined
      ? Prisma.empty
      : Prisma.sql`WITH noted AS (UPDATE order_contexts SET parcels = ${parcels}::int
                   WHERE order_id = ${orderId}::uuid AND parcels IS DISTINCT FROM ${parcels}::int RETURNING order_id)`;
  const [row] = await tx.$queryRaw<FactsRow[]>(Prisma.sql`
    ${recordParcels}
    SELECT oc.order_id IS NOT NULL AS "hasContext", oc.order_id AS "orderId", oc.customer_id AS "customerId", oc.number, oc.currency,
           oc.items, oc.totals, oc.shipping_address AS "shippingAddress", oc.customer, oc.order_created_at AS "orderCreatedAt",
           oc.parcels, oc.updated_at AS "updatedAt",
           p.customer_id IS NOT NULL AS "hasPreferences", p.email AS "pref_email", p.sms AS "pref_sms", p.push AS "pref_push", p.in_app AS "pref_inApp",
           p.language AS "pref_language", p.timezone AS "pref_timezone", p.quiet_hours_start AS "pref_quietHoursStart",
           p.quiet_hours_end AS "pref_quietHoursEnd", p.phone_number AS "pref_phoneNumber", p.version AS "pref_version",
           ARRAY(SELECT d.token FROM customer_devices d WHERE d.customer_id = who.id ORDER BY d.created_at) AS "deviceTokens",
           (EXISTS (SELECT 1 FROM notifications n WHERE n.order_id = ${orderId}::uuid AND n.notice = 'shipped')
            OR EXISTS (SELECT 1 FROM feed_items f WHERE f.order_id = ${orderId}::uuid AND f.notice = 'shipped')) AS "orderShippedAnnounced",
           op.delivery_type AS "promiseDeliveryType", op.earliest AS "promiseEarliest", op.latest AS "promiseLatest"
    FROM (SELECT ${orderId}::uuid AS order_id) AS o
    LEFT JOIN order_contexts oc ON oc.order_id = o.order_id
    LEFT JOIN order_promises op ON op.order_id = o.order_id
    CROSS JOIN LATERAL (SELECT COALESCE(${customerId}::text, oc.customer_id) AS id) AS who
    LEFT JOIN customer_preferences p ON p.customer_id = who.id`);
  const r = row!;
  return {
    context: r.hasContext
      ? {
          orderId: r.orderId,
          customerId: r.customerId,
          number: r.number,
          currency: r.currency,
          items: r.items,
          totals: r.totals,
          shippingAddress: r.shippingAddress,
          customer: r.customer,
          orderCreatedAt: r.orderCreatedAt,
          parcels: r.parcels,
          updatedAt: r.updatedAt,
        }
      : null,
    preferences: r.hasPreferences
      ? toStoredPreferences({
          email: r.pref_email,
          sms: r.pref_sms,
          push: r.pref_push,
          inApp: r.pref_inApp,
          language: r.pref_language,
          timezone: r.pref_timezone,
          quietHoursStart: r.pref_quietHoursStart,
          quietHoursEnd: r.pref_quietHoursEnd,
          phoneNumber: r.pref_phoneNumber,
          version: r.pref_version,
        })
      : null,
    deviceTokens: r.deviceTokens,
    orderShippedAnnounced: r.orderShippedAnnounced,
    promise:
      r.promiseDeliveryType && r.promiseEarliest && r.promiseLatest
        ? { deliveryType: r.promiseDeliveryType as DeliveryPromise['deliveryType'], earliest: r.promiseEarliest.toISOString(), latest: r.promiseLatest.toISOString() }
        : null,
  };
}

/** A notification as planned: what is rendered and where it goes; the delivery fields start empty. */
export type PlannedNotification = Pick<
  Notification,
  | 'id'
  | 'orderId'
  | 'orderStatus'
  | 'notice'
  | 'customerId'
  | 'template'
  | 'channel'
  | 'recipient'
  | 'locale'
  | 'status'
  | 'subject'
  | 'html'
  | 'body'
  | 'scheduledFor'
  | 'causationEventId'
  | 'createdAt'
  | 'updatedAt'
>;

/** Inserts the notifications not planned yet (unique per order, notice and channel); returns the ids it inserted. */
export async function insertNotifications(tx: Transaction, rows: PlannedNotification[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const values = rows.map(
    (n) => Prisma.sql`(${n.id}::uuid, ${n.orderId}::uuid, ${n.orderStatus}, ${n.notice}, ${n.customerId}, ${n.template}, ${n.channel}, ${n.recipient},
      ${n.locale}, ${n.status}, ${n.subject}, ${n.html}, ${n.body}, ${n.scheduledFor}::timestamptz, ${n.causationEventId}::uuid,
      ${n.createdAt}::timestamptz, ${n.updatedAt}::timestamptz)`,
  );
  const inserted = await tx.$queryRaw<Array<{ id: string }>>(Prisma.sql`
    INSERT INTO notifications (id, order_id, order_status, notice, customer_id, template, channel, recipient, locale, status, subject, html, body,
                               scheduled_for, causation_event_id, created_at, updated_at)
    VALUES ${Prisma.join(values)}
    ON CONFLICT DO NOTHING
    RETURNING id`);
  return new Set(inserted.map((row) => row.id));
}

/** Every column of `notifications`, named as the model names them. */
export const NOTIFICATION_COLUMNS = Prisma.raw(`id, order_id AS "orderId", order_status AS "orderStatus", notice, customer_id AS "customerId", template, channel,
  recipient, locale, status, subject, html, body, provider_message_id AS "providerMessageId", attempts, last_error AS "lastError",
  scheduled_for AS "scheduledFor", causation_event_id AS "causationEventId", created_at AS "createdAt", updated_at AS "updatedAt",
  sent_at AS "sentAt", failed_at AS "failedAt", test, delivered_at AS "deliveredAt", clicked_at AS "clickedAt"`);

export async function findNotification(tx: Transaction, id: string): Promise<Notification | null> {
  const [row] = await tx.$queryRaw<Notification[]>(Prisma.sql`SELECT ${NOTIFICATION_COLUMNS} FROM notifications WHERE id = ${id}::uuid`);
  return row ?? null;
}

/**
 * A notification not attempted yet (`pending` or `deferred`) becomes `sending` with the attempt
 * counted, and is returned as it now is; null when it is in any other state (or gone).
 */
export async function claimUnattempted(db: Database, id: string, now: Date): Promise<Notification | null> {
  const [row] = await db.$queryRaw<Notification[]>(Prisma.sql`
    UPDATE notifications SET status = 'sending', attempts = attempts + 1, updated_at = ${now}::timestamptz
    WHERE id = ${id}::uuid AND status IN ('pending', 'deferred')
    RETURNING ${NOTIFICATION_COLUMNS}`);
  return row ?? null;
}

/** `sending` again with `attempts`, only if the row is still exactly as `n` (status, attempts, updated_at); false when it changed. */
export async function markSendingAgain(db: Database, n: Notification, attempts: number, now: Date): Promise<boolean> {
  const count = await db.$executeRaw`
    UPDATE notifications SET status = 'sending', attempts = ${attempts}::int, updated_at = ${now}::timestamptz
    WHERE id = ${n.id}::uuid AND status = ${n.status} AND attempts = ${n.attempts}::int AND updated_at = ${n.updatedAt}::timestamptz`;
  return count > 0;
}

/**
 * Recorded as sent, or `delivered` when the provider's acceptance is the receipt (the relay's 250
 * after DATA, FCM's answer); a receipt that arrived first (Twilio may call back before this
 * commits) keeps its status.
 */
export async function markSent(tx: Transaction, id: string, sent: { providerMessageId: string; attempts: number; delivered: boolean; now: Date }): Promise<void> {
  const status = sent.delivered ? 'delivered' : 'sent';
  await tx.$executeRaw`
    UPDATE notifications SET status = CASE WHEN status IN ('delivered', 'clicked', 'failed') THEN status ELSE ${status} END,
           delivered_at = CASE WHEN ${sent.delivered}::boolean THEN COALESCE(delivered_at, ${sent.now}::timestamptz) ELSE delivered_at END, provider_message_id = ${sent.providerMessageId}, attempts = ${sent.attempts}::int, last_error = NULL,
           scheduled_for = NULL, sent_at = ${sent.now}::timestamptz, updated_at = ${sent.now}::timestamptz
    WHERE id = ${id}::uuid`;
}

/**
 * A provider's receipt: `delivered` or `failed`. Receipts only move a notification forward
 * (NTF-03: sending, sent → delivered → clicked; failed ends it): one about a notification already
 * delivered, clicked or failed changes nothing, so a late or repeated callback cannot undo a
 * later state. True when it changed the row.
 */
export async function applyReceipt(db: Database, id: string, receipt: { outcome: 'delivered' | 'failed'; detail: string | null; now: Date }): Promise<boolean> {
  const { outcome, detail, now } = receipt;
  const changed = await db.$executeRaw`
    UPDATE notifications SET status = ${outcome},
           delivered_at = CASE WHEN ${outcome} = 'delivered' THEN ${now}::timestamptz ELSE delivered_at END,
           failed_at = CASE WHEN ${outcome} = 'failed' THEN ${now}::timestamptz ELSE failed_at END,
           last_error = CASE WHEN ${outcome} = 'failed' THEN ${detail} ELSE last_error END,
           updated_at = ${now}::timestamptz
    WHERE id = ${id}::uuid AND status IN ('sending', 'sent')`;
  return changed > 0;
}

/**
 * The customer followed a link of notification `id`: the first click sets `clicked_at` (counted
 * once in the analytics) and, since a message clicked was evidently delivered, `delivered_at`
 * when no receipt said so yet; the status moves to `clicked` unless it already ended (failed,
 * unknown). Returns the notification's order, or null when there is no such notification.
 */
export async function markClicked(db: Database, id: string, now: Date): Promise<string | null> {
  const [row] = await db.$queryRaw<Array<{ orderId: string }>>`
    UPDATE notifications SET clicked_at = COALESCE(clicked_at, ${now}::timestamptz), delivered_at = COALESCE(delivered_at, ${now}::timestamptz),
           status = CASE WHEN status IN ('sending', 'sent', 'delivered') THEN 'clicked' ELSE status END, updated_at = ${now}::timestamptz
    WHERE id = ${id}::uuid
    RETURNING order_id::text AS "orderId"`;
  return row?.orderId ?? null;
}
