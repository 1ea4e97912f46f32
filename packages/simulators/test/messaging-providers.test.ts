import got from 'got';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_PROVIDER_CREDENTIALS, type SimulatorHandle, startSimulators } from '../src';

const { twilio, fcm } = LOCAL_PROVIDER_CREDENTIALS;
let sims: SimulatorHandle;
const client = got.extend({ throwHttpErrors: false, retry: { limit: 0 } });
/** JSON answers; bodies parsed and typed loosely (each test asserts the shape it expects). */
const http = {
  async post(url: string, options: { form?: Record<string, string>; json?: unknown; username?: string; password?: string; headers?: Record<string, string> }) {
    const response = await client.post(url, options);
    return { statusCode: response.statusCode, body: JSON.parse(response.body) as unknown };
  },
  async get(url: string) {
    const response = await client.get(url);
    return { statusCode: response.statusCode, body: JSON.parse(response.body) as unknown };
  },
  delete: (url: string) => client.delete(url),
};

beforeAll(async () => {
  sims = await startSimulators({ webhookBaseUrl: 'http://127.0.0.1:9' });
});
afterAll(async () => sims?.stop());
beforeEach(async () => {
  for (const provider of ['twilio', 'fcm'] as const) {
    sims.controls[provider].set({ mode: 'ok' });
    await http.delete(`${sims.baseUrl(provider)}/_sim/messages`);
  }
});

describe('Twilio simulator', () => {
  const messagesUrl = () => `${sims.baseUrl('twilio')}/2010-04-01/Accounts/${twilio.accountSid}/Messages.json`;
  const send = (form: Record<string, string>, auth: { username: string; password: string } = { username: twilio.accountSid, password: twilio.authToken }) =>
    http.post(messagesUrl(), { form, ...auth });

  it('queues a message with Basic auth and answers the Message resource', async () => {
    const response = await send({ To: '+34600111222', From: twilio.from, Body: 'Order ORD-1 shipped' });
    expect(response.statusCode).toBe(201);
    const body = response.body as Record<string, unknown>;
    expect(body).toMatchObject({ account_sid: twilio.accountSid, to: '+34600111222', from: twilio.from, body: 'Order ORD-1 shipped', status: 'queued', direction: 'outbound-api', api_version: '2010-04-01' });
    expect(body.sid).toMatch(/^SM[0-9a-f]{32}$/);
    const listed = await http.get(`${sims.baseUrl('twilio')}/_sim/messages`);
    expect(listed.body).toEqual([expect.objectContaining({ sid: body.sid, to: '+34600111222' })]);
  });

  it('lists the account\'s messages newest first, filtered by To and From, in pages', async () => {
    for (const body of ['one', 'two', 'three']) await send({ To: '+34600111222', From: twilio.from, Body: body });
    await send({ To: '+34600999888', From: twilio.from, Body: 'other' });
    const page = await http.get(`${messagesUrl()}?To=${encodeURIComponent('+34600111222')}&From=${encodeURIComponent(twilio.from)}&PageSize=2`);
    expect(page.statusCode).toBe(401); // got sends no credentials on a bare GET
    const listed = await client.get(`${messagesUrl()}?To=${encodeURIComponent('+34600111222')}&PageSize=2`, { username: twilio.accountSid, password: twilio.authToken }).json<Record<string, unknown>>();
    expect((listed.messages as Array<{ body: string }>).map((m) => m.body)).toEqual(['three', 'two']);
    expect(listed).toMatchObject({ page: 0, page_size: 2, previous_page_uri: null, next_page_uri: expect.stringContaining('Page=1') });
    const today = new Date().toISOString().slice(0, 10);
    const sameDay = await client.get(`${messagesUrl()}?To=${encodeURIComponent('+34600999888')}&DateSent>=${today}`, { username: twilio.accountSid, password: twilio.authToken }).json<{ messages: Array<{ body: string }> }>();
    expect(sameDay.messages.map((m) => m.body)).toEqual(['other']);
  });

  it('refuses wrong credentials with error 20003 and stores nothing', async () => {
    const response = await send({ To: '+34600111222', From: twilio.from, Body: 'x' }, { username: twilio.accountSid, password: 'wrong' });
    expect(response.statusCode).toBe(401);
    expect(response.body).toMatchObject({ code: 20003, status: 401, more_info: 'https://www.twilio.com/docs/errors/20003' });
    expect((await http.get(`${sims.baseUrl('twilio')}/_sim/messages`)).body).toEqual([]);
  });

  it('refuses an invalid To with 21211', async () => {
    const response = await send({ To: '600111222', From: twilio.from, Body: 'x' });
    expect(response.statusCode).toBe(400);
    expect(response.body).toMatchObject({ code: 21211, status: 400 });
  });

  it('follows the switch: outage, then back to ok', async () => {
    sims.controls.twilio.set({ mode: 'error', times: 1 });
    expect((await send({ To: '+34600111222', From: twilio.from, Body: 'x' })).statusCode).toBe(503);
    expect((await send({ To: '+34600111222', From: twilio.from, Body: 'x' })).statusCode).toBe(201);
    expect(sims.controls.twilio.requests.slice(-2).map((r) => r.outcome)).toEqual(['error', 'ok']);
  });
});

