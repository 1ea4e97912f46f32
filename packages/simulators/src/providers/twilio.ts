import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SimulatorContext } from '../context';
import { deliverWebhook } from '../tracking-scans';

/** A message as the simulator keeps it: Twilio's Message resource. */
export interface TwilioMessage {
  sid: string;
  account_sid: string;
  messaging_service_sid: null;
  to: string;
  from: string;
  body: string;
  /** queued when created; then what the status callbacks said. */
  status: 'queued' | 'sent' | 'delivered' | 'undelivered';
  num_segments: string;
  num_media: '0';
  direction: 'outbound-api';
  api_version: '2010-04-01';
  price: null;
  price_unit: 'USD';
  error_code: null;
  error_message: null;
  date_created: string;
  date_updated: string;
  date_sent: null;
  uri: string;
  subresource_uris: { media: string };
}

const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * Twilio's `X-Twilio-Signature` (twilio.com/docs/usage/security): base64 HMAC-SHA1 with the auth
 * token over the callback URL followed by the POST parameters sorted by name, name then value.
 */
function signature(authToken: string, url: string, params: Record<string, string>): string {
  const signed = url + Object.keys(params).sort().map((name) => name + params[name]).join('');
  return createHmac('sha1', authToken).update(signed, 'utf8').digest('base64');
}

