import { randomUUID } from 'node:crypto';
import { newEvent } from '@platform/runtime/outbox';
import { returnChanged, type ReturnStatus } from '@platform/contracts';
import type { Order } from '@platform/contracts/api/orders';
import got from 'got';
import { describe, expect, it } from 'vitest';
import { billingOf, call, created, type Harness, harness, type Json, pay, sampleOrder, snapshot } from './harness';

/** Two vendors: a brand (2 × 1250) and a distributor (1 × 499), 500 shipping: 3499. */
function twoVendorOrder(): Order {
  const order = sampleOrder();
  order.items[0]!.vendor = { id: 'brand-1', type: 'brand' };
  order.items[1]!.vendor = { id: 'dist-1', type: 'distributor' };
  return order;
}

type Line = { sku: string; variantId: string; vendorId: string; quantity: number; condition: 'resellable' | 'damaged' | null; restockingFeeBps: number | null };

/** `fulfillment.return.changed` as fulfillment records it: the whole return at one step. */
function returnEvent(order: Order, returnId: string, status: ReturnStatus, items: Line[]) {
  return newEvent(returnChanged, {
    aggregateId: order.id,
    source: 'fulfillment',
    data: {
      returnId,
      orderId: order.id,
      number: 'RMA-000042',
      status,
      previousStatus: status === 'inspected' ? 'received' : null,
      reason: 'Does not fit',
      items,
      label: { carrier: 'dhl', trackingNumber: 'JD014600000000000001', labelUrl: 'https://labels.example/1.pdf' },
      hubId: 'hub-1',
      refusalReason: null,
      actor: 'ops:key-1',
      at: new Date().toISOString(),
    },
  });
}

const year = new Date().getUTCFullYear();
const refundCalls = (h: Harness, orderId: string) =>
  h.sim.controls.stripe.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/v1/refunds') && (r.body as Json)['metadata[order_id]'] === orderId);
const byVendor = (a: Json) => Object.fromEntries(a.vendors.map((v: Json) => [v.vendorId, [v.reversedFees + v.reversedEarnings]]));
/** The ops refund as the gateway forwards it (the acting key in `x-actor`); `http`: the answer's status (a refund has its own). */
async function opsRefund(h: Harness, orderId: string, json: object, headers: Record<string, string> = {}): Promise<Json> {
  const response = await got.post(`${h.url}/orders/${orderId}/refunds`, { json, headers: { 'x-actor': 'ops:key-7', 'x-actor-role': 'ops', ...headers }, throwHttpErrors: false });
  return { http: response.statusCode, ...JSON.parse(response.body) };
}

async function paidOrder(h: Harness): Promise<Order> {
  const order = twoVendorOrder();
  await h.deliver(created(order));
  await pay(h, order.id);
  return order;
}

