import { randomUUID } from 'node:crypto';
import { newEvent } from '@platform/runtime/outbox';
import { verifyOrderLink } from '@platform/config/order-links';
import type { FeedResponse } from '@platform/contracts/api/notifications';
import type { Order } from '@platform/contracts/api/orders';
import { type EventData, noticePlanned, orderCreated } from '@platform/contracts';
import { describe, expect, it } from 'vitest';
import { service, clock, ORDER_LINK_SECRET, publish, processed, feedOf, recorded, asCustomer, order, statusChanged, placeAndConfirm } from './fixture';

/*
 * The in-app channel (docs/in-app-feed.md): each announcement the customer wants in the app
 * becomes one feed item in their language, written and recorded as sent in the transaction
 * that plans it, once per (order, notice); read through the API with read/unread state.
 */

/** The in-app channel's part of the notices' plans. */
const inApp = (plans: Record<string, unknown>[]) => plans.flatMap((plan) => (plan as EventData<typeof noticePlanned>).channels).filter((c) => c.channel === 'in_app');

describe('the in-app feed', () => {
  it("puts one item for a confirmation in the customer's language, naming nothing internal, and a repeat adds nothing", async () => {
    const o = order('es');
    const confirmed = await placeAndConfirm(o);

    const [item, ...others] = await feedOf(o.customer.id);
    expect(others).toHaveLength(0);
    expect(item).toMatchObject({ orderId: o.id, notice: 'confirmed', title: 'Pedido confirmado', readAt: null });
    // Intl separates the amount and the symbol with a no-break space.
    expect(item!.body.replace(/\s/g, ' ')).toBe(`El pedido ${o.number} está confirmado. Total 17,49 €.`);
    for (const internal of ['aliexpress', 'AE-991', o.id, o.customer.id, 'confirmed']) expect(`${item!.title} ${item!.body}`).not.toContain(internal);
    // The order page, signed like the emails' link.
    const link = new URL(item!.link);
    expect(`${link.origin}${link.pathname}`).toBe(`https://shop.example/orders/${o.id}`);
    expect(verifyOrderLink(ORDER_LINK_SECRET, o.id, link.searchParams.get('t')!, clock.now())).toMatchObject({ ok: true });

    // Recorded as sent on the in-app channel, with the notification's id, in the notice's plan (the same transaction).
    const plans = await recorded(noticePlanned.type, o.id);
    expect(plans).toEqual([expect.objectContaining({ notice: 'confirmed', orderStatus: 'confirmed' })]);
    expect(inApp(plans)).toEqual([{ channel: 'in_app', notificationId: item!.id, outcome: 'sent', recipient: o.customer.id }]);

    // The same event redelivered, and the same status change republished: nothing new.
    await service.runtime.messaging.js.publish(confirmed.type, JSON.stringify(confirmed));
    const again = statusChanged(o, 'confirmed');
    await publish(again);
    await processed(again.id);
    expect(await feedOf(o.customer.id)).toHaveLength(1);
    expect(inApp(await recorded(noticePlanned.type, o.id))).toHaveLength(1);
  });

  it('writes nothing when the customer switched the app off for the topic, and says why', async () => {
    const o = order('en');
    const update = await service.app.inject({ method: 'PUT', url: `/customers/${o.customer.id}/preferences`, payload: { channels: { in_app: { order_confirmed: false } } } });
    expect(update.statusCode).toBe(200);
    expect(update.json()).toMatchObject({ channels: { in_app: { order_confirmed: false, shipped: true } } });

    await placeAndConfirm(o);
    expect(await feedOf(o.customer.id)).toHaveLength(0);
    const plans = await recorded(noticePlanned.type, o.id);
    expect(plans).toEqual([expect.objectContaining({ notice: 'confirmed' })]);
    expect(inApp(plans)).toEqual([expect.objectContaining({ outcome: 'suppressed', reason: 'preference_off' })]);
  });

  it('is not held back by quiet hours', async () => {
    const o = order('en');
    // Quiet all day but a minute: whatever the clock says, the push waits; the feed does not.
    const now = clock.now();
    const minute = (offset: number) => new Date(now.getTime() + offset * 60_000).toISOString().slice(11, 16);
    await service.app.inject({ method: 'PUT', url: `/customers/${o.customer.id}/preferences`, payload: { timezone: 'UTC', quietHours: { start: minute(-1), end: minute(-2) } } });
    const device = await service.app.inject({ method: 'PUT', url: `/customers/${o.customer.id}/devices`, payload: { token: `device-${randomUUID()}`, platform: 'android' } });
    expect(device.statusCode).toBe(200);
    await publish(newEvent(orderCreated, { aggregateId: o.id, source: 'orders', data: o }));
    const shipped = statusChanged(o, 'shipped');
    await publish(shipped);
    await processed(shipped.id);
    const push = await service.db.notification.findUnique({ where: { orderId_notice_channel: { orderId: o.id, notice: 'shipped', channel: 'push' } } });
    expect(push?.status).toBe('deferred');
    const [item] = await feedOf(o.customer.id);
    expect(item).toMatchObject({ notice: 'shipped', title: 'Order shipped' });
  });

  it('reads newest first with read state and the unread count, marks read idempotently, and pages', async () => {
    const customerId = `cust-${randomUUID().slice(0, 8)}`;
    const first = order('en', customerId);
    await placeAndConfirm(first);
    clock.advance(1_000);
    const second = order('en', customerId);
    await placeAndConfirm(second);
    const read = async (query = '') => {
      const response = await service.app.inject({ method: 'GET', url: `/customers/${customerId}/feed${query}`, headers: asCustomer(customerId) });
      expect(response.statusCode).toBe(200);
      return response.json() as FeedResponse;
    };

    const feed = await read();
    expect(feed.items.map((i) => [i.orderId, i.read])).toEqual([
      [second.id, false],
      [first.id, false],
    ]);
    expect(feed.unreadCount).toBe(2);
    expect(feed.nextCursor).toBeNull();

    const page = await read('?limit=1');
    expect(page.items.map((i) => i.orderId)).toEqual([second.id]);
    expect((await read(`?limit=1&cursor=${page.nextCursor}`)).items.map((i) => i.orderId)).toEqual([first.id]);

    const mark = (payload: unknown, who = customerId) =>
      service.app.inject({ method: 'POST', url: `/customers/${customerId}/feed/read`, headers: asCustomer(who), payload: payload as object });
    const older = feed.items[1]!.id;
    const marked = await mark({ ids: [older] });
    expect(marked.statusCode).toBe(200);
    expect(marked.json()).toEqual({ customerId, marked: 1, unreadCount: 1 });
    expect((await mark({ ids: [older] })).json()).toEqual({ customerId, marked: 0, unreadCount: 1 });
    const after = await read();
    expect(after.items.map((i) => i.read)).toEqual([false, true]);
    expect(after.items[1]!.readAt).not.toBeNull();
    expect((await read('?unread=true')).items.map((i) => i.orderId)).toEqual([second.id]);

    expect((await mark({ all: true })).json()).toEqual({ customerId, marked: 1, unreadCount: 0 });
    expect((await mark({ all: true })).json()).toEqual({ customerId, marked: 0, unreadCount: 0 });
    expect((await read('?unread=true')).items).toEqual([]);
  });

  it('refuses bad input with problem+json naming the field, and changes nothing', async () => {
    const o = order('en');
    await placeAndConfirm(o);
    const customerId = o.customer.id;
    for (const payload of [{}, { ids: [] }, { ids: ['not-a-uuid'] }, { all: false }, { ids: [randomUUID()], all: true }]) {
      const response = await service.app.inject({ method: 'POST', url: `/customers/${customerId}/feed/read`, payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    for (const query of ['?limit=0', '?limit=abc', '?unread=yes', '?cursor=bm90LWEtY3Vyc29y']) {
      const response = await service.app.inject({ method: 'GET', url: `/customers/${customerId}/feed${query}` });
      expect(response.statusCode, query).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(JSON.stringify(response.json().errors ?? response.json())).toMatch(/limit|unread|cursor/);
    }
    expect((await feedOf(customerId)).map((i) => i.readAt)).toEqual([null]);
  });

  it("keeps a customer out of another customer's feed", async () => {
    const o = order('en');
    await placeAndConfirm(o);
    const intruder = asCustomer('cust-intruder');
    const read = await service.app.inject({ method: 'GET', url: `/customers/${o.customer.id}/feed`, headers: intruder });
    expect(read.statusCode).toBe(403);
    const mark = await service.app.inject({ method: 'POST', url: `/customers/${o.customer.id}/feed/read`, headers: intruder, payload: { all: true } });
    expect(mark.statusCode).toBe(403);
    expect((await feedOf(o.customer.id)).map((i) => i.readAt)).toEqual([null]);
    // Ops read any customer's feed.
    const ops = await service.app.inject({ method: 'GET', url: `/customers/${o.customer.id}/feed`, headers: { 'x-actor-role': 'ops' } });
    expect(ops.json()).toMatchObject({ unreadCount: 1 });
  });
});
