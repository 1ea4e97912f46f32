import { randomUUID } from 'node:crypto';
import { newEvent } from '@platform/runtime/outbox';
import { publishEnvelope } from '@platform/runtime/nats';
import { availabilityChanged, type EventData, orderCreated } from '@platform/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@platform/test-support/eventually';
import { connectMessaging, type Messaging } from '@platform/test-support/messaging';
import { recordedEvents } from '@platform/test-support/recorded-events';
import { as, orderBody, type OrdersService, startOrdersService } from './orders-service';

/**
 * Availability at quote and order time (FUL-03): fulfillment's reports reach the read model over
 * JetStream (`orders--availability`), as in production; quotes and new orders are checked against it.
 */

let service: OrdersService;
let messaging: Messaging;
// SKUs of this run only: the FULFILLMENT stream is shared by the test run.
const run = randomUUID().slice(0, 8).toUpperCase();
const MUG = `MUG-${run}`;
const TEA = `TEA-${run}`;
const LAMP = `LAMP-${run}`;
const GONE = `GONE-${run}`;

beforeAll(async () => {
  messaging = await connectMessaging();
  service = await startOrdersService({ workers: true });
  const entries = [
    [MUG, 1250],
    [TEA, 899],
    [LAMP, 3000],
    [GONE, 500],
  ].map(([sku, unitPrice]) => ({ sku, source: 'PRICEBOOK_GLOBAL', currency: 'EUR', unitPrice }));
  expect((await service.app.inject({ method: 'PUT', url: '/price-book/entries', headers: as.admin, payload: { entries } })).statusCode).toBe(200);
});
afterAll(async () => {
  await service?.stop();
  await messaging?.nc.drain();
});

type Report = Omit<EventData<typeof availabilityChanged>, 'at'> & { at?: string };

/** Publishes what fulfillment would, and waits until the read model has it. */
async function report(...reports: Report[]) {
  for (const r of reports) {
    const data = { at: new Date().toISOString(), ...r };
    await publishEnvelope(messaging.js, newEvent(availabilityChanged, { aggregateId: r.sku, source: 'fulfillment', data }));
  }
  // Every report: reports of different SKUs are applied side by side, in no set order.
  for (const r of reports) {
    await eventually(
      () => service.db.stockAvailability.findUnique({ where: { sku: r.sku } }),
      (row) => row?.available === r.available && row.policy === r.policy,
    );
  }
}

const stock = (sku: string, available: number, fields: Partial<Report> = {}): Report => ({ sku, available, policy: null, substituteSku: null, restockExpectedAt: null, ...fields });
const item = (sku: string, quantity: number, extra: object = {}) => ({ sku, variantId: `${sku.toLowerCase()}-v`, name: sku, quantity, vendor: { id: 'acme', type: 'brand' as const }, ...extra });
/** The order's `orders.order.created` (its workers run: published, or still in the outbox). */
const orderCreatedEvents = async (orderId: string) =>
  (await recordedEvents(service.db, service.runtime.messaging, orderCreated.type)).filter((event) => event.aggregateId === orderId);
const create = (items: ReturnType<typeof item>[], extra: object = {}) => service.app.inject({ method: 'POST', url: '/orders', payload: { ...orderBody({ items }), ...extra } });
const quote = (items: Array<{ sku: string; quantity: number }>, extra: object = {}) =>
  service.app.inject({ method: 'POST', url: '/quotes', payload: { country: 'ES', currency: 'EUR', items: items.map((i) => ({ ...i, variantId: `${i.sku.toLowerCase()}-v` })), ...extra } });