describe('billing: a return refunds once, at inspection, less the restocking fee', () => {
  it('refunds each line less its fee (half up), issues a credit note, reverses the vendors, and refunds nothing more on replay', async () => {
    const h = await harness();
    const order = await paidOrder(h);
    const returnId = randomUUID();
    const items: Line[] = [
      { sku: 'SKU-A', variantId: 'v-a', vendorId: 'brand-1', quantity: 1, condition: null, restockingFeeBps: null },
      { sku: 'SKU-B', variantId: 'v-b', vendorId: 'dist-1', quantity: 1, condition: null, restockingFeeBps: null },
    ];
    // Steps before inspection move no money.
    const before = await snapshot(h.db);
    for (const status of ['requested', 'approved', 'in_transit', 'received'] as const) await h.deliver(returnEvent(order, returnId, status, items));
    expect(await snapshot(h.db)).toEqual(before);

    const inspected = returnEvent(order, returnId, 'inspected', [
      { ...items[0]!, condition: 'resellable', restockingFeeBps: 0 },
      { ...items[1]!, condition: 'damaged', restockingFeeBps: 1500 },
    ]);
    await h.deliver(inspected);
    // 1250 + 499 × 0.85 = 424.15 → 424: 1674.
    let billing = await billingOf(h, order.id);
    expect(billing.refunds).toMatchObject([{ amount: 1674, status: 'succeeded', returnId, requestedBy: null, reason: 'Return RMA-000042: Does not fit' }]);
    expect(billing.invoices[0]).toMatchObject({ status: 'paid', total: 3499 - 1674, amountRefunded: 1674 });
    expect(billing.creditNotes).toEqual([
      {
        id: expect.any(String),
        number: `CN-${year}-000001`,
        invoiceId: billing.invoices[0].id,
        refundId: billing.refunds[0].id,
        amount: 1674,
        currency: 'EUR',
        reason: 'Return RMA-000042: Does not fit',
        lines: [
          { description: 'Widget', sku: 'SKU-A', quantity: 1, unitAmount: 1250, restockingFeeBps: 0, amount: 1250 },
          { description: 'Gadget', sku: 'SKU-B', quantity: 1, unitAmount: 499, restockingFeeBps: 1500, amount: 424 },
        ],
        issuedAt: expect.any(String),
      },
    ]);
    const succeeded = await h.db.outboxEvent.findMany({ where: { aggregateId: order.id, type: 'billing.refund.succeeded' } });
    expect(succeeded.map((e) => (e.envelope as Json).data)).toMatchObject([{ refundId: billing.refunds[0].id, amount: 1674, returnId, remainingPaid: 3499 - 1674 }]);
    expect(refundCalls(h, order.id).map((r) => r.headers['idempotency-key'])).toEqual([billing.refunds[0].id]);
    // Each vendor gives back its own lines: the brand 1250, the distributor 424.
    const allocation = await call(h, 'GET', `/orders/${order.id}/allocation`);
    expect(byVendor(allocation)).toEqual({ 'brand-1': [1250], 'dist-1': [424] });
    expect(allocation.check).toMatchObject({ refunded: 1674, balanced: true });

    // Redelivered, and resent under a new envelope id: still one refund, one credit note, one Stripe call.
    const after = await snapshot(h.db);
    await h.deliver(inspected);
    await h.deliver({ ...inspected, id: randomUUID() });
    expect(await snapshot(h.db)).toEqual(after);
    billing = await billingOf(h, order.id);
    expect(billing.creditNotes).toHaveLength(1);
    expect(refundCalls(h, order.id)).toHaveLength(1);
  });

  it('caps a vendor at what it still holds, and the credit note shows the cap', async () => {
    const h = await harness();
    const order = await paidOrder(h);
    // Ops gave 3000 back already, from every vendor in proportion: the brand holds 417 of its 2917.
    expect(await opsRefund(h, order.id, { amount: 3000, reason: 'Goodwill' })).toMatchObject({ http: 201 });
    const held = (await call(h, 'GET', `/orders/${order.id}/allocation`)).vendors.find((v: Json) => v.vendorId === 'brand-1');
    const brandHolds = held.allocated - held.reversedFees - held.reversedEarnings;
    expect(brandHolds).toBeLessThan(2500);

    const returnId = randomUUID();
    await h.deliver(returnEvent(order, returnId, 'inspected', [{ sku: 'SKU-A', variantId: 'v-a', vendorId: 'brand-1', quantity: 2, condition: 'resellable', restockingFeeBps: 0 }]));
    const billing = await billingOf(h, order.id);
    const refund = billing.refunds.find((r: Json) => r.returnId === returnId);
    expect(refund).toMatchObject({ amount: brandHolds, status: 'succeeded' });
    expect(billing.creditNotes.map((n: Json) => [n.number, n.amount])).toEqual([
      [`CN-${year}-000001`, 3000],
      [`CN-${year}-000002`, brandHolds],
    ]);
    expect(billing.creditNotes[1].lines.map((l: Json) => l.amount)).toEqual([2500, brandHolds - 2500]);
    const brand = (await call(h, 'GET', `/orders/${order.id}/allocation`)).vendors.find((v: Json) => v.vendorId === 'brand-1');
    expect(brand.allocated - brand.reversedFees - brand.reversedEarnings).toBe(0);
  });
});

