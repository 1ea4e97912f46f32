import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { itemsCancelled, type Parcel, paymentSucceeded, progressChanged, refundSucceeded, workflowTransitioned } from '@platform/contracts';
import type { OrderWithParts, SubOrder } from '@platform/contracts/api/orders';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onItemsCancelled, onPaymentSucceeded, onProgressChanged, onRefundSucceeded, onWorkflowTransitioned } from '../src/consumers/order-progress-consumers';
import { as, orderBody, type OrdersService, placeOrder, startOrdersService } from './orders-service';

/** The vendor split (ORD-05) through the service: split, numbering, roll-up after progress events, vendor isolation. */

let service: OrdersService;
beforeAll(async () => {
  service = await startOrdersService();
});
afterAll(async () => service?.stop());

const at = () => new Date().toISOString();
const vendorHeaders = (id: string) => ({ 'x-actor': `vendor:${id}`, 'x-actor-role': 'vendor' });

/** Vendor ids unique to each test, so vendor lists see only that test's sub-orders. */
function vendors() {
  const tag = randomUUID().slice(0, 8);
  return { a: `acme-${tag}`, z: `zeta-${tag}`, n: `nova-${tag}` };
}

const item = (sku: string, vendorId: string, quantity: number, type: 'brand' | 'distributor' = 'brand') => ({
  sku,
  variantId: `${sku}-v`,
  name: sku,
  quantity,
  unitPrice: 1000,
  vendor: { id: vendorId, type },
});

/** An order of two vendors (ops may name bespoke prices): A's items first and third, Z's second. */
async function twoVendorOrder(v: ReturnType<typeof vendors>) {
  return placeOrder(service, orderBody({ items: [item('A-1', v.a, 1), item('Z-1', v.z, 2, 'distributor'), item('A-2', v.a, 1)] }), as.ops);
}

async function read(id: string): Promise<OrderWithParts> {
  return (await service.app.inject({ method: 'GET', url: `/orders/${id}` })).json();
}

async function subOrder(number: string, headers: Record<string, string> = {}) {
  return service.app.inject({ method: 'GET', url: `/sub-orders/${number}`, headers });
}

function handle<T>(run: (tx: never) => Promise<T>) {
  return service.db.$transaction((tx) => run(tx as never));
}

function pay(orderId: string) {
  const event = service.event(paymentSucceeded, { orderId, paymentId: randomUUID(), provider: 'stripe', providerPaymentId: 'pi_1', amount: 4000, currency: 'EUR', paidAt: at() });
  return handle((tx) => onPaymentSucceeded(service.deps, event, tx));
}

/** Fulfillment's workflow moving the order (it decides from the units: shipped at the first parcel, delivered with the last). */
function workflow(orderId: string, to: 'processing' | 'shipped' | 'delivered') {
  const event = service.event(workflowTransitioned, {
    orderId, from: 'payment_confirmed', to, trigger: 'TEST', retryCount: 0, error: null, willRetry: false, tracking: null, at: at(),
    orderStatus: to, fulfillmentStarted: true,
  });
  return handle((tx) => onWorkflowTransitioned(service.deps, event, tx));
}
const startFulfillment = (orderId: string) => workflow(orderId, 'processing');

type Units = { ordered: number; shipped: number; delivered: number; returned: number; cancelled: number };
const units = (ordered: number, shipped = 0, delivered = 0, cancelled = 0): Units => ({ ordered, shipped, delivered, returned: 0, cancelled });

function parcel(number: number, vendorId: string, sku: string, quantity: number, status: Parcel['status']): Parcel {
  return {
    shipmentId: `00000000-0000-4000-8000-${String(number).padStart(12, '0')}`,
    number,
    of: 2,
    source: 'cj',
    status,
    trackingNumber: `CJ00${number}`,
    carrier: 'YunExpress',
    items: [{ sku, vendorId, quantity }],
    shippedAt: at(),
    deliveredAt: status === 'delivered' ? at() : null,
  };
}

/** What fulfillment reports: each vendor's status and units, every parcel, the cause. */
function progress(orderId: string, report: { vendors: { vendorId: string; fulfillmentStatus: string; units: Units }[]; parcels: Parcel[]; cause: { kind: string; shipmentId: string | null } }) {
  const event = service.event(progressChanged, {
    orderId,
    fulfillmentStatus: 'partially_shipped',
    units: units(4),
    vendors: report.vendors as never,
    parcels: report.parcels,
    cause: report.cause as never,
    at: at(),
  });
  return handle((tx) => onProgressChanged(service.deps, event, tx));
}

