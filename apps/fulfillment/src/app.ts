import { EVENTS_PER_TRANSACTION, ORDERS_AT_ONCE } from '@platform/runtime/consumer';
import type { ServiceRuntime } from '@platform/runtime/service';
import { streams, type SupplierName } from '@platform/contracts';
import { createBusinessMetrics, openExceptions } from './adapters/business-metrics';
import { createDatabase, type Transaction } from './adapters/database';
import { createDeviceSystem } from './adapters/devices';
import { createReturnLabels } from './adapters/return-labels';
import { supplierCallLog } from './adapters/supplier-call-log';
import { createSupplierClients } from './adapters/suppliers/clients';
import type { RecordSupplierCall, SupplierClient } from './adapters/suppliers/supplier-client';
import type { Fulfillment } from './application/context';
import { insertMissingDemoHubs } from './application/hubs';
import { timerHandlers } from './application/timer-handlers';
import type { FulfillmentEnv } from './config';
import { billingEventSubscriptions } from './consumers/billing-events';
import { orderEventSubscriptions } from './consumers/order-events';
import { trackingEventSubscriptions } from './consumers/tracking-events';
import { createOrderWorkflow } from './domain/order-workflow';
import { registerRoutes } from './http/routes';

export interface FulfillmentOptions {
  /** The supplier clients, given the call log they record to; default the real APIs from `env`. */
  suppliers?: (record: RecordSupplierCall) => Record<SupplierName, SupplierClient>;
}

/**
 * The fulfillment service on a runtime: database, outbox relay, the demo hubs (when asked), the three
 * consumers, the workflow timers and the HTTP routes. `main.ts` serves the app; tests start
 * the same build (`@platform/test-support/service`), with scripted suppliers where they need them.
 */
export async function buildFulfillment(runtime: ServiceRuntime, env: FulfillmentEnv, options: FulfillmentOptions = {}) {
  // DATABASE_POOL_SIZE is the HTTP side's (its admission limit follows it); the three consumers' and the timers' lanes come on top.
  const db = runtime.attachDatabase(createDatabase(env.DATABASE_URL, env.DATABASE_POOL_SIZE + 4 * ORDERS_AT_ONCE));
  runtime.addOutboxRelay(createDatabase(env.DATABASE_URL, 1));
  const record = supplierCallLog(db, runtime.clock, runtime.log);
  const fulfillment: Fulfillment = {
    db,
    clock: runtime.clock,
    log: runtime.log,
    metrics: createBusinessMetrics(runtime.metrics.registry, () => openExceptions(db), runtime.log),
    machine: createOrderWorkflow({ paymentConfirmedDelayMs: env.PAYMENT_CONFIRMED_DELAY_MS, supplierTimeoutMs: env.SUPPLIER_TIMEOUT_MS }),
    suppliers: options.suppliers?.(record) ?? createSupplierClients(env, record),
    devices: createDeviceSystem({ baseUrl: env.DEVICES_API_URL, apiKey: env.DEVICES_API_KEY }),
    returnLabels: createReturnLabels({ baseUrl: env.EASYPOST_API_URL, apiKey: env.EASYPOST_API_KEY, timeoutMs: env.SUPPLIER_HTTP_TIMEOUT_MS }),
    settings: {
      reservationTtlMs: env.RESERVATION_TTL_MS,
      supplierPoll: { baseMs: env.SUPPLIER_POLL_INTERVAL_MS, maxMs: env.SUPPLIER_POLL_MAX_INTERVAL_MS },
      supplierTimeoutMs: env.SUPPLIER_TIMEOUT_MS,
      supplierShippingDeadlineMs: env.SUPPLIER_SHIPPING_DEADLINE_MS,
    },
  };

  if (env.SEED_DEMO_HUBS) {
    const added = await insertMissingDemoHubs(fulfillment);
    if (added > 0) runtime.log.info({ added }, 'demo hubs added');
  }

  // The events at hand commit together: a handler locks its own order's rows (workflow, return,
  // parcels), which a batch takes in the order of its orders' ids (EventConsumer), and changes
  // shared stock rows only at the commit, in (hub, SKU) order (application/stock-changes.ts).
  // Supplier calls happen in timers, never here.
  runtime.addConsumer<Transaction>({
    name: 'fulfillment--order-events',
    stream: streams.ORDERS.name,
    db,
    concurrency: ORDERS_AT_ONCE,
    batch: EVENTS_PER_TRANSACTION,
    subscriptions: orderEventSubscriptions(fulfillment),
  });
  runtime.addConsumer<Transaction>({
    name: 'fulfillment--billing-events',
    concurrency: ORDERS_AT_ONCE,
    batch: EVENTS_PER_TRANSACTION,
    stream: streams.BILLING.name,
    db,
    subscriptions: billingEventSubscriptions(fulfillment),
  });
  runtime.addConsumer<Transaction>({
    name: 'fulfillment--tracking-updates',
    concurrency: ORDERS_AT_ONCE,
    batch: EVENTS_PER_TRANSACTION,
    stream: streams.TRACKING.name,
    db,
    subscriptions: trackingEventSubscriptions(fulfillment),
  });
  // Several timers at once: every paid order fires a few (payment delay, placement, supplier polls,
  // reservation expiry), and one lane fell behind at 10 orders/s (2,500 due, `pnpm bench --rate 10`).
  // Timers of one order queue on its workflow row (loaded FOR UPDATE), as its events do.
  const timers = runtime.addTimers(db, timerHandlers(fulfillment), { concurrency: ORDERS_AT_ONCE });

  const app = runtime.createHttpServer();
  registerRoutes(app, fulfillment);
  return { app, db, fulfillment, timers };
}