describe('billing: an ops refund (POST /orders/:orderId/refunds)', () => {
  it('refunds part of an order, audited with the acting key; an Idempotency-Key repeat answers the same refund; over the refundable amount is 422', async () => {
    const h = await harness();
    const order = await paidOrder(h);

    const tooMuch = await opsRefund(h, order.id, { amount: 3500, reason: 'Damaged in transit' });
    expect(tooMuch).toMatchObject({ http: 422, code: 'REFUND_EXCEEDS_REFUNDABLE', errors: [{ pointer: '/body/amount', detail: 'at most 3499 is refundable' }] });
    const noReason = await opsRefund(h, order.id, { amount: 100 });
    expect(noReason).toMatchObject({ http: 400, code: 'VALIDATION_FAILED' });
    expect(noReason.errors.map((e: Json) => e.pointer)).toContain('/reason');

    const key = { 'idempotency-key': `refund-${randomUUID()}` };
    const first = await opsRefund(h, order.id, { amount: 1000, reason: 'Damaged in transit' }, key);
    expect(first).toMatchObject({ http: 201, status: 'succeeded', amount: 1000, requestedBy: 'ops:key-7', returnId: null });
    expect((await billingOf(h, order.id)).refunds[0]).toMatchObject({ id: first.id, status: 'succeeded' });
    const again = await opsRefund(h, order.id, { amount: 1000, reason: 'Damaged in transit' }, key);
    expect(again).toMatchObject({ http: 200, id: first.id });
    expect(refundCalls(h, order.id)).toHaveLength(1);
    const reused = await opsRefund(h, order.id, { amount: 900, reason: 'Damaged in transit' }, key);
    expect(reused).toMatchObject({ http: 409, code: 'IDEMPOTENCY_KEY_REUSED', errors: [{ pointer: '/headers/idempotency-key' }] });

    // The rest is 2499: exactly that much may go back, and the invoice is then void.
    expect(await opsRefund(h, order.id, { amount: 2500, reason: 'Too much' })).toMatchObject({ http: 422, errors: [{ detail: 'at most 2499 is refundable' }] });
    expect(await opsRefund(h, order.id, { amount: 2499, reason: 'Order lost' })).toMatchObject({ http: 201, requestedBy: 'ops:key-7' });
    const billing = await billingOf(h, order.id);
    expect(billing.invoices[0]).toMatchObject({ status: 'void', amountRefunded: 3499 });
    expect(billing.creditNotes.map((n: Json) => [n.number, n.amount, n.lines])).toEqual([
      [`CN-${year}-000001`, 1000, [{ description: 'Damaged in transit', sku: null, quantity: 1, unitAmount: 1000, restockingFeeBps: null, amount: 1000 }]],
      [`CN-${year}-000002`, 2499, [{ description: 'Order lost', sku: null, quantity: 1, unitAmount: 2499, restockingFeeBps: null, amount: 2499 }]],
    ]);
    const allocation = await call(h, 'GET', `/orders/${order.id}/allocation`);
    expect(allocation.check).toMatchObject({ paid: 3499, refunded: 3499, balanced: true });
    expect(await opsRefund(h, randomUUID(), { amount: 1, reason: 'x' })).toMatchObject({ http: 404 });
  });

  it('numbers credit notes issued at the same time gap-free and unique', async () => {
    const h = await harness();
    const orders = [];
    for (let n = 0; n < 6; n += 1) orders.push(await paidOrder(h));
    const answers = await Promise.all(orders.map((order) => opsRefund(h, order.id, { amount: 700, reason: 'Late delivery' })));
    expect(answers.map((a) => a.http)).toEqual(orders.map(() => 201));
    const notes = await h.db.creditNote.findMany();
    expect(notes.map((n) => n.number).sort()).toEqual(orders.map((_, n) => `CN-${year}-00000${n + 1}`));
    // Invoices were numbered in their own series meanwhile.
    expect((await h.db.invoice.findMany()).map((i) => i.number).sort()).toEqual(orders.map((_, n) => `INV-00000${n + 1}`));
    expect(await got(`${h.url}/orders/${orders[0]!.id}/billing`).json<Json>()).toMatchObject({ creditNotes: [{ amount: 700 }] });
  });
});
