import { createHash, randomUUID } from 'node:crypto';
import { LOCAL_PROVIDER_CREDENTIALS } from '@platform/simulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, sleep } from '@platform/test-support/eventually';
import { s10CheckDigit, upsCheck } from '@platform/contracts/check-digits';
import { BREAKER, startTrackingHarness, type TrackingHarness } from './tracking-service';

type Json = Record<string, any>;
const HOUR = 3_600_000;
let t: TrackingHarness;

/** A fresh, valid UPU S10 number of China Post. */
function chinaPostNumber(): string {
  const serial = String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
  return `RB${serial}${s10CheckDigit(serial)}CN`;
}

/** A fresh UPS 1Z number whose check digit is wrong. */
function upsNumberWithWrongCheckDigit(): string {
  const body = `1Z${Math.random().toString(36).slice(2, 17).toUpperCase().padEnd(15, '0')}`;
  const valid = [...'0123456789'].map((digit) => body + digit).find(upsCheck)!;
  return body + String((Number(valid.at(-1)) + 1) % 10);
}

const shipment = (number: string) => t.db.shipment.findFirst({ where: { trackingNumber: number } });
const registered = (number: string) => eventually(() => shipment(number), (s) => Boolean(s?.registeredAt), 20_000).then((s) => s!);
const outbox = (type: string, trackingNumber: string) => t.events(type, trackingNumber);
const providerCalls = (provider: '17track' | 'aftership', path: string, number: string) =>
  t.sims.controls[provider].requests.filter((r) => r.url.includes(path) && JSON.stringify(r.body ?? r.url).includes(number));
const push = async (provider: '17track' | 'aftership', body: Json) =>
  (await t.http.post(`${t.sims.baseUrl(provider)}/_sim/push`, { prefixUrl: '', json: body })).body as unknown as Json;
const progress = async (provider: '17track' | 'aftership', number: string) =>
  (await t.http.post(`${t.sims.baseUrl(provider)}/_sim/progress`, { prefixUrl: '', json: { number } })).body as unknown as Json;

/** A TRACKING_UPDATED webhook body signed the 17TRACK way. */
function seventeenTrackWebhook(number: string, status: string, time: string, apiKey: string = LOCAL_PROVIDER_CREDENTIALS.seventeenTrack.apiKey) {
  const event = { time_iso: time, time_utc: time, description: `${status} scan`, location: 'Madrid, ES', stage: status, sub_status: `${status}_Other` };
  const body = JSON.stringify({
    event: 'TRACKING_UPDATED',
    data: { number, carrier: 3011, tag: null, track_info: { latest_status: { status, sub_status: `${status}_Other` }, latest_event: event, tracking: { providers: [{ events: [event] }] } } },
  });
  return { body, headers: { 'content-type': 'application/json', sign: createHash('sha256').update(`${body}/${apiKey}`).digest('hex') } };
}

beforeAll(async () => {
  t = await startTrackingHarness();
});
afterAll(async () => {
  await t?.stop();
});

