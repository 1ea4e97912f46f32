import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@platform/test-support/eventually';
import { s10CheckDigit } from '@platform/contracts/check-digits';
import { startTrackingHarness, type TrackingHarness } from './tracking-service';

/*
 * What the delivery promise needs from tracking (docs/delivery-promise.md): the carrier's
 * estimate on its own event whenever it changes, and a silent parcel reported once per silence
 * (durable timer `tracking.no-scan-alert`, NO_SCAN_ALERT_MS = 3 days by default, on the test clock).
 */

type Json = Record<string, any>;
const DAY = 24 * 3_600_000;
let t: TrackingHarness;

beforeAll(async () => {
  t = await startTrackingHarness();
});
afterAll(async () => {
  await t?.stop();
});

function chinaPostNumber(): string {
  const serial = String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
  return `RB${serial}${s10CheckDigit(serial)}CN`;
}

const shipment = (number: string) => t.db.shipment.findFirst({ where: { trackingNumber: number } });
const registered = (number: string) => eventually(() => shipment(number), (s) => Boolean(s?.registeredAt), 20_000).then((s) => s!);
const events = async (type: string, trackingNumber: string) => (await t.events(type, trackingNumber)).map((event) => event.data as Json);
const push = async (provider: '17track' | 'aftership', body: Json) =>
  (await t.http.post(`${t.sims.baseUrl(provider)}/_sim/push`, { prefixUrl: '', json: body })).body as unknown as Json;
const silenceTimer = (shipmentId: string) => t.db.timer.findUnique({ where: { kind_key: { kind: 'tracking.no-scan-alert', key: shipmentId } } });

describe("the carrier's estimate", () => {
  it.each(['17track', 'aftership'] as const)('travels on tracking.shipment.estimate_changed whenever %s changes it, with or without a status change', async (provider) => {
    const number = chinaPostNumber();
    const { orderId, shipmentId } = await t.ship(number);
    await registered(number);
    const first = '2026-12-20T00:00:00.000Z';
    const later = '2026-12-28T00:00:00.000Z';

    expect((await push(provider, { number, status: 'in_transit', estimatedDelivery: first })).webhook).toMatchObject({ statusCode: 200 });
    // The same estimate again, on another scan: nothing new.
    expect((await push(provider, { number, status: 'in_transit', description: 'Arrived at hub' })).webhook).toMatchObject({ statusCode: 200 });
    // A later one without a status change.
    expect((await push(provider, { number, status: 'in_transit', description: 'Held at customs', estimatedDelivery: later })).webhook).toMatchObject({ statusCode: 200 });

    expect(await events('tracking.shipment.estimate_changed', number)).toEqual([
      expect.objectContaining({ orderId, shipmentId, estimatedDelivery: first, previousEstimatedDelivery: null, provider: provider }),
      expect.objectContaining({ orderId, shipmentId, estimatedDelivery: later, previousEstimatedDelivery: first }),
    ]);
    expect((await events('tracking.shipment.status_changed', number)).map((e) => [e.status, e.estimatedDelivery])).toEqual([['in_transit', first]]);
    expect((await shipment(number))?.estimatedDelivery?.toISOString()).toBe(later);
  });

  it('refuses a push with an estimate that is not a date', async () => {
    const answer = await t.http.post(`${t.sims.baseUrl('17track')}/_sim/push`, { prefixUrl: '', json: { number: chinaPostNumber(), status: 'in_transit', estimatedDelivery: 'soon' } });
    expect(answer.statusCode).toBe(400);
  });
});

describe('a silent parcel', () => {
  it('is reported once NO_SCAN_ALERT_MS after its last scan; a new scan starts the watch again; delivery ends it', async () => {
    const number = chinaPostNumber();
    const { orderId, shipmentId } = await t.ship(number);
    const row = await registered(number);
    expect((await silenceTimer(shipmentId))!.fireAt.getTime() - row.registeredAt!.getTime()).toBe(3 * DAY);

    const scanAt = new Date().toISOString();
    await push('17track', { number, status: 'in_transit', time: scanAt, estimatedDelivery: '2026-12-30T00:00:00.000Z' });
    const watched = await silenceTimer(shipmentId);
    expect(watched!.firedAt).toBeNull();

    await t.advanceClock(3 * DAY + 60_000);
    const [silence] = await eventually(() => events('tracking.shipment.silent', number), (found) => found.length === 1, 15_000);
    expect(silence).toMatchObject({ orderId, shipmentId, status: 'in_transit', lastScanAt: scanAt, silentForMs: 3 * DAY, estimatedDelivery: '2026-12-30T00:00:00.000Z' });
    // Fired and not scheduled again: this silence is told once, however long it lasts.
    expect(await t.db.timer.count({ where: { kind: 'tracking.no-scan-alert', key: shipmentId, firedAt: null } })).toBe(0);

    await push('17track', { number, status: 'in_transit', description: 'Departed from customs' });
    expect(await t.db.timer.count({ where: { kind: 'tracking.no-scan-alert', key: shipmentId, firedAt: null } })).toBe(1);

    await push('17track', { number, status: 'delivered' });
    expect(await t.db.timer.count({ where: { kind: 'tracking.no-scan-alert', key: shipmentId, firedAt: null } })).toBe(0);
    expect(await events('tracking.shipment.silent', number)).toHaveLength(1);
  });
});
