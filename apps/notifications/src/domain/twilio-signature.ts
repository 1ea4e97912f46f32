import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Twilio's request signature (`X-Twilio-Signature`, twilio.com/docs/usage/security): base64 of
 * HMAC-SHA1, keyed with the account's auth token, over the full URL Twilio requested (scheme,
 * host, path and query) followed by every POST parameter, sorted by name, as name then value.
 */
export function twilioSignature(authToken: string, url: string, params: URLSearchParams): string {
  const names = [...new Set(params.keys())].sort();
  const signed = url + names.map((name) => params.getAll(name).map((value) => name + value).join('')).join('');
  return createHmac('sha1', authToken).update(signed, 'utf8').digest('base64');
}

export function isTwilioSignatureValid(authToken: string, url: string, params: URLSearchParams, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(twilioSignature(authToken, url, params));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** What a status callback's `MessageStatus` tells of delivery: delivered, failed, or nothing yet (queued, sending, sent). */
export function receiptOf(messageStatus: string | null): 'delivered' | 'failed' | null {
  switch (messageStatus) {
    case 'delivered':
    case 'read':
      return 'delivered';
    case 'undelivered':
    case 'failed':
      return 'failed';
    default:
      return null;
  }
}
