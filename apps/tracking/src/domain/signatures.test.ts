import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { aftershipSignature, bodyDigest, seventeenTrackSignature, verifyAftership, verifySeventeenTrack } from './signatures';

const body = Buffer.from('{"event":"TRACKING_UPDATED","data":{"number":"RB123456785CN"}}');

describe('17TRACK sign', () => {
  it('is hex SHA-256 of body + "/" + api key (not an HMAC)', () => {
    const expected = createHash('sha256').update(`${body.toString()}/key-1`).digest('hex');
    expect(seventeenTrackSignature(body, 'key-1')).toBe(expected);
    expect(seventeenTrackSignature(body, 'key-1')).not.toBe(createHmac('sha256', 'key-1').update(body).digest('hex'));
  });

  it('verifies the exact body with the right key only', () => {
    const sign = seventeenTrackSignature(body, 'key-1');
    expect(verifySeventeenTrack(body, sign, 'key-1')).toBe(true);
    expect(verifySeventeenTrack(body, sign.toUpperCase(), 'key-1')).toBe(true);
    expect(verifySeventeenTrack(body, sign, 'key-2')).toBe(false);
    expect(verifySeventeenTrack(Buffer.concat([body, Buffer.from(' ')]), sign, 'key-1')).toBe(false);
    expect(verifySeventeenTrack(body, undefined, 'key-1')).toBe(false);
    expect(verifySeventeenTrack(body, 'abc', 'key-1')).toBe(false);
  });
});

describe('AfterShip aftership-hmac-sha256', () => {
  it('is base64 HMAC-SHA256(secret, body)', () => {
    expect(aftershipSignature(body, 's3cret')).toBe(createHmac('sha256', 's3cret').update(body).digest('base64'));
  });

  it('verifies the exact body with the right secret only', () => {
    const signature = aftershipSignature(body, 's3cret');
    expect(verifyAftership(body, signature, 's3cret')).toBe(true);
    expect(verifyAftership(body, signature, 'other')).toBe(false);
    expect(verifyAftership(Buffer.from(body.toString().replace('RB', 'RR')), signature, 's3cret')).toBe(false);
    expect(verifyAftership(body, undefined, 's3cret')).toBe(false);
  });
});

it('bodyDigest tells different bodies apart and equal bodies together', () => {
  expect(bodyDigest(body)).toBe(bodyDigest(Buffer.from(body)));
  expect(bodyDigest(body)).not.toBe(bodyDigest(Buffer.from(`${body} `)));
});