const parts = (order: OrderWithParts) => order.subOrders.map((s) => [s.number.slice(order.number.length), s.vendor.id, s.status, s.fulfillmentStatus]);

describe('the split (ORD-05)', () => {
  it('gives each vendor a sub-order numbered from the parent in order of first appearance, with its items and subtotal', async () => {
    const v = vendors();
    const order = await twoVendorOrder(v);
    const detail = await read(order.id);
    expect(parts(detail)).toEqual([
      ['-1', v.a, 'pending', 'not_fulfilled'],
      ['-2', v.z, 'pending', 'not_fulfilled'],
    ]);
    const [a, z] = detail.subOrders as [SubOrder, SubOrder];
    expect(a).toMatchObject({ number: `${order.number}-1`, orderId: order.id, orderNumber: order.number, subtotal: 2000, currency: 'EUR', units: units(2) });
    expect(a.items.map((i) => i.sku)).toEqual(['A-1', 'A-2']);
    expect(z).toMatchObject({ vendor: { id: v.z, type: 'distributor' }, subtotal: 2000, items: [expect.objectContaining({ sku: 'Z-1', quantity: 2 })] });

    const listed = await service.app.inject({ method: 'GET', url: `/orders/${order.id}/sub-orders`, headers: as.customer(order.customer.id) });
    expect(listed.json().items.map((s: SubOrder) => s.number)).toEqual([a.number, z.number]);
    const events = await service.db.outboxEvent.findMany({ where: { type: 'orders.sub_order.status_changed', aggregateId: { in: [a.id, z.id] } } });
    expect(events.map((e) => (e.envelope as { data: { number: string; previousStatus: null } }).data)).toEqual(
      expect.arrayContaining([expect.objectContaining({ number: a.number, status: 'pending', previousStatus: null }), expect.objectContaining({ number: z.number })]),
    );
  });

  it('gives a one-vendor order one sub-order', async () => {
    const order = await placeOrder(service);
    expect((await read(order.id)).subOrders.map((s) => s.number)).toEqual([`${order.number}-1`]);
  });

  it('numbers the parts of an order past ORD-999999 from its whole number', async () => {
    await service.db.$queryRaw`SELECT setval(pg_get_serial_sequence('orders', 'number'), 1234566)`;
    const order = await placeOrder(service);
    expect(order.number).toBe('ORD-1234567');
    expect((await read(order.id)).subOrders.map((s) => s.number)).toEqual(['ORD-1234567-1']);
  });

  it('splits again on a modification: a kept vendor keeps its number, a new one takes the next, a gone one is cancelled', async () => {
    const v = vendors();
    const order = await twoVendorOrder(v);
    const patched = await service.app.inject({
      method: 'PATCH',
      url: `/orders/${order.id}`,
      headers: { ...as.ops, 'if-match': `"${order.version}"` },
      payload: { items: [item('N-1', v.n, 1), item('Z-1', v.z, 3, 'distributor')] },
    });
    expect(patched.statusCode).toBe(200);
    const detail = await read(order.id);
    expect(parts(detail)).toEqual([
      ['-1', v.a, 'cancelled', 'cancelled'],
      ['-2', v.z, 'pending', 'not_fulfilled'],
      ['-3', v.n, 'pending', 'not_fulfilled'],
    ]);
    expect(detail.subOrders[1]).toMatchObject({ subtotal: 3000, units: units(3), items: [expect.objectContaining({ sku: 'Z-1', quantity: 3 })] });
    const history = (await subOrder(`${order.number}-1`)).json().history;
    expect(history.at(-1)).toMatchObject({ status: 'cancelled', previousStatus: 'pending', details: "The vendor's items were removed from the order" });
  });
});

