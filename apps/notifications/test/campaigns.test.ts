import { randomUUID } from 'node:crypto';
import type { Order } from '@platform/contracts/api/orders';
import type { SmtpSinkHandle } from '@platform/devstack';
import { AdjustableClock } from '@platform/runtime/clock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAMPAIGN_RELEASE, noteDelay, noteSettled } from '../src/application/campaigns';
import { ADMIN, type AdminService, OPS, startAdminService, startSink, storeOrder } from './admin-service';
import { sampleOrder } from './orders';

/*
 * Bulk sends (docs/notification-admin.md#bulk-sends): every customer with an order more than two
 * days late gets one apology, paced by the campaign's release timer; running the campaign again,
 * and restarting the service between its batches, sends nobody a second message.
 */

const DAY = 24 * 60 * 60 * 1000;
/** Two a minute: one message per release, a release every 30 s of the service's clock. */
const SENDS_PER_MINUTE = 2;
const clock = new AdjustableClock();
let sink: SmtpSinkHandle;
let service: AdminService;

beforeAll(async () => {
  sink = await startSink();
  service = await startAdminService(sink, { clock, sendsPerMinute: SENDS_PER_MINUTE });
});

afterAll(async () => {
  await service?.stop();
  await sink?.stop();
});

/** An order of `customerId` the read model knows, flagged late since its promise passed `daysLate` days ago. */
async function lateOrder(locale: 'en' | 'es' | 'ro' | 'ru', customerId: string, daysLate: number): Promise<Order> {
  const order = sampleOrder(new Date(clock.now().getTime() - (daysLate + 7) * DAY), locale, customerId);
  await storeOrder(service, order);
  const latest = new Date(clock.now().getTime() - daysLate * DAY);
  const promise = { deliveryType: 'standard' as const, earliest: new Date(latest.getTime() - 3 * DAY).toISOString(), latest: latest.toISOString() };
  await service.db.$transaction((tx) =>
    noteDelay(tx, { orderId: order.id, number: order.number, reason: 'late_estimate', promise, estimatedDelivery: null, tracking: null, customer: order.customer, flaggedAt: latest.toISOString() }),
  );
  return order;
}

async function delivered(order: Order): Promise<void> {
  const change = {
    orderId: order.id,
    number: order.number,
    status: 'delivered' as const,
    previousStatus: 'delayed' as const,
    details: null,
    actor: 'tracking',
    customer: order.customer,
    total: order.totals.total,
    currency: order.currency,
    tracking: null,
    version: 5,
    changedAt: clock.now().toISOString(),
  };
  await service.db.$transaction((tx) => noteSettled(tx, change, clock.now()));
}

const post = (body: object) => service.app.inject({ method: 'POST', url: '/notification-campaigns', headers: ADMIN, payload: body });
const campaign = (id: string) => service.app.inject({ method: 'GET', url: `/notification-campaigns/${id}`, headers: OPS }).then((answer) => answer.json());
const apologies = (campaignId: string) =>
  service.db.notification.findMany({ where: { notice: { endsWith: campaignId } }, orderBy: [{ createdAt: 'asc' }, { customerId: 'asc' }] });
const pendingRelease = (campaignId: string) => service.db.timer.findFirst({ where: { kind: CAMPAIGN_RELEASE, key: campaignId, firedAt: null } });