describe('availability at quote and order time (FUL-03)', () => {
  it('quotes each line available, short (with what the policy will do) or not tracked', async () => {
    await report(stock(TEA, 50), stock(MUG, 2, { policy: 'substitute', substituteSku: TEA }), stock(LAMP, 1, { restockExpectedAt: '2030-05-01T00:00:00.000Z' }));
    const response = await quote([{ sku: MUG, quantity: 1 }, { sku: MUG, quantity: 3 }, { sku: LAMP, quantity: 2 }, { sku: 'CJ-ONLY', quantity: 1 }]);
    expect(response.statusCode).toBe(200);
    expect(response.json().lines.map((l: { availability: unknown }) => l.availability)).toEqual([
      { status: 'available', available: 2, shortQuantity: 0, resolution: null },
      { status: 'short', available: 1, shortQuantity: 2, resolution: { policy: 'substitute', substituteSku: TEA, expectedAt: null } },
      { status: 'short', available: 1, shortQuantity: 1, resolution: null },
      { status: 'not_tracked', available: null, shortQuantity: 0, resolution: null },
    ]);
    // The customer's own policy for the order overrides the SKU's.
    const backorder = await quote([{ sku: LAMP, quantity: 2 }], { shortStockPolicy: 'backorder' });
    expect(backorder.json().lines[0].availability.resolution).toEqual({ policy: 'backorder', substituteSku: null, expectedAt: '2030-05-01T00:00:00.000Z' });
  });

  it('refuses a short line no policy answers, naming it, and stores nothing', async () => {
    await report(stock(LAMP, 1));
    const before = await service.db.order.count();
    const refused = await create([item(TEA, 1), item(LAMP, 3)]);
    expect(refused.statusCode).toBe(409);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json()).toMatchObject({ code: 'INSUFFICIENT_STOCK', errors: [{ pointer: '/items/1', detail: expect.stringContaining(`only 1 of ${LAMP} available`) }] });
    expect(await service.db.order.count()).toBe(before);
  });

  it('substitute: the line becomes the configured equivalent, priced as such, and the customer is told', async () => {
    await report(stock(TEA, 50), stock(MUG, 0, { policy: 'substitute', substituteSku: TEA }));
    const created = await create([item(MUG, 2)]);
    expect(created.statusCode).toBe(201);
    const order = created.json();
    expect(order.items[0]).toMatchObject({ sku: TEA, quantity: 2, unitPrice: 899, lineTotal: 1798, shortStock: { policy: 'substitute', shortQuantity: 2, substitutedFor: MUG, expectedAt: null } });
    const [published] = await orderCreatedEvents(order.id);
    expect(published).toMatchObject({ type: 'orders.order.created', data: { items: [{ sku: TEA, shortStock: { substitutedFor: MUG } }] } });
    expect((await service.app.inject({ method: 'GET', url: `/orders/${order.id}` })).json().items[0].shortStock).toEqual(order.items[0].shortStock);
  });

  it('partial: accepted with the shortfall stated; the order carries its policy to fulfillment', async () => {
    await report(stock(LAMP, 1, { policy: 'partial' }));
    const created = await create([item(LAMP, 3)], { shortStockPolicy: 'partial' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ shortStockPolicy: 'partial', items: [{ sku: LAMP, quantity: 3, lineTotal: 9000, shortStock: { policy: 'partial', shortQuantity: 2, substitutedFor: null } }] });
    const [published] = await orderCreatedEvents(created.json().id);
    expect(published!.data).toMatchObject({ shortStockPolicy: 'partial' });
  });

  it('backorder: accepted with the expected date', async () => {
    await report(stock(GONE, 0, { policy: 'backorder', restockExpectedAt: '2030-06-01T00:00:00.000Z' }));
    const created = await create([item(GONE, 1)]);
    expect(created.statusCode).toBe(201);
    expect(created.json().items[0].shortStock).toEqual({ policy: 'backorder', shortQuantity: 1, substitutedFor: null, expectedAt: '2030-06-01T00:00:00.000Z' });
  });

  it('checks neither supplier-sourced items nor SKUs fulfillment never reported; an older report never replaces a newer one', async () => {
    await report(stock(LAMP, 0));
    // Internal caller: may price the unlisted SKU itself.
    const created = await create([item(LAMP, 2, { supplierSource: 'cj' }), item(`NEW-${run}`, 1, { unitPrice: 100 })]);
    expect(created.statusCode).toBe(201);
    expect(created.json().items.map((i: { shortStock?: unknown }) => i.shortStock)).toEqual([undefined, undefined]);

    const now = Date.now();
    await report(stock(LAMP, 5, { at: new Date(now).toISOString() }));
    const late = { at: new Date(now - 60_000).toISOString(), ...stock(LAMP, 9, { policy: 'partial' }) };
    await publishEnvelope(messaging.js, newEvent(availabilityChanged, { aggregateId: LAMP, source: 'fulfillment', data: late }));
    // A later report of another SKU: once it is in, the late one (before it in the stream) was handled.
    await report(stock(GONE, 7));
    expect(await service.db.stockAvailability.findUnique({ where: { sku: LAMP } })).toMatchObject({ available: 5, policy: null });
  });
});
