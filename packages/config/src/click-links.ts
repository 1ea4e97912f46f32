import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * Click tracking (NTF-03, docs/notification-admin.md#clicks): a link in a message is sent as
 * `<PUBLIC_BASE_URL>/c/<token>`. The token names the notification, a reference to the target
 * (the order page of the notification's order, or the tracking page of one tracking number) and
 * when it was issued, signed with HMAC-SHA256: the redirect can only lead to our own pages, and a
 * changed reference or id fails the signature, so the route is no open redirect. A reference
 * rather than the URL keeps the token short (a path segment, an SMS). Notifications signs and
 * verifies (the gateway only forwards `/c/:token` to it): the secret stays with that one service.
 */

/** `CLICK_LINK_SECRET`: notifications only; at least 32 characters. */
export const clickLinkSecret = z.string().min(32, 'must be at least 32 characters');

export type ClickTarget = { kind: 'order' } | { kind: 'tracking'; trackingNumber: string };

export interface ClickLink {
  notificationId: string;
  target: ClickTarget;
  /** When the message was planned: a link it leads to expires as the message's own would have. */
  issuedAt: Date;
}

/** 128 bits of HMAC: forging one is out of reach, and the token stays well under a path segment's limit. */
const MAC_BYTES = 16;
const TRACKING_NUMBER = /^[A-Za-z0-9-]{1,40}$/;

function mac(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(`click:${payload}`).digest().subarray(0, MAC_BYTES).toString('base64url');
}

/** `<payload>.<mac>`; the payload is the id's 16 bytes, the issue time (unix seconds, 4 bytes) and `o` or `t<tracking number>`. */
export function signClickLink(secret: string, link: ClickLink): string {
  const id = Buffer.from(link.notificationId.replaceAll('-', ''), 'hex');
  const issued = Buffer.alloc(4);
  issued.writeUInt32BE(Math.floor(link.issuedAt.getTime() / 1000));
  const reference = link.target.kind === 'order' ? 'o' : `t${link.target.trackingNumber}`;
  const payload = Buffer.concat([id, issued, Buffer.from(reference)]).toString('base64url');
  return `${payload}.${mac(secret, payload)}`;
}

export type ClickLinkCheck = ({ ok: true } & ClickLink) | { ok: false; reason: 'malformed' | 'forged' };

export function verifyClickLink(secret: string, token: string): ClickLinkCheck {
  const match = /^([A-Za-z0-9_-]{28,100})\.([A-Za-z0-9_-]{22})$/.exec(token);
  if (!match) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(mac(secret, match[1]!));
  if (!timingSafeEqual(expected, Buffer.from(match[2]!))) return { ok: false, reason: 'forged' };
  // Signed by us, so well formed unless the format changed: still checked, never trusted blindly.
  const bytes = Buffer.from(match[1]!, 'base64url');
  const hex = bytes.subarray(0, 16).toString('hex');
  const notificationId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const issuedAt = new Date(bytes.readUInt32BE(16) * 1000);
  const reference = bytes.subarray(20).toString();
  if (reference === 'o') return { ok: true, notificationId, target: { kind: 'order' }, issuedAt };
  const trackingNumber = reference.slice(1);
  if (reference.startsWith('t') && TRACKING_NUMBER.test(trackingNumber)) return { ok: true, notificationId, target: { kind: 'tracking', trackingNumber }, issuedAt };
  return { ok: false, reason: 'malformed' };
}
