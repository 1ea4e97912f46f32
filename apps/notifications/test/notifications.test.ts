import { randomUUID } from 'node:crypto';
import type { AdjustableClock } from '@platform/runtime/clock';
import { publishEnvelope } from '@platform/runtime/nats';
import { newEvent } from '@platform/runtime/outbox';
import type { ServiceRuntime } from '@platform/runtime/service';
import {
  itemsBackordered,
  itemsCancelled,
  itemsSubstituted,
  noticePlanned,
  type EventData,
  orderCreated,
  orderDelayed,
  orderModified,
  type Parcel,
  progressChanged,
} from '@platform/contracts';
import { verifyOrderLink } from '@platform/config/order-links';
import type { Order } from '@platform/contracts/api/orders';
import { type SmtpSinkHandle, startSmtpSink } from '@platform/devstack';
import { LOCAL_PROVIDER_CREDENTIALS, type SimulatorHandle, startSimulators } from '@platform/simulators';
import { eventually, sleep } from '@platform/test-support/eventually';
import { parseExposition, sampleValue } from '@platform/test-support/metrics';
import { recordedEvents } from '@platform/test-support/recorded-events';
import { type StartedService, startService } from '@platform/test-support/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutcomeUnknownError, ProviderError } from '../src/adapters/provider-error';
import { buildNotifications } from '../src/app';
import { deliverNotification, notificationId, TIMER_KINDS } from '../src/application/notifications';
import { notificationsEnv } from '../src/config';
import { statusChanged } from './orders';
import { type RelayFaults, startRelayFaults } from './relay-faults';

/**
 * The notifications service in-process against real PostgreSQL, NATS JetStream, the SMTP
 * sink and the Twilio/FCM simulators: order and fulfillment events in, messages out, exactly
 * once per (order, notice, channel), with preferences, quiet hours, retries and breakers.
 */

let runtime: ServiceRuntime;
let service: StartedService<ReturnType<typeof buildNotifications>>;
let sink: SmtpSinkHandle;
let sims: SimulatorHandle;
let relay: RelayFaults;
let clock: AdjustableClock;

const ORDER_LINK_SECRET = 'notifications-test-order-link-secret-0123456789';
// Long enough that a loaded machine still sees the breaker open between two steps of advanceUntil.
const BREAKER_OPEN_MS = 1_000;

beforeAll(async () => {
  const [smtp, simulators] = await Promise.all([startSmtpSink({ smtpPort: 0, httpPort: 0 }), startSimulators({ webhookBaseUrl: 'http://127.0.0.1:9' })]);
  sink = smtp;
  sims = simulators;
  relay = await startRelayFaults(sink);
  const { twilio, fcm } = LOCAL_PROVIDER_CREDENTIALS;
  service = await startService(
    (runtime, env) =>
      buildNotifications(runtime, env, {
        // Its own durables per run: the streams are shared with other test files.
        consumerNames: { orders: `notifications--it-${randomUUID().slice(0, 8)}`, fulfillment: `notifications--it-ful-${randomUUID().slice(0, 8)}` },
        providerTimeoutMs: 2_000,
      }),
    {
      name: 'notifications',
      env: notificationsEnv,
      variables: {
        // Through the fault proxies; the sink answers Mailpit's search, as in the platform command.
        SMTP_URL: relay.smtpUrl,
        EMAIL_LOOKUP_URL: relay.lookupUrl,
        SEND_CONCURRENCY: '2',
        PUBLIC_BASE_URL: 'https://shop.example',
        ORDER_LINK_SECRET,
        TWILIO_API_URL: sims.baseUrl('twilio'),
        TWILIO_ACCOUNT_SID: twilio.accountSid,
        TWILIO_AUTH_TOKEN: twilio.authToken,
        TWILIO_FROM: twilio.from,
        FCM_API_URL: sims.baseUrl('fcm'),
        FCM_PROJECT_ID: fcm.projectId,
        FCM_ACCESS_TOKEN: fcm.accessToken,
        NOTIFICATION_MAX_ATTEMPTS: '3',
        NOTIFICATION_RETRY_BASE_MS: '1000',
        PROVIDER_BREAKER_THRESHOLD: '2',
        PROVIDER_BREAKER_OPEN_MS: String(BREAKER_OPEN_MS),
        TIMER_POLL_MS: '50',
      },
    },
  );
  runtime = service.runtime;
  clock = service.clock;
});

afterAll(async () => {
  await service?.stop();
  await sims?.stop();
  await relay?.stop();
  await sink?.stop();
});

