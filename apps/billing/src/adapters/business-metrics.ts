import { afterCommit } from '@platform/runtime/transaction-scope';
import { SALES_CHANNELS } from '@platform/contracts';
import { Counter, type Registry } from 'prom-client';

/** Who takes the money: Stripe's checkout, or the sales channel the order was paid on. */
const PAYMENT_PROVIDERS = ['stripe', ...SALES_CHANNELS];

/** The billing service's business metrics (docs/metrics.md), in the process's registry. */
export function createBusinessMetrics(registry: Registry) {
  const checkoutsOpened = new Counter({
    name: 'billing_checkout_sessions_opened_total',
    help: 'Checkout sessions opened for a customer to pay (orders and top-ups)',
    registers: [registry],
  });
  const payments = new Counter({
    name: 'billing_payments_total',
    help: 'Payments settled, by provider and outcome (succeeded, failed)',
    labelNames: ['provider', 'outcome'] as const,
    registers: [registry],
  });
  // Every series from the start: ratios read 0, not "no data", before the first payment.
  checkoutsOpened.inc(0);
  for (const provider of PAYMENT_PROVIDERS) for (const outcome of ['succeeded', 'failed']) payments.inc({ provider, outcome }, 0);
  return {
    /** Each counted once `tx` commits: a rolled-back or replayed change counts nothing. */
    checkoutOpened(tx: object): void {
      afterCommit(tx, () => checkoutsOpened.inc());
    },
    paymentSettled(tx: object, provider: string, outcome: 'succeeded' | 'failed'): void {
      afterCommit(tx, () => payments.inc({ provider, outcome }));
    },
  };
}

export type BusinessMetrics = ReturnType<typeof createBusinessMetrics>;
