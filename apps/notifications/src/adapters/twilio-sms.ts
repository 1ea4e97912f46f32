import { createHttpClient } from '@platform/runtime/http-client';
import { failedAnswer, isAccepted, OutcomeUnknownError, ProviderError } from './provider-error';

export interface SmsSender {
  /** With `notificationId`, Twilio is asked for status callbacks about it (when a callback URL is configured). */
  send(message: { to: string; body: string; notificationId?: string }): Promise<{ providerMessageId: string }>;
  /** The sid of a message we already sent with exactly this text to this number, if Twilio has one. */
  findSent(message: { to: string; body: string }): Promise<string | null>;
}

export interface TwilioConfig {
  apiUrl: string;
  accountSid: string;
  authToken: string;
  from: string;
  /** The platform's status-callback webhook; each message's callback names its notification (`?notification=<id>`). */
  statusCallbackUrl?: string;
  timeoutMs?: number;
}

interface TwilioMessage {
  sid?: string;
  body?: string;
  code?: number;
  message?: string;
}

/** How far back `findSent` reads the number's messages (newest first; one page). */
const LOOKUP_PAGE_SIZE = 100;

/**
 * SMS through Twilio's Messages API: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`,
 * form-encoded To/From/Body, HTTP Basic AccountSid:AuthToken; 201 with the Message resource
 * (`sid` SM…, `status` queued). Twilio takes no idempotency key for this call; instead, when an
 * attempt's outcome was lost, `findSent` reads the account's messages to that number
 * (`GET …/Messages.json?To=&From=`, newest first) for one with the same text: a notification's
 * text names its order and status, so the match is that notification (docs/notification-delivery.md).
 */
export function createTwilioSms(config: TwilioConfig): SmsSender {
  const http = createHttpClient({ prefixUrl: config.apiUrl, timeoutMs: config.timeoutMs ?? 10_000, userAgent: 'platform-notifications' });
  return {
    async send({ to, body, notificationId }) {
      const statusCallback = config.statusCallbackUrl && notificationId && statusCallbackOf(config.statusCallbackUrl, notificationId);
      const response = await http.post(`2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}/Messages.json`, {
        form: { To: to, From: config.from, Body: body, ...(statusCallback && { StatusCallback: statusCallback }) },
        username: config.accountSid,
        password: config.authToken,
      });
      const answer = safeJson<TwilioMessage>(response.body);
      if (isAccepted(response.statusCode)) {
        // Twilio took the request: without the sid we cannot say it sent nothing; the lookup settles it.
        if (!answer?.sid) throw new OutcomeUnknownError('twilio', `HTTP ${response.statusCode} without a message sid`);
        return { providerMessageId: answer.sid };
      }
      const detail = answer?.message ? `${answer.code ?? response.statusCode} ${answer.message}` : `HTTP ${response.statusCode}`;
      // 400 = the request itself is wrong (21211 invalid To, 21610 unsubscribed recipient, ...): retrying cannot help.
      throw failedAnswer('twilio', response.statusCode, detail, { permanent: response.statusCode === 400 });
    },
    async findSent({ to, body }) {
      const response = await http.get(`2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}/Messages.json`, {
        searchParams: { To: to, From: config.from, PageSize: LOOKUP_PAGE_SIZE },
        username: config.accountSid,
        password: config.authToken,
      });
      const page = safeJson<{ messages?: TwilioMessage[] }>(response.body);
      if (response.statusCode !== 200 || !Array.isArray(page?.messages)) throw new ProviderError('twilio', `message lookup answered HTTP ${response.statusCode}`, false);
      return page.messages.find((message) => message.body === body)?.sid ?? null;
    },
  };
}

/** The callback URL of one notification: the notification id rides in the query, which Twilio's signature covers. */
export function statusCallbackOf(base: string, notificationId: string): string {
  const url = new URL(base);
  url.searchParams.set('notification', notificationId);
  return url.toString();
}

export function safeJson<T>(body: string): T | undefined {
  try {
    return JSON.parse(body) as T;
  } catch {
    return undefined;
  }
}