/** An IANA zone (Etc/GMT±n) where the service's clock now reads `hour` o'clock, give or take an hour. */
function zoneAtHour(hour: number): string {
  let offset = hour - clock.now().getUTCHours();
  if (offset > 12) offset -= 24;
  if (offset < -11) offset += 24;
  // Etc/GMT signs are inverted: Etc/GMT-3 is UTC+3.
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

interface Customer {
  id: string;
  email: string;
  name: string;
  locale: 'en' | 'es' | 'ro' | 'ru';
  timezone: string;
  phone?: string;
}

function customer(overrides: Partial<Customer> = {}): Customer {
  const tag = randomUUID().slice(0, 8);
  return { id: `cust-${tag}`, email: `buyer-${tag}@example.com`, name: 'Ana García', locale: 'es', timezone: zoneAtHour(12), ...overrides };
}

const BLUE_MUG: Order['items'][number] = { id: randomUUID(), sku: 'MUG', variantId: 'mug-blue', name: 'Blue mug', quantity: 2, unitPrice: 1250, lineTotal: 2500, vendor: { id: 'acme', type: 'brand' }, supplierSource: 'own_stock', ageRestricted: false };
const EARL_GREY: Order['items'][number] = { id: randomUUID(), sku: 'TEA', variantId: 'tea-eg', name: 'Earl Grey', quantity: 1, unitPrice: 899, lineTotal: 899, vendor: { id: 'leafy', type: 'distributor' }, supplierSource: 'cj', ageRestricted: false };

function order(who: Customer, items: Order['items'] = [BLUE_MUG]): Order {
  const now = clock.now().toISOString();
  const subtotal = items.reduce((sum, item) => sum + item.lineTotal, 0);
  return {
    id: randomUUID(),
    number: `ORD-${Math.floor(Math.random() * 1e6).toString().padStart(6, '0')}`,
    status: 'pending',
    fulfillmentStatus: 'not_fulfilled',
    customer: who,
    shippingAddress: { name: 'Ana García', line1: 'Calle Mayor 1', city: 'Madrid', postalCode: '28001', country: 'ES' },
    billingAddress: { name: 'Ana García', line1: 'Calle Mayor 1', city: 'Madrid', postalCode: '28001', country: 'ES' },
    items,
    deliveryType: 'standard',
    deliveryWindow: null,
    notes: null,
    ageVerified: false,
    currency: 'EUR',
    totals: { subtotal, shipping: 499, tax: 0, discount: 0, total: subtotal + 499 },
    version: 0,
    createdAt: now,
    updatedAt: now,
  };
}

async function publishCreated(o: Order) {
  await publishEnvelope(runtime.messaging.js, newEvent(orderCreated, { aggregateId: o.id, source: 'orders', data: o }));
}

const publish = (event: { id: string; type: string }) => publishEnvelope(runtime.messaging.js, event as ReturnType<typeof statusChanged>);
/** The same message again, as JetStream redelivers one whose ack was lost (a kill after commit): same event id, past the publish dedupe. */
const redeliver = (event: { type: string }) => runtime.messaging.js.publish(event.type, JSON.stringify(event));
const rows = (orderId: string) => service.db.notification.findMany({ where: { orderId }, orderBy: { channel: 'asc' } });
/** Settled: an email or a push is delivered once the provider took it; an SMS is sent until Twilio calls back (no callback URL here). */
const settled = (n: { channel: string; status: string }) => n.status === (n.channel === 'sms' ? 'sent' : 'delivered');
const smsTo = async (phone: string) => ((await (await fetch(`${sims.baseUrl('twilio')}/_sim/messages`)).json()) as Array<{ to: string; body: string }>).filter((m) => m.to === phone);
const pushTo = async (token: string) => ((await (await fetch(`${sims.baseUrl('fcm')}/_sim/messages`)).json()) as Array<{ token: string; notification: { title: string; body: string } }>).filter((m) => m.token === token);
const emailsTo = (address: string) => sink.messages().filter((m) => m.to.includes(address));
/** The service's events of `type` about the order, published or still in the outbox. */
const recorded = async (type: string, orderId: string) =>
  (await recordedEvents(service.db, service.runtime.messaging, type)).filter((event) => event.aggregateId === orderId);
type PlannedChannel = EventData<typeof noticePlanned>['channels'][number];
/** What the notices planned for the order say of their channels with one outcome, by channel (the order's timeline reads them, GW-03). */
const outcomes = async (orderId: string, outcome: PlannedChannel['outcome']) =>
  (await recorded(noticePlanned.type, orderId))
    .flatMap((event) => (event.data as EventData<typeof noticePlanned>).channels)
    .filter((channel) => channel.outcome === outcome)
    .map((channel) => channel as PlannedChannel & { reason?: string; until?: string; recipient?: string })
    .sort((a, b) => a.channel.localeCompare(b.channel));
const uniquePhone = () => `+3460${Math.floor(1e6 + Math.random() * 8e6)}`;

async function registerDevice(customerId: string, token: string) {
  const response = await service.app.inject({ method: 'PUT', url: `/customers/${customerId}/devices`, payload: { token, platform: 'android' } });
  expect(response.statusCode).toBe(200);
}

/** Moves the service's time forward in steps (real pauses let open breakers half-open) until `done`. */
async function advanceUntil(done: () => Promise<boolean>, stepMs = 5_000, maxSteps = 40): Promise<void> {
  for (let step = 0; step < maxSteps; step++) {
    if (await done()) return;
    clock.advance(stepMs);
    await service.timers.fireDue();
    await sleep(BREAKER_OPEN_MS / 3);
  }
  expect(await done(), 'condition reached while advancing the clock').toBe(true);
}

describe('order status notifications', () => {
  it('sends nothing on order creation and exactly one confirmation email, in the customer locale, once confirmed', async () => {
    const who = customer({ locale: 'es' });
    const o = order(who);
    await publishCreated(o);
    await sleep(500);
    expect(emailsTo(who.email)).toHaveLength(0);

    await publish(statusChanged(o, 'confirmed', { clock }));
    const [email] = await sink.waitForMessages((m) => m.to.includes(who.email));
    expect(email!.subject).toBe(`Pedido ${o.number} confirmado`);
    expect(email!.text).toContain('Blue mug × 2'); // from the stored order details
    expect(email!.messageId).toMatch(/@notifications\.platform>$/);
    // Defaults: confirmation by email and push; no device registered → no push; SMS off.
    const log = await eventually(() => rows(o.id), (r) => r.every(settled));
    expect(log.map((n) => [n.channel, n.orderStatus, n.template, n.status, n.attempts])).toEqual([['email', 'confirmed', 'order-confirmation', 'delivered', 1]]);

    // Sent by email (its own event), and into the in-app feed at once (the notice's plan, docs/in-app-feed.md).
    const sentEvents = await recorded('notifications.notification.sent', o.id);
    expect(sentEvents.map((e) => e.data)).toEqual([expect.objectContaining({ orderStatus: 'confirmed', channel: 'email', recipient: who.email })]);
    const [plan, ...more] = await recorded(noticePlanned.type, o.id);
    expect(more).toHaveLength(0);
    expect(plan!.data).toMatchObject({ orderStatus: 'confirmed', notice: 'confirmed', template: 'order-confirmation' });
    expect((plan!.data as EventData<typeof noticePlanned>).channels.map((c) => [c.channel, c.outcome, 'reason' in c ? c.reason : c.outcome === 'sent' ? c.recipient : null])).toEqual([
      ['email', 'pending', null],
      ['in_app', 'sent', who.id],
      ['sms', 'suppressed', 'preference_off'],
      ['push', 'suppressed', 'no_address'],
    ]);
    expect((plan!.data as EventData<typeof noticePlanned>).channels.find((c) => c.channel === 'email')!.notificationId).toBe(log[0]!.id);
  });

  it('renders from the status change alone when the order was never seen', async () => {
    const who = customer({ locale: 'ru' });
    const o = order(who);
    await publish(statusChanged(o, 'confirmed', { clock }));
    const [email] = await sink.waitForMessages((m) => m.to.includes(who.email));
    expect(email!.subject).toBe(`Заказ ${o.number} подтверждён`);
    expect(email!.text).toContain('29,99');
  });

  it('announces a shipment by email, SMS and push per the defaults, and a replay sends nothing again', async () => {
    const phone = uniquePhone();
    const token = `device-${randomUUID()}`;
    const who = customer({ locale: 'en', phone });
    const o = order(who);
    await registerDevice(who.id, token);
    await publishCreated(o);
    const shipped = statusChanged(o, 'shipped', { clock, tracking: { number: 'RR123456785CN', carrier: 'China Post' } });
    await publish(shipped);

    const [email] = await sink.waitForMessages((m) => m.to.includes(who.email));
    expect(email!.subject).toBe(`Your order ${o.number} is on its way`);
    expect(email!.html).toContain('https://shop.example/track/RR123456785CN');
    await eventually(() => smsTo(phone), (m) => m.length === 1);
    await eventually(() => pushTo(token), (m) => m.length === 1);
    expect((await smsTo(phone))[0]!.body).toContain(o.number);
    expect((await pushTo(token))[0]!.notification.title).toBe('Order shipped');
    await eventually(() => rows(o.id), (r) => r.length === 3 && r.every(settled));

    // The same status change again (a replay under a new event id): nothing new is sent.
    await publish(statusChanged(o, 'shipped', { clock, tracking: { number: 'RR123456785CN', carrier: 'China Post' } }));
    await sleep(1_000);
    await service.timers.fireDue();
    expect(emailsTo(who.email)).toHaveLength(1);
    expect(await smsTo(phone)).toHaveLength(1);
    expect(await pushTo(token)).toHaveLength(1);
    expect(await rows(o.id)).toHaveLength(3);

    const log = await service.app.inject({ method: 'GET', url: `/orders/${o.id}/notifications` });
    expect(log.statusCode).toBe(200);
    expect(log.json().notifications.map((n: { channel: string; status: string; orderStatus: string }) => `${n.channel}:${n.orderStatus}:${n.status}`)).toEqual([
      'email:shipped:delivered',
      'push:shipped:delivered',
      'sms:shipped:sent',
    ]);
  });

  it('honours an opt-out per channel and status', async () => {
    const phone = uniquePhone();
    const token = `device-${randomUUID()}`;
    const who = customer({ locale: 'en', phone });
    await registerDevice(who.id, token);
    const update = await service.app.inject({
      method: 'PUT',
      url: `/customers/${who.id}/preferences`,
      payload: { channels: { email: { shipped: false }, sms: { shipped: false } } },
    });
    expect(update.statusCode).toBe(200);
    expect(update.json()).toMatchObject({ customized: true, channels: { email: { shipped: false, delivered: true }, sms: { shipped: false }, push: { shipped: true } } });

    const o = order(who);
    await publish(statusChanged(o, 'shipped', { clock, tracking: { number: 'RR123456785CN', carrier: null } }));
    await eventually(() => pushTo(token), (m) => m.length === 1);
    await sleep(500);
    expect(emailsTo(who.email)).toHaveLength(0);
    expect(await smsTo(phone)).toHaveLength(0);
    expect((await rows(o.id)).map((n) => n.channel)).toEqual(['push']);
    expect((await outcomes(o.id, 'suppressed')).map((d) => [d.channel, d.reason])).toEqual([
      ['email', 'preference_off'],
      ['sms', 'preference_off'],
    ]);
  });

  it('defers SMS and push in quiet hours until they end, but sends email and urgent news at once', async () => {
    const phone = uniquePhone();
    const who = customer({ locale: 'en', phone, timezone: zoneAtHour(23) });
    const o = order(who);
    await publishCreated(o);
    const runningLate = newEvent(orderDelayed, {
      aggregateId: o.id,
      source: 'orders',
      data: { orderId: o.id, number: o.number, reason: 'no_scan', promise: null, estimatedDelivery: null, tracking: null, customer: who, flaggedAt: clock.now().toISOString() },
    });
    await publish(runningLate);
    await sink.waitForMessages((m) => m.to.includes(who.email));
    const deferred = await eventually(() => rows(o.id), (r) => r.length === 2);
    const sms = deferred.find((n) => n.channel === 'sms')!;
    expect(sms.status).toBe('deferred');
    const waitMs = sms.scheduledFor!.getTime() - clock.now().getTime();
    expect(waitMs).toBeGreaterThan(7 * 3_600_000); // 23:xx → 08:00 local
    expect(waitMs).toBeLessThan(10 * 3_600_000);
    // Said as it is decided: the SMS waits for the end of quiet hours; no device, so no push.
    expect((await outcomes(o.id, 'deferred')).map((d) => [d.channel, d.reason, d.until])).toEqual([['sms', 'quiet_hours', sms.scheduledFor!.toISOString()]]);
    expect((await outcomes(o.id, 'suppressed')).map((d) => [d.channel, d.reason])).toEqual([['push', 'no_address']]);

    // An exception is urgent: its SMS goes out now, in the middle of the night.
    await publish(statusChanged(o, 'exception', { clock, details: 'Supplier rejected the order: out of stock' }));
    await eventually(() => smsTo(phone), (m) => m.length === 1);
    expect((await smsTo(phone))[0]!.body).toContain('problem');

    clock.advance(waitMs + 1_000);
    await service.timers.fireDue();
    await eventually(() => smsTo(phone), (m) => m.length === 2);
    await eventually(() => rows(o.id), (r) => r.every(settled));
  });
});

describe('in the customer language, naming nothing internal (read in Spanish)', () => {
  /** The email's link to the order page: ours, for this order, signed and not expired. */
  function expectOrderLink(email: { html: string | null; text: string }, orderId: string) {
    const url = new RegExp(`https://shop\\.example/orders/${orderId}\\?t=([\\w.-]+)`);
    const token = url.exec(email.text)?.[1];
    expect(token, 'order page link in the text').toBeDefined();
    // Handlebars writes `=` in an attribute as `&#x3D;`, which every mail client reads back as `=`.
    expect(email.html?.replaceAll('&#x3D;', '=')).toContain(`href="https://shop.example/orders/${orderId}?t=${token}"`);
    expect(verifyOrderLink(ORDER_LINK_SECRET, orderId, token!, clock.now())).toMatchObject({ ok: true });
  }
  const spanish = async (o: Order) => (await sink.waitForMessages((m) => m.to.includes(o.customer.email)))[0]!;

  it('the confirmation names the country in Spanish and links the order page', async () => {
    const o = order(customer());
    await publishCreated(o);
    await publish(statusChanged(o, 'confirmed', { clock }));
    const email = await spanish(o);
    expect(email.text).toMatch(/^España$/m);
    expect(email.text).not.toMatch(/^ES$/m);
    expect(email.html).toContain('Ver tu pedido');
    expectOrderLink(email, o.id);
  });

  it('the refund email gives the amount in euros from cents and why, in Spanish, never orders\' English details', async () => {
    const o = order(customer(), [{ ...BLUE_MUG, quantity: 1, unitPrice: 1799, lineTotal: 1799 }]);
    await publishCreated(o);
    expect(o.totals.total).toBe(2298);
    await publish(statusChanged(o, 'refunded', { clock, previousStatus: 'cancelled', details: 'Refunded 2298 EUR: Order cancelled: customer request' }));
    const email = await spanish(o);
    expect(email.subject).toBe(`El reembolso de tu pedido ${o.number} se ha completado`);
    expect(email.text.replace(/\s/g, ' ')).toContain('Hemos reembolsado 22,98 € a tu método de pago original.');
    expect(email.text).toContain('Tu pedido se canceló, así que te hemos devuelto el dinero.');
    for (const part of [email.text, email.html ?? '']) expect(part).not.toMatch(/2298|Refunded|Order cancelled|customer request/);
    expectOrderLink(email, o.id);
  });

  it('the issue email says what went wrong in Spanish, never the supplier, its answer or an error code', async () => {
    const o = order(customer());
    await publishCreated(o);
    await publish(statusChanged(o, 'exception', { clock, previousStatus: 'processing', actor: 'fulfillment', details: 'Supplier rejected the order (aliexpress: Out of stock) SUPPLIER_REJECTED' }));
    const email = await spanish(o);
    expect(email.subject).toBe(`Hay un problema con tu pedido ${o.number}`);
    expect(email.text).toContain('Qué ha pasado: No hemos podido preparar uno o más de tus artículos para el envío.');
    for (const part of [email.subject, email.text, email.html ?? '']) expect(part).not.toMatch(/supplier|aliexpress|out of stock|SUPPLIER_REJECTED/i);
    expectOrderLink(email, o.id);
  });

  it('the shipped email names the carrier the tracking page names: a China Post number shipped "CAINIAO_STANDARD" is China Post', async () => {
    const o = order(customer());
    await publishCreated(o);
    await publish(statusChanged(o, 'shipped', { clock, tracking: { number: 'RB123456785CN', carrier: 'CAINIAO_STANDARD' } }));
    const email = await spanish(o);
    expect(email.text).toContain('Transportista: China Post');
    expect(email.text).not.toContain('Cainiao');
  });

  it('the shipped email names the carrier, not the supplier\'s shipping method, and its button opens the tracking page', async () => {
    const o = order(customer());
    await publishCreated(o);
    await publish(statusChanged(o, 'shipped', { clock, tracking: { number: 'LP00123456789012', carrier: 'CAINIAO_STANDARD' } }));
    const email = await spanish(o);
    expect(email.text).toContain('Transportista: Cainiao');
    expect(email.html).toContain('href="https://shop.example/track/LP00123456789012"');
    for (const part of [email.text, email.html ?? '']) expect(part).not.toMatch(/CAINIAO_STANDARD|\/v1\//);
    expectOrderLink(email, o.id);

    // A shipping method no carrier is known by: no carrier line rather than the code.
    const other = order(customer());
    await publishCreated(other);
    await publish(statusChanged(other, 'shipped', { clock, tracking: { number: 'XY123456789', carrier: 'SUPPLIER_ECONOMY_LINE_7' } }));
    const unnamed = await spanish(other);
    expect(unnamed.text).toContain('Número de seguimiento: XY123456789');
    expect(unnamed.text).not.toMatch(/Transportista|SUPPLIER_ECONOMY_LINE_7/);
  });
});

describe('provider failures', () => {
  it('asks Twilio before retrying an SMS while it is down, opens the breaker, and sends once it is back', async () => {
    const phone = uniquePhone();
    const who = customer({ locale: 'en', phone });
    const o = order(who);
    sims.controls.twilio.set({ mode: 'error' });
    try {
      await publish(statusChanged(o, 'shipped', { clock, tracking: { number: 'RR123456785CN', carrier: null } }));
      const sms = async () => (await rows(o.id)).find((n) => n.channel === 'sms');
      // The attempt is on record (`sending`) before Twilio answers; a 503 may come after Twilio took
      // the message, so it stays `sending` until Twilio's message list says it does not have it.
      await eventually(sms, (n) => (n?.attempts ?? 0) >= 1 && n?.lastError !== null);
      expect(await sms()).toMatchObject({ status: 'sending', lastError: 'twilio: HTTP 503' });
      clock.advance(5_000);
      await service.timers.fireDue();
      expect((await sms())!.attempts).toBe(1); // not sent again blindly at the retry's time
      // A minute on, Twilio's list is read (nothing there) and the SMS sent again: a second 503 opens the breaker.
      clock.advance(61_000);
      await service.timers.fireDue();
      await eventually(sms, (n) => n?.attempts === 2);
      // The next delivery, straight away (the breaker stays open for a second): nothing at Twilio, and the breaker open.
      clock.advance(61_000);
      await service.timers.fireDue();
      await eventually(sms, (n) => n?.lastError === 'twilio circuit open');
      expect((await sms())!.attempts).toBe(2); // the breaker opened after two failures; no attempt counted while open
      expect(await smsTo(phone)).toHaveLength(0);
    } finally {
      sims.controls.twilio.set({ mode: 'ok' });
    }
    await advanceUntil(async () => (await rows(o.id)).find((n) => n.channel === 'sms')!.status === 'sent');
    expect(await smsTo(phone)).toHaveLength(1);
    expect((await rows(o.id)).find((n) => n.channel === 'sms')!.attempts).toBe(3);
  });

  it('asks Twilio before sending again when its answer never came, and sends the SMS once', async () => {
    const phone = uniquePhone();
    const who = customer({ locale: 'en', phone });
    const o = order(who);
    // Twilio takes the message but answers after our 2 s timeout: the outcome is unknown.
    sims.controls.twilio.set({ mode: 'slow', delayMs: 3_000, times: 1 });
    await publish(statusChanged(o, 'shipped', { clock, tracking: { number: 'RR123456785CN', carrier: null } }));
    const sms = async () => (await rows(o.id)).find((n) => n.channel === 'sms');
    await eventually(sms, (n) => n?.status === 'sending' && n.attempts === 1 && n.lastError !== null);
    const [taken] = await eventually(() => smsTo(phone), (m) => m.length === 1);

    // A minute later (so nothing of ours is still in flight) Twilio is asked, and has it.
    await advanceUntil(async () => (await sms())!.status === 'sent');
    expect(await smsTo(phone)).toHaveLength(1);
    expect((await sms())!.providerMessageId).toBe((taken as unknown as { sid: string }).sid);
  });

  /** Ships an order with an SMS that Twilio answers with `status` every time, until the SMS row is `until`. */
  async function smsWhileTwilioAnswers(status: number, until: 'failed' | 'unknown', stepMs: number) {
    const phone = uniquePhone();
    const o = order(customer({ locale: 'en', phone }));
    const smsRow = async () => (await rows(o.id)).find((n) => n.channel === 'sms')!;
    sims.controls.twilio.set({ mode: 'error', options: { status } });
    try {
      await publish(statusChanged(o, 'shipped', { clock, tracking: { number: 'RR123456785CN', carrier: null } }));
      await eventually(() => rows(o.id), (r) => r.length === 2);
      await advanceUntil(async () => (await smsRow()).status === until, stepMs, 60);
    } finally {
      sims.controls.twilio.set({ mode: 'ok' });
    }
    return { sms: await smsRow(), failed: await recorded('notifications.notification.failed', o.id), sent: await smsTo(phone) };
  }

  it('fails a notification after the last attempt and says so', async () => {
    // Twilio refuses every request (429, too many requests): certainly not sent, so retried without asking.
    const { sms, failed, sent } = await smsWhileTwilioAnswers(429, 'failed', 2_000);
    expect(sms).toMatchObject({ attempts: 3, status: 'failed' });
    expect(sms.lastError).toMatch(/twilio: HTTP 429/);
    expect(failed).toEqual([expect.objectContaining({ data: expect.objectContaining({ channel: 'sms', attempts: 3, orderStatus: 'shipped' }) })]);
    expect(sent).toHaveLength(0);
  });

  it('leaves an SMS unknown, not failed, when Twilio answers its last attempt with a 5xx', async () => {
    // Each step passes the minute after which Twilio's list is read (nothing there), then it is sent again.
    const { sms, failed, sent } = await smsWhileTwilioAnswers(500, 'unknown', 61_000);
    // Twilio may have the message the last 500 answered: it is left for ops, not reported as failed.
    expect(sms).toMatchObject({ attempts: 3, status: 'unknown', lastError: expect.stringMatching(/outcome unknown after 3 attempts: twilio: HTTP 500/) });
    expect(failed).toEqual([]);
    expect(sent).toHaveLength(0);
  });

  it('fails at once when the provider refuses the message for good (unregistered device)', async () => {
    const token = `device-${randomUUID()}`;
    const who = customer({ locale: 'en' });
    await registerDevice(who.id, token);
    const o = order(who);
    sims.controls.fcm.set({ mode: 'reject', times: 1 });
    await publish(statusChanged(o, 'confirmed', { clock }));
    const push = await eventually(
      async () => (await rows(o.id)).find((n) => n.channel === 'push'),
      (n) => n?.status === 'failed',
    );
    expect(push).toMatchObject({ attempts: 1, lastError: expect.stringMatching(/NOT_FOUND/) });
    // FCM said the token is gone: the device is forgotten, so no later message tries it again.
    const preferences = await service.app.inject({ method: 'GET', url: `/customers/${who.id}/preferences` });
    expect(preferences.json().devices).toEqual([]);
  });
});

describe('an email whose outcome was lost', () => {
  const emailRow = async (orderId: string) => (await rows(orderId)).find((n) => n.channel === 'email');

  it('is not sent again when the connection died after the relay took it: the relay is asked a minute later', async () => {
    const who = customer({ locale: 'en' });
    const o = order(who);
    relay.loseNextAnswerTo(who.email);
    await publish(statusChanged(o, 'confirmed', { clock }));
    await sink.waitForMessages((m) => m.to.includes(who.email));
    // No 250 came back, but the relay may have the message: the outcome is unknown, not "not sent".
    const lost = await eventually(() => emailRow(o.id), (n) => n?.attempts === 1 && n.lastError !== null);
    expect(lost).toMatchObject({ status: 'sending', lastError: expect.stringMatching(/Connection closed unexpectedly/) });

    await advanceUntil(async () => (await emailRow(o.id))!.status === 'delivered');
    expect(emailsTo(who.email)).toHaveLength(1);
    expect((await emailRow(o.id))!.providerMessageId).toBe(emailsTo(who.email)[0]!.messageId);
  });

  it("keeps asking while the relay's search is down, and neither resends nor gives up", async () => {
    const who = customer({ locale: 'en' });
    const o = order(who);
    relay.loseNextAnswerTo(who.email);
    await publish(statusChanged(o, 'confirmed', { clock }));
    await eventually(() => emailRow(o.id), (n) => n?.status === 'sending' && n.lastError !== null);
    relay.lookupDown = true;
    try {
      clock.advance(61_000);
      await service.timers.fireDue();
      const unanswered = await eventually(() => emailRow(o.id), (n) => n?.attempts === 2);
      expect(unanswered).toMatchObject({ status: 'sending', lastError: expect.stringMatching(/lookup answered HTTP 503/) });
      expect(emailsTo(who.email)).toHaveLength(1);
    } finally {
      relay.lookupDown = false;
    }
    await advanceUntil(async () => (await emailRow(o.id))!.status === 'delivered');
    expect(emailsTo(who.email)).toHaveLength(1);
  });

  /**
   * A delivery stalls just before it records its attempt (on its own connection, `method` of
   * deps.db) while its connection is cut (PostgreSQL restarted): its transaction and lock are
   * gone, the process goes on. Another delivery takes the lock and sends the email; the first
   * then resumes. Returns the row after both.
   */
  async function raceALostLock(o: Order, row: { status: 'pending' | 'sending'; attempts: number; updatedAt: Date }, method: '$queryRaw' | '$executeRaw') {
    const who = o.customer;
    // A planned email with no timer of its own: the two deliveries below are the only ones.
    const id = notificationId(o.id, 'confirmed', 'email');
    await service.db.notification.create({
      data: { id, orderId: o.id, orderStatus: 'confirmed', notice: 'confirmed', customerId: who.id, template: 'order-confirmation', channel: 'email', recipient: who.email, locale: 'en', subject: 'Order confirmed', html: '<p>Thanks</p>', body: 'Thanks', causationEventId: randomUUID(), ...row },
    });
    const timer = { id: randomUUID(), kind: TIMER_KINDS.send, key: id, payload: {}, fireAt: clock.now(), attempts: 0 };

    let reachedRecord!: () => void;
    const atRecord = new Promise<void>((resolve) => (reachedRecord = resolve));
    let resume!: () => void;
    const resumed = new Promise<void>((resolve) => (resume = resolve));
    const stalling = new Proxy(service.db, {
      get(db, property) {
        const original = Reflect.get(db, property) as (...args: unknown[]) => unknown;
        if (property !== method) return original;
        return async (...args: unknown[]) => {
          reachedRecord();
          await resumed;
          return original.apply(db, args);
        };
      },
    });
    let backend = 0;
    const first = service.db
      .$transaction(async (tx) => {
        const [session] = await tx.$queryRaw<Array<{ pid: number }>>`SELECT pg_backend_pid() AS pid`;
        backend = session!.pid;
        await deliverNotification({ ...service.deps, db: stalling })(timer, tx, clock.now());
      })
      .catch(() => 'its transaction is gone');
    await atRecord;
    await service.db.$queryRaw`SELECT pg_terminate_backend(${backend}::int, 5000)`;
    await service.db.$transaction((tx) => deliverNotification(service.deps)(timer, tx, clock.now()));
    const afterSecond = await emailRow(o.id);
    resume();
    await first;
    return { afterSecond, afterBoth: await emailRow(o.id) };
  }

  it('is sent once when a delivery lost its lock before recording its first attempt and another delivered it meanwhile', async () => {
    const who = customer({ locale: 'en' });
    const o = order(who);
    // The first attempt is recorded by the statement that reads the pending row: the stall is just before it.
    const { afterSecond, afterBoth } = await raceALostLock(o, { status: 'pending', attempts: 0, updatedAt: clock.now() }, '$queryRaw');
    expect(afterSecond).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(emailsTo(who.email)).toHaveLength(1);
    expect(afterBoth).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('is sent once when a delivery lost its lock after asking the relay about a lost attempt, and another delivered it meanwhile', async () => {
    const who = customer({ locale: 'en' });
    const o = order(who);
    // An attempt whose outcome was lost two minutes ago; the relay does not have it. The stall is
    // between the read (and the lookup) and the new attempt's record, fenced on the row as read.
    const lost = { status: 'sending' as const, attempts: 1, updatedAt: new Date(clock.now().getTime() - 120_000) };
    const { afterSecond, afterBoth } = await raceALostLock(o, lost, '$executeRaw');
    expect(afterSecond).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(emailsTo(who.email)).toHaveLength(1);
    expect(afterBoth).toMatchObject({ status: 'delivered', attempts: 2 });
  });
});

describe('push devices', () => {
  const put = (customerId: string, token: string) => service.app.inject({ method: 'PUT', url: `/customers/${customerId}/devices`, payload: { token, platform: 'android' } });
  const devices = async (customerId: string) =>
    ((await service.app.inject({ method: 'GET', url: `/customers/${customerId}/preferences` })).json() as { devices: Array<{ token: string }> }).devices.map((d) => d.token);

  it("refuses a token another customer registered: that customer keeps the device and the other's pushes never reach it", async () => {
    const token = `device-${randomUUID()}`;
    const a = customer({ locale: 'en' });
    const b = customer({ locale: 'en' });
    expect((await put(a.id, token)).statusCode).toBe(200);

    const taken = await put(b.id, token);
    expect(taken.statusCode).toBe(409);
    expect(taken.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(taken.json()).toMatchObject({ code: 'DEVICE_TOKEN_IN_USE', errors: [{ pointer: '/token' }] });
    expect(taken.body).not.toContain(a.id);
    expect(await devices(a.id)).toEqual([token]);
    expect(await devices(b.id)).toEqual([]);

    // B's order news goes nowhere near A's device; A's does.
    const ofB = order(b);
    await publish(statusChanged(ofB, 'confirmed', { clock }));
    await sink.waitForMessages((m) => m.to.includes(b.email));
    await eventually(() => rows(ofB.id), (r) => r.length === 1 && r[0]!.status === 'delivered');
    const ofA = order(a);
    await publish(statusChanged(ofA, 'confirmed', { clock }));
    await eventually(() => pushTo(token), (m) => m.length === 1);
    expect((await pushTo(token)).map((m) => (m as unknown as { data: { orderId: string } }).data.orderId)).toEqual([ofA.id]);
  });

  it('lets a token change hands only after its customer deregistered it (sign-out on a shared device)', async () => {
    const token = `device-${randomUUID()}`;
    const a = customer({ locale: 'en' });
    const b = customer({ locale: 'en' });
    expect((await put(a.id, token)).statusCode).toBe(200);
    expect((await put(a.id, token)).statusCode).toBe(200); // the owner registering again changes nothing

    // Someone else cannot remove it either.
    const foreign = await service.app.inject({ method: 'DELETE', url: `/customers/${b.id}/devices/${encodeURIComponent(token)}` });
    expect(foreign.statusCode).toBe(404);
    expect(await devices(a.id)).toEqual([token]);

    const removed = await service.app.inject({ method: 'DELETE', url: `/customers/${a.id}/devices/${encodeURIComponent(token)}` });
    expect(removed.statusCode).toBe(200);
    expect(await devices(a.id)).toEqual([]);
    expect((await put(b.id, token)).statusCode).toBe(200);
    expect(await devices(b.id)).toEqual([token]);
  });

  it("never delivers a customer's deferred push to a device that has since changed hands", async () => {
    const token = `device-${randomUUID()}`;
    const a = customer({ locale: 'en', timezone: zoneAtHour(23) });
    const b = customer({ locale: 'en' });
    expect((await put(a.id, token)).statusCode).toBe(200);
    const ofA = order(a);
    await publish(statusChanged(ofA, 'shipped', { clock, tracking: { number: 'RR123456785CN', carrier: null } }));
    const push = await eventually(async () => (await rows(ofA.id)).find((n) => n.channel === 'push'), (n) => n?.status === 'deferred');

    // A signs out on the shared phone, B signs in; then A's quiet hours end.
    expect((await service.app.inject({ method: 'DELETE', url: `/customers/${a.id}/devices/${encodeURIComponent(token)}` })).statusCode).toBe(200);
    expect((await put(b.id, token)).statusCode).toBe(200);
    clock.advance(push!.scheduledFor!.getTime() - clock.now().getTime() + 1_000);
    await service.timers.fireDue();
    await eventually(async () => (await rows(ofA.id)).find((n) => n.channel === 'push'), (n) => n?.status === 'failed');
    expect(await pushTo(token)).toHaveLength(0);
  });
});

describe('a push to several devices', () => {
  it('is settled, not failed or resent, when one device refused it and another may have it', async () => {
    const who = customer({ locale: 'en' });
    const o = order(who);
    const id = notificationId(o.id, 'confirmed', 'push');
    // No customer on the row: both tokens are taken as they are (ownership is tested above).
    await service.db.notification.create({
      data: { id, orderId: o.id, orderStatus: 'confirmed', notice: 'confirmed', customerId: null, template: 'order-confirmation', channel: 'push', recipient: 'device-refusing,device-unsure', locale: 'en', status: 'pending', subject: 'Order confirmed', body: 'Thanks', causationEventId: randomUUID() },
    });
    const timer = { id: randomUUID(), kind: TIMER_KINDS.send, key: id, payload: {}, fireAt: clock.now(), attempts: 0 };
    const push = {
      async send({ token }: { token: string }): Promise<{ providerMessageId: string }> {
        if (token === 'device-refusing') throw new ProviderError('fcm', 'HTTP 400 INVALID_ARGUMENT', true);
        throw new OutcomeUnknownError('fcm', 'HTTP 503');
      },
    };
    await service.db.$transaction((tx) => deliverNotification({ ...service.deps, push })(timer, tx, clock.now()));
    // The refusal alone would fail it; the second device may have the push, so it waits for the outcome.
    const row = await service.db.notification.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ status: 'sending', attempts: 1 });
  });
});

describe('notices about part of an order (fulfillment events)', () => {
  const mugs = { sku: 'MUG', vendorId: 'acme', quantity: 2 };
  const tea = { sku: 'TEA', vendorId: 'leafy', quantity: 1 };

  function parcel(number: number, of: number, items: Parcel['items'], status: 'in_transit' | 'delivered' = 'in_transit'): Parcel {
    const at = clock.now().toISOString();
    return { shipmentId: randomUUID(), number, of, source: number === 1 ? 'own_stock' : 'cj', status, trackingNumber: `TRK${randomUUID().slice(0, 8).toUpperCase()}`, carrier: 'DHL', items, shippedAt: at, deliveredAt: status === 'delivered' ? at : null };
  }
  const delivered = (p: Parcel): Parcel => ({ ...p, status: 'delivered', deliveredAt: clock.now().toISOString() });

  function progress(o: Order, kind: 'parcel_shipped' | 'parcel_delivered', parcels: Parcel[], about: Parcel) {
    const ordered = o.items.reduce((sum, item) => sum + item.quantity, 0);
    const units = (status: Parcel['status'][]) => parcels.filter((p) => status.includes(p.status)).reduce((sum, p) => sum + p.items.reduce((n, i) => n + i.quantity, 0), 0);
    const counts = { ordered, shipped: units(['in_transit', 'delivered']), delivered: units(['delivered']), returned: 0, cancelled: 0 };
    return newEvent(progressChanged, {
      aggregateId: o.id,
      source: 'fulfillment',
      data: {
        orderId: o.id,
        fulfillmentStatus: counts.delivered === ordered ? 'fulfilled' : counts.shipped === ordered ? 'shipped' : 'partially_shipped',
        units: counts,
        vendors: [],
        parcels,
        cause: { kind, shipmentId: about.shipmentId },
        at: clock.now().toISOString(),
      },
    });
  }
  /** The same news under a new event id (a producer that published it twice). */
  const republished = <E extends { id: string }>(event: E): E => ({ ...event, id: randomUUID() });
  const notices = async (orderId: string) => (await rows(orderId)).map((n) => `${n.channel}:${n.notice}`).sort();

  it('announces each parcel of two once, with its own tracking link and items, and leaves the order-level shipped notice out', async () => {
    const phone = uniquePhone();
    const who = customer({ locale: 'en', phone });
    const o = order(who, [BLUE_MUG, EARL_GREY]);
    await publishCreated(o);
    const first = parcel(1, 2, [mugs]);
    await publish(progress(o, 'parcel_shipped', [first], first));
    const [one] = await sink.waitForMessages((m) => m.to.includes(who.email));
    expect(one!.subject).toBe(`Parcel 1 of 2 of your order ${o.number} has shipped`);
    expect(one!.html).toContain(`href="https://shop.example/track/${first.trackingNumber}"`);
    expect(one!.text).toContain('Blue mug × 2');
    expect(one!.text).not.toContain('Earl Grey');
    await eventually(() => smsTo(phone), (m) => m.length === 1);
    expect((await smsTo(phone))[0]!.body).toContain(`parcel 1 of 2 of order ${o.number}`);

    // Orders follows the workflow to `shipped`: the parcels tell it, so no order-level notice.
    await publish(statusChanged(o, 'shipped', { clock, tracking: { number: first.trackingNumber!, carrier: 'DHL' } }));
    const second = parcel(2, 2, [tea]);
    const secondShipped = progress(o, 'parcel_shipped', [first, second], second);
    await publish(secondShipped);
    const [, two] = await sink.waitForMessages((m) => m.to.includes(who.email), { count: 2 });
    expect(two!.subject).toBe(`Parcel 2 of 2 of your order ${o.number} has shipped`);
    expect(two!.html).toContain(`https://shop.example/track/${second.trackingNumber}`);
    expect(two!.html).not.toContain(first.trackingNumber!);
    expect(two!.text).toContain('Earl Grey × 1');

    // Redelivered (a kill before the ack) and published again under a new id: nothing new, nothing counted.
    const notificationsCounted = async () => sampleValue(parseExposition(await runtime.metrics.registry.metrics()), 'notifications_outcomes_total');
    await eventually(() => service.db.notification.count({ where: { orderId: o.id, status: { notIn: ['sent', 'delivered'] } } }), (pending) => pending === 0);
    const countedBefore = await notificationsCounted();
    await redeliver(secondShipped);
    await publish(republished(secondShipped));
    await sleep(1_000);
    await service.timers.fireDue();
    expect(await notificationsCounted()).toBe(countedBefore);
    expect(emailsTo(who.email)).toHaveLength(2);
    expect(await smsTo(phone)).toHaveLength(2);
    expect(await notices(o.id)).toEqual(
      ['email', 'sms'].flatMap((channel) => [first, second].map((p) => `${channel}:parcel_shipped:${p.shipmentId}`)).sort(),
    );

    // Parcel 1 arrives: its own notice. Parcel 2 completes the order: the order-level notice says it.
    await publish(progress(o, 'parcel_delivered', [delivered(first), second], first));
    const [, , three] = await sink.waitForMessages((m) => m.to.includes(who.email), { count: 3 });
    expect(three!.subject).toBe(`Parcel 1 of 2 of your order ${o.number} has been delivered`);
    expect(three!.text).toContain('The rest of your order is still on its way');
    await publish(progress(o, 'parcel_delivered', [delivered(first), delivered(second)], second));
    await publish(statusChanged(o, 'delivered', { clock }));
    await sink.waitForMessages((m) => m.to.includes(who.email), { count: 4 });
    await sleep(500);
    expect(emailsTo(who.email).map((m) => m.subject)).toEqual([
      `Parcel 1 of 2 of your order ${o.number} has shipped`,
      `Parcel 2 of 2 of your order ${o.number} has shipped`,
      `Parcel 1 of 2 of your order ${o.number} has been delivered`,
      `Your order ${o.number} has been delivered`,
    ]);
  });

  it('lets an order-level shipped notice that came first stand for parcel 1, in the customer language', async () => {
    const who = customer({ locale: 'es' });
    const o = order(who, [BLUE_MUG, EARL_GREY]);
    await publishCreated(o);
    const first = parcel(1, 2, [mugs]);
    const second = parcel(2, 2, [tea]);
    await publish(statusChanged(o, 'shipped', { clock, tracking: { number: first.trackingNumber!, carrier: 'DHL' } }));
    await sink.waitForMessages((m) => m.to.includes(who.email));
    await publish(progress(o, 'parcel_shipped', [first], first));
    await publish(progress(o, 'parcel_shipped', [first, second], second));
    const [, two] = await sink.waitForMessages((m) => m.to.includes(who.email), { count: 2 });
    expect(two!.subject).toBe(`El paquete 2 de 2 de tu pedido ${o.number} está en camino`);
    expect(two!.text).toContain(`Seguir este paquete: https://shop.example/track/${second.trackingNumber}`);
    await sleep(1_000);
    expect(emailsTo(who.email).map((m) => m.subject)).toEqual([`Tu pedido ${o.number} está en camino`, `El paquete 2 de 2 de tu pedido ${o.number} está en camino`]);
  });

  it('gives an order of one parcel exactly the order-level notices', async () => {
    const who = customer({ locale: 'en' });
    const o = order(who);
    await publishCreated(o);
    const only = parcel(1, 1, [mugs]);
    await publish(progress(o, 'parcel_shipped', [only], only));
    await publish(statusChanged(o, 'shipped', { clock, tracking: { number: only.trackingNumber!, carrier: 'DHL' } }));
    await sink.waitForMessages((m) => m.to.includes(who.email));
    await publish(progress(o, 'parcel_delivered', [delivered(only)], only));
    await publish(statusChanged(o, 'delivered', { clock }));
    await sink.waitForMessages((m) => m.to.includes(who.email), { count: 2 });
    await sleep(1_000);
    expect(emailsTo(who.email).map((m) => m.subject)).toEqual([`Your order ${o.number} is on its way`, `Your order ${o.number} has been delivered`]);
    expect(await notices(o.id)).toEqual(['email:delivered', 'email:shipped']);
  });

  it('renders from the order as last modified, and keeps the parcel count fulfillment reported across a modification', async () => {
    const who = customer({ locale: 'en' });
    const o = order(who, [BLUE_MUG, EARL_GREY]);
    const modify = (order: Order) =>
      publish(newEvent(orderModified, { aggregateId: o.id, source: 'orders', data: { order, previousTotal: o.totals.total, changes: ['items'], actor: 'customer' } }));
    await publishCreated(o);
    await modify({ ...o, items: [{ ...BLUE_MUG, quantity: 3, lineTotal: 3750 }, EARL_GREY], version: 1 });
    await publish(statusChanged(o, 'confirmed', { clock }));
    const [confirmation] = await sink.waitForMessages((m) => m.to.includes(who.email));
    expect(confirmation!.text).toContain('Blue mug × 3');

    const first = parcel(1, 2, [{ ...mugs, quantity: 3 }]);
    await publish(progress(o, 'parcel_shipped', [first], first));
    await sink.waitForMessages((m) => m.to.includes(who.email), { count: 2 });
    // A later modification (the address) replaces the order's details, not the parcel count.
    await modify({ ...o, items: [{ ...BLUE_MUG, quantity: 3, lineTotal: 3750 }, EARL_GREY], shippingAddress: { ...o.shippingAddress, line1: 'Gran Vía 2' }, version: 2 });
    await publish(statusChanged(o, 'shipped', { clock, tracking: { number: first.trackingNumber!, carrier: 'DHL' } }));
    await sleep(1_000);
    await service.timers.fireDue();
    expect(await notices(o.id)).toEqual(['email:confirmed', `email:parcel_shipped:${first.shipmentId}`]);
    const context = await service.db.orderContext.findUniqueOrThrow({ where: { orderId: o.id } });
    expect(context).toMatchObject({ parcels: 2, shippingAddress: { line1: 'Gran Vía 2' } });
  });

  it('tells the refund for items that could not be supplied at once, even in quiet hours, once per cancellation', async () => {
    const token = `device-${randomUUID()}`;
    const who = customer({ locale: 'en', timezone: zoneAtHour(23) });
    await registerDevice(who.id, token);
    const o = order(who, [BLUE_MUG, EARL_GREY]);
    await publishCreated(o);
    const cancelled = newEvent(itemsCancelled, {
      aggregateId: o.id,
      source: 'fulfillment',
      data: {
        orderId: o.id,
        cancellationId: randomUUID(),
        reason: 'CJ refused the order: out of stock',
        cause: 'supplier_refused',
        source: 'cj',
        items: [{ sku: 'TEA', variantId: 'tea-eg', vendorId: 'leafy', quantity: 1 }],
        at: clock.now().toISOString(),
      },
    });
    await publish(cancelled);
    const [email] = await sink.waitForMessages((m) => m.to.includes(who.email));
    expect(email!.subject).toBe(`Some items in your order ${o.number} could not be supplied`);
    expect(email!.text).toContain('Earl Grey × 1');
    expect(email!.text).toContain('You will be refunded €8.99 to your original payment method.');
    // The order link's signed token is random base64url (it may well hold "cj"): only the words are checked.
    expect(email!.text.replace(/https?:\/\/\S+/g, '')).not.toMatch(/CJ|supplier|out of stock/i);
    // Money is involved: the push goes now, not at the end of the customer's night.
    await eventually(() => pushTo(token), (m) => m.length === 1);
    expect((await pushTo(token))[0]!.notification.body).toContain('We will refund €8.99');

    await redeliver(cancelled);
    await publish(republished(cancelled));
    await sleep(1_000);
    await service.timers.fireDue();
    expect(emailsTo(who.email)).toHaveLength(1);
    expect(await pushTo(token)).toHaveLength(1);
    const log = await service.app.inject({ method: 'GET', url: `/orders/${o.id}/notifications` });
    expect(log.json().notifications.map((n: { channel: string; notice: string; orderStatus: string | null; template: string }) => [n.channel, n.notice, n.orderStatus, n.template])).toEqual([
      ['email', `items_cancelled:${cancelled.data.cancellationId}`, null, 'items-cancelled'],
      ['push', `items_cancelled:${cancelled.data.cancellationId}`, null, 'items-cancelled'],
    ]);
    const sent = await recorded('notifications.notification.sent', o.id);
    expect(sent.map((e) => e.data)).toEqual(
      expect.arrayContaining([expect.objectContaining({ notice: `items_cancelled:${cancelled.data.cancellationId}`, template: 'items-cancelled', channel: 'email' })]),
    );
    expect(sent.every((e) => !('orderStatus' in (e.data as object)))).toBe(true);
  });

  it("dates a back order on the customer's calendar, and waits for an order it has not seen yet", async () => {
    const who = customer({ locale: 'es', timezone: 'Pacific/Auckland' });
    const o = order(who, [BLUE_MUG, EARL_GREY]);
    // 20:00 UTC on the 15th is the morning of the 16th in Auckland.
    const backordered = newEvent(itemsBackordered, {
      aggregateId: o.id,
      source: 'fulfillment',
      data: { orderId: o.id, items: [{ sku: 'MUG', vendorId: 'acme', quantity: 2, expectedAt: '2026-12-15T20:00:00.000Z' }], at: clock.now().toISOString() },
    });
    await publish(backordered);
    await sleep(700);
    expect(emailsTo(who.email)).toHaveLength(0);
    await publishCreated(o);
    const [email] = await sink.waitForMessages((m) => m.to.includes(who.email), { timeoutMs: 30_000 });
    expect(email!.subject).toBe(`Algunos artículos de tu pedido ${o.number} llegarán más tarde`);
    expect(email!.text).toContain('Blue mug × 2: Fecha prevista: 16 de diciembre de 2026');
  });

  it('says which item ships instead', async () => {
    const who = customer({ locale: 'ro' });
    const o = order(who, [BLUE_MUG, EARL_GREY]);
    await publishCreated(o);
    await publish(
      newEvent(itemsSubstituted, {
        aggregateId: o.id,
        source: 'fulfillment',
        data: { orderId: o.id, items: [{ sku: 'TEA', substituteSku: 'TEA-LOOSE', vendorId: 'leafy', quantity: 1 }], at: clock.now().toISOString() },
      }),
    );
    const [email] = await sink.waitForMessages((m) => m.to.includes(who.email));
    expect(email!.subject).toBe(`O modificare a comenzii tale ${o.number}`);
    // The substitute's SKU is ours: the customer reads "an equivalent item".
    expect(email!.text).toContain('un produs echivalent × 1 (în loc de Earl Grey)');
    expect(email!.text).not.toContain('TEA-LOOSE');
  });
});

describe('HTTP', () => {
  it('shows default preferences from the latest order and validates changes', async () => {
    const who = customer({ locale: 'ro', timezone: 'Europe/Bucharest', phone: '+40712345678' });
    await publishCreated(order(who));
    const preferences = await eventually(
      async () => (await service.app.inject({ method: 'GET', url: `/customers/${who.id}/preferences` })).json(),
      (body) => body.language === 'ro',
    );
    expect(preferences).toMatchObject({
      language: 'ro',
      timezone: 'Europe/Bucharest',
      phoneNumber: '+40712345678',
      quietHours: { start: '22:00', end: '08:00' },
      customized: false,
      channels: { sms: { order_confirmed: false, shipped: true }, push: { processing: false } },
    });
    for (const payload of [{ timezone: 'Mars/Olympus' }, { quietHours: { start: '25:00', end: '08:00' } }, { phoneNumber: '0712' }, { channels: { fax: {} } }]) {
      const response = await service.app.inject({ method: 'PUT', url: `/customers/${who.id}/preferences`, payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
    }
    const cleared = await service.app.inject({ method: 'PUT', url: `/customers/${who.id}/preferences`, payload: { quietHours: null, language: 'en' } });
    expect(cleared.json()).toMatchObject({ quietHours: null, language: 'en', timezone: 'Europe/Bucharest', version: 0 });
    const forbidden = await service.app.inject({ method: 'GET', url: `/customers/${who.id}/preferences`, headers: { 'x-actor': 'customer:someone-else', 'x-actor-role': 'customer' } });
    expect(forbidden.statusCode).toBe(403);
  });

  it('previews a template in a locale, per status', async () => {
    const shipped = await service.app.inject({ method: 'POST', url: '/templates/order-shipped/preview', payload: { locale: 'ro', data: { customerName: 'Ion' } } });
    expect(shipped.statusCode).toBe(200);
    expect(shipped.json().subject).toBe('Comanda ta ORD-000123 este pe drum');
    expect(shipped.json().text).toContain('Bună, Ion');
    const refunded = await service.app.inject({ method: 'POST', url: '/templates/order-status-update/preview', payload: { locale: 'es', status: 'refunded' } });
    expect(refunded.json().subject).toBe('El reembolso de tu pedido ORD-000123 se ha completado');
    const wrong = await service.app.inject({ method: 'POST', url: '/templates/order-status-update/preview', payload: { locale: 'en', status: 'shipped' } });
    expect(wrong.statusCode).toBe(422);
    const unknown = await service.app.inject({ method: 'POST', url: '/templates/newsletter/preview', payload: { locale: 'en' } });
    expect(unknown.statusCode).toBe(400);
  });

  it('previews the notices about part of an order', async () => {
    const preview = (name: string, payload: object) => service.app.inject({ method: 'POST', url: `/templates/${name}/preview`, payload });
    const parcel = await preview('parcel-shipped', { locale: 'es' });
    expect(parcel.statusCode).toBe(200);
    expect(parcel.json().subject).toBe('El paquete 1 de 2 de tu pedido ORD-000123 está en camino');
    expect(parcel.json().html).toContain('/track/RR123456785CN');
    const subjects = await Promise.all(
      ['parcel-delivered', 'items-cancelled', 'items-backordered', 'items-substituted'].map(async (name) => {
        const response = await preview(name, { locale: 'en', data: { orderNumber: 'ORD-9' } });
        expect(response.statusCode, name).toBe(200);
        return response.json().subject;
      }),
    );
    expect(subjects).toEqual([
      'Parcel 1 of 2 of your order ORD-9 has been delivered',
      'Some items in your order ORD-9 could not be supplied',
      'Some items in your order ORD-9 will arrive later',
      'A change to your order ORD-9',
    ]);
    const withStatus = await preview('parcel-shipped', { locale: 'en', status: 'shipped' });
    expect(withStatus.statusCode).toBe(422);
    expect(withStatus.json()).toMatchObject({ code: 'STATUS_NOT_FOR_TEMPLATE', errors: [{ pointer: '/status' }] });
  });
});
