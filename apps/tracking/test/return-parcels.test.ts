import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trackingEvents } from '@platform/contracts';
import { s10CheckDigit } from '@platform/contracts/check-digits';
import { eventually } from '@platform/test-support/eventually';
import { startTrackingHarness, type TrackingHarness } from './tracking-service';

/**
 * Return parcels (docs/returns.md): an approved return's label is followed like any parcel, and
 * everything tracking says about it names the return, so fulfillment moves the return and
 * orders leaves the order alone.
 */

type Json = Record<string, any>;
let t: TrackingHarness;
beforeAll(async () => {
  t = await startTrackingHarness();
});
afterAll(async () => {
  await t?.stop();
});

/** A fresh, valid UPU S10 number of Correos (a return sent from Spain). */
function correosNumber(): string {
  const serial = String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
  return `RR${serial}${s10CheckDigit(serial)}ES`;
}
const eventsOf = async (number: string) =>
  (await Promise.all(trackingEvents.map((definition) => t.events(definition.type, number)))).flat().map((e) => ({ type: e.type, data: e.data as Json }));

describe('return parcels', () => {
  it('follows an approved return’s label like any parcel; every event about it names the return', async () => {
    const number = correosNumber();
    const { orderId, returnId } = await t.returnChanged(number, 'approved');
    const row = await eventually(() => t.db.shipment.findUnique({ where: { id: returnId } }), (s) => Boolean(s?.registeredAt), 20_000);
    expect(row).toMatchObject({ orderId, returnId, trackingNumber: number, carrier: 'correos', supplier: 'customer', destinationCountry: null, provider: '17track' });

    for (let step = 0; step < 4; step++) await t.http.post(`${t.sims.baseUrl('17track')}/_sim/progress`, { prefixUrl: '', json: { number } });
    await eventually(() => t.db.shipment.findUnique({ where: { id: returnId } }), (s) => s?.status === 'delivered', 20_000);
    const events = await eventsOf(number);
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(['tracking.shipment.registered', 'tracking.shipment.scanned', 'tracking.shipment.status_changed', 'tracking.shipment.estimate_changed']));
    for (const event of events) expect(event.data, event.type).toMatchObject({ orderId, shipmentId: returnId, returnId });
    expect(events.filter((e) => e.type === 'tracking.shipment.status_changed').map((e) => e.data.status)).toEqual(['info_received', 'in_transit', 'out_for_delivery', 'delivered']);
  });

  it('follows nothing for a return that is only requested, and the order’s own parcels carry no returnId', async () => {
    const { returnId, eventId } = await t.returnChanged(correosNumber(), 'requested');
    await eventually(() => t.db.processedEvent.findUnique({ where: { consumer_eventId: { consumer: 'tracking--returns', eventId } } }), Boolean, 20_000);
    expect(await t.db.shipment.findUnique({ where: { id: returnId } })).toBeNull();
    const shipped = correosNumber();
    await t.ship(shipped);
    const own = await eventually(() => eventsOf(shipped), (events) => events.some((e) => e.type === 'tracking.shipment.registered'), 20_000);
    expect(own.every((e) => !('returnId' in e.data))).toBe(true);
  });
});
