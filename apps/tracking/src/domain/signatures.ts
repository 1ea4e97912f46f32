import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures as the providers compute them (docs/providers/17track.md#webhooks,
 * docs/providers/aftership.md#webhooks). Neither carries a
 * timestamp, so replay protection is the receiver's job (webhook_receipts).
 */

/** 17TRACK `sign` header: hex(SHA-256(rawBody + "/" + apiKey)), plain SHA-256, not an HMAC. */
export function seventeenTrackSignature(rawBody: Buffer | string, apiKey: string): string {
  return createHash('sha256').update(Buffer.concat([Buffer.from(rawBody), Buffer.from(`/${apiKey}`)])).digest('hex');
}

/** AfterShip `aftership-hmac-sha256` header: base64(HMAC-SHA256(secret, rawBody)). */
export function aftershipSignature(rawBody: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('base64');
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function verifySeventeenTrack(rawBody: Buffer, header: string | undefined, apiKey: string): boolean {
  return typeof header === 'string' && sameText(header.trim().toLowerCase(), seventeenTrackSignature(rawBody, apiKey));
}

export function verifyAftership(rawBody: Buffer, header: string | undefined, secret: string): boolean {
  return typeof header === 'string' && sameText(header.trim(), aftershipSignature(rawBody, secret));
}

/** Replay key for a provider that sends no event id: the body's own hash. */
export function bodyDigest(rawBody: Buffer): string {
  return createHash('sha256').update(rawBody).digest('hex');
}
