import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Verifies a `Stripe-Signature` header (docs/providers/stripe.md#webhooks): `t=<unix>,v1=<hex>[,v1=...][,v0=...]`,
 * v1 = hex(HMAC-SHA256(secret as-is, `${t}.${rawBody}`)). Accepted when any v1 matches (Stripe
 * sends several while a secret is rolled) and |now - t| is within the tolerance (replay window).
 * v0 and unknown schemes are ignored, as Stripe's libraries do.
 */
export type SignatureCheck =
  | { ok: true; timestamp: number }
  | { ok: false; code: 'INVALID_SIGNATURE' | 'SIGNATURE_EXPIRED'; reason: string };

export interface ParsedSignatureHeader {
  timestamp: number | null;
  v1: string[];
}

export function parseSignatureHeader(header: string): ParsedSignatureHeader {
  let timestamp: number | null = null;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const separator = part.indexOf('=');
    if (separator < 0) continue;
    const key = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) v1.push(value.toLowerCase());
  }
  return { timestamp, v1 };
}

export function computeSignature(secret: string, timestamp: number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${rawBody}`, 'utf8').digest('hex');
}

export function verifyStripeSignature(input: {
  header: string | undefined;
  rawBody: string;
  secret: string;
  now: Date;
  toleranceSeconds: number;
}): SignatureCheck {
  if (!input.header) return { ok: false, code: 'INVALID_SIGNATURE', reason: 'The Stripe-Signature header is missing' };
  const { timestamp, v1 } = parseSignatureHeader(input.header);
  if (timestamp === null) return { ok: false, code: 'INVALID_SIGNATURE', reason: 'The Stripe-Signature header has no timestamp (t=)' };
  if (v1.length === 0) return { ok: false, code: 'INVALID_SIGNATURE', reason: 'The Stripe-Signature header has no v1 signature' };
  const expected = Buffer.from(computeSignature(input.secret, timestamp, input.rawBody), 'hex');
  const matches = v1.some((candidate) => timingSafeEqual(Buffer.from(candidate, 'hex'), expected));
  if (!matches) return { ok: false, code: 'INVALID_SIGNATURE', reason: 'No v1 signature matches the body with the webhook secret' };
  // Checked after the HMAC: only a genuine (but old or future) message is called expired.
  const age = Math.abs(input.now.getTime() / 1000 - timestamp);
  if (age > input.toleranceSeconds) {
    return { ok: false, code: 'SIGNATURE_EXPIRED', reason: `The signature timestamp is ${Math.round(age)} s away from now (tolerance ${input.toleranceSeconds} s)` };
  }
  return { ok: true, timestamp };
}
