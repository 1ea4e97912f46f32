import type { DeliveryPromise } from '@platform/contracts';
import type { Database, Transaction } from './database';

/* The bulk sends' tables (docs/notification-admin.md#bulk-sends): the delayed orders read model, campaigns and their recipients. */

/** An order flagged late; the first flag is kept (orders flags an order once). */
export async function saveDelay(tx: Transaction, delay: { orderId: string; customerId: string; lateSince: Date; promise: DeliveryPromise | null; flaggedAt: Date }): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO delayed_orders (order_id, customer_id, late_since, promise, flagged_at)
    VALUES (${delay.orderId}::uuid, ${delay.customerId}, ${delay.lateSince}::timestamptz, ${JSON.stringify(delay.promise)}::jsonb, ${delay.flaggedAt}::timestamptz)
    ON CONFLICT (order_id) DO NOTHING`;
}

/** The order reached a final status: no longer in the segment. */
export async function settleDelay(tx: Transaction, orderId: string, now: Date): Promise<void> {
  await tx.$executeRaw`UPDATE delayed_orders SET settled_at = ${now}::timestamptz WHERE order_id = ${orderId}::uuid AND settled_at IS NULL`;
}

/** Customers with an order late since `cutoff` or earlier and not settled. */
export async function countDelayedCustomers(db: Database, cutoff: Date): Promise<number> {
  const [row] = await db.$queryRaw<Array<{ count: number }>>`
    SELECT count(DISTINCT customer_id)::int AS count FROM delayed_orders WHERE settled_at IS NULL AND late_since <= ${cutoff}::timestamptz`;
  return row?.count ?? 0;
}

/**
 * Queues every customer of the segment not in the campaign yet, with their most overdue order;
 * a customer already in it (queued, planned or skipped) is left as is. Returns how many joined.
 */
export async function queueDelayedCustomers(tx: Transaction, campaignId: string, cutoff: Date, now: Date): Promise<number> {
  return tx.$executeRaw`
    INSERT INTO campaign_recipients (campaign_id, customer_id, order_id, status, queued_at)
    SELECT DISTINCT ON (customer_id) ${campaignId}::uuid, customer_id, order_id, 'queued', ${now}::timestamptz
    FROM delayed_orders WHERE settled_at IS NULL AND late_since <= ${cutoff}::timestamptz
    ORDER BY customer_id, late_since, order_id
    ON CONFLICT (campaign_id, customer_id) DO NOTHING`;
}

export interface QueuedRecipient {
  customerId: string;
  orderId: string;
  promise: DeliveryPromise | null;
  settled: boolean;
}

/** The next `limit` recipients waiting, first queued first, with their order's delay as it stands now. */
export async function queuedRecipients(tx: Transaction, campaignId: string, limit: number): Promise<QueuedRecipient[]> {
  return tx.$queryRaw<QueuedRecipient[]>`
    SELECT r.customer_id AS "customerId", r.order_id::text AS "orderId", d.promise, d.settled_at IS NOT NULL AS settled
    FROM campaign_recipients r LEFT JOIN delayed_orders d ON d.order_id = r.order_id
    WHERE r.campaign_id = ${campaignId}::uuid AND r.status = 'queued'
    ORDER BY r.queued_at, r.customer_id
    LIMIT ${limit}`;
}

/** A recipient's outcome, committed with its notification (or with none). */
export async function markReleased(tx: Transaction, campaignId: string, customerId: string, outcome: { notificationId: string | null; now: Date }): Promise<void> {
  await tx.$executeRaw`
    UPDATE campaign_recipients SET status = ${outcome.notificationId ? 'planned' : 'skipped'}, notification_id = ${outcome.notificationId}::uuid,
           released_at = ${outcome.now}::timestamptz
    WHERE campaign_id = ${campaignId}::uuid AND customer_id = ${customerId}`;
}

export interface CampaignCounts {
  recipients: number;
  queued: number;
  planned: number;
  skipped: number;
  sent: number;
  delivered: number;
  failed: number;
  clicked: number;
}

/** The campaign's recipients by outcome, and its messages as the analytics count them. */
export async function campaignCounts(db: Database, campaignId: string): Promise<CampaignCounts> {
  const [row] = await db.$queryRaw<CampaignCounts[]>`
    SELECT count(*)::int AS recipients, count(*) FILTER (WHERE r.status = 'queued')::int AS queued,
           count(*) FILTER (WHERE r.status = 'planned')::int AS planned, count(*) FILTER (WHERE r.status = 'skipped')::int AS skipped,
           count(n.sent_at)::int AS sent, count(n.delivered_at)::int AS delivered,
           count(*) FILTER (WHERE n.status = 'failed')::int AS failed, count(n.clicked_at)::int AS clicked
    FROM campaign_recipients r LEFT JOIN notifications n ON n.id = r.notification_id
    WHERE r.campaign_id = ${campaignId}::uuid`;
  return row!;
}
