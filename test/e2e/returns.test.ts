import { randomInt } from 'node:crypto';
import type { OrderAllocation, OrderBilling } from '@platform/contracts/api/billing';
import type { ReturnView } from '@platform/contracts/api/returns';
import type { TimelineResponse } from '@platform/contracts/api/timeline';
import type { CreateOrderInput, Order } from '@platform/contracts/api/orders';
import { s10TrackingNumber } from '@platform/simulators/tracking-numbers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverParcel, getBilling, getOrder, lifecycleOrder, placePaidOrder, waitForStatus, waitForWorkflow } from '@platform/test-support/lifecycle';
import { DEV_CUSTOMER_ID, DEV_KEYS, eventually, type Platform, startPlatform } from '@platform/test-support/platform';

/**
 * A return from request to refund (issue 11, docs/returns.md), through the gateway on the whole
 * platform: a delivered order, the customer's return of one mug and one charger, ops' approval
 * with the carrier simulator's label, the return parcel scanned back to the hub, inspection (the
 * mug resellable, the charger damaged), stock back for the mug only, the order
 * `partially_returned`, billing's refund less the restocking fee with a credit note, the return
 * `refunded`, the vendor's share reversed; the customer told each step by email, in Spanish;
 * and the requests refused (more units than delivered, after the window).
 */

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform();
});
afterAll(async () => {
  await platform?.stop();
});

const DAY = 86_400_000;
const MUG = 1250;
const CHARGER = 2499;
/** The default return policy's restocking fee for a damaged unit (basis points). */
const DAMAGED_FEE_BPS = 1500;

const ops = () => platform.as(DEV_KEYS.ops);
const customer = () => platform.as(DEV_KEYS.customer);
const returnsOf = async (orderId: string) => ((await customer().get(`v1/orders/${orderId}/returns`)).body as { returns: ReturnView[] }).returns;
const returnBecomes = (orderId: string, returnId: string, status: ReturnView['status']) =>
  eventually(async () => (await returnsOf(orderId)).find((r) => r.returnId === returnId), (r) => r?.status === status, 20_000);
const emailSubjects = (address: string) => platform.stack.smtp!.messages().filter((m) => m.to.includes(address)).map((m) => m.subject);
const stockAt = async (hubId: string, sku: string) =>
  ((await ops().get('v1/hubs')).body as { hubs: Array<{ id: string; stock: Array<{ sku: string; onHand: number }> }> }).hubs.find((h) => h.id === hubId)!.stock.find((s) => s.sku === sku)?.onHand ?? 0;

/** 3 mugs and a charger (in Spanish) of the customer the development customer key stands for, from hub stock (over 50.00: no shipping). */
function hubOrder(): CreateOrderInput {
  const body = lifecycleOrder('own_stock', 'es');
  body.customer.id = DEV_CUSTOMER_ID;
  body.items = [
    { sku: 'MUG-WHT', variantId: 'mug-wht-350', name: 'White mug', quantity: 3, unitPrice: MUG, vendor: { id: 'acme', type: 'brand' }, supplierSource: 'own_stock' },
    { sku: 'CHARGER-USB-C', variantId: 'charger-usb-c-65w', name: 'USB-C charger', quantity: 1, unitPrice: CHARGER, vendor: { id: 'acme', type: 'brand' }, supplierSource: 'own_stock' },
  ];
  return body;
}

/** Placed, paid, handed to Correos at the hub and delivered: the order as a return starts from it. */
async function deliveredOrder(): Promise<Order> {
  const order = await placePaidOrder(platform, hubOrder());
  await waitForWorkflow(platform, order.id, 'supplier_confirmed');
  const trackingNumber = s10TrackingNumber(randomInt(100_000_000), 'RR', 'ES');
  const shipped = await ops().post(`v1/orders/${order.id}/shipments`, { json: { trackingNumber, carrier: 'Correos' } });
  expect(shipped.statusCode, JSON.stringify(shipped.body)).toBe(201);
  await deliverParcel(platform, order.id, trackingNumber);
  return waitForStatus(platform, order.id, 'delivered');
}

/** Credit notes wherever billing lists them with the order's billing: any object numbered `CN-…`. */
function creditNotes(billing: unknown): Array<{ number: string } & Record<string, unknown>> {
  const found: Array<{ number: string } & Record<string, unknown>> = [];
  const visit = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      if (typeof record.number === 'string' && record.number.startsWith('CN-')) found.push(record as { number: string });
      Object.values(record).forEach(visit);
    }
  };
  visit(billing);
  return found;
}

