import { randomUUID } from 'node:crypto';
import { AdjustableClock } from '@platform/runtime/clock';
import { publishEnvelope } from '@platform/runtime/nats';
import { newEvent } from '@platform/runtime/outbox';
import { orderCreated, orderDelayed, orderPromised } from '@platform/contracts';
import type { Order } from '@platform/contracts/api/orders';
import { type SmtpSinkHandle, startSmtpSink } from '@platform/devstack';
import { LOCAL_PROVIDER_CREDENTIALS, type SimulatorHandle, startSimulators } from '@platform/simulators';
import { eventually } from '@platform/test-support/eventually';
import { type StartedService, startService } from '@platform/test-support/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNotifications } from '../src/app';
import { notificationsEnv } from '../src/config';
import { sampleOrder, statusChanged } from './orders';

/*
 * The delivery promise as the customer hears of it (docs/delivery-promise.md): the confirmation
 * shows the promised dates, and a late order gets exactly one "running late" notice with the
 * new estimate, across a restart of the service and a repeated delay fact.
 */

type Notifications = StartedService<ReturnType<typeof buildNotifications>>;

let sink: SmtpSinkHandle;
let sims: SimulatorHandle;
let service: Notifications;
const clock = new AdjustableClock();
// Its own durable per run: the streams are shared with other test files.
const consumer = `notifications--late-${randomUUID().slice(0, 8)}`;
let databaseUrl: string | undefined;

function start(): Promise<Notifications> {
  const { twilio, fcm } = LOCAL_PROVIDER_CREDENTIALS;
  return startService((runtime, env) => buildNotifications(runtime, env, { consumerNames: { orders: consumer, fulfillment: `${consumer}-ful` } }), {
    name: 'notifications',
    env: notificationsEnv,
    clock,
    ...(databaseUrl && { databaseUrl }),
    variables: {
      SMTP_URL: sink.smtpUrl,
      PUBLIC_BASE_URL: 'https://shop.example',
      ORDER_LINK_SECRET: 'running-late-test-order-link-secret-0123456789',
      TWILIO_API_URL: sims.baseUrl('twilio'),
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_FROM: twilio.from,
      FCM_API_URL: sims.baseUrl('fcm'),
      FCM_PROJECT_ID: fcm.projectId,
      FCM_ACCESS_TOKEN: fcm.accessToken,
      TIMER_POLL_MS: '50',
    },
  });
}

beforeAll(async () => {
  [sink, sims] = await Promise.all([startSmtpSink({ smtpPort: 0, httpPort: 0 }), startSimulators({ webhookBaseUrl: 'http://127.0.0.1:9' })]);
  service = await start();
  databaseUrl = service.databaseUrl;
});

afterAll(async () => {
  await service?.stop();
  await sims?.stop();
  await sink?.stop();
});

const publish = (event: { id: string; type: string }) => publishEnvelope(service.runtime.messaging.js, event as ReturnType<typeof newEvent>);
const emailsTo = (address: string) => sink.messages().filter((m) => m.to.includes(address));
/** The first email to `address`, waited for as long as a loaded machine needs (the sink's own wait gives up after 10 s). */
const firstEmailTo = async (address: string) => (await eventually(async () => emailsTo(address), (emails) => emails.length > 0))[0]!;
/** Intl puts thin and narrow spaces in dates and ranges. */
const plain = (text: string) => text.replace(/\s/g, ' ');
const processed = (eventId: string) => service.db.processedEvent.findUnique({ where: { consumer_eventId: { consumer, eventId } } });

const order = (locale: 'en' | 'es' | 'ro' | 'ru') => sampleOrder(clock.now(), locale);

const PROMISE = { deliveryType: 'standard' as const, earliest: '2026-12-10T00:00:00.000Z', latest: '2026-12-14T23:59:59.999Z' };

function promised(o: Order) {
  return newEvent(orderPromised, { aggregateId: o.id, source: 'orders', data: { orderId: o.id, number: o.number, promise: PROMISE, promisedAt: clock.now().toISOString() } });
}

function delayed(o: Order, estimatedDelivery: string) {
  return newEvent(orderDelayed, {
    aggregateId: o.id,
    source: 'orders',
    data: {
      orderId: o.id,
      number: o.number,
      reason: 'late_estimate',
      promise: PROMISE,
      estimatedDelivery,
      tracking: { number: 'RR123456785CN', carrier: 'china-post' },
      customer: o.customer,
      flaggedAt: clock.now().toISOString(),
    },
  });
}

describe('the delivery promise in messages', () => {
  it('shows the promised dates on the confirmation, in the customer language', async () => {
    const o = order('es');
    await publish(newEvent(orderCreated, { aggregateId: o.id, source: 'orders', data: o }));
    await publish(promised(o));
    await publish(statusChanged(o, 'confirmed', { clock }));
    const email = await firstEmailTo(o.customer.email);
    expect(email.subject).toBe(`Pedido ${o.number} confirmado`);
    expect(plain(email.text)).toContain('Entrega prevista: 10–14 de diciembre de 2026');
    expect(plain(email.html ?? '')).toContain('Entrega prevista: 10–14 de diciembre de 2026');
  });

  it('tells a late order once, with the new estimate, across a restart and a repeated delay fact', async () => {
    const o = order('en');
    await publish(newEvent(orderCreated, { aggregateId: o.id, source: 'orders', data: o }));
    await publish(promised(o));
    const first = delayed(o, '2026-12-18T00:00:00.000Z');
    await publish(first);
    const email = await firstEmailTo(o.customer.email);
    expect(email.subject).toBe(`Your order ${o.number} is running late`);
    expect(plain(email.text)).toContain('The carrier now expects to deliver it on December 18, 2026.');
    expect(plain(email.text)).toContain('We had promised it for December 10 – 14, 2026.');
    expect(email.text).toContain('https://shop.example/track/RR123456785CN');
    await eventually(() => service.db.notification.findMany({ where: { orderId: o.id } }), (rows) => rows.length === 1 && rows[0]!.status === 'delivered');

    // The service restarts; then orders repeats the fact (a later estimate) and JetStream redelivers the first.
    await service.stop();
    service = await start();
    const repeated = delayed(o, '2026-12-22T00:00:00.000Z');
    await publish(repeated);
    await service.runtime.messaging.js.publish(first.type, JSON.stringify(first));
    await eventually(() => processed(repeated.id), (row) => row !== null, 20_000);
    await service.timers.fireDue();

    expect(emailsTo(o.customer.email)).toHaveLength(1);
    const rows = await service.db.notification.findMany({ where: { orderId: o.id } });
    expect(rows.map((n) => [n.notice, n.channel, n.template, n.status])).toEqual([['running_late', 'email', 'order-running-late', 'delivered']]);
  });
});
