import { randomUUID } from 'node:crypto';
import { type Envelope, orderCancelled, paymentSucceeded } from '@platform/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import { billingEventSubscriptions } from '../src/consumers/billing-events';
import { orderEventSubscriptions } from '../src/consumers/order-events';
import { reserveHubShare } from '../src/application/inventory';
import { type Composition, compose, createdEvent, event, sampleOrder } from './support/composition';

/**
 * Hubs managed by ops (FUL-02) and the short-stock policies at reservation (FUL-03), against real
 * PostgreSQL with the workers off: events are applied and timers fired by the test.
 */

const running: Composition[] = [];
afterAll(async () => {
  await Promise.all(running.map((c) => c.stop().catch(() => {})));
});

async function start(options: { demoHubs?: boolean } = {}) {
  const c = await compose(options);
  running.push(c);
  return c;
}

async function deliver(c: Composition, envelope: Envelope) {
  const subscription = [...orderEventSubscriptions(c.fulfillment), ...billingEventSubscriptions(c.fulfillment)].find((s) => s.type === envelope.type)!;
  await c.db.$transaction((tx) => subscription.handle(envelope, tx));
}

const paid = (orderId: string) =>
  event(paymentSucceeded, orderId, { orderId, paymentId: randomUUID(), provider: 'stripe', providerPaymentId: 'pi_1', amount: 2000, currency: 'EUR', paidAt: new Date().toISOString() });

const cancelled = (orderId: string) =>
  event(orderCancelled, orderId, { orderId, reason: 'changed my mind', actor: 'customer:cust-1', previousStatus: 'processing', cancelledAt: new Date().toISOString() });

type Order = ReturnType<typeof sampleOrder>;

/** An own-stock order taken to processing: created, paid, 60 s later reserved and placed. */
async function process(c: Composition, order: Order) {
  await deliver(c, createdEvent(order));
  await deliver(c, paid(order.id));
  await c.advance(60_000);
  return (await c.db.workflow.findUniqueOrThrow({ where: { orderId: order.id } })).state;
}

function ownStock(items: Array<{ sku: string; quantity: number; vendor?: string }>, shortStockPolicy?: 'substitute' | 'partial' | 'backorder'): Order {
  const order = sampleOrder(items.map(({ sku, quantity }) => ({ sku, quantity, supplierSource: 'own_stock' as const })));
  order.items.forEach((item, i) => (item.vendor = { id: items[i]!.vendor ?? 'v1', type: 'brand' }));
  return shortStockPolicy ? { ...order, shortStockPolicy } : order;
}

async function outbox(c: Composition, type: string, aggregateId?: string) {
  const rows = await c.db.outboxEvent.findMany({ where: { type, ...(aggregateId && { aggregateId }) }, orderBy: { seq: 'asc' } });
  return rows.map((r) => (r.envelope as { data: Record<string, unknown> }).data);
}
const lastAvailability = async (c: Composition, sku: string) => (await outbox(c, 'fulfillment.availability.changed', sku)).at(-1);

const put = (c: Composition, url: string, payload: object) => c.app.inject({ method: 'PUT', url, payload });

