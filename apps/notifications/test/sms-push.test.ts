import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createFcmPush } from '../src/adapters/fcm-push';
import { certainlyNotSent, isPermanent, ProviderError } from '../src/adapters/provider-error';
import { createTwilioSms } from '../src/adapters/twilio-sms';

/**
 * What a failed SMS or push send tells the delivery about the provider: each adapter against a
 * scripted HTTP server on loopback. Only a refusal (4xx) or a connection never made is
 * "certainly not sent"; an acceptance (2xx) without the message id, a 5xx, a timeout or a
 * connection dropped after the request went out leave the outcome unknown (the delivery then
 * asks Twilio, or resends a push under the same collapse id, instead of retrying blindly).
 */

/** How the server answers once it has read the whole request. */
type Script = { status: number; body: string } | 'drop' | 'silent';

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function scriptedProvider(script: Script): Promise<string> {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    request.on('end', () => {
      if (script === 'drop') return void request.socket.destroy();
      if (script === 'silent') return;
      response.writeHead(script.status, { 'content-type': 'application/json' }).end(script.body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const TIMEOUT_MS = 500;

const adapters = [
  {
    provider: 'twilio',
    send: (apiUrl: string) =>
      createTwilioSms({ apiUrl, accountSid: 'AC0123', authToken: 'secret', from: '+15005550006', timeoutMs: TIMEOUT_MS }).send({ to: '+34600111222', body: 'Order ORD-1 shipped' }),
    accepted: { status: 201, body: JSON.stringify({ sid: 'SM0123', status: 'queued' }) },
    acceptedId: 'SM0123',
    // Twilio's Message resource without its sid; a 200 with an empty object; a body that is not JSON.
    acceptedWithoutId: [
      { status: 201, body: JSON.stringify({ status: 'queued' }) },
      { status: 200, body: '{}' },
      { status: 201, body: '<html>ok</html>' },
    ],
    // Twilio's error codes: 21211 invalid To; 20429 too many requests; 20003 authentication.
    refusedForGood: [{ status: 400, body: JSON.stringify({ code: 21211, message: "The 'To' number is not a valid phone number." }) }],
    refusedForNow: [
      { status: 429, body: JSON.stringify({ code: 20429, message: 'Too Many Requests' }) },
      { status: 401, body: JSON.stringify({ code: 20003, message: 'Authenticate' }) },
    ],
    serverError: (status: number) => ({ status, body: JSON.stringify({ code: status === 503 ? 20503 : 20500, message: 'Internal Server Error' }) }),
  },
  {
    provider: 'fcm',
    send: (apiUrl: string) =>
      createFcmPush({ apiUrl, projectId: 'shop', accessToken: 'token', timeoutMs: TIMEOUT_MS }).send({ token: 'device-1', title: 'Order shipped', body: 'On its way', data: {}, collapseId: 'c0ffee' }),
    accepted: { status: 200, body: JSON.stringify({ name: 'projects/shop/messages/0:1' }) },
    acceptedId: 'projects/shop/messages/0:1',
    acceptedWithoutId: [
      { status: 200, body: '{}' },
      { status: 200, body: '' },
    ],
    refusedForGood: [
      { status: 400, body: JSON.stringify({ error: { code: 400, status: 'INVALID_ARGUMENT', message: 'bad token' } }) },
      { status: 404, body: JSON.stringify({ error: { code: 404, status: 'NOT_FOUND', message: 'Requested entity was not found.', details: [{ errorCode: 'UNREGISTERED' }] } }) },
    ],
    refusedForNow: [
      { status: 429, body: JSON.stringify({ error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'quota exceeded' } }) },
      { status: 401, body: JSON.stringify({ error: { code: 401, status: 'UNAUTHENTICATED', message: 'bad credentials' } }) },
    ],
    serverError: (status: number) => ({ status, body: JSON.stringify({ error: { code: status, status: status === 503 ? 'UNAVAILABLE' : 'INTERNAL', message: 'try again' } }) }),
  },
];

async function failedSend(send: () => Promise<unknown>): Promise<unknown> {
  const outcome = await send().then(
    () => 'sent' as const,
    (error: unknown) => error,
  );
  expect(outcome, 'the send failed').not.toBe('sent');
  return outcome;
}

describe.each(adapters)('what a $provider send says about the provider', (adapter) => {
  it('returns the message id the provider answered with', async () => {
    await expect(adapter.send(await scriptedProvider(adapter.accepted))).resolves.toEqual({ providerMessageId: adapter.acceptedId });
  });

  it('is unknown when the provider accepted the request (2xx) but its answer has no message id', async () => {
    for (const answer of adapter.acceptedWithoutId) {
      const error = await failedSend(async () => adapter.send(await scriptedProvider(answer)));
      expect(certainlyNotSent(error), `${answer.status} ${answer.body}`).toBe(false);
      expect(isPermanent(error), `${answer.status} ${answer.body}`).toBe(false);
    }
  });

  it('is unknown on a 5xx: the provider may have taken the message before it failed', async () => {
    for (const status of [500, 502, 503, 504]) {
      const error = await failedSend(async () => adapter.send(await scriptedProvider(adapter.serverError(status))));
      expect(certainlyNotSent(error), String(status)).toBe(false);
      expect(isPermanent(error), String(status)).toBe(false);
    }
  });

  it('is certainly not sent, for good, when the provider refuses the message itself', async () => {
    for (const answer of adapter.refusedForGood) {
      const error = await failedSend(async () => adapter.send(await scriptedProvider(answer)));
      expect(certainlyNotSent(error), String(answer.status)).toBe(true);
      expect(isPermanent(error), String(answer.status)).toBe(true);
    }
  });

  it('is certainly not sent, for now, when the provider refuses the request (throttled, not authorized)', async () => {
    for (const answer of adapter.refusedForNow) {
      const error = await failedSend(async () => adapter.send(await scriptedProvider(answer)));
      expect(certainlyNotSent(error), String(answer.status)).toBe(true);
      expect(isPermanent(error), String(answer.status)).toBe(false);
    }
  });

  it('is certainly not sent when nothing listens (connection refused)', async () => {
    const url = await scriptedProvider('silent');
    await new Promise((resolve) => servers.pop()!.close(resolve));
    expect(certainlyNotSent(await failedSend(() => adapter.send(url)))).toBe(true);
  });

  it('is unknown when the connection drops after the request went out', async () => {
    expect(certainlyNotSent(await failedSend(async () => adapter.send(await scriptedProvider('drop'))))).toBe(false);
  });

  it('is unknown when the provider never answers (timeout)', async () => {
    expect(certainlyNotSent(await failedSend(async () => adapter.send(await scriptedProvider('silent'))))).toBe(false);
  });
});

describe('a connection failure', () => {
  it('is certainly not sent only when it happened before a request could be written', () => {
    const failure = (code: string, syscall: string) => Object.assign(new Error(code), { code, cause: Object.assign(new Error(code), { code, syscall }) });
    expect(certainlyNotSent(failure('ECONNREFUSED', 'connect'))).toBe(true);
    expect(certainlyNotSent(failure('ENOTFOUND', 'getaddrinfo'))).toBe(true);
    expect(certainlyNotSent(failure('EHOSTUNREACH', 'connect'))).toBe(true);
    // An established (kept-alive) connection can report the host unreachable after our request went out.
    expect(certainlyNotSent(failure('EHOSTUNREACH', 'read'))).toBe(false);
    expect(certainlyNotSent(failure('ENETUNREACH', 'write'))).toBe(false);
    expect(certainlyNotSent(new ProviderError('twilio', 'HTTP 400', true))).toBe(true);
  });
});
