import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import got from 'got';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_PROVIDER_CREDENTIALS, type SimulatorHandle, startSimulators } from '../src';

/** A stand-in gateway: records every webhook (raw body and headers) and answers 200. */
interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}
let receiver: Server;
const received: Received[] = [];
let sims: SimulatorHandle;

const http = got.extend({ throwHttpErrors: false, retry: { limit: 0 }, responseType: 'json' });
type Json = Record<string, any>;
const { seventeenTrack, aftership } = LOCAL_PROVIDER_CREDENTIALS;

beforeAll(async () => {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"outcome":"applied"}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  sims = await startSimulators({ webhookBaseUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}` });
});

afterAll(async () => {
  await sims?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

beforeEach(() => {
  received.length = 0;
  sims.controls['17track'].set({ mode: 'ok' });
  sims.controls.aftership.set({ mode: 'ok' });
});

describe('17TRACK simulator', () => {
  const call = (path: string, json: unknown, token: string = seventeenTrack.apiKey) =>
    http.post(`${sims.baseUrl('17track')}/${path}`, { json, headers: { '17token': token } });

  it('refuses a wrong 17token with 401 in 17TRACK shape and records it', async () => {
    const answer = await call('register', [{ number: 'RB123456785CN' }], 'wrong');
    expect(answer.statusCode).toBe(401);
    expect((answer.body as unknown as Json).code).toBe(-18010002);
    expect(sims.controls['17track'].requests.at(-1)?.outcome).toBe('unauthorized');
  });

  it('registers once, then answers -18019901; unknown numbers are -18019902', async () => {
    const first = (await call('register', [{ number: 'RR000000015CN', carrier: 3011, tag: 'shipment-1' }])).body as unknown as Json;
    expect(first).toMatchObject({ code: 0, data: { accepted: [{ number: 'RR000000015CN', carrier: 3011, tag: 'shipment-1' }], rejected: [] } });
    const again = (await call('register', [{ number: 'RR000000015CN' }])).body as unknown as Json;
    expect(again.data.rejected[0].error.code).toBe(-18019901);
    const unknown = (await call('gettrackinfo', [{ number: 'XX999999999CN' }])).body as unknown as Json;
    expect(unknown.data.rejected[0].error.code).toBe(-18019902);
  });

  it('pushes a signed TRACKING_UPDATED webhook and shows the same state to gettrackinfo', async () => {
    await call('register', [{ number: 'RR000000024CN', carrier: 3011 }]);
    const push = (await http.post(`${sims.baseUrl('17track')}/_sim/push`, { json: { number: 'RR000000024CN', status: 'in_transit', location: 'Lyon, FR' } })).body as unknown as Json;
    expect(push.webhook).toMatchObject({ statusCode: 200, body: { outcome: 'applied' } });
    const webhook = received.at(-1)!;
    expect(webhook.path).toBe('/v1/webhooks/17track');
    expect(webhook.headers.sign).toBe(createHash('sha256').update(`${webhook.body}/${seventeenTrack.apiKey}`).digest('hex'));
    const body = JSON.parse(webhook.body);
    expect(body).toMatchObject({ event: 'TRACKING_UPDATED', data: { number: 'RR000000024CN', track_info: { latest_status: { status: 'InTransit' }, latest_event: { location: 'Lyon, FR' } } } });
    const info = (await call('gettrackinfo', [{ number: 'RR000000024CN' }])).body as unknown as Json;
    expect(info.data.accepted[0].track_info.latest_status.status).toBe('InTransit');
    expect(info.data.accepted[0].track_info.tracking.providers[0].events).toHaveLength(1);
  });

  it('walks the scripted progression with _sim/progress, then refuses to go further', async () => {
    const statuses: string[] = [];
    for (let i = 0; i < 4; i++) {
      const answer = (await http.post(`${sims.baseUrl('17track')}/_sim/progress`, { json: { number: 'RR000000033CN' } })).body as unknown as Json;
      statuses.push(answer.status);
    }
    expect(statuses).toEqual(['info_received', 'in_transit', 'out_for_delivery', 'delivered']);
    expect(received.map((r) => JSON.parse(r.body).data.track_info.latest_status.status)).toEqual(['InfoReceived', 'InTransit', 'OutForDelivery', 'Delivered']);
    expect((await http.post(`${sims.baseUrl('17track')}/_sim/progress`, { json: { number: 'RR000000033CN' } })).statusCode).toBe(409);
  });

  it('keeps the newest scan as latest status when an older one is pushed', async () => {
    await http.post(`${sims.baseUrl('17track')}/_sim/push`, { json: { number: 'RR000000042CN', status: 'out_for_delivery' } });
    await http.post(`${sims.baseUrl('17track')}/_sim/push`, { json: { number: 'RR000000042CN', status: 'InTransit_Arrival', time: '2020-01-01T00:00:00Z' } });
    const info = (await call('gettrackinfo', [{ number: 'RR000000042CN' }])).body as unknown as Json;
    expect(info.data.accepted[0].track_info.latest_status.status).toBe('OutForDelivery');
    expect(info.data.accepted[0].track_info.tracking.providers[0].events.map((e: Json) => e.sub_status)).toEqual(['OutForDelivery_Other', 'InTransit_Arrival']);
  });

  it('answers 503 in error mode and business refusals in reject mode', async () => {
    sims.controls['17track'].set({ mode: 'error', times: 1 });
    expect((await call('register', [{ number: 'RR000000051CN' }])).statusCode).toBe(503);
    sims.controls['17track'].set({ mode: 'reject', times: 1 });
    const refused = (await call('register', [{ number: 'RR000000051CN' }])).body as unknown as Json;
    expect(refused.data.rejected[0].error.code).toBe(-18019903);
    expect((await call('register', [{ number: 'RR000000051CN' }])).body).toMatchObject({ data: { accepted: [{ number: 'RR000000051CN' }] } });
  });

  it('rejects a bad push', async () => {
    expect((await http.post(`${sims.baseUrl('17track')}/_sim/push`, { json: { number: 'RR000000060CN', status: 'teleported' } })).statusCode).toBe(400);
  });
});

describe('AfterShip simulator', () => {
  const headers = { 'as-api-key': aftership.apiKey };

  it('refuses a wrong as-api-key with 401 in AfterShip shape', async () => {
    const answer = await http.post(`${sims.baseUrl('aftership')}/trackings`, { json: { tracking_number: 'RB123456785CN' }, headers: { 'as-api-key': 'wrong' } });
    expect(answer.statusCode).toBe(401);
    expect((answer.body as unknown as Json).meta).toMatchObject({ code: 401, type: 'Unauthorized' });
  });

  it('creates a tracking, refuses a duplicate with 4003, reads it by id and by number', async () => {
    const created = await http.post(`${sims.baseUrl('aftership')}/trackings`, { json: { tracking_number: '1Z5R89390357567127', slug: 'ups' }, headers });
    expect(created.statusCode).toBe(201);
    const tracking = (created.body as unknown as Json).data;
    expect(tracking).toMatchObject({ tracking_number: '1Z5R89390357567127', slug: 'ups', tag: 'Pending' });
    expect(tracking.id).toMatch(/^[0-9a-f]{32}$/);
    const duplicate = await http.post(`${sims.baseUrl('aftership')}/trackings`, { json: { tracking_number: '1Z5R89390357567127', slug: 'ups' }, headers });
    expect(duplicate.statusCode).toBe(400);
    expect((duplicate.body as unknown as Json).meta.code).toBe(4003);
    expect(((await http.get(`${sims.baseUrl('aftership')}/trackings/${tracking.id}`, { headers })).body as unknown as Json).data.id).toBe(tracking.id);
    const list = (await http.get(`${sims.baseUrl('aftership')}/trackings`, { headers, searchParams: { tracking_numbers: '1Z5R89390357567127' } })).body as unknown as Json;
    expect(list.data.trackings.map((t: Json) => t.id)).toEqual([tracking.id]);
    expect((await http.get(`${sims.baseUrl('aftership')}/trackings/${'0'.repeat(32)}`, { headers })).statusCode).toBe(404);
  });

  it('pushes HMAC-signed webhooks through the progression; GET shows the same state', async () => {
    const created = (await http.post(`${sims.baseUrl('aftership')}/trackings`, { json: { tracking_number: '9405511202575421535949', slug: 'usps' }, headers })).body as unknown as Json;
    for (let i = 0; i < 4; i++) await http.post(`${sims.baseUrl('aftership')}/_sim/progress`, { json: { number: '9405511202575421535949' } });
    expect(received).toHaveLength(4);
    for (const webhook of received) {
      expect(webhook.path).toBe('/v1/webhooks/aftership');
      expect(webhook.headers['aftership-hmac-sha256']).toBe(createHmac('sha256', aftership.webhookSecret).update(webhook.body).digest('base64'));
    }
    const bodies = received.map((r) => JSON.parse(r.body));
    expect(bodies.map((b) => b.msg.tag)).toEqual(['InfoReceived', 'InTransit', 'OutForDelivery', 'Delivered']);
    expect(new Set(bodies.map((b) => b.event_id)).size).toBe(4);
    expect(bodies[0]).toMatchObject({ event: 'tracking_update', msg: { tracking_number: '9405511202575421535949', slug: 'usps' } });
    const current = ((await http.get(`${sims.baseUrl('aftership')}/trackings/${created.data.id}`, { headers })).body as unknown as Json).data;
    expect(current.tag).toBe('Delivered');
    expect(current.checkpoints).toHaveLength(4);
  });

  it('maps a pushed subtag and answers 422 in reject mode', async () => {
    const push = (await http.post(`${sims.baseUrl('aftership')}/_sim/push`, { json: { number: 'LP00123456789012', status: 'AttemptFail_001' } })).body as unknown as Json;
    expect(push.status).toBe('delivery_failed');
    expect(JSON.parse(received.at(-1)!.body).msg).toMatchObject({ tag: 'AttemptFail', subtag: 'AttemptFail_001' });
    sims.controls.aftership.set({ mode: 'reject', times: 1 });
    expect((await http.post(`${sims.baseUrl('aftership')}/trackings`, { json: { tracking_number: 'RB000000015CN' }, headers })).statusCode).toBe(422);
  });
});
