import { databaseEnv, envHelpers, loadEnvOrExit, serviceEnv } from '@platform/config/env';
import { ServiceRuntime } from '@platform/runtime/service';
import { streams, trackingStatusChanged } from '@platform/contracts';
import { createDatabase, type Transaction } from './adapters/database';
import { supplierCallLog } from './adapters/supplier-call-log';
import { createSupplierClients, supplierEnv } from './adapters/suppliers';
import type { Fulfillment } from './application/context';
import { ensureDemoHubs } from './application/inventory';
import { timerHandlers } from './application/timer-handlers';
import { billingEventSubscriptions } from './consumers/billing-events';
import { orderEventSubscriptions } from './consumers/order-events';
import { trackingEventSubscriptions } from './consumers/tracking-events';
import { createOrderWorkflow } from './domain/order-workflow';
import { registerRoutes } from './http/routes';

const env = loadEnvOrExit(
  serviceEnv
    .extend(databaseEnv.shape)
    .extend(supplierEnv.shape)
    .extend({
      PORT: envHelpers.port.default(8082),
      /** payment_confirmed → processing (60 s, docs/requirements.md#ful-01-order-workflow). */
      PAYMENT_CONFIRMED_DELAY_MS: envHelpers.positiveInt.default(60_000),
      /** placed_with_supplier → failed without a supplier answer (24 h, docs/requirements.md#ful-01-order-workflow). */
      SUPPLIER_TIMEOUT_MS: envHelpers.positiveInt.default(86_400_000),
      /** How soon a live supplier order's status is first asked (and again after it changed). */
      SUPPLIER_POLL_INTERVAL_MS: envHelpers.positiveInt.default(900_000),
      /** The poll interval doubles while nothing changes, up to this. */
      SUPPLIER_POLL_MAX_INTERVAL_MS: envHelpers.positiveInt.default(3_600_000),
      /** How long own stock stays held before the placement confirms it (FUL-03: 30 min). */
      RESERVATION_TTL_MS: envHelpers.positiveInt.default(1_800_000),
    }),
);
const runtime = await ServiceRuntime.start('fulfillment', env);
const db = runtime.attachDatabase(createDatabase(env.DATABASE_URL, env.DATABASE_POOL_SIZE));
runtime.startOutboxRelay(db);
await ensureDemoHubs(db);

const fulfillment: Fulfillment = {
  db,
  clock: runtime.clock,
  log: runtime.log,
  machine: createOrderWorkflow({ paymentConfirmedDelayMs: env.PAYMENT_CONFIRMED_DELAY_MS, supplierTimeoutMs: env.SUPPLIER_TIMEOUT_MS }),
  suppliers: createSupplierClients(env, supplierCallLog(db, runtime.clock)),
  settings: { reservationTtlMs: env.RESERVATION_TTL_MS, supplierPoll: { baseMs: env.SUPPLIER_POLL_INTERVAL_MS, maxMs: env.SUPPLIER_POLL_MAX_INTERVAL_MS } },
};

runtime.addConsumer<Transaction>({ name: 'fulfillment--order-events', stream: streams.ORDERS.name, db, subscriptions: orderEventSubscriptions(fulfillment) });
runtime.addConsumer<Transaction>({
  name: 'fulfillment--billing-events',
  stream: streams.BILLING.name,
  db,
  subscriptions: billingEventSubscriptions(fulfillment),
});
runtime.addConsumer<Transaction>({
  name: 'fulfillment--tracking-updates',
  stream: streams.TRACKING.name,
  filterSubject: trackingStatusChanged.type,
  db,
  subscriptions: trackingEventSubscriptions(fulfillment),
});
runtime.startTimers(db, timerHandlers(fulfillment));

const app = runtime.createHttpServer();
registerRoutes(app, fulfillment);
await runtime.serve(app);