/** Twilio's error body (https://www.twilio.com/docs/errors/<code>). */
function twilioError(reply: FastifyReply, status: number, code: number, message: string) {
  return reply.code(status).send({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
}

/**
 * Twilio Programmable Messaging, `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`:
 * HTTP Basic AccountSid:AuthToken (else 401, error 20003), form-encoded To/From/Body
 * (21211 invalid To, 21603 no From, 21602 no Body), 201 with the Message resource `queued`.
 * `reject` answers 21610 (recipient unsubscribed). `GET …/Messages.json` reads the account's
 * messages newest first, filtered by `To`, `From` and `DateSent` (`DateSent<`, `DateSent>`:
 * on or before / after a UTC date), paged by `PageSize` (≤ 1000) and `Page`, in Twilio's page
 * envelope. `GET /twilio/_sim/messages` lists what was sent.
 * A message sent with a `StatusCallback` URL gets Twilio's status callbacks there, form-encoded
 * and signed (`X-Twilio-Signature`): `sent`, then `delivered`, or `undelivered` (error 30003)
 * while the behaviour's options say `receipt: 'undelivered'`.
 */
export function registerTwilio(app: FastifyInstance, context: SimulatorContext): void {
  const { control } = context;
  const { accountSid, authToken } = context.credentials.twilio;
  const { messages } = context.store.keep(() => ({ messages: [] as TwilioMessage[] }));

  function authorized(request: FastifyRequest<{ Params: { accountSid: string } }>): boolean {
    const header = request.headers.authorization ?? '';
    if (!header.startsWith('Basic ')) return false;
    const [user, ...rest] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
    return user === accountSid && rest.join(':') === authToken && request.params.accountSid === accountSid;
  }

  app.post<{ Params: { accountSid: string }; Body: Record<string, unknown> | undefined }>(
    '/2010-04-01/Accounts/:accountSid/Messages.json',
    async (request, reply) => {
      if (!authorized(request)) {
        control.record(request, 'unauthorized');
        return twilioError(reply, 401, 20003, 'Authenticate');
      }
      const behaviour = control.next();
      if (await control.applyFailure(behaviour, request, reply)) return reply;
      const form = request.body ?? {};
      const to = typeof form.To === 'string' ? form.To : '';
      const from = typeof form.From === 'string' ? form.From : '';
      const body = typeof form.Body === 'string' ? form.Body : '';
      const statusCallback = typeof form.StatusCallback === 'string' ? form.StatusCallback : '';
      const refuse = (code: number, message: string) => {
        control.record(request, 'invalid');
        return twilioError(reply, 400, code, message);
      };
      if (!E164.test(to)) return refuse(21211, `The 'To' number ${to} is not a valid phone number.`);
      if (!from) return refuse(21603, "A 'From' phone number is required.");
      if (!body) return refuse(21602, 'Message body is required.');
      if (body.length > 1600) return refuse(21617, 'The concatenated message body exceeds the 1600 character limit.');
      if (behaviour.mode === 'reject') {
        control.record(request, 'reject');
        return twilioError(reply, 400, Number(behaviour.options.code ?? 21610), String(behaviour.options.message ?? 'Attempt to send to unsubscribed recipient'));
      }
      const sid = `SM${randomBytes(16).toString('hex')}`;
      const now = new Date().toUTCString().replace('GMT', '+0000');
      const uri = `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`;
      const message: TwilioMessage = {
        sid,
        account_sid: accountSid,
        messaging_service_sid: null,
        to,
        from,
        body,
        status: 'queued',
        num_segments: String(Math.max(1, Math.ceil(body.length / 160))),
        num_media: '0',
        direction: 'outbound-api',
        api_version: '2010-04-01',
        price: null,
        price_unit: 'USD',
        error_code: null,
        error_message: null,
        date_created: now,
        date_updated: now,
        date_sent: null,
        uri,
        subresource_uris: { media: uri.replace(/\.json$/, '/Media.json') },
      };
      messages.push(message);
      control.record(request, behaviour.mode);
      // After the answer, as Twilio calls back once the carrier reports.
      if (statusCallback) setImmediate(() => void sendReceipts(message, statusCallback, behaviour.options.receipt === 'undelivered' ? 'undelivered' : 'delivered'));
      return reply.code(201).send(message);
    },
  );

  app.get<{ Params: { accountSid: string }; Querystring: Record<string, string | undefined> }>('/2010-04-01/Accounts/:accountSid/Messages.json', async (request, reply) => {
    if (!authorized(request)) return twilioError(reply, 401, 20003, 'Authenticate');
    const query = request.query;
    const pageSize = Math.min(Math.max(Number(query.PageSize ?? 50) || 50, 1), 1000);
    const page = Math.max(Number(query.Page ?? 0) || 0, 0);
    // A queued message has no date_sent yet; it counts on the day it was created.
    const dayOf = (m: TwilioMessage) => new Date(m.date_sent ?? m.date_created).toISOString().slice(0, 10);
    const matching = messages
      .filter((m) => (query.To === undefined || m.to === query.To) && (query.From === undefined || m.from === query.From))
      .filter((m) => (query.DateSent === undefined || dayOf(m) === query.DateSent) && (query['DateSent<'] === undefined || dayOf(m) <= query['DateSent<']!) && (query['DateSent>'] === undefined || dayOf(m) >= query['DateSent>']!))
      .reverse();
    const slice = matching.slice(page * pageSize, (page + 1) * pageSize);
    const base = `/2010-04-01/Accounts/${accountSid}/Messages.json`;
    const filters = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined && !['Page', 'PageSize', 'PageToken'].includes(e[0])));
    const pageUri = (n: number) => `${base}?${new URLSearchParams([...filters, ['PageSize', String(pageSize)], ['Page', String(n)]])}`;
    return {
      messages: slice,
      uri: pageUri(page),
      first_page_uri: pageUri(0),
      next_page_uri: matching.length > (page + 1) * pageSize ? pageUri(page + 1) : null,
      previous_page_uri: page > 0 ? pageUri(page - 1) : null,
      page,
      page_size: pageSize,
      start: page * pageSize,
      end: page * pageSize + Math.max(slice.length - 1, 0),
    };
  });

  app.get<{ Params: { accountSid: string; sid: string } }>('/2010-04-01/Accounts/:accountSid/Messages/:sid', async (request, reply) => {
    if (!authorized(request)) return twilioError(reply, 401, 20003, 'Authenticate');
    const message = messages.find((m) => `${m.sid}.json` === request.params.sid);
    if (!message) return twilioError(reply, 404, 20404, `The requested resource ${request.url} was not found`);
    return message;
  });

  /** The status callbacks of one message, in Twilio's order; each is signed over the callback URL. */
  async function sendReceipts(message: TwilioMessage, url: string, final: 'delivered' | 'undelivered') {
    for (const status of ['sent', final] as const) {
      message.status = status;
      message.date_updated = new Date().toUTCString().replace('GMT', '+0000');
      const params: Record<string, string> = {
        AccountSid: accountSid,
        ApiVersion: '2010-04-01',
        From: message.from,
        MessageSid: message.sid,
        MessageStatus: status,
        SmsSid: message.sid,
        SmsStatus: status,
        To: message.to,
        ...(status === 'undelivered' && { ErrorCode: '30003' }),
      };
      await deliverWebhook(url, new URLSearchParams(params).toString(), {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signature(authToken, url, params),
      });
    }
  }

  app.get('/_sim/messages', async () => messages);
  app.delete('/_sim/messages', async () => {
    messages.length = 0;
    return { cleared: true };
  });
}
