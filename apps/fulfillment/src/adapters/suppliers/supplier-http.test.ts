import { describe, expect, it } from 'vitest';
import { parseJsonBody, redact } from './supplier-http';

describe('redact', () => {
  it('blanks credential fields by name and known secrets inside strings', () => {
    const logged = {
      headers: { 'CJ-Access-Token': 'tok', authorization: 'Bearer key-1' },
      form: { app_key: '500001', session: 'sess-1', sign: 'ABC', note: 'uses key-1 inside' },
      body: { apiKey: 'key-1', data: { accessToken: 'tok', refreshToken: 'ref', openId: 7 } },
    };
    expect(redact(logged, ['key-1', 'sess-1'])).toEqual({
      headers: { 'CJ-Access-Token': '[REDACTED]', authorization: '[REDACTED]' },
      form: { app_key: '500001', session: '[REDACTED]', sign: 'ABC', note: 'uses [REDACTED] inside' },
      body: { apiKey: '[REDACTED]', data: { accessToken: '[REDACTED]', refreshToken: '[REDACTED]', openId: 7 } },
    });
  });
});

describe('parseJsonBody', () => {
  it('keeps integers beyond 2^53 exact', () => {
    expect(parseJsonBody('{"order_list":{"number":[81234567890123456, 5]}}')).toEqual({ order_list: { number: ['81234567890123456', 5] } });
  });

  it('keeps a non-JSON body as text', () => {
    expect(parseJsonBody('<html>Bad gateway</html>')).toBe('<html>Bad gateway</html>');
    expect(parseJsonBody('')).toBeNull();
  });
});
