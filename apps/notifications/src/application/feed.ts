import type { FeedItem as FeedItemView, FeedResponse, MarkFeedReadRequest } from '@platform/contracts/api/notifications';
import type { Database } from '../adapters/database';
import { countUnread, markRead, readFeedPage } from '../adapters/feed-store';
import type { FeedItem } from '../generated/prisma/client';
import { decodeCursor, encodeCursor } from '@platform/contracts/api/page-cursor';

function view(item: FeedItem): FeedItemView {
  return {
    id: item.id,
    orderId: item.orderId,
    notice: item.notice,
    title: item.title,
    body: item.body,
    link: item.link,
    read: item.readAt !== null,
    createdAt: item.createdAt.toISOString(),
    readAt: item.readAt?.toISOString() ?? null,
  };
}

/** `GET /customers/:customerId/feed`: a page of the feed, newest first, and how many items are unread in all. */
export async function readFeed(db: Database, customerId: string, query: { unread?: boolean | undefined; limit: number; cursor?: string | undefined }): Promise<FeedResponse> {
  const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
  // One more than asked tells whether another page follows.
  const [page, unreadCount] = await Promise.all([
    readFeedPage(db, { customerId, unreadOnly: query.unread === true, limit: query.limit + 1, after }),
    countUnread(db, customerId),
  ]);
  const items = page.slice(0, query.limit);
  return { customerId, items: items.map(view), unreadCount, nextCursor: page.length > query.limit ? encodeCursor(items.at(-1)!) : null };
}

/** `POST /customers/:customerId/feed/read`: idempotent; ids of items not in this customer's feed change nothing. */
export async function markFeedRead(db: Database, customerId: string, request: MarkFeedReadRequest, now: Date) {
  const marked = await markRead(db, customerId, 'all' in request ? 'all' : request.ids, now);
  return { customerId, marked, unreadCount: await countUnread(db, customerId) };
}
