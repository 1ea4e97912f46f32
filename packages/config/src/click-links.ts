import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * Click tracking (NTF-03, docs/notification-admin.md): a link in a message is sent as
 * `<PUBLIC_BASE_URL>/c/<token>`, whose token carries the notification id and the target URL,
 * signed with HMAC-SHA256. The redirect goes only where a token we signed says, so the route is
 * no open redirect: a changed target or id fails the signature. Notifications signs and verifies
 * (the gateway only forwards `/c/:token` to it), so the secret stays with that one service.
 */

/** `CLICK_LINK_SECRET`: notifications only; at least 32 characters. */
export const clickLinkSecret = z.string().min(32, 'must be at least 32 characters');

const uuid = z.uuid();
const target = z.url({ protocol: /^https?$/ });

function mac(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(`click:${payload}`).digest('base64url');
}

/** The token of a link to `targetUrl` in notification `notificationId`. */
export function signClickLink(secret: string, notificationId: string, targetUrl: string): string {
  const payload = Buffer.from(`${notificationId} ${targetUrl}`).toString('base64url');
  return `${payload}.${mac(secret, payload)}`;
}

export type ClickLinkCheck = { ok: true; notificationId: string; target: string } | { ok: false; reason: 'malformed' | 'forged' };

export function verifyClickLink(secret: string, token: string): ClickLinkCheck {
  const match = /^([A-Za-z0-9_-]{1,4000})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(mac(secret, match[1]!));
  const given = Buffer.from(match[2]!);
  if (!timingSafeEqual(expected, given)) return { ok: false, reason: 'forged' };
  // Signed by us, so well formed unless the format changed: still checked, never trusted blindly.
  const decoded = Buffer.from(match[1]!, 'base64url').toString();
  const space = decoded.indexOf(' ');
  const notificationId = decoded.slice(0, space);
  const url = decoded.slice(space + 1);
  if (space === -1 || !uuid.safeParse(notificationId).success || !target.safeParse(url).success) return { ok: false, reason: 'malformed' };
  return { ok: true, notificationId, target: url };
}
