import { describe, expect, it } from 'vitest';
import { isTwilioSignatureValid, receiptOf, twilioSignature } from './twilio-signature';

describe("Twilio's request signature", () => {
  // Twilio's own worked example (twilio.com/docs/usage/security#validating-requests).
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const params = new URLSearchParams({ CallSid: 'CA1234567890ABCDE', Caller: '+12349013030', Digits: '1234', From: '+12349013030', To: '+18005551212' });

  it("matches Twilio's documented example", () => {
    expect(twilioSignature('12345', url, params)).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
    expect(isTwilioSignatureValid('12345', url, params, '0/KCTR6DLpKmkAf8muzZqo1nDgQ=')).toBe(true);
  });

  it('refuses another token, URL, parameter value, or no header', () => {
    const good = twilioSignature('12345', url, params);
    expect(isTwilioSignatureValid('54321', url, params, good)).toBe(false);
    expect(isTwilioSignatureValid('12345', `${url}&baz=3`, params, good)).toBe(false);
    expect(isTwilioSignatureValid('12345', url, new URLSearchParams({ ...Object.fromEntries(params), Digits: '9999' }), good)).toBe(false);
    expect(isTwilioSignatureValid('12345', url, params, undefined)).toBe(false);
  });

  it('reads delivered and failed receipts, and nothing from the interim statuses', () => {
    expect(['delivered', 'read', 'undelivered', 'failed', 'sent', 'queued', null].map(receiptOf)).toEqual(['delivered', 'delivered', 'failed', 'failed', null, null, null]);
  });
});
