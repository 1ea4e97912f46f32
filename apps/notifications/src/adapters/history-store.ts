import type { Notification } from '../generated/prisma/client';
import { Prisma } from '../generated/prisma/client';
import type { PagePosition } from '@platform/contracts/api/page-cursor';
import type { Database } from './database';
import { NOTIFICATION_COLUMNS } from './notification-store';

export interface HistoryFilter {
  template?: string;
  channel?: string;
  locale?: string;
  status?: string;
  orderId?: string;
  from?: Date;
  to?: Date;
}

/** The filter's conditions on `notifications`, each only when given. */
function conditions(filter: HistoryFilter): Prisma.Sql[] {
  return [
    filter.template !== undefined && Prisma.sql`template = ${filter.template}`,
    filter.channel !== undefined && Prisma.sql`channel = ${filter.channel}`,
    filter.locale !== undefined && Prisma.sql`locale = ${filter.locale}`,
    filter.status !== undefined && Prisma.sql`status = ${filter.status}`,
    filter.orderId !== undefined && Prisma.sql`order_id = ${filter.orderId}::uuid`,
    filter.from !== undefined && Prisma.sql`created_at >= ${filter.from}::timestamptz`,
    filter.to !== undefined && Prisma.sql`created_at < ${filter.to}::timestamptz`,
  ].filter((condition): condition is Prisma.Sql => condition !== false);
}

const where = (parts: Prisma.Sql[]) => (parts.length === 0 ? Prisma.empty : Prisma.sql`WHERE ${Prisma.join(parts, ' AND ')}`);

/** One page of the history, newest first, after `after` when given. */
export async function historyPage(db: Database, filter: HistoryFilter, page: { limit: number; after: PagePosition | null }): Promise<Notification[]> {
  const parts = conditions(filter);
  if (page.after) parts.push(Prisma.sql`(created_at, id) < (${page.after.createdAt}::timestamptz, ${page.after.id}::uuid)`);
  return db.$queryRaw<Notification[]>(Prisma.sql`
    SELECT ${NOTIFICATION_COLUMNS}
    FROM notifications ${where(parts)}
    ORDER BY created_at DESC, id DESC
    LIMIT ${page.limit}`);
}

export interface AnalyticsRow {
  template: string;
  channel: string;
  locale: string;
  sent: number;
  delivered: number;
  failed: number;
  clicked: number;
}

/**
 * Counts per template, channel and locale of the notifications planned in the range, test sends
 * left out. Each count reads its own timestamp (or the failed status), so a clicked message is
 * also counted sent and delivered.
 */
export async function analytics(db: Database, range: Pick<HistoryFilter, 'from' | 'to'>): Promise<AnalyticsRow[]> {
  const parts = [Prisma.sql`NOT test`, ...conditions(range)];
  return db.$queryRaw<AnalyticsRow[]>(Prisma.sql`
    SELECT template, channel, locale,
           count(sent_at)::int AS sent, count(delivered_at)::int AS delivered,
           count(*) FILTER (WHERE status = 'failed')::int AS failed, count(clicked_at)::int AS clicked
    FROM notifications ${where(parts)}
    GROUP BY template, channel, locale
    ORDER BY template, channel, locale`);
}
