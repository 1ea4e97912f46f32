import type { z } from 'zod';
import type { notificationAnalyticsQuerySchema, notificationHistoryQuerySchema } from '@platform/contracts/api/notification-admin';
import type { Database } from '../adapters/database';
import { analytics, historyPage } from '../adapters/history-store';
import { decodeCursor, encodeCursor } from '@platform/contracts/api/page-cursor';
import { logEntry } from './order-notifications';

const dateOf = (value: string | undefined) => (value === undefined ? undefined : new Date(value));

/** `GET /notifications`: the history across orders, newest first, filtered; test sends marked. */
export async function notificationHistory(db: Database, query: z.infer<typeof notificationHistoryQuerySchema>) {
  const { limit, cursor, from, to, ...filter } = query;
  // One more than asked tells whether another page follows.
  const rows = await historyPage(db, { ...filter, from: dateOf(from), to: dateOf(to) }, { limit: limit + 1, after: cursor === undefined ? null : decodeCursor(cursor) });
  const page = rows.slice(0, limit);
  return {
    notifications: page.map((n) => ({ ...logEntry(n), test: n.test, deliveredAt: n.deliveredAt?.toISOString() ?? null, clickedAt: n.clickedAt?.toISOString() ?? null })),
    nextCursor: rows.length > limit ? encodeCursor(page.at(-1)!) : null,
  };
}

/** `GET /notification-analytics`. */
export async function notificationAnalytics(db: Database, query: z.infer<typeof notificationAnalyticsQuerySchema>) {
  return { from: query.from ?? null, to: query.to ?? null, rows: await analytics(db, { from: dateOf(query.from), to: dateOf(query.to) }) };
}