describe("the parts follow the parent's journey and their vendors' progress; the parent's fulfillment status rolls up", () => {
  it('confirmed and processing with the parent; shipped and delivered per vendor; the parent partially so until every part is', async () => {
    const v = vendors();
    const order = await twoVendorOrder(v);
    await pay(order.id);
    await startFulfillment(order.id);
    expect(parts(await read(order.id)).map((p) => p[2])).toEqual(['processing', 'processing']);

    const aShipped = parcel(1, v.a, 'A-1', 2, 'in_transit');
    await progress(order.id, {
      vendors: [
        { vendorId: v.a, fulfillmentStatus: 'shipped', units: units(2, 2) },
        { vendorId: v.z, fulfillmentStatus: 'not_fulfilled', units: units(2) },
      ],
      parcels: [aShipped],
      cause: { kind: 'parcel_shipped', shipmentId: aShipped.shipmentId },
    });
    await workflow(order.id, 'shipped');
    let detail = await read(order.id);
    expect(parts(detail)).toEqual([
      ['-1', v.a, 'shipped', 'shipped'],
      ['-2', v.z, 'processing', 'not_fulfilled'],
    ]);
    expect([detail.status, detail.fulfillmentStatus]).toEqual(['shipped', 'partially_shipped']);
    expect(detail.subOrders[0]!.parcels).toEqual([aShipped]);
    expect(detail.subOrders[1]!.parcels).toEqual([]);

    const aDelivered = { ...aShipped, status: 'delivered' as const, deliveredAt: at() };
    const zShipped = parcel(2, v.z, 'Z-1', 2, 'in_transit');
    await progress(order.id, {
      vendors: [
        { vendorId: v.a, fulfillmentStatus: 'fulfilled', units: units(2, 2, 2) },
        { vendorId: v.z, fulfillmentStatus: 'shipped', units: units(2, 2) },
      ],
      parcels: [aDelivered, zShipped],
      cause: { kind: 'parcel_shipped', shipmentId: zShipped.shipmentId },
    });
    detail = await read(order.id);
    expect(parts(detail).map((p) => p[2])).toEqual(['delivered', 'shipped']);
    expect([detail.status, detail.fulfillmentStatus]).toEqual(['shipped', 'partially_fulfilled']);

    await progress(order.id, {
      vendors: [
        { vendorId: v.a, fulfillmentStatus: 'fulfilled', units: units(2, 2, 2) },
        { vendorId: v.z, fulfillmentStatus: 'fulfilled', units: units(2, 2, 2) },
      ],
      parcels: [aDelivered, { ...zShipped, status: 'delivered', deliveredAt: at() }],
      cause: { kind: 'parcel_delivered', shipmentId: zShipped.shipmentId },
    });
    await workflow(order.id, 'delivered');
    detail = await read(order.id);
    expect([detail.status, detail.fulfillmentStatus]).toEqual(['delivered', 'fulfilled']);
    expect(parts(detail).map((p) => p[2])).toEqual(['delivered', 'delivered']);

    const history = (await subOrder(`${order.number}-2`)).json().history.map((h: { status: string; details: string }) => `${h.status}: ${h.details}`);
    expect(history).toEqual([
      'pending: Split from the order by vendor',
      'confirmed: Payment received (stripe)',
      'processing: Fulfillment started',
      'shipped: Parcel 2 of 2 shipped (YunExpress CJ002)',
      'delivered: Parcel 2 of 2 delivered (YunExpress CJ002)',
    ]);
    // The parts add no entries of their own to the order's timeline: the workflow moved it.
    const timeline = (await service.app.inject({ method: 'GET', url: `/orders/${order.id}/history` })).json().entries;
    expect(timeline.map((e: { status: string }) => e.status)).toEqual(['pending', 'confirmed', 'processing', 'shipped', 'delivered']);
  });

  it('cancels a part whose units fulfillment cancelled, all of them; the order is fulfilled when the rest is delivered', async () => {
    const v = vendors();
    const order = await twoVendorOrder(v);
    await pay(order.id);
    await startFulfillment(order.id);
    const cancel = (quantity: number) =>
      handle((tx) =>
        onItemsCancelled(
          service.deps,
          service.event(itemsCancelled, {
            orderId: order.id, cancellationId: randomUUID(), reason: 'CJ refused: out of stock', cause: 'supplier_refused', source: 'cj',
            items: [{ sku: 'Z-1', variantId: 'Z-1-v', vendorId: v.z, quantity }], at: at(),
          }),
          tx,
        ),
      );
    await cancel(1);
    expect(parts(await read(order.id))[1]).toEqual(['-2', v.z, 'processing', 'not_fulfilled']);
    await cancel(1);
    let detail = await read(order.id);
    expect(parts(detail)[1]).toEqual(['-2', v.z, 'cancelled', 'cancelled']);
    expect(detail.subOrders[1]!.units).toEqual(units(2, 0, 0, 2));
    expect((await subOrder(`${order.number}-2`)).json().history.at(-1)).toMatchObject({ status: 'cancelled', details: 'CJ refused: out of stock', actor: 'fulfillment' });
    expect(detail.status).toBe('processing');

    const delivered = parcel(1, v.a, 'A-1', 2, 'delivered');
    await progress(order.id, {
      vendors: [
        { vendorId: v.a, fulfillmentStatus: 'fulfilled', units: units(2, 2, 2) },
        { vendorId: v.z, fulfillmentStatus: 'cancelled', units: units(2, 0, 0, 2) },
      ],
      parcels: [delivered],
      cause: { kind: 'parcel_delivered', shipmentId: delivered.shipmentId },
    });
    detail = await read(order.id);
    expect(detail.fulfillmentStatus).toBe('fulfilled');
  });

  it('cancels the order once fulfillment cancelled every unit of every part', async () => {
    const v = vendors();
    const order = await twoVendorOrder(v);
    await pay(order.id);
    await startFulfillment(order.id);
    const cancel = (vendorId: string, sku: string, quantity: number) =>
      handle((tx) =>
        onItemsCancelled(
          service.deps,
          service.event(itemsCancelled, {
            orderId: order.id, cancellationId: randomUUID(), reason: 'Supplier refused', cause: 'supplier_refused', source: 'cj',
            items: [{ sku, variantId: `${sku}-v`, vendorId, quantity }], at: at(),
          }),
          tx,
        ),
      );
    await cancel(v.z, 'Z-1', 2);
    expect((await read(order.id)).status).toBe('processing');
    await cancel(v.a, 'A-1', 2);
    const detail = await read(order.id);
    expect([detail.status, detail.fulfillmentStatus]).toEqual(['cancelled', 'cancelled']);
    const timeline = (await service.app.inject({ method: 'GET', url: `/orders/${order.id}/history` })).json().entries;
    expect(timeline.at(-1)).toMatchObject({ status: 'cancelled', previousStatus: 'processing', details: 'Every part was cancelled', actor: 'fulfillment' });
  });

  it("cancels every part with the order, and refunds them with the order's refund", async () => {
    const v = vendors();
    const order = await twoVendorOrder(v);
    await pay(order.id);
    const cancelled = await service.app.inject({ method: 'POST', url: `/orders/${order.id}/cancel`, headers: as.customer(order.customer.id), payload: { reason: 'Changed my mind' } });
    expect(cancelled.statusCode).toBe(200);
    expect(parts(await read(order.id)).map((p) => [p[2], p[3]])).toEqual([
      ['cancelled', 'cancelled'],
      ['cancelled', 'cancelled'],
    ]);
    const refund = service.event(refundSucceeded, {
      orderId: order.id, refundId: randomUUID(), paymentId: randomUUID(), providerRefundId: 're_1', amount: 4000, currency: 'EUR', reason: 'order cancelled', refundedAt: at(),
    });
    await handle((tx) => onRefundSucceeded(service.deps, refund, tx));
    const detail = await read(order.id);
    expect(detail.status).toBe('refunded');
    expect(parts(detail).map((p) => p[2])).toEqual(['refunded', 'refunded']);
    expect((await subOrder(`${order.number}-1`)).json().history.map((h: { status: string }) => h.status)).toEqual(['pending', 'confirmed', 'cancelled', 'refunded']);
  });
});

