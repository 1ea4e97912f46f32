import { eventually } from '@platform/test-support/eventually';
import { describe, expect, it } from 'vitest';
import { clock, order, placeAndConfirm, service, sims } from './fixture';

/*
 * The admin's history of every notification, filtered and paged, and the delivery analytics per
 * template, channel and locale (docs/notification-admin.md), test sends marked and not counted.
 */

const OPS = { 'x-actor-role': 'ops', 'x-actor': 'ops:key-ana' };
const get = (url: string) => service.app.inject({ method: 'GET', url, headers: OPS });
const settled = (orderId: string, count: number) =>
  eventually(
    () => service.db.notification.findMany({ where: { orderId } }),
    (rows) => rows.length === count && rows.every((n) => n.status === 'sent' || n.status === 'failed'),
    20_000,
  );

describe('history and analytics', () => {
  it('filters the history, pages it newest first, and counts sent and failed per template, channel and locale', async () => {
    const from = new Date(clock.now().getTime() - 1).toISOString();
    const es = order('es');
    const en = order('en');
    // The English customer takes confirmations by SMS too, at any hour; Twilio refuses it (unsubscribed), a failure for good.
    const phone = `+3460${Math.floor(1e6 + Math.random() * 8e6)}`;
    expect((await service.app.inject({ method: 'PUT', url: `/customers/${en.customer.id}/preferences`, payload: { phoneNumber: phone, channels: { sms: { order_confirmed: true } }, quietHours: null } })).statusCode).toBe(200);
    await fetch(`${sims.baseUrl('twilio')}/_sim/behaviour`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mode: 'reject', times: 1 }) });
    await placeAndConfirm(es);
    await settled(es.id, 1);
    await placeAndConfirm(en);
    await settled(en.id, 2);
    const to = new Date(clock.now().getTime() + 1).toISOString();
    // A test send: in the history, marked; never in the analytics.
    const test = await service.app.inject({ method: 'POST', url: '/notification-templates/order-confirmation/email/es/test-send', headers: OPS, payload: { to: 'qa@example.com' } });
    expect(test.statusCode).toBe(202);

    const byOrder = (await get(`/notifications?orderId=${en.id}`)).json();
    expect(byOrder.notifications.map((n: { channel: string; status: string }) => [n.channel, n.status]).sort()).toEqual([
      ['email', 'sent'],
      ['sms', 'failed'],
    ]);
    const failed = (await get(`/notifications?status=failed&channel=sms&locale=en&from=${from}`)).json();
    expect(failed.notifications).toEqual([expect.objectContaining({ orderId: en.id, template: 'order-confirmation', test: false, deliveredAt: null, clickedAt: null })]);
    const spanish = (await get(`/notifications?template=order-confirmation&locale=es&from=${from}`)).json();
    expect(spanish.notifications.map((n: { orderId: string; test: boolean }) => n.test).sort()).toEqual([false, true]);

    // Newest first, a page at a time, every row once.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { notifications: Array<{ id: string }>; nextCursor: string | null } = (await get(`/notifications?from=${from}&limit=1${cursor ? `&cursor=${cursor}` : ''}`)).json();
      expect(page.notifications.length).toBeLessThanOrEqual(1);
      seen.push(...page.notifications.map((n) => n.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(4);
    expect(new Set(seen).size).toBe(4);
    const all = (await get(`/notifications?from=${from}&limit=10`)).json().notifications.map((n: { id: string }) => n.id);
    expect(seen).toEqual(all);

    const analytics = (await get(`/notification-analytics?from=${from}&to=${to}`)).json();
    expect(analytics.rows).toEqual([
      { template: 'order-confirmation', channel: 'email', locale: 'en', sent: 1, delivered: 0, failed: 0, clicked: 0 },
      { template: 'order-confirmation', channel: 'email', locale: 'es', sent: 1, delivered: 0, failed: 0, clicked: 0 },
      { template: 'order-confirmation', channel: 'sms', locale: 'en', sent: 0, delivered: 0, failed: 1, clicked: 0 },
    ]);
  });

  it('refuses bad filters with problem+json naming the parameter', async () => {
    for (const [query, pointer] of [
      ['status=lost', 'status'],
      ['channel=fax', 'channel'],
      ['from=2026-12-05T00:00:00Z&to=2026-12-04T00:00:00Z', 'from'],
      ['cursor=not-a-cursor', 'cursor'],
    ] as const) {
      const response = await get(`/notifications?${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(JSON.stringify(response.json().errors), query).toContain(pointer);
    }
    expect((await get('/notification-analytics?from=yesterday')).statusCode).toBe(400);
  });
});
