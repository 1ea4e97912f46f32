import { randomUUID } from 'node:crypto';
import { paymentSucceeded, progressChanged, refundSucceeded, trackingStatusChanged, workflowTransitioned } from '@platform/contracts';
import type { Order } from '@platform/contracts/api/orders';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPaymentSucceeded, onProgressChanged, onRefundSucceeded, onTrackingStatusChanged, onWorkflowTransitioned } from '../src/consumers/order-progress-consumers';
import { as, orderBody, type OrdersService, placeOrder, startOrdersService } from './orders-service';

let service: OrdersService;
beforeAll(async () => {
  service = await startOrdersService();
});
afterAll(async () => service?.stop());

const at = () => new Date().toISOString();

async function read(id: string): Promise<Order> {
  return (await service.app.inject({ method: 'GET', url: `/orders/${id}` })).json();
}

function pay(orderId: string) {
  const event = service.event(paymentSucceeded, {
    orderId,
    paymentId: randomUUID(),
    provider: 'stripe',
    providerPaymentId: 'pi_1',
    amount: 2999,
    currency: 'EUR',
    paidAt: at(),
  });
  return service.db.$transaction((tx) => onPaymentSucceeded(service.deps, event, tx));
}

/** What fulfillment publishes with a transition: the order status it implies, whether fulfillment started. */
const started = (orderStatus: string | null = null) => ({ orderStatus, fulfillmentStarted: true });

function workflow(orderId: string, to: string, extra: Record<string, unknown> = {}) {
  const event = service.event(workflowTransitioned, {
    orderId,
    from: 'pending',
    to: to as never,
    trigger: 'TEST',
    retryCount: 0,
    error: null,
    willRetry: false,
    tracking: null,
    at: at(),
    ...extra,
  });
  return service.db.$transaction((tx) => onWorkflowTransitioned(service.deps, event, tx));
}

/** Where fulfillment counts the order's units (the parcels themselves do not matter to orders). */
function progress(orderId: string, fulfillmentStatus: Order['fulfillmentStatus'], kind: 'parcel_shipped' | 'parcel_delivered' = 'parcel_shipped') {
  const none = { ordered: 2, shipped: 0, delivered: 0, returned: 0, cancelled: 0 };
  const event = service.event(progressChanged, {
    orderId,
    fulfillmentStatus,
    units: none,
    vendors: [{ vendorId: 'acme', fulfillmentStatus, units: none }],
    parcels: [],
    cause: { kind, shipmentId: randomUUID() },
    at: at(),
  });
  return service.db.$transaction((tx) => onProgressChanged(service.deps, event, tx));
}

function track(orderId: string, status: string, description = 'carrier scan') {
  const event = service.event(trackingStatusChanged, {
    orderId,
    shipmentId: randomUUID(),
    trackingNumber: 'LX123456789DE',
    carrier: 'dhl',
    status: status as never,
    previousStatus: null,
    event: { time: at(), location: 'Leipzig', description },
    estimatedDelivery: null,
    provider: '17track',
    at: at(),
  });
  return service.db.$transaction((tx) => onTrackingStatusChanged(service.deps, event, tx));
}

function refund(orderId: string) {
  const event = service.event(refundSucceeded, {
    orderId,
    refundId: randomUUID(),
    paymentId: randomUUID(),
    providerRefundId: 're_1',
    amount: 2999,
    currency: 'EUR',
    reason: 'order cancelled',
    refundedAt: at(),
  });
  return service.db.$transaction((tx) => onRefundSucceeded(service.deps, event, tx));
}

async function history(id: string) {
  const response = await service.app.inject({ method: 'GET', url: `/orders/${id}/history` });
  return response.json().entries as { status: string; previousStatus: string | null; details: string | null; actor: string }[];
}

