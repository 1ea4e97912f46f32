import { ORDERS_AT_ONCE } from '@platform/runtime/consumer';
import type { ServiceRuntime } from '@platform/runtime/service';
import { streams } from '@platform/contracts';
import { createBusinessMetrics } from './adapters/business-metrics';
import { createDatabase, type Transaction } from './adapters/database';
import { createStripeClient } from './adapters/stripe-client';
import type { BillingDeps } from './application/context';
import { markOverdue, OVERDUE_TIMER } from './application/invoices';
import { ensurePayoutSchedule, PAYOUT_TIMER, payoutRunTimer } from './application/payouts';
import type { BillingEnv } from './config';
import { fulfillmentSubscriptions } from './consumers/fulfillment';
import { orderSubscriptions } from './consumers/orders';
import { registerQueries, registerRefunds, registerStripeWebhook, registerVendorMoney } from './http/routes';

/**
 * The billing service on a runtime: database, outbox relay, the orders and fulfillment
 * consumers, the invoice-overdue and payout-run timers, the Stripe webhook, the queries and
 * the vendors' money routes and the ops refund. `main.ts` serves
 * the app; tests start the same build (`@platform/test-support/service`).
 */
export async function buildBilling(runtime: ServiceRuntime, env: BillingEnv) {
  // DATABASE_POOL_SIZE is the HTTP side's (its admission limit follows it); the two consumers' lanes come on top.
  const db = runtime.attachDatabase(createDatabase(env.DATABASE_URL, env.DATABASE_POOL_SIZE + 2 * ORDERS_AT_ONCE));
  const relay = runtime.addOutboxRelay(createDatabase(env.DATABASE_URL, 1));

  const deps: BillingDeps = {
    provider: createStripeClient({ apiUrl: env.STRIPE_API_URL, secretKey: env.STRIPE_SECRET_KEY }),
    clock: runtime.clock,
    metrics: createBusinessMetrics(runtime.metrics.registry),
    publicBaseUrl: env.PUBLIC_BASE_URL,
    orderLinkSecret: env.ORDER_LINK_SECRET,
    invoiceDueDays: env.INVOICE_DUE_DAYS,
    refundOnUnconfirmedSupplierCancel: env.REFUND_ON_UNCONFIRMED_SUPPLIER_CANCEL,
    feeRates: { brand: env.PLATFORM_FEE_BRAND_BPS, distributor: env.PLATFORM_FEE_DISTRIBUTOR_BPS },
    payoutIntervalMs: env.PAYOUT_INTERVAL_MS,
  };

  // Several orders at once (each waits on Stripe inside its transaction); one order's events stay in order.
  runtime.addConsumer<Transaction>({ name: 'billing--orders', stream: streams.ORDERS.name, db, concurrency: ORDERS_AT_ONCE, subscriptions: orderSubscriptions(deps) });
  runtime.addConsumer<Transaction>({
    name: 'billing--fulfillment',
    stream: streams.FULFILLMENT.name,
    db,
    concurrency: ORDERS_AT_ONCE,
    subscriptions: fulfillmentSubscriptions(deps),
  });
  runtime.addTimers<Transaction>(db, {
    [OVERDUE_TIMER]: (timer, tx, now) => markOverdue(tx, String(timer.payload.invoiceId ?? timer.key), now),
    [PAYOUT_TIMER]: (_timer, tx, now) => payoutRunTimer(tx, deps, now),
  });
  await ensurePayoutSchedule(db, deps);

  const app = runtime.createHttpServer();
  await registerStripeWebhook(app, {
    db,
    billing: deps,
    webhookSecret: env.STRIPE_WEBHOOK_SECRET,
    webhookToleranceSeconds: env.STRIPE_WEBHOOK_TOLERANCE_S,
  });
  registerQueries(app, db);
  registerVendorMoney(app, db, deps);
  registerRefunds(app, db, deps);
  return { app, db, deps };
}
