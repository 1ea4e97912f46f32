import { describe, expect, it } from 'vitest';
import { signOrderLink, verifyOrderLink } from './order-links';

const secret = 'a-secret-that-is-long-enough-for-hmac-0123';
const order = '0b9b6f8e-3d7c-4c5e-9a57-2f0e1c1f7a10';
const now = new Date('2026-12-04T10:00:00Z');
const later = new Date('2026-12-05T10:00:00Z');

describe('signed order links', () => {
  it('accepts its own token for the same order until it expires', () => {
    const token = signOrderLink(secret, order, later);
    expect(verifyOrderLink(secret, order, token, now)).toEqual({ ok: true, expiresAt: later });
    expect(verifyOrderLink(secret, order, token, later)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a token for another order, another secret, a changed expiry or garbage', () => {
    const token = signOrderLink(secret, order, later);
    expect(verifyOrderLink(secret, 'another-order', token, now)).toEqual({ ok: false, reason: 'forged' });
    expect(verifyOrderLink(`${secret}x`, order, token, now)).toEqual({ ok: false, reason: 'forged' });
    const [, signature] = token.split('.');
    const extended = `${Math.floor(later.getTime() / 1000) + 86_400}.${signature}`;
    expect(verifyOrderLink(secret, order, extended, now)).toEqual({ ok: false, reason: 'forged' });
    expect(verifyOrderLink(secret, order, 'nonsense', now)).toEqual({ ok: false, reason: 'malformed' });
  });
});