describe('who sees a sub-order', () => {
  it("lets a vendor list and read only its own parts, never another vendor's or the order", async () => {
    const v = vendors();
    const first = await twoVendorOrder(v);
    const second = await twoVendorOrder(v);
    const list = await service.app.inject({ method: 'GET', url: `/sub-orders?vendorId=${v.z}&limit=1`, headers: vendorHeaders(v.a) });
    expect(list.statusCode).toBe(403);
    const page1 = (await service.app.inject({ method: 'GET', url: '/sub-orders?limit=1', headers: vendorHeaders(v.a) })).json();
    expect(page1.items.map((s: SubOrder) => s.number)).toEqual([`${second.number}-1`]);
    const page2 = (await service.app.inject({ method: 'GET', url: `/sub-orders?limit=1&cursor=${page1.nextCursor}`, headers: vendorHeaders(v.a) })).json();
    expect([page2.items.map((s: SubOrder) => s.number), page2.nextCursor]).toEqual([[`${first.number}-1`], null]);

    const own = await subOrder(`${first.number}-1`, vendorHeaders(v.a));
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ vendor: { id: v.a }, history: [expect.objectContaining({ status: 'pending' })] });
    expect(own.json()).not.toHaveProperty('customer');
    const foreign = await subOrder(`${first.number}-2`, vendorHeaders(v.a));
    const missing = await subOrder(`${first.number}-9`, vendorHeaders(v.a));
    // Another vendor's part answers exactly like a missing one.
    expect([foreign.statusCode, foreign.json().code, foreign.json().title]).toEqual([404, 'SUB_ORDER_NOT_FOUND', `Sub-order ${first.number}-2 does not exist`]);
    expect([missing.statusCode, missing.json().code, missing.json().title]).toEqual([404, 'SUB_ORDER_NOT_FOUND', `Sub-order ${first.number}-9 does not exist`]);

    for (const url of [`/orders/${first.id}`, `/orders/${first.id}/sub-orders`, `/orders/${first.id}/history`]) {
      expect((await service.app.inject({ method: 'GET', url, headers: vendorHeaders(v.a) })).statusCode, url).toBe(404);
    }
    expect((await service.app.inject({ method: 'GET', url: '/orders', headers: vendorHeaders(v.a) })).statusCode).toBe(403);
  });

  it("lets a customer read the parts of its own order only, and lists no vendor's", async () => {
    const v = vendors();
    const order = await twoVendorOrder(v);
    expect((await subOrder(`${order.number}-2`, as.customer(order.customer.id))).statusCode).toBe(200);
    expect((await subOrder(`${order.number}-2`, as.customer('someone-else'))).statusCode).toBe(404);
    expect((await service.app.inject({ method: 'GET', url: `/sub-orders?vendorId=${v.a}`, headers: as.customer(order.customer.id) })).statusCode).toBe(403);
    const ops = (await service.app.inject({ method: 'GET', url: `/sub-orders?vendorId=${v.z}`, headers: as.ops })).json();
    expect(ops.items.map((s: SubOrder) => s.number)).toEqual([`${order.number}-2`]);
  });
});