describe('bulk send to the customers with an order delayed more than two days', () => {
  it('sends one apology per customer, paced by the release timer, and nothing twice across a restart and a rerun', async () => {
    const run = randomUUID().slice(0, 8);
    const customer = (n: number) => `late-${run}-${n}`;
    const inSegment = [
      await lateOrder('es', customer(1), 3),
      await lateOrder('en', customer(2), 5),
      await lateOrder('ro', customer(3), 2.5),
      await lateOrder('ru', customer(4), 10),
    ];
    // Customer 1 has a second late order: still one message, about the most overdue.
    const mostOverdue = await lateOrder('es', customer(1), 4);
    // Not in it: late one day only, or delivered since.
    await lateOrder('en', customer(5), 1);
    await delivered(await lateOrder('en', customer(6), 6));
    const mine = <Row extends { customerId: string | null }>(rows: Row[]) => rows.filter((n) => n.customerId?.startsWith(`late-${run}-`));

    const definition = { name: `delay-apology-${run}`, template: 'order-delay-apology', channel: 'email', segment: { kind: 'delayed_orders', minDaysLate: 2 } };
    const dry = await post({ ...definition, dryRun: true });
    expect(dry.statusCode).toBe(200);
    // Other tests' late orders share nothing with this database: it is this file's own.
    expect(dry.json()).toEqual({ dryRun: true, recipients: 4 });
    expect(await service.db.notificationCampaign.count({ where: { name: definition.name } })).toBe(0);

    const created = await post(definition);
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    expect(created.json()).toMatchObject({ status: 'running', sendsPerMinute: 2, createdBy: 'admin:key-eva', counts: { recipients: 4, queued: 4, planned: 0 } });

    // First release at once: one message; the next release is set one interval later on the service's clock.
    await service.timers.fireDue();
    const first = mine(await apologies(id));
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ status: 'delivered', template: 'order-delay-apology' });
    expect((await pendingRelease(id))?.fireAt).toEqual(new Date(first[0]!.createdAt.getTime() + 30_000));

    clock.advance(30_000);
    await service.timers.fireDue();
    expect(mine(await apologies(id))).toHaveLength(2);

    // The service stops between batches and starts again on the same database: it carries on where it was.
    await service.stop();
    service = await startAdminService(sink, { clock, databaseUrl: service.databaseUrl, sendsPerMinute: SENDS_PER_MINUTE });
    for (let release = 0; release < 3; release += 1) {
      clock.advance(30_000);
      await service.timers.fireDue();
    }
    expect(await campaign(id)).toMatchObject({ status: 'done', counts: { recipients: 4, queued: 0, planned: 4, skipped: 0, sent: 4, delivered: 4 } });
    const sent = mine(await apologies(id));
    expect(sent).toHaveLength(4);
    // Paced: each message planned one interval (30 s of the clock) or more after the one before.
    for (let i = 1; i < sent.length; i += 1) expect(sent[i]!.createdAt.getTime() - sent[i - 1]!.createdAt.getTime()).toBeGreaterThanOrEqual(30_000);
    expect(sent.find((n) => n.customerId === customer(1))?.orderId).toBe(mostOverdue.id);

    // Run again, with one more customer late meanwhile: only they get a message.
    const newcomer = await lateOrder('en', customer(7), 3);
    const rerun = await post(definition);
    expect(rerun.statusCode).toBe(200);
    expect(rerun.json()).toMatchObject({ id, status: 'running', counts: { recipients: 5, queued: 1 } });
    await service.timers.fireDue();
    expect(await post(definition).then((answer) => answer.statusCode)).toBe(200);
    clock.advance(30_000);
    await service.timers.fireDue();
    const all = mine(await apologies(id));
    expect(all.map((n) => n.customerId).sort()).toEqual([1, 2, 3, 4, 7].map(customer).sort());
    expect(all.find((n) => n.customerId === customer(7))?.orderId).toBe(newcomer.id);

    // One email per customer reached the relay, in their language.
    for (const order of [...inSegment, newcomer]) expect(sink.messages().filter((m) => m.to.includes(order.customer.email)), order.customer.id).toHaveLength(1);
    const spanish = sink.messages().find((m) => m.to.includes(inSegment[0]!.customer.email))!;
    expect(spanish.subject).toBe(`Sentimos el retraso de tu pedido ${mostOverdue.number}`);

    // In the history and analytics under the template.
    const history = (await service.app.inject({ method: 'GET', url: '/notifications?template=order-delay-apology&limit=200', headers: OPS })).json();
    const ids = new Set(all.map((n) => n.id));
    expect(history.notifications.filter((entry: { id: string }) => ids.has(entry.id))).toHaveLength(5);
    const rows = (await service.app.inject({ method: 'GET', url: '/notification-analytics', headers: OPS })).json().rows as Array<{ template: string; locale: string; sent: number }>;
    expect(rows.filter((r) => r.template === 'order-delay-apology').reduce((sum, r) => sum + r.sent, 0)).toBe(5);
  });

  it('refuses a rerun that changes the campaign, and a segment it does not know', async () => {
    const name = `delay-apology-${randomUUID().slice(0, 8)}`;
    const definition = { name, template: 'order-delay-apology', channel: 'email', segment: { kind: 'delayed_orders', minDaysLate: 2 } };
    expect((await post(definition)).statusCode).toBe(201);
    const changed = await post({ ...definition, channel: 'sms' });
    expect(changed.statusCode).toBe(409);
    expect(changed.json()).toMatchObject({ code: 'CAMPAIGN_DIFFERS' });
    const unknown = await post({ ...definition, name: `${name}-x`, segment: { kind: 'big_spenders' } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.headers['content-type']).toContain('application/problem+json');
    expect((await service.app.inject({ method: 'GET', url: `/notification-campaigns/${randomUUID()}`, headers: OPS })).statusCode).toBe(404);
  });
});
