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
    (rows) => rows.length === count && rows.every((n) => n.status === 'delivered' || n.status === 'failed'),
    20_000,
  );

/** A history entry as the analytics count it. */
interface Entry {
  id: string;
  template: string;
  channel: string;
  locale: string;
  status: string;
  test: boolean;
  sentAt: string | null;
  deliveredAt: string | null;
  clickedAt: string | null;
}

/** Every entry of a query, page by page (newest first). */
async function allPages(query: string, limit: number): Promise<Entry[]> {
  const entries: Entry[] = [];
  let cursor: string | null = null;
  do {
    const page: { notifications: Entry[]; nextCursor: string | null } = (await get(`/notifications?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`)).json();
    expect(page.notifications.length).toBeLessThanOrEqual(limit);
    entries.push(...page.notifications);
    cursor = page.nextCursor;
  } while (cursor);
  return entries;
}

/** The analytics worked out by hand from history entries: what the endpoint must say. */
function countsOf(entries: Entry[]) {
  const rows = new Map<string, { template: string; channel: string; locale: string; sent: number; delivered: number; failed: number; clicked: number }>();
  for (const n of entries.filter((e) => !e.test)) {
    const key = `${n.template}/${n.channel}/${n.locale}`;
    const row = rows.get(key) ?? { template: n.template, channel: n.channel, locale: n.locale, sent: 0, delivered: 0, failed: 0, clicked: 0 };
    row.sent += n.sentAt ? 1 : 0;
    row.delivered += n.deliveredAt ? 1 : 0;
    row.failed += n.status === 'failed' ? 1 : 0;
    row.clicked += n.clickedAt ? 1 : 0;
    rows.set(key, row);
  }
  return byKey([...rows.values()]);
}

/** Rows in one order whatever the database's collation. */
const byKey = <R extends { template: string; channel: string; locale: string }>(rows: R[]) =>
  [...rows].sort((a, b) => (`${a.template}/${a.channel}/${a.locale}` < `${b.template}/${b.channel}/${b.locale}` ? -1 : 1));

// The service's consumer reads the shared ORDERS stream from its start, so orders of other test
// files may be planned here meanwhile: assertions name this test's orders, or compare the
// analytics with the history over the same range.
describe('history and analytics', () => {
  it('filters the history, pages it newest first, and counts sent, delivered and failed per template, channel and locale', async () => {
    const from = new Date(clock.now().getTime() - 1).toISOString();
    const es = order('es');
    const en = order('en');
    // The English customer takes confirmations by SMS too, at any hour; Twilio refuses it (unsubscribed), a failure for good.
    const phone = `+3460${Math.floor(1e6 + Math.random() * 8e6)}`;
    expect((await service.app.inject({ method: 'PUT', url: `/customers/${en.customer.id}/preferences`, payload: { phoneNumber: phone, channels: { sms: { order_confirmed: true } }, quietHours: null } })).statusCode).toBe(200);
    const behaviour = `${sims.baseUrl('twilio')}/_sim/behaviour`;
    await fetch(behaviour, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mode: 'reject' }) });
    await placeAndConfirm(es);
    await settled(es.id, 1);
    await placeAndConfirm(en);
    await settled(en.id, 2);
    await fetch(behaviour, { method: 'DELETE' });
    // A test send: in the history, marked; never in the analytics.
    const test = await service.app.inject({ method: 'POST', url: '/notification-templates/order-confirmation/email/es/test-send', headers: OPS, payload: { to: 'qa@example.com' } });
    expect(test.statusCode).toBe(202);
    const testId = test.json().notificationId as string;
    await eventually(() => service.db.notification.findUnique({ where: { id: testId } }), (n) => n?.status === 'delivered', 20_000);
    const to = new Date(clock.now().getTime() + 1).toISOString();

    const byOrder = (await get(`/notifications?orderId=${en.id}`)).json();
    expect(byOrder.notifications.map((n: { channel: string; status: string }) => [n.channel, n.status]).sort()).toEqual([
      ['email', 'delivered'],
      ['sms', 'failed'],
    ]);
    const failed = await allPages(`status=failed&channel=sms&locale=en&from=${from}`, 50);
    expect(failed).toContainEqual(expect.objectContaining({ orderId: en.id, template: 'order-confirmation', test: false, deliveredAt: null, clickedAt: null }));
    expect(failed.every((n) => n.status === 'failed' && n.channel === 'sms' && n.locale === 'en')).toBe(true);
    const spanish = await allPages(`template=order-confirmation&locale=es&from=${from}`, 50);
    expect(spanish.map((n) => n.id)).toEqual(expect.arrayContaining([testId]));
    expect(spanish.find((n) => n.id === testId)).toMatchObject({ test: true });

    // Newest first, a page at a time, every row once: pages of one equal one page of all.
    const paged = await allPages(`orderId=${en.id}`, 1);
    expect(paged.map((n) => n.id)).toEqual(byOrder.notifications.map((n: { id: string }) => n.id));
    expect(paged).toHaveLength(2);

    // The analytics say what the history says over the same range, test sends left out, once every row in it has settled.
    await eventually(
      async () => {
        const entries = await allPages(`from=${from}&to=${to}`, 200);
        const analytics = (await get(`/notification-analytics?from=${from}&to=${to}`)).json();
        return { entries, expected: countsOf(entries), rows: analytics.rows };
      },
      ({ entries, expected, rows }) => entries.every((n) => !['pending', 'sending'].includes(n.status)) && JSON.stringify(byKey(rows)) === JSON.stringify(expected),
      20_000,
    );
    const rows = (await get(`/notification-analytics?from=${from}&to=${to}`)).json().rows;
    expect(rows.find((r: Entry) => r.template === 'order-confirmation' && r.channel === 'sms' && r.locale === 'en')).toMatchObject({ failed: expect.any(Number) });
    expect(rows.find((r: Entry) => r.template === 'order-confirmation' && r.channel === 'sms' && r.locale === 'en').failed).toBeGreaterThanOrEqual(1);
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
