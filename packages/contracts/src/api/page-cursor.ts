import { DomainError } from '../errors';

/** Where a page ends: the last row's creation time and id (pages are ordered by both, newest first). */
export interface PagePosition {
  createdAt: Date;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The `nextCursor` a list API returns (orders, sub-orders, delayed orders, the feed, notification
 * history): opaque to clients, the last row's position. A time given as a string is already ISO.
 */
export function encodeCursor(row: { createdAt: Date | string; id: string }): string {
  const at = typeof row.createdAt === 'string' ? row.createdAt : row.createdAt.toISOString();
  return Buffer.from(JSON.stringify([at, row.id])).toString('base64url');
}

/** A cursor this API returned, back as a position; anything else is refused (400, naming `cursor`). */

export function decodeCursor(cursor: string): PagePosition {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const position = { createdAt: new Date(createdAt), id };
    // The id is compared with a uuid column: anything else is refused here, not by the database.
    if (Number.isNaN(position.createdAt.getTime()) || typeof id !== 'string' || !UUID.test(id)) throw new Error('bad cursor');
    return position;
  } catch {
    throw new DomainError('invalid', 'VALIDATION_FAILED', 'Request is invalid', [{ pointer: '/query/cursor', detail: 'is not a cursor this API returned' }]);
  }
}