describe('status machine (ORD-03)', () => {
  it('changes status manually with history, version and an event in the outbox', async () => {
    const order = await placeOrder(service);
    const changed = await service.app.inject({
      method: 'POST',
      url: `/orders/${order.id}/status`,
      headers: as.ops,
      payload: { status: 'confirmed', reason: 'paid by bank transfer' },
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ status: 'confirmed', version: order.version + 1 });
    expect(changed.headers.etag).toBe(`"${order.version + 1}"`);

    const events = await service.outbox(order.id);
    expect(events.map((e) => e.type)).toEqual(['orders.order.created', 'orders.order.promised', 'orders.order.status_changed']);
    expect(events[2]!.data).toMatchObject({ status: 'confirmed', previousStatus: 'pending', details: 'paid by bank transfer', actor: 'ops:key-1', version: 1 });
    expect(await history(order.id)).toEqual([
      expect.objectContaining({ status: 'pending', previousStatus: null }),
      expect.objectContaining({ status: 'confirmed', previousStatus: 'pending', actor: 'ops:key-1', details: 'paid by bank transfer' }),
    ]);
  });

  it('refuses an invalid transition, a customer, and a stale If-Match, changing nothing', async () => {
    const order = await placeOrder(service);
    const invalid = await service.app.inject({ method: 'POST', url: `/orders/${order.id}/status`, headers: as.admin, payload: { status: 'delivered', reason: 'x' } });
    expect(invalid.statusCode).toBe(409);
    expect(invalid.json().code).toBe('INVALID_TRANSITION');
    const customer = await service.app.inject({
      method: 'POST',
      url: `/orders/${order.id}/status`,
      headers: as.customer(order.customer.id),
      payload: { status: 'confirmed', reason: 'x' },
    });
    expect(customer.statusCode).toBe(403);
    const stale = await service.app.inject({
      method: 'POST',
      url: `/orders/${order.id}/status`,
      headers: { ...as.admin, 'if-match': '"7"' },
      payload: { status: 'confirmed', reason: 'x' },
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().code).toBe('VERSION_CONFLICT');
    expect(await read(order.id)).toMatchObject({ status: 'pending', version: 0 });
    expect((await service.outbox(order.id)).length).toBe(2);
  });
});

describe('consumers', () => {
  it('follow payment, fulfillment and tracking to delivery, idempotently', async () => {
    const order = await placeOrder(service);
    await pay(order.id);
    expect(await read(order.id)).toMatchObject({ status: 'confirmed', fulfillmentStarted: false });
    await pay(order.id); // a second payment event (another id) changes nothing
    await workflow(order.id, 'payment_confirmed');
    await workflow(order.id, 'processing', started('processing'));
    expect(await read(order.id)).toMatchObject({ status: 'processing', fulfillmentStarted: true });
    await workflow(order.id, 'placed_with_supplier', started());
    // The first of two parcels: fulfillment's count, published before the transition it causes.
    await progress(order.id, 'partially_shipped');
    await workflow(order.id, 'shipped', { ...started('shipped'), tracking: { number: 'LX123456789DE', carrier: 'dhl' } });
    expect(await read(order.id)).toMatchObject({ status: 'shipped', fulfillmentStatus: 'partially_shipped', tracking: { number: 'LX123456789DE', carrier: 'dhl' } });
    await progress(order.id, 'shipped');
    await track(order.id, 'delayed', 'Weather delay');
    expect(await read(order.id)).toMatchObject({ status: 'delayed', fulfillmentStatus: 'shipped' });
    await track(order.id, 'in_transit');
    expect((await read(order.id)).status).toBe('shipped');
    await workflow(order.id, 'out_for_delivery', started('out_for_delivery'));
    await progress(order.id, 'fulfilled', 'parcel_delivered');
    await workflow(order.id, 'delivered', started('delivered'));
    await workflow(order.id, 'delivered', started('delivered'));
    await workflow(order.id, 'processing', started('processing')); // late and stale: ignored, not an error
    const delivered = await read(order.id);
    expect(delivered).toMatchObject({ status: 'delivered', fulfillmentStatus: 'fulfilled' });

    expect((await history(order.id)).map((e) => [e.status, e.actor])).toEqual([
      ['pending', `customer:${order.customer.id}`],
      ['confirmed', 'billing'],
      ['processing', 'fulfillment'],
      ['shipped', 'fulfillment'],
      ['delayed', 'tracking'],
      ['shipped', 'tracking'],
      ['out_for_delivery', 'fulfillment'],
      ['delivered', 'fulfillment'],
    ]);
    const changes = (await service.outbox(order.id)).filter((e) => e.type === 'orders.order.status_changed');
    expect(changes.map((e) => e.data.status)).toEqual(['confirmed', 'processing', 'shipped', 'delayed', 'shipped', 'out_for_delivery', 'delivered']);
    expect(changes[2]!.data.tracking).toEqual({ number: 'LX123456789DE', carrier: 'dhl' });
    expect(changes.at(-1)!.data.version).toBe(delivered.version);
  });

  it('turns a final fulfillment failure into an exception with the error, and ignores a retried one', async () => {
    const order = await placeOrder(service);
    await pay(order.id);
    await workflow(order.id, 'processing', started('processing'));
    await workflow(order.id, 'failed', { error: 'Supplier rejected the order: out of stock', willRetry: true, retryCount: 1, orderStatus: null, fulfillmentStarted: false });
    expect((await read(order.id)).status).toBe('processing');
    await workflow(order.id, 'failed', { error: 'Supplier rejected the order: out of stock', willRetry: false, retryCount: 3, orderStatus: 'exception', fulfillmentStarted: false });
    expect((await read(order.id)).status).toBe('exception');
    expect((await history(order.id)).at(-1)).toMatchObject({ status: 'exception', details: 'Supplier rejected the order: out of stock' });
    await track(order.id, 'delivery_failed');
  });
});

describe('cancel (ORD-04)', () => {
  it('cancels before shipment, then refunds on the refund event', async () => {
    const order = await placeOrder(service);
    await pay(order.id);
    const cancelled = await service.app.inject({
      method: 'POST',
      url: `/orders/${order.id}/cancel`,
      headers: as.customer(order.customer.id),
      payload: { reason: 'changed my mind' },
    });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ status: 'cancelled', fulfillmentStatus: 'cancelled' });
    const events = await service.outbox(order.id);
    expect(events.slice(-2).map((e) => e.type)).toEqual(['orders.order.status_changed', 'orders.order.cancelled']);
    expect(events.at(-1)!.data).toMatchObject({ reason: 'changed my mind', previousStatus: 'confirmed', actor: `customer:${order.customer.id}` });

    await workflow(order.id, 'processing', started('processing')); // fulfillment had not heard yet: ignored
    expect((await read(order.id)).status).toBe('cancelled');
    const again = await service.app.inject({ method: 'POST', url: `/orders/${order.id}/cancel`, payload: { reason: 'twice' } });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('ORDER_NOT_CANCELLABLE');

    await progress(order.id, 'not_fulfilled'); // late news from fulfillment: a cancelled order's status stays orders'
    expect((await read(order.id)).fulfillmentStatus).toBe('cancelled');
    await refund(order.id);
    await refund(order.id);
    expect((await read(order.id)).status).toBe('refunded');
    expect((await history(order.id)).map((e) => e.status)).toEqual(['pending', 'confirmed', 'cancelled', 'refunded']);
  });

  it('refuses after shipment, for another customer, and with a stale If-Match', async () => {
    const shipped = await placeOrder(service);
    await pay(shipped.id);
    await workflow(shipped.id, 'processing', started('processing'));
    await progress(shipped.id, 'partially_shipped');
    await workflow(shipped.id, 'shipped', { ...started('shipped'), tracking: { number: 'LX1', carrier: null } });
    await track(shipped.id, 'exception'); // an exception after shipment is still after shipment
    const late = await service.app.inject({ method: 'POST', url: `/orders/${shipped.id}/cancel`, headers: as.ops, payload: { reason: 'too late' } });
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe('ORDER_NOT_CANCELLABLE');

    const order = await placeOrder(service);
    const foreign = await service.app.inject({ method: 'POST', url: `/orders/${order.id}/cancel`, headers: as.customer('someone-else'), payload: { reason: 'x' } });
    expect(foreign.statusCode).toBe(404);
    const stale = await service.app.inject({ method: 'POST', url: `/orders/${order.id}/cancel`, headers: { 'if-match': '"3"' }, payload: { reason: 'x' } });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().code).toBe('VERSION_CONFLICT');
    expect((await read(order.id)).status).toBe('pending');

    const manual = await service.app.inject({ method: 'POST', url: `/orders/${order.id}/status`, headers: as.admin, payload: { status: 'cancelled', reason: 'fraud' } });
    expect(manual.statusCode).toBe(200);
    expect((await service.outbox(order.id)).map((e) => e.type)).toContain('orders.order.cancelled');
  });
});

