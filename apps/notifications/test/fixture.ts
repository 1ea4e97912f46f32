import { randomUUID } from 'node:crypto';
import { AdjustableClock } from '@platform/runtime/clock';
import { publishEnvelope } from '@platform/runtime/nats';
import { newEvent } from '@platform/runtime/outbox';
import { orderCreated } from '@platform/contracts';
import type { Order } from '@platform/contracts/api/orders';
import { freePort, type SmtpSinkHandle, startSmtpSink } from '@platform/devstack';
import { LOCAL_PROVIDER_CREDENTIALS, type SimulatorHandle, startSimulators } from '@platform/simulators';
import { eventually } from '@platform/test-support/eventually';
import { recordedEvents } from '@platform/test-support/recorded-events';
import { type StartedService, startService } from '@platform/test-support/service';
import { afterAll, beforeAll } from 'vitest';
import { buildNotifications } from '../src/app';
import { notificationsEnv } from '../src/config';
import { sampleOrder, statusChanged } from './orders';

export { statusChanged };

/*
 * The notifications service in-process against real PostgreSQL, NATS JetStream, the SMTP sink
 * and the Twilio/FCM simulators, for the test files that drive it with order events and its
 * HTTP routes; the bindings below are set once the file's beforeAll has run.
 */

export type Notifications = StartedService<ReturnType<typeof buildNotifications>>;

export let sink: SmtpSinkHandle;
export let sims: SimulatorHandle;
export let service: Notifications;
export const clock = new AdjustableClock();
// Its own durable per run: the streams are shared with other test files.
export const consumer = `notifications--it-${randomUUID().slice(0, 8)}`;
export const ORDER_LINK_SECRET = 'notifications-fixture-order-link-secret-0123456789';
/** Where the Twilio simulator posts status callbacks: straight to the service (the gateway's webhook route in the platform). */
export let statusCallbackUrl: string;

beforeAll(async () => {
  [sink, sims] = await Promise.all([startSmtpSink({ smtpPort: 0, httpPort: 0 }), startSimulators({ webhookBaseUrl: 'http://127.0.0.1:9' })]);
  const { twilio, fcm } = LOCAL_PROVIDER_CREDENTIALS;
  // The port is chosen first: the callback URL Twilio is given names it.
  const port = await freePort();
  statusCallbackUrl = `http://127.0.0.1:${port}/webhooks/twilio`;
  service = await startService((runtime, env) => buildNotifications(runtime, env, { consumerNames: { orders: consumer, fulfillment: `${consumer}-ful` } }), {
    name: 'notifications',
    env: notificationsEnv,
    clock,
    // Template test sends are audited in the log only (template-admin.test.ts reads it).
    captureLog: true,
    variables: {
      SMTP_URL: sink.smtpUrl,
      PUBLIC_BASE_URL: 'https://shop.example',
      ORDER_LINK_SECRET,
      TWILIO_API_URL: sims.baseUrl('twilio'),
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_FROM: twilio.from,
      TWILIO_STATUS_CALLBACK_URL: statusCallbackUrl,
      PORT: String(port),
      FCM_API_URL: sims.baseUrl('fcm'),
      FCM_PROJECT_ID: fcm.projectId,
      FCM_ACCESS_TOKEN: fcm.accessToken,
      TIMER_POLL_MS: '50',
    },
  });
});

afterAll(async () => {
  await service?.stop();
  await sims?.stop();
  await sink?.stop();
});

export const publish = (event: { id: string; type: string }) => publishEnvelope(service.runtime.messaging.js, event as ReturnType<typeof newEvent>);
export const processed = (eventId: string) => eventually(() => service.db.processedEvent.findUnique({ where: { consumer_eventId: { consumer, eventId } } }), (row) => row !== null, 20_000);
export const feedOf = (customerId: string) => service.db.feedItem.findMany({ where: { customerId }, orderBy: { createdAt: 'asc' } });
/** The service's events of `type` about the order (their data), published or still in the outbox. */
export const recorded = async (type: string, orderId: string) =>
  (await recordedEvents(service.db, service.runtime.messaging, type)).filter((event) => event.aggregateId === orderId).map((event) => event.data as Record<string, unknown>);
export const asCustomer = (customerId: string) => ({ 'x-actor-role': 'customer', 'x-actor': `customer:${customerId}` });

export const order = (locale: 'en' | 'es' | 'ro' | 'ru', customerId?: string): Order => sampleOrder(clock.now(), locale, customerId);

export async function placeAndConfirm(o: Order) {
  await publish(newEvent(orderCreated, { aggregateId: o.id, source: 'orders', data: o }));
  const confirmed = statusChanged(o, 'confirmed', { clock });
  await publish(confirmed);
  await processed(confirmed.id);
  return confirmed;
}

