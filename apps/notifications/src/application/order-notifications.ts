import type { NotificationLogEntry, OrderNotifications } from '@platform/contracts/api/notifications';
import type { Database } from '../adapters/database';
import type { Notification } from '../generated/prisma/client';

const iso = (date: Date | null) => date?.toISOString() ?? null;

/** A notification as its log shows it. */
export function logEntry(n: Notification): NotificationLogEntry {
  return {
    id: n.id,
    orderId: n.orderId,
    orderStatus: n.orderStatus,
    notice: n.notice,
    channel: n.channel,
    template: n.template,
    recipient: n.recipient,
    locale: n.locale,
    status: n.status as NotificationLogEntry['status'],
    subject: n.subject,
    attempts: n.attempts,
    lastError: n.lastError,
    providerMessageId: n.providerMessageId,
    scheduledFor: iso(n.scheduledFor),
    createdAt: n.createdAt.toISOString(),
    updatedAt: n.updatedAt.toISOString(),
    sentAt: iso(n.sentAt),
    failedAt: iso(n.failedAt),
  };
}

/** Every notification planned for the order, oldest first, with its delivery state (test sends are the admin's, not the customer's). */
export async function orderNotifications(db: Database, orderId: string): Promise<OrderNotifications> {
  const rows = await db.notification.findMany({ where: { orderId, test: false }, orderBy: [{ createdAt: 'asc' }, { channel: 'asc' }] });
  return {
    orderId,
    notifications: rows.map(logEntry),
  };
}
