import { describe, expect, it } from 'vitest';
import { type ClickLink, signClickLink, verifyClickLink } from './click-links';

const secret = 'a-secret-that-is-long-enough-for-hmac-0123';
const notificationId = '0b9b6f8e-3d7c-4c5e-9a57-2f0e1c1f7a10';
const issuedAt = new Date('2026-12-04T10:00:00Z');
const toOrder: ClickLink = { notificationId, target: { kind: 'order' }, issuedAt };
const toTracking: ClickLink = { notificationId, target: { kind: 'tracking', trackingNumber: 'RR123456785CN' }, issuedAt };

/** The token's payload with some bytes changed, under the original signature. */
function tampered(token: string, change: (bytes: Buffer) => Buffer): string {
  const [payload, signature] = token.split('.');
  return `${change(Buffer.from(payload!, 'base64url')).toString('base64url')}.${signature}`;
}

describe('signed click links', () => {
  it('gives back the notification, the target reference and the issue time it was signed with, in a token short enough for a path segment', () => {
    for (const link of [toOrder, toTracking]) {
      const token = signClickLink(secret, link);
      expect(token.length).toBeLessThanOrEqual(100);
      expect(verifyClickLink(secret, token)).toEqual({ ok: true, ...link });
    }
  });

  it('refuses another target, notification or issue time under the same signature, another secret, and garbage', () => {
    const token = signClickLink(secret, toTracking);
    const otherTracking = tampered(token, (bytes) => Buffer.concat([bytes.subarray(0, 20), Buffer.from('tZZ999999999')]));
    expect(verifyClickLink(secret, otherTracking)).toEqual({ ok: false, reason: 'forged' });
    const otherNotification = tampered(token, (bytes) => Buffer.concat([Buffer.from([bytes[0]! ^ 1]), bytes.subarray(1)]));
    expect(verifyClickLink(secret, otherNotification)).toEqual({ ok: false, reason: 'forged' });
    const later = tampered(token, (bytes) => Buffer.concat([bytes.subarray(0, 19), Buffer.from([bytes[19]! + 1]), bytes.subarray(20)]));
    expect(verifyClickLink(secret, later)).toEqual({ ok: false, reason: 'forged' });
    expect(verifyClickLink(`${secret}x`, token)).toEqual({ ok: false, reason: 'forged' });
    expect(verifyClickLink(secret, 'nonsense')).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyClickLink(secret, `${token}x`)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a signed token whose reference is neither our order page nor a tracking number', () => {
    expect(verifyClickLink(secret, signClickLink(secret, { ...toTracking, target: { kind: 'tracking', trackingNumber: '../../evil' } }))).toEqual({ ok: false, reason: 'malformed' });
  });
});