describe('hubs managed by ops (FUL-02)', () => {
  it('has no hub unless the demo flag is on; ops create, edit and stock hubs', async () => {
    const c = await start({ demoHubs: false });
    expect((await c.app.inject({ method: 'GET', url: '/hubs' })).json()).toEqual({ hubs: [] });

    const created = await c.app.inject({ method: 'POST', url: '/hubs', payload: { id: 'hub-lisbon', name: 'Lisbon hub', country: 'PT', costPerItem: 90 } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ id: 'hub-lisbon', name: 'Lisbon hub', country: 'PT', zone: 'EU', costPerItem: 90, costPerShipment: 0, priority: 0, active: true, stock: [] });
    const again = await c.app.inject({ method: 'POST', url: '/hubs', payload: { id: 'hub-lisbon', name: 'Other', country: 'PT', costPerItem: 1 } });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'HUB_EXISTS', errors: [{ pointer: '/id' }] });

    const edited = await c.app.inject({ method: 'PATCH', url: '/hubs/hub-lisbon', payload: { priority: 7, costPerShipment: 300 } });
    expect(edited.json()).toMatchObject({ id: 'hub-lisbon', name: 'Lisbon hub', priority: 7, costPerShipment: 300 });
    expect((await c.app.inject({ method: 'PATCH', url: '/hubs/hub-none', payload: { priority: 1 } })).statusCode).toBe(404);
    expect((await c.app.inject({ method: 'PATCH', url: '/hubs/hub-lisbon', payload: {} })).statusCode).toBe(400);

    const stocked = await put(c, '/hubs/hub-lisbon/stock/MUG-WHT', { onHand: 12, restockExpectedAt: '2030-01-15T00:00:00.000Z', restockQuantity: 50 });
    expect(stocked.json()).toEqual({ hubId: 'hub-lisbon', sku: 'MUG-WHT', onHand: 12, reserved: 0, available: 12, restockExpectedAt: '2030-01-15T00:00:00.000Z', restockQuantity: 50 });
    expect((await c.app.inject({ method: 'GET', url: '/hubs' })).json().hubs[0].stock).toEqual([stocked.json()].map(({ hubId: _hubId, ...s }) => s));
  });

  it('adds the demo hubs once when the flag is on, keeping ops\' changes across restarts', async () => {
    const c = await start();
    await put(c, '/hubs/hub-madrid/stock/MUG-WHT', { onHand: 3 });
    const restarted = await compose({ databaseUrl: c.databaseUrl, clock: c.clock });
    running.push(restarted);
    const hubs = (await restarted.app.inject({ method: 'GET', url: '/hubs' })).json().hubs as Array<{ id: string; stock: Array<{ sku: string; onHand: number }> }>;
    expect(hubs.map((h) => h.id)).toEqual(['hub-berlin', 'hub-madrid', 'hub-newark']);
    expect(hubs.find((h) => h.id === 'hub-madrid')!.stock.find((s) => s.sku === 'MUG-WHT')!.onHand).toBe(3);
  });

  it('routes by priority among hubs equally close, then by cost; an inactive hub is never used', async () => {
    const c = await start({ demoHubs: false });
    for (const [id, priority, costPerItem] of [['hub-a', 0, 10], ['hub-b', 5, 900], ['hub-c', 9, 10]] as const) {
      await c.app.inject({ method: 'POST', url: '/hubs', payload: { id, name: id, country: 'ES', costPerItem, priority } });
      await put(c, `/hubs/${id}/stock/MUG-WHT`, { onHand: 10 });
    }
    await c.app.inject({ method: 'PATCH', url: '/hubs/hub-c', payload: { active: false } });
    const order = ownStock([{ sku: 'MUG-WHT', quantity: 2 }]);
    expect(await process(c, order)).toBe('supplier_confirmed');
    const [fulfillmentOrder, ...others] = await c.db.fulfillmentOrder.findMany({ where: { orderId: order.id } });
    expect(others).toEqual([]);
    expect(fulfillmentOrder!.hubId).toBe('hub-b');

    await c.app.inject({ method: 'PATCH', url: '/hubs/hub-b', payload: { priority: 0 } });
    const cheaper = ownStock([{ sku: 'MUG-WHT', quantity: 1 }]);
    await process(c, cheaper);
    expect((await c.db.fulfillmentOrder.findFirstOrThrow({ where: { orderId: cheaper.id } })).hubId).toBe('hub-a');
  });

  it('consolidates: two vendors\' own-stock items one hub can serve leave in one fulfillment order', async () => {
    const c = await start();
    const order = ownStock([
      { sku: 'MUG-WHT', quantity: 1, vendor: 'brand-a' },
      { sku: 'TSHIRT-BLK-M', quantity: 2, vendor: 'distributor-b' },
    ]);
    expect(await process(c, order)).toBe('supplier_confirmed');
    const fulfillmentOrders = await c.db.fulfillmentOrder.findMany({ where: { orderId: order.id }, include: { items: true } });
    expect(fulfillmentOrders).toHaveLength(1);
    expect(fulfillmentOrders[0]!.hubId).toBe('hub-madrid');
    expect(fulfillmentOrders[0]!.items.map((i) => [i.sku, i.quantity]).sort()).toEqual([['MUG-WHT', 1], ['TSHIRT-BLK-M', 2]]);

    const shipped = await c.app.inject({ method: 'POST', url: `/orders/${order.id}/shipments`, payload: { trackingNumber: 'RR123456785ES' } });
    expect(shipped.statusCode).toBe(201);
    expect(await c.db.shipment.count({ where: { orderId: order.id } })).toBe(1);
  });
});

