import { describe, expect, it } from 'vitest';
import { signClickLink, verifyClickLink } from './click-links';

const secret = 'a-secret-that-is-long-enough-for-hmac-0123';
const notification = '0b9b6f8e-3d7c-4c5e-9a57-2f0e1c1f7a10';
const target = 'https://shop.example/orders/7d1c?t=1767225600.abc';

describe('signed click links', () => {
  it('gives back the notification and the target it was signed for', () => {
    expect(verifyClickLink(secret, signClickLink(secret, notification, target))).toEqual({ ok: true, notificationId: notification, target });
  });

  it('refuses another target or notification under the same signature, another secret, and garbage', () => {
    const token = signClickLink(secret, notification, target);
    const [, signature] = token.split('.');
    const elsewhere = Buffer.from(`${notification} https://evil.example/`).toString('base64url');
    expect(verifyClickLink(secret, `${elsewhere}.${signature}`)).toEqual({ ok: false, reason: 'forged' });
    const otherNotification = Buffer.from(`1b9b6f8e-3d7c-4c5e-9a57-2f0e1c1f7a10 ${target}`).toString('base64url');
    expect(verifyClickLink(secret, `${otherNotification}.${signature}`)).toEqual({ ok: false, reason: 'forged' });
    expect(verifyClickLink(`${secret}x`, token)).toEqual({ ok: false, reason: 'forged' });
    expect(verifyClickLink(secret, 'nonsense')).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyClickLink(secret, `${token}x`)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a signed token whose target is not a web address', () => {
    expect(verifyClickLink(secret, signClickLink(secret, notification, 'javascript:alert(1)'))).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyClickLink(secret, signClickLink(secret, 'not-a-uuid', target))).toEqual({ ok: false, reason: 'malformed' });
  });
});
