import { describe, expect, it } from 'vitest';
import { computeSignature, parseSignatureHeader, verifyStripeSignature } from './stripe-signature';

const secret = 'whsec_test_secret';
const rawBody = '{"id":"evt_1","object":"event","type":"checkout.session.completed"}';
const now = new Date('2026-11-22T10:00:00Z');
const t = Math.floor(now.getTime() / 1000);
const sign = (body = rawBody, timestamp = t, key = secret) => computeSignature(key, timestamp, body);
const check = (header: string | undefined, body = rawBody, at = now) =>
  verifyStripeSignature({ header, rawBody: body, secret, now: at, toleranceSeconds: 300 });

describe('Stripe-Signature verification', () => {
  it('accepts a correct v1 signature within the tolerance', () => {
    expect(check(`t=${t},v1=${sign()}`)).toEqual({ ok: true, timestamp: t });
    expect(check(`t=${t - 299},v1=${sign(rawBody, t - 299)}`).ok).toBe(true);
  });

  it('accepts when any of several v1 signatures matches, and ignores v0', () => {
    const header = `t=${t},v1=${sign(rawBody, t, 'whsec_old')},v1=${sign()},v0=${'0'.repeat(64)}`;
    expect(check(header).ok).toBe(true);
    expect(parseSignatureHeader(header).v1).toHaveLength(2);
  });

  it('refuses a signature made with the wrong secret', () => {
    expect(check(`t=${t},v1=${sign(rawBody, t, 'whsec_wrong')}`)).toMatchObject({ ok: false, code: 'INVALID_SIGNATURE' });
  });

  it('refuses a tampered body', () => {
    expect(check(`t=${t},v1=${sign()}`, rawBody.replace('evt_1', 'evt_2'))).toMatchObject({ ok: false, code: 'INVALID_SIGNATURE' });
  });

  it('refuses a signature over a different timestamp than the header says', () => {
    expect(check(`t=${t},v1=${sign(rawBody, t - 1)}`)).toMatchObject({ ok: false, code: 'INVALID_SIGNATURE' });
  });

  it('calls a genuine but old (or future) timestamp expired', () => {
    const old = t - 301;
    expect(check(`t=${old},v1=${sign(rawBody, old)}`)).toMatchObject({ ok: false, code: 'SIGNATURE_EXPIRED' });
    const future = t + 301;
    expect(check(`t=${future},v1=${sign(rawBody, future)}`)).toMatchObject({ ok: false, code: 'SIGNATURE_EXPIRED' });
  });

  it('refuses a missing header, a header without t or without v1, and only-v0 headers', () => {
    expect(check(undefined)).toMatchObject({ ok: false, code: 'INVALID_SIGNATURE', reason: expect.stringMatching(/missing/) });
    expect(check(`v1=${sign()}`)).toMatchObject({ ok: false, reason: expect.stringMatching(/timestamp/) });
    expect(check(`t=${t}`)).toMatchObject({ ok: false, reason: expect.stringMatching(/v1/) });
    expect(check(`t=${t},v0=${sign()}`)).toMatchObject({ ok: false, code: 'INVALID_SIGNATURE' });
    expect(check('garbage')).toMatchObject({ ok: false, code: 'INVALID_SIGNATURE' });
  });
});
