import { randomUUID } from 'node:crypto';
import type { NotificationTemplate } from '../generated/prisma/client';
import type { Database, Transaction } from './database';
import type { StoredContent } from './template-renderer';

/** Which template a stored version is for. */
export interface TemplateKey {
  name: string;
  channel: string;
  locale: string;
}

export type StoredVersion = Pick<NotificationTemplate, 'id' | 'channel' | 'version' | 'author' | 'createdAt'> & { content: StoredContent };

/** The live (newest) stored version of each channel of one template in one locale; a channel without one renders from the files. */
export async function liveVersions(tx: Transaction | Database, template: string, locale: string): Promise<Map<string, StoredVersion>> {
  const rows = await tx.$queryRaw<StoredVersion[]>`
    SELECT DISTINCT ON (channel) id, channel, version, content, author, created_at AS "createdAt"
    FROM notification_templates WHERE template = ${template} AND locale = ${locale}
    ORDER BY channel, version DESC`;
  return new Map(rows.map((row) => [row.channel, row]));
}

/** Every saved version of one template, channel and locale, newest first. */
export async function versionsOf(db: Database, key: TemplateKey): Promise<StoredVersion[]> {
  const rows = await db.notificationTemplate.findMany({
    where: { template: key.name, channel: key.channel, locale: key.locale },
    orderBy: { version: 'desc' },
  });
  return rows.map((row) => ({ ...row, content: row.content as StoredContent }));
}

/**
 * Saves `content` as the next version (live from now on). Saves of one template, channel and
 * locale queue on an advisory lock, so two admins saving at once get consecutive versions.
 */
export async function saveVersion(db: Database, key: TemplateKey, content: StoredContent, author: string, now: Date): Promise<StoredVersion> {
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('notifications.template'), hashtext(${`${key.name}/${key.channel}/${key.locale}`}))`;
    const [latest] = await tx.$queryRaw<Array<{ version: number | null }>>`
      SELECT max(version) AS version FROM notification_templates WHERE template = ${key.name} AND channel = ${key.channel} AND locale = ${key.locale}`;
    const row = await tx.notificationTemplate.create({
      data: { id: randomUUID(), template: key.name, channel: key.channel, locale: key.locale, version: (latest?.version ?? 0) + 1, content, author, createdAt: now },
    });
    return { ...row, content: row.content as StoredContent };
  });
}