describe('modify (ORD-04)', () => {
  const charger = { sku: 'CHARGER-USB-C', variantId: 'usb-c-65w', name: 'Charger', quantity: 1, vendor: { id: 'acme', type: 'brand' as const } };

  it('requires If-Match, re-prices the items and records the modification', async () => {
    const order = await placeOrder(service);
    const url = `/orders/${order.id}`;
    const missing = await service.app.inject({ method: 'PATCH', url, payload: { notes: 'x' } });
    expect(missing.statusCode).toBe(428);
    expect(missing.json().code).toBe('PRECONDITION_REQUIRED');
    const stale = await service.app.inject({ method: 'PATCH', url, headers: { 'if-match': '"9"' }, payload: { notes: 'x' } });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().code).toBe('VERSION_CONFLICT');
    const empty = await service.app.inject({ method: 'PATCH', url, headers: { 'if-match': '"0"' }, payload: {} });
    expect(empty.statusCode).toBe(400);

    const modified = await service.app.inject({
      method: 'PATCH',
      url,
      headers: { ...as.customer(order.customer.id), 'if-match': '"0"' },
      payload: { items: [{ ...order.items[0], quantity: 1 }, { ...charger, quantity: 2 }].map(({ sku, variantId, name, quantity, vendor }) => ({ sku, variantId, name, quantity, vendor })), notes: 'leave at the door' },
    });
    expect(modified.statusCode).toBe(200);
    const after = modified.json() as Order;
    expect(after.items.map((i) => [i.sku, i.unitPrice, i.lineTotal])).toEqual([
      ['MUG-WHT', 1250, 1250],
      ['CHARGER-USB-C', 2499, 4998],
    ]);
    expect(after.totals).toMatchObject({ subtotal: 6248, shipping: 0, total: 6248 });
    expect(after).toMatchObject({ version: 1, notes: 'leave at the door' });
    const event = (await service.outbox(order.id)).at(-1)!;
    expect(event.type).toBe('orders.order.modified');
    expect(event.data).toMatchObject({ previousTotal: order.totals.total, actor: `customer:${order.customer.id}` });
    expect((event.data.order as Order).totals.total).toBe(6248);

    const ageRestricted = await service.app.inject({
      method: 'PATCH',
      url,
      headers: { 'if-match': '"1"' },
      payload: { items: [{ ...charger, ageRestricted: true }] },
    });
    expect(ageRestricted.statusCode).toBe(422);
    expect(ageRestricted.json().errors[0].pointer).toBe('/items/0/ageRestricted');
  });

  it('lets exactly one of two concurrent modifications with the same If-Match win', async () => {
    const order = await placeOrder(service);
    const patch = (quantity: number) =>
      service.app.inject({
        method: 'PATCH',
        url: `/orders/${order.id}`,
        headers: { 'if-match': `"${order.version}"` },
        payload: { items: [{ ...charger, quantity }] },
      });
    const answers = await Promise.all([patch(3), patch(5)]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409]);
    const loser = answers.find((a) => a.statusCode === 409)!;
    expect(loser.json().code).toBe('VERSION_CONFLICT');
    const winner = answers.find((a) => a.statusCode === 200)!.json() as Order;
    const stored = await read(order.id);
    expect(stored).toMatchObject({ version: 1, items: [expect.objectContaining({ quantity: winner.items[0]!.quantity })] });
    expect(stored.items).toHaveLength(1);
    expect((await service.outbox(order.id)).filter((e) => e.type === 'orders.order.modified')).toHaveLength(1);
  });

  it('refuses once fulfillment started, even while still confirmed', async () => {
    const order = await placeOrder(service);
    await pay(order.id);
    await workflow(order.id, 'processing', started('processing'));
    const current = await read(order.id);
    const refused = await service.app.inject({
      method: 'PATCH',
      url: `/orders/${order.id}`,
      headers: { 'if-match': `"${current.version}"` },
      payload: { notes: 'too late' },
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('ORDER_NOT_MODIFIABLE');
  });
});