describe('orders placed before the split', () => {
  /** The migration's backfill statements (everything after its `-- Backfill` comment), one by one. */
  const migration = readFileSync(new URL('../prisma/migrations/20261203190500_sub_orders/migration.sql', import.meta.url), 'utf8');
  const backfill = migration
    .slice(migration.indexOf('-- Backfill'))
    .split(/;\s*\n/)
    .filter((statement) => statement.includes('INSERT'));

  it('get from the migration the sub-orders the split would have given them, with a first history entry', async () => {
    const v = vendors();
    const pending = await twoVendorOrder(v);
    const cancelled = await twoVendorOrder(v);
    await service.app.inject({ method: 'POST', url: `/orders/${cancelled.id}/cancel`, headers: as.ops, payload: { reason: 'test' } });
    const split = [...(await read(pending.id)).subOrders, ...(await read(cancelled.id)).subOrders];
    await service.db.subOrder.deleteMany({ where: { orderId: { in: [pending.id, cancelled.id] } } });
    expect((await read(pending.id)).subOrders).toEqual([]);

    for (const statement of backfill) await service.db.$executeRawUnsafe(statement);
    const backfilled = [...(await read(pending.id)).subOrders, ...(await read(cancelled.id)).subOrders];
    const essence = (s: SubOrder) => [s.number, s.vendor, s.items, s.subtotal, s.status, s.fulfillmentStatus, s.units.ordered];
    expect(backfilled.map(essence)).toEqual(split.map(essence));
    expect(backfilled.map((s) => s.units.cancelled)).toEqual([0, 0, 2, 2]);
    expect((await subOrder(`${pending.number}-2`)).json().history).toEqual([
      expect.objectContaining({ status: 'pending', previousStatus: null, details: 'Split from the order by vendor (order placed before the split)' }),
    ]);
  });
});