describe('a return from request to refund', () => {
  it('approved with a carrier label, tracked back to the hub, inspected: stock back for the resellable unit, partially_returned, refunded less the restocking fee with a credit note', async () => {
    const order = await deliveredOrder();

    const requested = await customer().post(`v1/orders/${order.id}/returns`, {
      json: { items: [{ sku: 'MUG-WHT', quantity: 1 }, { sku: 'CHARGER-USB-C', quantity: 1 }], reason: 'Not what I expected' },
    });
    expect(requested.statusCode, JSON.stringify(requested.body)).toBe(201);
    const rma = requested.body as ReturnView;
    expect(rma).toMatchObject({ orderId: order.id, status: 'requested', number: `RMA-${order.number}-1` });

    // More units than were delivered minus those already in a return: 3 mugs delivered, 1 in the return.
    const tooMany = await customer().post(`v1/orders/${order.id}/returns`, { json: { items: [{ sku: 'MUG-WHT', quantity: 3 }], reason: 'All of them' } });
    expect(tooMany.statusCode).toBe(422);
    expect(tooMany.headers['content-type']).toContain('application/problem+json');
    expect(tooMany.body).toMatchObject({ code: 'RETURN_EXCEEDS_DELIVERED_UNITS', errors: [{ pointer: '/items/0/quantity', detail: 'at most 2 (delivered minus already returned)' }] });
    // A customer cannot approve their own return.
    expect((await customer().post(`v1/ops/returns/${rma.returnId}/approve`)).statusCode).toBe(403);

    const approved = await ops().post(`v1/ops/returns/${rma.returnId}/approve`);
    expect(approved.statusCode, JSON.stringify(approved.body)).toBe(200);
    const { label, hubId } = approved.body as ReturnView;
    expect(label).toMatchObject({ carrier: 'Correos', trackingNumber: expect.stringMatching(/^RR\d{9}ES$/), labelUrl: expect.stringContaining('postage_label') });
    const bought = ((await platform.simulators.get('easypost/_sim/shipments')).body as Array<Record<string, unknown>>).find((s) => s.tracking_code === label!.trackingNumber);
    expect(bought).toMatchObject({ is_return: true, reference: rma.number });
    const mugsBefore = await stockAt(hubId!, 'MUG-WHT');
    const chargersBefore = await stockAt(hubId!, 'CHARGER-USB-C');

    // The return parcel is tracked like any other; the order stays delivered meanwhile.
    await deliverParcel(platform, order.id, label!.trackingNumber);
    await returnBecomes(order.id, rma.returnId, 'received');
    const returned = await eventually(() => getOrder(platform, order.id), (o) => o.fulfillmentStatus === 'partially_returned', 15_000);
    expect(returned.status).toBe('delivered');

    const inspected = await ops().post(`v1/ops/returns/${rma.returnId}/inspect`, {
      json: { items: [{ sku: 'MUG-WHT', variantId: 'mug-wht-350', condition: 'resellable' }, { sku: 'CHARGER-USB-C', variantId: 'charger-usb-c-65w', condition: 'damaged' }] },
    });
    expect(inspected.statusCode, JSON.stringify(inspected.body)).toBe(200);
    expect((inspected.body as ReturnView).items.map((l) => [l.sku, l.condition, l.restockingFeeBps])).toEqual([['MUG-WHT', 'resellable', 0], ['CHARGER-USB-C', 'damaged', DAMAGED_FEE_BPS]]);
    expect(await stockAt(hubId!, 'MUG-WHT')).toBe(mugsBefore + 1);
    expect(await stockAt(hubId!, 'CHARGER-USB-C')).toBe(chargersBefore);

    // Billing's part (docs/returns.md): the refund less the fee, rounded per line to the minor unit, and its credit note.
    const expected = MUG + Math.round((CHARGER * (10_000 - DAMAGED_FEE_BPS)) / 10_000);
    const billing = await eventually(
      () => getBilling(platform, order.id),
      (b: OrderBilling) => b.refunds.some((r) => r.status === 'succeeded') && creditNotes(b).length > 0,
      20_000,
    );
    expect(billing.refunds.filter((r) => r.status === 'succeeded').map((r) => r.amount)).toEqual([expected]);
    expect(creditNotes(billing).map((n) => n.number)).toEqual([expect.stringMatching(/^CN-\d{4}-\d{6}$/)]);
    await returnBecomes(order.id, rma.returnId, 'refunded');

    const timeline = (await customer().get(`v1/orders/${order.id}/timeline`)).body as TimelineResponse;
    const steps = timeline.entries.flatMap((e) => (e.kind === 'return' ? [e.status] : []));
    expect(steps).toEqual(['requested', 'approved', 'in_transit', 'received', 'inspected', 'refunded']);

    // The vendor gives back its share of what was refunded, and the books still balance.
    const allocation = (await ops().get(`v1/orders/${order.id}/allocation`)).body as OrderAllocation;
    expect(allocation.check).toMatchObject({ balanced: true, refunded: expected });
    expect(allocation.check.reversedEarnings + allocation.check.reversedFees).toBe(expected);

    // Told at each step the customer acts on (in transit and inspected are not news of their own), once each, in Spanish.
    const told = await eventually(async () => emailSubjects(order.customer.email).filter((subject) => subject.includes('devolución')), (subjects) => subjects.length >= 4, 20_000);
    const refundedSubject = `Te hemos reembolsado la devolución del pedido ${order.number}`;
    // Sent by timers a few milliseconds apart: compared as a set, each exactly once.
    expect([...told].sort()).toEqual(
      [
        `Hemos recibido tu solicitud de devolución del pedido ${order.number}`,
        `Hemos aceptado la devolución de tu pedido ${order.number}`,
        `Hemos recibido la devolución de tu pedido ${order.number}`,
        refundedSubject,
      ].sort(),
    );
    expect(platform.stack.smtp!.messages().find((m) => m.subject === refundedSubject)!.text).toContain('33,74');
  });

  it('every delivered unit back: the order becomes returned, and stays so once refunded in full', async () => {
    const order = await deliveredOrder();
    const requested = await customer().post(`v1/orders/${order.id}/returns`, {
      json: { items: [{ sku: 'MUG-WHT', quantity: 3 }, { sku: 'CHARGER-USB-C', quantity: 1 }], reason: 'Ordered by mistake' },
    });
    expect(requested.statusCode, JSON.stringify(requested.body)).toBe(201);
    const rma = requested.body as ReturnView;
    const approved = await ops().post(`v1/ops/returns/${rma.returnId}/approve`);
    expect(approved.statusCode, JSON.stringify(approved.body)).toBe(200);
    await deliverParcel(platform, order.id, (approved.body as ReturnView).label!.trackingNumber);
    await returnBecomes(order.id, rma.returnId, 'received');
    const returned = await waitForStatus(platform, order.id, 'returned');
    expect(returned.fulfillmentStatus).toBe('returned');

    const inspected = await ops().post(`v1/ops/returns/${rma.returnId}/inspect`, {
      json: { items: [{ sku: 'MUG-WHT', variantId: 'mug-wht-350', condition: 'resellable' }, { sku: 'CHARGER-USB-C', variantId: 'charger-usb-c-65w', condition: 'resellable' }] },
    });
    expect(inspected.statusCode, JSON.stringify(inspected.body)).toBe(200);
    await returnBecomes(order.id, rma.returnId, 'refunded');
    const billing = await getBilling(platform, order.id);
    expect(billing.refunds.filter((r) => r.status === 'succeeded').map((r) => r.amount)).toEqual([3 * MUG + CHARGER]);
    // The refund is the return's: the order keeps saying what happened to the goods.
    expect(await getOrder(platform, order.id)).toMatchObject({ status: 'returned', fulfillmentStatus: 'returned' });
  });

  it('refuses a request after the return window, naming the item', async () => {
    const order = await deliveredOrder();
    await platform.advanceClock('fulfillment', 31 * DAY);
    const late = await customer().post(`v1/orders/${order.id}/returns`, { json: { items: [{ sku: 'MUG-WHT', quantity: 1 }], reason: 'Late' } });
    expect(late.statusCode).toBe(422);
    expect(late.headers['content-type']).toContain('application/problem+json');
    expect(late.body).toMatchObject({ code: 'RETURN_WINDOW_CLOSED', errors: [{ pointer: '/items/0/sku', detail: expect.stringContaining('30 days from delivery') }] });
    expect(await returnsOf(order.id)).toEqual([]);
  });
});