describe('reserving at a hub (FUL-03)', () => {
  it('never reserves more than is free: two lines of one SKU are checked together at the commit, and a SKU taken meanwhile is named and nothing of the hub\'s share is kept', async () => {
    const c = await start();
    await c.db.hubStock.update({ where: { hubId_sku: { hubId: 'hub-madrid', sku: 'MUG-WHT' } }, data: { onHand: 3, reserved: 0 } });
    const share = (orderId: string, quantities: number[]) => ({
      orderId,
      hubId: 'hub-madrid',
      priority: 'standard',
      attempt: 1,
      expiresAt: new Date(Date.now() + 60_000),
      now: new Date(),
      lines: quantities.map((quantity, i) => ({ sku: 'MUG-WHT', name: 'Mug', quantity, substituteFor: null, vendorId: `vendor-${i}` })),
    });

    // 2 + 1 of 3 free: both lines held, one hub order with both items.
    const fits = randomUUID();
    await c.db.$transaction(async (tx) => {
      await reserveHubShare(tx, share(fits, [2, 1]));
      // The stock row is changed (and locked) only as the transaction's last work.
      expect((await tx.hubStock.findUniqueOrThrow({ where: { hubId_sku: { hubId: 'hub-madrid', sku: 'MUG-WHT' } } })).reserved).toBe(0);
    });
    expect((await c.db.hubStock.findUniqueOrThrow({ where: { hubId_sku: { hubId: 'hub-madrid', sku: 'MUG-WHT' } } })).reserved).toBe(3);
    // What is left is announced with it: Madrid's 3 are all reserved now (Berlin 10 + Newark 25).
    expect(await lastAvailability(c, 'MUG-WHT')).toMatchObject({ sku: 'MUG-WHT', available: 35 });
    expect((await c.db.reservation.findMany({ where: { orderId: fits } })).map((r) => [r.quantity, r.status]).sort()).toEqual([[1, 'held'], [2, 'held']]);
    const [hubOrder] = await c.db.fulfillmentOrder.findMany({ where: { orderId: fits }, include: { items: true } });
    expect(hubOrder!.items.map((i) => [i.vendorId, i.quantity, i.remainingQuantity]).sort()).toEqual([['vendor-0', 2, 2], ['vendor-1', 1, 1]]);

    // One unit free: either line alone would fit, both together do not.
    await c.db.hubStock.update({ where: { hubId_sku: { hubId: 'hub-madrid', sku: 'MUG-WHT' } }, data: { onHand: 4 } });
    const late = randomUUID();
    const refused = c.db.$transaction((tx) => reserveHubShare(tx, share(late, [1, 1])));
    await expect(refused).rejects.toThrow('stock of MUG-WHT at hub-madrid changed while reserving');
    expect((await c.db.hubStock.findUniqueOrThrow({ where: { hubId_sku: { hubId: 'hub-madrid', sku: 'MUG-WHT' } } })).reserved).toBe(3);
    expect(await c.db.reservation.count({ where: { orderId: late } })).toBe(0);
    expect(await c.db.fulfillmentOrder.count({ where: { orderId: late } })).toBe(0);
  });

  it('orders reserving the last units at once: as many commit as there are units, the others roll back, and shares over two hubs in either order do not deadlock', async () => {
    const c = await start();
    const stockAt = async (hubId: string) => c.db.hubStock.findUniqueOrThrow({ where: { hubId_sku: { hubId, sku: 'MUG-WHT' } } });
    const free = async (hubId: string) => {
      const row = await stockAt(hubId);
      return row.onHand - row.reserved;
    };
    await c.db.hubStock.update({ where: { hubId_sku: { hubId: 'hub-madrid', sku: 'MUG-WHT' } }, data: { onHand: 5, reserved: 0 } });
    await c.db.hubStock.update({ where: { hubId_sku: { hubId: 'hub-berlin', sku: 'MUG-WHT' } }, data: { onHand: 5, reserved: 0 } });
    const share = (orderId: string, hubId: string) => ({
      orderId,
      hubId,
      priority: 'standard',
      attempt: 1,
      expiresAt: new Date(Date.now() + 60_000),
      now: new Date(),
      lines: [{ sku: 'MUG-WHT', name: 'Mug', quantity: 1, substituteFor: null, vendorId: 'vendor-0' }],
    });
    // Eight orders each take one unit at both hubs, half of them Madrid first, half Berlin first.
    const hubsOf = (i: number) => (i % 2 === 0 ? ['hub-madrid', 'hub-berlin'] : ['hub-berlin', 'hub-madrid']);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        c.db.$transaction(async (tx) => {
          const orderId = randomUUID();
          for (const hubId of hubsOf(i)) await reserveHubShare(tx, share(orderId, hubId));
          return orderId;
        }),
      ),
    );
    const committed = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const reasons = outcomes.flatMap((o) => (o.status === 'rejected' ? [String((o.reason as Error).message)] : []));
    expect(committed).toHaveLength(5);
    expect(reasons).toHaveLength(3);
    for (const reason of reasons) expect(reason).toMatch(/stock of MUG-WHT at hub-(madrid|berlin).* changed while reserving/);
    expect([await free('hub-madrid'), await free('hub-berlin')]).toEqual([0, 0]);
    expect(await c.db.reservation.count({ where: { orderId: { in: committed }, status: 'held' } })).toBe(10);
    // The last availability event of the SKU is what the commits left: Newark's 25.
    expect(await lastAvailability(c, 'MUG-WHT')).toMatchObject({ available: 25 });
  });
});