describe('queries (ORD-08)', () => {
  it('lists a customer\'s orders newest first with a cursor, filters active ones and counts per status', async () => {
    const customer = { id: 'cust-list', email: 'l@example.com', name: 'L' };
    const placed: Order[] = [];
    for (let i = 0; i < 3; i++) {
      placed.push(await placeOrder(service, orderBody({ customer })));
      service.clock.advance(1000);
    }
    await service.app.inject({ method: 'POST', url: `/orders/${placed[0]!.id}/cancel`, payload: { reason: 'x' } });

    const first = (await service.app.inject({ method: 'GET', url: '/orders?customerId=cust-list&limit=2' })).json();
    expect(first.items.map((o: Order) => o.id)).toEqual([placed[2]!.id, placed[1]!.id]);
    const second = (await service.app.inject({ method: 'GET', url: `/orders?customerId=cust-list&limit=2&cursor=${first.nextCursor}` })).json();
    expect(second.items.map((o: Order) => o.id)).toEqual([placed[0]!.id]);
    expect(second.nextCursor).toBeNull();

    const active = (await service.app.inject({ method: 'GET', url: '/orders?customerId=cust-list&active=true' })).json();
    expect(active.items).toHaveLength(2);
    const cancelled = (await service.app.inject({ method: 'GET', url: '/orders?customerId=cust-list&status=cancelled' })).json();
    expect(cancelled.items.map((o: Order) => o.id)).toEqual([placed[0]!.id]);

    const own = (await service.app.inject({ method: 'GET', url: '/orders', headers: as.customer('cust-list') })).json();
    expect(own.items).toHaveLength(3);
    const foreign = await service.app.inject({ method: 'GET', url: '/orders?customerId=other', headers: as.customer('cust-list') });
    expect(foreign.statusCode).toBe(403);
    const badCursor = await service.app.inject({ method: 'GET', url: '/orders?cursor=nonsense' });
    expect(badCursor.statusCode).toBe(400);

    const overview = (await service.app.inject({ method: 'GET', url: '/orders/overview', headers: as.ops })).json();
    expect(overview.byStatus.cancelled).toBeGreaterThanOrEqual(1);
    expect(overview.total).toBe(await service.db.order.count());
    expect((await service.app.inject({ method: 'GET', url: '/orders/overview', headers: as.customer('c') })).statusCode).toBe(403);
  });

  it('searches by order number (whole or its beginning) and by email in any case, with the other filters and the cursor', async () => {
    const email = `Search.${randomUUID()}@Example.com`;
    const placed: Order[] = [];
    for (const id of ['cust-search-a', 'cust-search-a', 'cust-search-b']) {
      placed.push(await placeOrder(service, orderBody({ customer: { id, email, name: 'S' } })));
      service.clock.advance(1000);
    }
    await service.app.inject({ method: 'POST', url: `/orders/${placed[0]!.id}/cancel`, payload: { reason: 'x' } });
    const list = async (query: string, headers: Record<string, string> = as.ops) => {
      const response = await service.app.inject({ method: 'GET', url: `/orders?${query}`, headers });
      expect(response.statusCode, query).toBe(200);
      return response.json() as { items: Order[]; nextCursor: string | null };
    };
    const ids = (page: { items: Order[] }) => page.items.map((o) => o.id);
    const byEmail = `email=${encodeURIComponent(email.toUpperCase())}`;

    const first = await list(`${byEmail}&limit=2`);
    expect(ids(first)).toEqual([placed[2]!.id, placed[1]!.id]);
    expect(ids(await list(`${byEmail}&limit=2&cursor=${first.nextCursor}`))).toEqual([placed[0]!.id]);
    expect(ids(await list(`${byEmail}&customerId=cust-search-a`))).toEqual([placed[1]!.id, placed[0]!.id]);
    expect(ids(await list(`${byEmail}&status=cancelled`))).toEqual([placed[0]!.id]);
    expect(ids(await list(`${byEmail}`, as.customer('cust-search-b')))).toEqual([placed[2]!.id]);

    expect(ids(await list(`number=${placed[1]!.number}`))).toEqual([placed[1]!.id]);
    expect(ids(await list(`number=${placed[1]!.number.toLowerCase().slice('ord-'.length)}`))).toEqual([placed[1]!.id]);
    // A beginning shared by other orders too: the email narrows it to this test's.
    const prefix = placed[0]!.number.slice(0, -1);
    expect(ids(await list(`number=${prefix}&${byEmail}`))).toEqual(placed.filter((o) => o.number.startsWith(prefix)).map((o) => o.id).reverse());
    expect(ids(await list(`number=${placed[1]!.number}&status=cancelled`))).toEqual([]);

    for (const bad of ['number=ORD-12a', 'number=ORD-', 'number=12345678901', 'email=not-an-email']) {
      const refused = await service.app.inject({ method: 'GET', url: `/orders?${bad}`, headers: as.ops });
      expect(refused.statusCode, bad).toBe(400);
      expect(refused.headers['content-type'], bad).toContain('application/problem+json');
    }
  });

  it('hides another customer\'s order and history', async () => {
    const order = await placeOrder(service);
    expect((await service.app.inject({ method: 'GET', url: `/orders/${order.id}`, headers: as.customer('intruder') })).statusCode).toBe(404);
    expect((await service.app.inject({ method: 'GET', url: `/orders/${order.id}/history`, headers: as.customer('intruder') })).statusCode).toBe(404);
    expect((await service.app.inject({ method: 'GET', url: `/orders/${order.id}/history`, headers: as.customer(order.customer.id) })).statusCode).toBe(200);
  });
});