describe('FCM simulator', () => {
  const sendUrl = (project: string = fcm.projectId) => `${sims.baseUrl('fcm')}/v1/projects/${project}/messages:send`;
  const send = (json: unknown, token: string = fcm.accessToken, project?: string) =>
    http.post(sendUrl(project), { json, headers: { authorization: `Bearer ${token}` } });

  it('sends to a device token and answers the message name', async () => {
    const response = await send({ message: { token: 'device-token-1', notification: { title: 'Shipped', body: 'ORD-1' }, data: { orderId: 'o1' } } });
    expect(response.statusCode).toBe(200);
    const { name } = response.body as { name: string };
    expect(name).toMatch(new RegExp(`^projects/${fcm.projectId}/messages/.+`));
    const listed = await http.get(`${sims.baseUrl('fcm')}/_sim/messages`);
    expect(listed.body).toEqual([{ name, token: 'device-token-1', notification: { title: 'Shipped', body: 'ORD-1' }, data: { orderId: 'o1' }, collapseKey: null, replacedBy: null }]);
  });

  it('lets a repeat with the same collapse id replace the earlier notification on that device only', async () => {
    const message = (token: string) => ({
      token,
      notification: { title: 'Shipped', body: 'ORD-1' },
      android: { collapse_key: 'n-1', notification: { tag: 'n-1' } },
      apns: { headers: { 'apns-collapse-id': 'n-1' } },
      webpush: { headers: { Topic: 'n-1' } },
    });
    const first = (await send({ message: message('phone-a') })).body as { name: string };
    const second = (await send({ message: message('phone-a') })).body as { name: string };
    await send({ message: message('phone-b') });
    const listed = (await http.get(`${sims.baseUrl('fcm')}/_sim/messages`)).body as Array<{ name: string; token: string; collapseKey: string; replacedBy: string | null }>;
    expect(listed.map((m) => [m.token, m.collapseKey, m.replacedBy])).toEqual([
      ['phone-a', 'n-1', second.name],
      ['phone-a', 'n-1', null],
      ['phone-b', 'n-1', null],
    ]);
    expect(first.name).not.toBe(second.name);
    const tooLong = await send({ message: { token: 't', apns: { headers: { 'apns-collapse-id': 'x'.repeat(65) } } } });
    expect(tooLong.statusCode).toBe(400);
    expect((await send({ message: { token: 't', webpush: { headers: { Topic: 'not a topic!' } } } })).statusCode).toBe(400);
  });

  it('refuses a wrong token with 401 UNAUTHENTICATED and another project with 403', async () => {
    const unauthenticated = await send({ message: { token: 't', notification: { title: 'a', body: 'b' } } }, 'nope');
    expect(unauthenticated.statusCode).toBe(401);
    expect(unauthenticated.body).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
    expect((await send({ message: { token: 't' } }, fcm.accessToken, 'other-project')).statusCode).toBe(403);
    expect((await http.get(`${sims.baseUrl('fcm')}/_sim/messages`)).body).toEqual([]);
  });

  it.each([
    ['no message', {}],
    ['no target', { message: { notification: { title: 'a', body: 'b' } } }],
    ['two targets', { message: { token: 't', topic: 'news' } }],
    ['non-string data', { message: { token: 't', data: { n: 1 } } }],
  ])('refuses %s with 400 INVALID_ARGUMENT', async (_case, body) => {
    const response = await send(body);
    expect(response.statusCode).toBe(400);
    expect(response.body).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } });
  });

  it('answers UNREGISTERED in reject mode and 503 in an outage', async () => {
    sims.controls.fcm.set({ mode: 'reject', times: 1 });
    const rejected = await send({ message: { token: 'gone' } });
    expect(rejected.statusCode).toBe(404);
    expect(rejected.body).toMatchObject({ error: { details: [{ errorCode: 'UNREGISTERED' }] } });
    sims.controls.fcm.set({ mode: 'error', times: 1 });
    expect((await send({ message: { token: 't' } })).statusCode).toBe(503);
    expect((await send({ message: { token: 't' } })).statusCode).toBe(200);
  });
});