describe('availability and short stock (FUL-03)', () => {
  it('announces a SKU\'s free units over the active hubs and its policy whenever either changes', async () => {
    const c = await start();
    await put(c, '/hubs/hub-madrid/stock/MUG-WHT', { onHand: 4, restockExpectedAt: '2030-02-01T00:00:00.000Z', restockQuantity: 20 });
    // Madrid 4 + Berlin 10 + Newark 25.
    expect(await lastAvailability(c, 'MUG-WHT')).toMatchObject({ sku: 'MUG-WHT', available: 39, policy: null, substituteSku: null, restockExpectedAt: '2030-02-01T00:00:00.000Z' });

    const policy = await put(c, '/inventory/policies/MUG-WHT', { policy: 'substitute', substituteSku: 'MUG-BLUE' });
    expect(policy.json()).toMatchObject({ sku: 'MUG-WHT', policy: 'substitute', substituteSku: 'MUG-BLUE' });
    expect(await lastAvailability(c, 'MUG-WHT')).toMatchObject({ available: 39, policy: 'substitute', substituteSku: 'MUG-BLUE' });
    expect((await c.app.inject({ method: 'GET', url: '/inventory/policies' })).json().policies).toEqual([policy.json()]);
    const missing = await put(c, '/inventory/policies/MUG-WHT', { policy: 'substitute' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors).toEqual([expect.objectContaining({ pointer: '/substituteSku' })]);

    await c.app.inject({ method: 'PATCH', url: '/hubs/hub-newark', payload: { active: false } });
    expect(await lastAvailability(c, 'MUG-WHT')).toMatchObject({ available: 14 });

    const order = ownStock([{ sku: 'MUG-WHT', quantity: 3 }]);
    await process(c, order);
    expect(await lastAvailability(c, 'MUG-WHT')).toMatchObject({ available: 11 });
    await deliver(c, cancelled(order.id));
    expect(await lastAvailability(c, 'MUG-WHT')).toMatchObject({ available: 14 });
  });

  it('partial: reserves what there is and cancels the rest for a refund', async () => {
    const c = await start();
    await put(c, '/hubs/hub-madrid/stock/MUG-WHT', { onHand: 1 });
    await put(c, '/hubs/hub-berlin/stock/MUG-WHT', { onHand: 0 });
    await put(c, '/hubs/hub-newark/stock/MUG-WHT', { onHand: 0 });
    await put(c, '/inventory/policies/MUG-WHT', { policy: 'partial' });
    const order = ownStock([{ sku: 'MUG-WHT', quantity: 3, vendor: 'brand-a' }]);
    expect(await process(c, order)).toBe('supplier_confirmed');
    expect((await c.db.reservation.findMany({ where: { orderId: order.id } })).map((r) => [r.hubId, r.quantity, r.status])).toEqual([['hub-madrid', 1, 'confirmed']]);
    expect(await outbox(c, 'fulfillment.items.cancelled', order.id)).toEqual([
      expect.objectContaining({ orderId: order.id, cause: 'stock_short', source: 'own_stock', items: [{ sku: 'MUG-WHT', variantId: 'MUG-WHT-v', vendorId: 'brand-a', quantity: 2 }] }),
    ]);

    // Nothing left at all: everything is cancelled, once, though reservation runs on entering processing and again at placement.
    const none = ownStock([{ sku: 'MUG-WHT', quantity: 2 }]);
    expect(await process(c, none)).toBe('supplier_confirmed');
    expect(await outbox(c, 'fulfillment.items.cancelled', none.id)).toEqual([expect.objectContaining({ items: [expect.objectContaining({ sku: 'MUG-WHT', quantity: 2 })] })]);
    expect(await c.db.reservation.count({ where: { orderId: none.id } })).toBe(0);
  });

  it('partial beside a refusing supplier: the short units and the refused ones are each cancelled once, and the rest goes on', async () => {
    const c = await start();
    await put(c, '/hubs/hub-madrid/stock/MUG-WHT', { onHand: 1 });
    await put(c, '/hubs/hub-berlin/stock/MUG-WHT', { onHand: 0 });
    await put(c, '/hubs/hub-newark/stock/MUG-WHT', { onHand: 0 });
    await put(c, '/inventory/policies/MUG-WHT', { policy: 'partial' });
    c.suppliers.cj.placeScript = ['reject'];
    const order = sampleOrder([
      { sku: 'MUG-WHT', quantity: 3, supplierSource: 'own_stock' },
      { sku: 'CJ-LAMP', quantity: 1, supplierSource: 'cj' },
    ]);
    // The hub part goes on, so CJ's refusal fails only its own units (FUL-05), not the attempt.
    expect(await process(c, order)).toBe('supplier_confirmed');
    expect((await c.db.reservation.findMany({ where: { orderId: order.id, status: 'confirmed' } })).map((r) => r.quantity)).toEqual([1]);
    const cancelled = await outbox(c, 'fulfillment.items.cancelled', order.id);
    expect(cancelled.map((e) => (e.items as Array<{ sku: string; quantity: number }>).map((i) => `${i.quantity} × ${i.sku}`).join())).toEqual(['2 × MUG-WHT', '1 × CJ-LAMP']);
  });

  it('substitute: reserves the equivalent SKU for the short units and says so', async () => {
    const c = await start();
    await put(c, '/hubs/hub-madrid/stock/MUG-WHT', { onHand: 0 });
    await put(c, '/hubs/hub-berlin/stock/MUG-WHT', { onHand: 0 });
    await put(c, '/hubs/hub-newark/stock/MUG-WHT', { onHand: 1 });
    await put(c, '/hubs/hub-madrid/stock/MUG-BLUE', { onHand: 5 });
    await put(c, '/inventory/policies/MUG-WHT', { policy: 'substitute', substituteSku: 'MUG-BLUE' });
    const order = ownStock([{ sku: 'MUG-WHT', quantity: 3 }]);
    expect(await process(c, order)).toBe('supplier_confirmed');
    const reservations = await c.db.reservation.findMany({ where: { orderId: order.id }, orderBy: { sku: 'asc' } });
    expect(reservations.map((r) => [r.hubId, r.sku, r.quantity])).toEqual([['hub-madrid', 'MUG-BLUE', 2], ['hub-newark', 'MUG-WHT', 1]]);
    expect(await outbox(c, 'fulfillment.items.substituted', order.id)).toEqual([expect.objectContaining({ items: [{ sku: 'MUG-WHT', substituteSku: 'MUG-BLUE', vendorId: 'v1', quantity: 2 }] })]);
    expect(await outbox(c, 'fulfillment.items.cancelled', order.id)).toEqual([]);

    // Shipped, the substitute's units count for the line they stand for: nothing of the order is left.
    await c.app.inject({ method: 'POST', url: `/orders/${order.id}/shipments`, payload: { trackingNumber: 'RR123456785ES' } });
    await c.app.inject({ method: 'POST', url: `/orders/${order.id}/shipments`, payload: { trackingNumber: 'RR987654321ES' } });
    expect((await outbox(c, 'fulfillment.progress.changed', order.id)).at(-1)).toMatchObject({ fulfillmentStatus: 'shipped', units: { ordered: 3, shipped: 3 } });
    expect(await c.db.reservation.count({ where: { orderId: order.id, status: 'consumed' } })).toBe(2);
  });

  it('backorder (the order\'s own policy over the SKU\'s): holds the short units, serves them oldest first when stock arrives, and the order ships', async () => {
    const c = await start();
    for (const hub of ['hub-madrid', 'hub-berlin', 'hub-newark']) await put(c, `/hubs/${hub}/stock/CHARGER-USB-C`, { onHand: 0 });
    await put(c, '/hubs/hub-berlin/stock/CHARGER-USB-C', { onHand: 0, restockExpectedAt: '2030-03-01T00:00:00.000Z', restockQuantity: 10 });
    await put(c, '/inventory/policies/CHARGER-USB-C', { policy: 'partial' });
    const first = ownStock([{ sku: 'CHARGER-USB-C', quantity: 2 }, { sku: 'MUG-WHT', quantity: 1 }], 'backorder');
    const second = ownStock([{ sku: 'CHARGER-USB-C', quantity: 2 }], 'backorder');
    expect(await process(c, first)).toBe('supplier_confirmed');
    expect(await process(c, second)).toBe('supplier_confirmed');
    const waiting = await c.db.reservation.findFirstOrThrow({ where: { orderId: first.id, sku: 'CHARGER-USB-C' } });
    expect(waiting).toMatchObject({ status: 'backordered', hubId: 'hub-berlin', quantity: 2, expectedAt: new Date('2030-03-01T00:00:00.000Z') });
    expect(await outbox(c, 'fulfillment.items.backordered', first.id)).toEqual([
      expect.objectContaining({ items: [{ sku: 'CHARGER-USB-C', vendorId: 'v1', quantity: 2, expectedAt: '2030-03-01T00:00:00.000Z' }] }),
    ]);
    expect(await outbox(c, 'fulfillment.items.cancelled')).toEqual([]);
    // What is in stock ships meanwhile; the backorder is not in any fulfillment order yet.
    expect((await c.db.fulfillmentOrderItem.findMany({ where: { fulfillmentOrder: { orderId: first.id } } })).map((i) => i.sku)).toEqual(['MUG-WHT']);

    // Three arrive at Madrid: the first order gets both, the second one of its two.
    const arrived = await put(c, '/hubs/hub-madrid/stock/CHARGER-USB-C', { onHand: 3 });
    expect(arrived.json()).toMatchObject({ onHand: 3, reserved: 3, available: 0 });
    const served = async (orderId: string) =>
      (await c.db.reservation.findMany({ where: { orderId, sku: 'CHARGER-USB-C' }, orderBy: { status: 'asc' } })).map((r) => [r.status, r.hubId, r.quantity]);
    expect(await served(first.id)).toEqual([['confirmed', 'hub-madrid', 2]]);
    expect(await served(second.id)).toEqual([['backordered', 'hub-berlin', 1], ['confirmed', 'hub-madrid', 1]]);
    const hubOrder = await c.db.fulfillmentOrder.findFirstOrThrow({ where: { orderId: first.id, hubId: 'hub-madrid' }, include: { items: true } });
    expect(hubOrder.status).toBe('awaiting_shipment');
    expect(hubOrder.items.map((i) => [i.sku, i.remainingQuantity]).sort()).toEqual([['CHARGER-USB-C', 2], ['MUG-WHT', 1]]);
    expect(await lastAvailability(c, 'CHARGER-USB-C')).toMatchObject({ available: 0 });

    const shipped = await c.app.inject({ method: 'POST', url: `/orders/${first.id}/shipments`, payload: { trackingNumber: 'RR123456785ES' } });
    expect(shipped.statusCode).toBe(201);
    expect(await c.db.reservation.count({ where: { orderId: first.id, status: 'consumed' } })).toBe(2);
  });

  it('backordered units stop waiting when the order is cancelled', async () => {
    const c = await start();
    for (const hub of ['hub-madrid', 'hub-berlin', 'hub-newark']) await put(c, `/hubs/${hub}/stock/TSHIRT-BLK-M`, { onHand: 0 });
    await put(c, '/inventory/policies/TSHIRT-BLK-M', { policy: 'backorder' });
    const order = ownStock([{ sku: 'TSHIRT-BLK-M', quantity: 1 }]);
    await process(c, order);
    await deliver(c, cancelled(order.id));
    expect((await c.db.reservation.findFirstOrThrow({ where: { orderId: order.id } })).status).toBe('released');
    await put(c, '/hubs/hub-madrid/stock/TSHIRT-BLK-M', { onHand: 5 });
    expect((await c.db.hubStock.findUniqueOrThrow({ where: { hubId_sku: { hubId: 'hub-madrid', sku: 'TSHIRT-BLK-M' } } })).reserved).toBe(0);
  });
});
