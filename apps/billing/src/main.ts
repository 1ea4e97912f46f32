import { databaseEnv, envHelpers, loadEnvOrExit, serviceEnv } from '@platform/config/env';
import { ServiceRuntime } from '@platform/runtime/service';
import { cancellationSettled, streams } from '@platform/contracts';
import { z } from 'zod';
import { createDatabase, type Transaction } from './adapters/database';
import { createStripeClient } from './adapters/stripe-client';
import { type BillingDeps, REFUND_POLICIES } from './application/context';
import { markOverdue, OVERDUE_TIMER } from './application/invoices';
import { fulfillmentSubscriptions } from './consumers/fulfillment';
import { orderSubscriptions } from './consumers/orders';
import { registerQueries, registerStripeWebhook } from './http/routes';

const env = loadEnvOrExit(
  serviceEnv.extend(databaseEnv.shape).extend({
    PORT: envHelpers.port.default(8085),
    STRIPE_API_URL: envHelpers.url(['http:', 'https:']).default('https://api.stripe.com'),
    STRIPE_SECRET_KEY: z.string().min(1),
    STRIPE_WEBHOOK_SECRET: z.string().min(1),
    /** Max |now - t| of a Stripe-Signature, in seconds (Stripe's libraries use 300). */
    STRIPE_WEBHOOK_TOLERANCE_S: envHelpers.positiveInt.default(300),
    CHECKOUT_SUCCESS_URL: envHelpers.url(['http:', 'https:']).default('http://127.0.0.1:8080/v1/checkout/complete'),
    INVOICE_DUE_DAYS: envHelpers.positiveInt.default(14),
    /** Whether a cancel's refund waits until fulfillment has the supplier order cancelled (or ops settled it). */
    REFUND_ON_UNCONFIRMED_SUPPLIER_CANCEL: z.enum(REFUND_POLICIES).default('after_supplier_cancel'),
  }),
);
const runtime = await ServiceRuntime.start('billing', env);
const db = runtime.attachDatabase(createDatabase(env.DATABASE_URL, env.DATABASE_POOL_SIZE));
const relay = runtime.startOutboxRelay(db);

const deps: BillingDeps = {
  provider: createStripeClient({ apiUrl: env.STRIPE_API_URL, secretKey: env.STRIPE_SECRET_KEY }),
  clock: runtime.clock,
  checkoutSuccessUrl: env.CHECKOUT_SUCCESS_URL,
  invoiceDueDays: env.INVOICE_DUE_DAYS,
  refundOnUnconfirmedSupplierCancel: env.REFUND_ON_UNCONFIRMED_SUPPLIER_CANCEL,
};

// Four orders at once (each waits on Stripe inside its transaction); one order's events stay in order.
runtime.addConsumer<Transaction>({ name: 'billing--orders', stream: streams.ORDERS.name, db, concurrency: 4, subscriptions: orderSubscriptions(deps) });
runtime.addConsumer<Transaction>({
  name: 'billing--fulfillment',
  stream: streams.FULFILLMENT.name,
  filterSubject: cancellationSettled.type,
  db,
  concurrency: 4,
  subscriptions: fulfillmentSubscriptions(deps),
});
runtime.startTimers<Transaction>(db, { [OVERDUE_TIMER]: (timer, tx, now) => markOverdue(tx, String(timer.payload.invoiceId ?? timer.key), now) });

const app = runtime.createHttpServer();
await registerStripeWebhook(app, {
  db,
  billing: deps,
  webhookSecret: env.STRIPE_WEBHOOK_SECRET,
  webhookToleranceSeconds: env.STRIPE_WEBHOOK_TOLERANCE_S,
  afterCommit: () => relay.notify(),
});
registerQueries(app, db);
await runtime.serve(app);
