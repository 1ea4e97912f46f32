import type { FeedItem } from '../generated/prisma/client';
import type { PagePosition } from '@platform/contracts/api/page-cursor';
import type { Database, Transaction } from './database';

/** Inserts the item unless its (order, notice) is in the feed already; true when it was inserted. */
export async function insertFeedItem(tx: Transaction, item: FeedItem): Promise<boolean> {
  const inserted = await tx.$executeRaw`
    INSERT INTO feed_items (id, customer_id, order_id, notice, title, body, link, created_at, read_at)
    VALUES (${item.id}::uuid, ${item.customerId}, ${item.orderId}::uuid, ${item.notice}, ${item.title}, ${item.body}, ${item.link},
            ${item.createdAt}::timestamptz, NULL)
    ON CONFLICT DO NOTHING`;
  return inserted > 0;
}

/** One page of the customer's feed, newest first, after `after` when given. */
export async function readFeedPage(db: Database, query: { customerId: string; unreadOnly: boolean; limit: number; after: PagePosition | null }): Promise<FeedItem[]> {
  const { customerId, unreadOnly, limit, after } = query;
  return db.feedItem.findMany({
    where: {
      customerId,
      ...(unreadOnly && { readAt: null }),
      ...(after && { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] }),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit,
  });
}

export function countUnread(db: Database, customerId: string): Promise<number> {
  return db.feedItem.count({ where: { customerId, readAt: null } });
}

/** Marks the customer's unread items (those of `ids`, or all) read at `now`; items read before keep their time. */
export async function markRead(db: Database, customerId: string, ids: string[] | 'all', now: Date): Promise<number> {
  const { count } = await db.feedItem.updateMany({
    where: { customerId, readAt: null, ...(ids !== 'all' && { id: { in: ids } }) },
    data: { readAt: now },
  });
  return count;
}
