import { createHash } from 'node:crypto';

/** Namespace of billing's derived ids (UUID v5, RFC 9562). */
const BILLING_NAMESPACE = 'c0f5a8e2-4b7d-4e21-9a3c-7d1e6b2f9a10';

/**
 * The same UUID for the same name on every attempt: a redelivered event rebuilds the same
 * payment or refund id, so the Idempotency-Key sent to Stripe is the same too.
 */
export function derivedId(name: string): string {
  const hash = createHash('sha1').update(Buffer.from(BILLING_NAMESPACE.replaceAll('-', ''), 'hex')).update(name).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