describe('tracking service', () => {
  it('registers a shipped shipment with 17TRACK, publishes tracking.shipment.registered and schedules the first poll', async () => {
    const number = chinaPostNumber();
    const { orderId, shipmentId } = await t.ship(number, { carrierHint: 'CJPacket Ordinary' });
    const row = await registered(number);
    expect(row).toMatchObject({ id: shipmentId, orderId, carrier: 'china-post', provider: '17track', status: 'pending' });
    const [event] = await outbox('tracking.shipment.registered', number);
    expect(event).toMatchObject({ data: { shipmentId, carrier: 'china-post', carrierName: 'China Post', provider: '17track', trackingUrl: expect.stringContaining(number) } });
    expect(providerCalls('17track', 'register', number)[0]?.body).toEqual([{ number, carrier: 3011, tag: shipmentId }]);
    const timer = await t.db.timer.findUnique({ where: { kind_key: { kind: 'tracking.poll', key: shipmentId } } });
    expect(timer!.fireAt.getTime() - row.registeredAt!.getTime()).toBe(HOUR);
  });

  describe('webhooks', () => {
    let number: string;
    let orderId: string;
    beforeAll(async () => {
      number = chinaPostNumber();
      ({ orderId } = await t.ship(number));
      await registered(number);
    });

    it('applies a signed 17TRACK webhook: stores the scan, moves the status, publishes status_changed', async () => {
      const answer = await push('17track', { number, status: 'in_transit', location: 'Guangzhou, CN', description: 'Departed from sorting center' });
      expect(answer.webhook).toMatchObject({ statusCode: 200, body: { outcome: 'applied', status: 'in_transit' } });
      expect(await shipment(number)).toMatchObject({ status: 'in_transit' });
      const events = await outbox('tracking.shipment.status_changed', number);
      expect(events.map((e) => (e as Json).data)).toEqual([
        expect.objectContaining({ orderId, status: 'in_transit', previousStatus: 'pending', provider: '17track', event: expect.objectContaining({ location: 'Guangzhou, CN', description: 'Departed from sorting center' }) }),
      ]);
    });

    it('publishes each new scan with its place, also when the status does not move, and a replayed one not again', async () => {
      const scanned = chinaPostNumber();
      await t.ship(scanned);
      await registered(scanned);
      await push('17track', { number: scanned, status: 'in_transit', location: 'Guangzhou, CN', description: 'Departed from sorting center' });
      await push('17track', { number: scanned, status: 'in_transit', location: 'Madrid, ES', description: 'Arrived at the destination country' });
      const last = t.gateway.last!;
      expect((await t.http.post(last.path.slice(1), { body: last.body, headers: last.headers })).body).toMatchObject({ outcome: 'duplicate' });
      const scans = (await outbox('tracking.shipment.scanned', scanned)).map((e) => (e as Json).data);
      expect(scans.map((s) => [s.status, s.location, s.description])).toEqual([
        ['in_transit', 'Guangzhou, CN', 'Departed from sorting center'],
        ['in_transit', 'Madrid, ES', 'Arrived at the destination country'],
      ]);
      expect(await outbox('tracking.shipment.status_changed', scanned)).toHaveLength(1);
    });

    it("continues the shipment's journey: the webhook's event carries the correlation id of the flow that shipped it", async () => {
      const followed = chinaPostNumber();
      await t.ship(followed);
      await registered(followed);
      const [registration] = await outbox('tracking.shipment.registered', followed);
      const journey = registration!.correlationId;
      expect((await push('17track', { number: followed, status: 'in_transit' })).webhook).toMatchObject({ statusCode: 200 });
      const [changed] = await outbox('tracking.shipment.status_changed', followed);
      expect(changed).toMatchObject({ correlationId: journey });
    });

    it('mends text PostgreSQL cannot store in a signed webhook (a lone surrogate) instead of failing it', async () => {
      const mended = chinaPostNumber();
      await t.ship(mended);
      await registered(mended);
      const answer = await push('17track', { number: mended, status: 'in_transit', location: 'Guangzhou, CN', description: 'Sorted \ud800 here' });
      expect(answer.webhook).toMatchObject({ statusCode: 200, body: { outcome: 'applied', status: 'in_transit' } });
      const row = await t.db.shipment.findFirstOrThrow({ where: { trackingNumber: mended }, include: { events: true } });
      expect(row.events.map((e) => e.description)).toContain('Sorted \ufffd here');
    });

    it('refuses a wrong or missing signature with 401 INVALID_SIGNATURE and changes nothing', async () => {
      const before = await shipment(number);
      const wrongKey = seventeenTrackWebhook(number, 'Delivered', new Date().toISOString(), 'not-the-key');
      const wrong = await t.http.post('webhooks/17track', { body: wrongKey.body, headers: wrongKey.headers });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.body).toMatchObject({ code: 'INVALID_SIGNATURE', status: 401 });
      const missing = await t.http.post('webhooks/aftership', { body: '{"event":"tracking_update"}', headers: { 'content-type': 'application/json' } });
      expect(missing.statusCode).toBe(401);
      expect(await shipment(number)).toEqual(before);
      expect(await outbox('tracking.shipment.status_changed', number)).toHaveLength(1);
    });

    it('answers a replayed webhook as a duplicate without a second event', async () => {
      await push('17track', { number, status: 'out_for_delivery' });
      const events = (await outbox('tracking.shipment.status_changed', number)).length;
      const last = t.gateway.last!;
      const replay = await t.http.post(last.path.slice(1), { body: last.body, headers: last.headers });
      expect(replay.statusCode).toBe(200);
      expect(replay.body).toMatchObject({ outcome: 'duplicate' });
      expect(await outbox('tracking.shipment.status_changed', number)).toHaveLength(events);
    });

    it('ignores a stale update (older than the last applied) and a backward one', async () => {
      const before = await shipment(number);
      const stale = seventeenTrackWebhook(number, 'Delivered', new Date(Date.now() - 86_400_000).toISOString());
      const staleAnswer = await t.http.post('webhooks/17track', { body: stale.body, headers: stale.headers });
      expect(staleAnswer.body).toMatchObject({ outcome: 'stale', status: 'out_for_delivery' });
      const backward = seventeenTrackWebhook(number, 'InTransit', new Date(Date.now() + 1_000).toISOString());
      const backwardAnswer = await t.http.post('webhooks/17track', { body: backward.body, headers: backward.headers });
      expect(backwardAnswer.body).toMatchObject({ outcome: 'unchanged', status: 'out_for_delivery' });
      expect((await shipment(number))?.status).toBe(before?.status);
      expect((await outbox('tracking.shipment.status_changed', number)).map((e) => (e as Json).data.status)).toEqual(['in_transit', 'out_for_delivery']);
    });

    it('answers 404 SHIPMENT_NOT_FOUND for an unknown number and stores nothing', async () => {
      const unknown = chinaPostNumber();
      const answer = await push('17track', { number: unknown, status: 'in_transit' });
      expect(answer.webhook).toMatchObject({ statusCode: 404, body: { code: 'SHIPMENT_NOT_FOUND' } });
      expect(await t.db.webhookReceipt.count({ where: { receiptKey: createHash('sha256').update(t.gateway.last!.body).digest('hex') } })).toBe(0);
    });

    it('counts a failed attempt, then takes AfterShip delivered as final: polling cancelled, 17TRACK told to stop', async () => {
      expect((await push('aftership', { number, status: 'delivery_failed' })).webhook).toMatchObject({ statusCode: 200, body: { outcome: 'applied', status: 'delivery_failed' } });
      expect((await push('aftership', { number, status: 'delivered' })).webhook).toMatchObject({ statusCode: 200, body: { outcome: 'applied', status: 'delivered' } });
      const row = await shipment(number);
      expect(row?.status).toBe('delivered');
      expect(await t.db.timer.count({ where: { kind: 'tracking.poll', key: row!.id, firedAt: null } })).toBe(0);
      expect(providerCalls('17track', 'stoptrack', number)).toHaveLength(1);
      // Final: a later webhook saying otherwise changes nothing.
      expect((await push('17track', { number, status: 'in_transit' })).webhook.body).toMatchObject({ outcome: 'unchanged', status: 'delivered' });

      const tracking = (await t.http.get(`orders/${orderId}/tracking`)).body as unknown as Json;
      expect(tracking.shipments).toHaveLength(1);
      expect(tracking.shipments[0]).toMatchObject({ trackingNumber: number, status: 'delivered', deliveryAttempts: 1, carrier: { code: 'china-post' } });
      const statuses = tracking.shipments[0].events.map((e: Json) => e.status);
      // Every scan any provider reported is history, newest first, even those that did not move the status.
      expect(statuses[0]).toBe('in_transit');
      expect(statuses).toEqual(expect.arrayContaining(['in_transit', 'out_for_delivery', 'delivery_failed', 'delivered']));

      const publicView = await t.http.get(`tracking/${number.toLowerCase()}`);
      expect(publicView.statusCode).toBe(200);
      expect(publicView.body).toMatchObject({ trackingNumber: number, status: 'delivered', trackingUrl: expect.stringContaining(number) });
      expect(JSON.stringify(publicView.body)).not.toContain(orderId);
    });
  });

  it('keeps a number that fails the named carrier\'s check digit without a carrier: not registered, no poll, no carrier link, exception', async () => {
    const number = upsNumberWithWrongCheckDigit();
    const { shipmentId } = await t.ship(number, { carrierHint: 'UPS Worldwide Saver' });
    const row = await eventually(() => shipment(number), (s) => s !== null, 20_000);
    expect(row).toMatchObject({ id: shipmentId, carrier: null, carrierHint: 'UPS Worldwide Saver', provider: null, registeredAt: null, status: 'exception' });
    expect(providerCalls('17track', 'register', number)).toEqual([]);
    expect(providerCalls('aftership', 'trackings', number)).toEqual([]);
    expect(await outbox('tracking.shipment.registered', number)).toEqual([]);
    expect(await t.db.timer.count({ where: { kind: 'tracking.poll', key: shipmentId } })).toBe(0);
    const publicView = await t.http.get(`tracking/${number}`);
    expect(publicView.body).toMatchObject({ trackingNumber: number, carrier: null, trackingUrl: null, status: 'exception' });
    const detected = await t.http.get('carriers/detect', { searchParams: { number, hint: 'UPS Worldwide Saver' } });
    expect(detected.body).toMatchObject({ carrier: null, hinted: 'ups', reason: 'invalid', trackingUrl: null });
  });

  it('answers the carrier registry and detection', async () => {
    const carriers = (await t.http.get('carriers')).body as unknown as Json;
    expect(carriers.carriers.map((c: Json) => c.code)).toEqual(expect.arrayContaining(['usps', 'ups', 'fedex', 'dhl', 'canada-post', 'correos', 'china-post', 'cainiao', 'yanwen', 'chitchats']));
    const detected = await t.http.get('carriers/detect', { searchParams: { number: 'rb 123456785 cn' } });
    expect(detected.body).toMatchObject({ number: 'RB123456785CN', carrier: { code: 'china-post', seventeenTrackCode: 3011 }, reason: 'format' });
    const hinted = await t.http.get('carriers/detect', { searchParams: { number: 'YT2212345678901234', hint: 'CAINIAO_STANDARD' } });
    expect(hinted.body).toMatchObject({ carrier: { code: 'cainiao' }, reason: 'hint' });
    expect((await t.http.get('carriers/detect', { searchParams: { number: '!!' } })).statusCode).toBe(400);
    expect((await t.http.get('tracking/RB000000000XX')).statusCode).toBe(404);
  });

  it('falls back to AfterShip while 17TRACK is down; the breaker opens, then closes after the cool-down', async () => {
    t.sims.controls['17track'].set({ mode: 'error' });
    const numbers = Array.from({ length: BREAKER.consecutiveFailures + 1 }, chinaPostNumber);
    for (const number of numbers) {
      await t.ship(number);
      expect(await registered(number)).toMatchObject({ provider: 'aftership', providerRef: expect.stringMatching(/^[0-9a-f]{32}$/) });
    }
    // The first N calls failed at 17TRACK; the breaker was open for the last one, which never reached it.
    for (const number of numbers.slice(0, -1)) expect(providerCalls('17track', 'register', number)).toHaveLength(1);
    expect(providerCalls('17track', 'register', numbers.at(-1)!)).toHaveLength(0);
    expect(((await t.http.get('providers')).body as unknown as Json).providers).toEqual([
      { name: '17track', role: 'primary', breaker: 'open' },
      { name: 'aftership', role: 'fallback', breaker: 'closed' },
    ]);
    const metrics = (await t.http.get('metrics', { responseType: 'text' })).body as string;
    expect(metrics).toMatch(/tracking_provider_breaker_state\{provider="17track"[^}]*\} 1/);

    t.sims.controls['17track'].set({ mode: 'ok' });
    await sleep(BREAKER.halfOpenAfterMs + 200);
    const recovered = chinaPostNumber();
    await t.ship(recovered);
    expect(await registered(recovered)).toMatchObject({ provider: '17track' });
    expect(((await t.http.get('providers')).body as unknown as Json).providers[0]).toMatchObject({ name: '17track', breaker: 'closed' });
  });

  it('polls after 1 h and then every 6 h, applying what the provider shows, and stops at delivered', async () => {
    const number = chinaPostNumber();
    const { shipmentId } = await t.ship(number);
    await registered(number);
    // Webhooks are lost: only polling can move the shipment.
    t.gateway.forwarding = false;
    try {
      await progress('17track', number); // info_received
      await progress('17track', number); // in_transit
      expect((await shipment(number))?.status).toBe('pending');

      await t.advanceClock(HOUR);
      const polled = await eventually(() => shipment(number), (s) => s?.status === 'in_transit', 15_000);
      expect(polled?.lastPolledAt).not.toBeNull();
      const next = await t.db.timer.findUnique({ where: { kind_key: { kind: 'tracking.poll', key: shipmentId } } });
      expect(next?.firedAt).toBeNull();
      expect(next!.fireAt.getTime() - polled!.lastPolledAt!.getTime()).toBe(6 * HOUR);
      expect((await outbox('tracking.shipment.status_changed', number)).map((e) => (e as Json).data.status)).toEqual(['in_transit']);

      await progress('17track', number); // out_for_delivery
      await progress('17track', number); // delivered
      await t.advanceClock(6 * HOUR);
      await eventually(() => shipment(number), (s) => s?.status === 'delivered', 15_000);
      expect(await t.db.timer.count({ where: { kind: 'tracking.poll', key: shipmentId, firedAt: null } })).toBe(0);

      const polls = providerCalls('17track', 'gettrackinfo', number).length;
      await t.advanceClock(6 * HOUR);
      await sleep(1_500);
      expect(providerCalls('17track', 'gettrackinfo', number)).toHaveLength(polls);
    } finally {
      t.gateway.forwarding = true;
    }
  });

  it('retries the shipped event while both providers are down, and registers once one is back', async () => {
    t.sims.controls['17track'].set({ mode: 'error' });
    t.sims.controls.aftership.set({ mode: 'error' });
    const number = chinaPostNumber();
    await t.ship(number);
    await eventually(async () => providerCalls('aftership', 'trackings', number).length, (n) => n >= 1, 10_000);
    expect(await shipment(number)).toBeNull();
    t.sims.controls.aftership.set({ mode: 'ok' });
    expect(await eventually(() => shipment(number), (s) => Boolean(s?.registeredAt), 20_000)).toMatchObject({ provider: 'aftership' });
    t.sims.controls['17track'].set({ mode: 'ok' });
  });
});
