import type { Order } from '@platform/contracts/api/orders';
import { AdjustableClock } from '@platform/runtime/clock';
import { type SmtpSinkHandle, startSmtpSink } from '@platform/devstack';
import { LOCAL_PROVIDER_CREDENTIALS } from '@platform/simulators';
import { startService, type StartedService } from '@platform/test-support/service';
import { buildNotifications } from '../src/app';
import { storeOrderContext } from '../src/application/order-context';
import { notificationsEnv } from '../src/config';

/*
 * The notifications service for the click-link and bulk-send tests: in process on real
 * PostgreSQL and the SMTP sink, with click tracking on and its workers left to the test (it
 * fires the timers itself, against its own clock), so nothing is read from or published to the
 * streams other test files share. Email only: no SMS or push provider is reached.
 */

export type AdminService = StartedService<ReturnType<typeof buildNotifications>>;

export const CLICK_LINK_SECRET = 'admin-tests-click-link-secret-0123456789abcdef';
export const PUBLIC_BASE_URL = 'https://shop.example';
export const ORDER_LINK_SECRET = 'admin-tests-order-link-secret-0123456789abcdef';

/** Starts the service (again, on `databaseUrl`, when given: a restart keeps the database and the clock). */
export function startAdminService(sink: SmtpSinkHandle, options: { clock: AdjustableClock; databaseUrl?: string; sendsPerMinute?: number }): Promise<AdminService> {
  const { twilio, fcm } = LOCAL_PROVIDER_CREDENTIALS;
  return startService((runtime, env) => buildNotifications(runtime, env), {
    name: 'notifications',
    env: notificationsEnv,
    clock: options.clock,
    databaseUrl: options.databaseUrl,
    workers: false,
    variables: {
      SMTP_URL: sink.smtpUrl,
      PUBLIC_BASE_URL,
      ORDER_LINK_SECRET,
      CLICK_LINK_SECRET,
      CAMPAIGN_SENDS_PER_MINUTE: String(options.sendsPerMinute ?? 600),
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_FROM: twilio.from,
      FCM_PROJECT_ID: fcm.projectId,
      FCM_ACCESS_TOKEN: fcm.accessToken,
    },
  });
}

export const startSink = () => startSmtpSink({ smtpPort: 0, httpPort: 0 });

/** What `orders.order.created` leaves in the read model. */
export function storeOrder(service: AdminService, order: Order): Promise<void> {
  return service.db.$transaction((tx) => storeOrderContext(tx, order, service.clock.now()));
}

export const OPS = { 'x-actor-role': 'ops', 'x-actor': 'ops:key-ana' };
export const ADMIN = { 'x-actor-role': 'admin', 'x-actor': 'admin:key-eva' };
