import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * Signed order links let a customer open their order page from an email without an API key
 * (docs/customer-pages.md). The token is `<expiry in unix seconds>.<base64url HMAC-SHA256>`
 * over `order:<orderId>:<expiry>`: bound to one order, expiring, and checked in constant time.
 * Notifications signs (it writes the emails); the gateway verifies (it serves the pages).
 */

/** `ORDER_LINK_SECRET`: shared by notifications and the gateway; at least 32 characters. */
export const orderLinkSecret = z.string().min(32, 'must be at least 32 characters (shared by notifications and the gateway)');

/** How long a link in an email stays valid unless the caller says otherwise. */
export const ORDER_LINK_TTL_MS = 180 * 24 * 60 * 60 * 1000;

function mac(secret: string, orderId: string, expiresAt: number): string {
  return createHmac('sha256', secret).update(`order:${orderId}:${expiresAt}`).digest('base64url');
}

export function signOrderLink(secret: string, orderId: string, expiresAt: Date): string {
  const seconds = Math.floor(expiresAt.getTime() / 1000);
  return `${seconds}.${mac(secret, orderId, seconds)}`;
}

export type OrderLinkCheck = { ok: true; expiresAt: Date } | { ok: false; reason: 'malformed' | 'forged' | 'expired' };

export function verifyOrderLink(secret: string, orderId: string, token: string, now: Date): OrderLinkCheck {
  const match = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return { ok: false, reason: 'malformed' };
  const seconds = Number(match[1]);
  const expected = Buffer.from(mac(secret, orderId, seconds));
  const given = Buffer.from(match[2]!);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'forged' };
  if (seconds * 1000 <= now.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, expiresAt: new Date(seconds * 1000) };
}
