import { continueFlow } from '@platform/runtime/context';
import { DomainError } from '@platform/contracts/errors';
import type { Database, Transaction } from '../adapters/database';
import type { Payment } from '../generated/prisma/client';
import { type BillingDeps, lockedPaymentOfSession, lockPayments } from './context';
import { recordPaymentFailed, recordPaymentSucceeded } from './payments';
import { confirmRefundsByCharge } from './refunds';

/** The parts of a Stripe Event (docs/providers/stripe.md#webhooks) billing reads; the rest is kept as sent. */
export interface StripeEvent {
  id: string;
  type: string;
  created: number;
  data: { object: Record<string, unknown> & { id: string }; previous_attributes?: Record<string, unknown> };
}

export type WebhookOutcome = 'applied' | 'duplicate' | 'ignored';

export function isStripeEvent(value: unknown): value is StripeEvent {
  const event = value as StripeEvent | null;
  return (
    typeof event === 'object' && event !== null && typeof event.id === 'string' && typeof event.type === 'string' &&
    typeof event.data === 'object' && event.data !== null && typeof event.data.object === 'object' && event.data.object !== null &&
    typeof event.data.object.id === 'string'
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const paymentNotFound = (what: string) => new DomainError('not_found', 'PAYMENT_NOT_FOUND', `No payment matches ${what}`);

/** What a webhook did, and the journey it continued (the correlation id of the flow that opened the payment). */
export interface WebhookResult {
  outcome: WebhookOutcome;
  correlationId: string | null;
}

/**
 * Applies one verified Stripe event in its own transaction. The event id is recorded first: a
 * replay (same id) is a duplicate and changes nothing. Unknown sessions or payment intents
 * throw PAYMENT_NOT_FOUND, rolling back the record too, so nothing changed. Stripe's event
 * carries none of our ids: it is applied in the journey of the payment it is about, so the
 * events it records carry the order's correlation id.
 */
export function receiveStripeEvent(db: Database, deps: BillingDeps, event: StripeEvent): Promise<WebhookResult> {
  // Generous limits: a payment that arrives after a cancel is refunded through Stripe inside the transaction.
  return db.$transaction((tx) => applyStripeEvent(tx, deps, event), { timeout: 30_000, maxWait: 10_000 });
}

async function applyStripeEvent(tx: Transaction, deps: BillingDeps, event: StripeEvent): Promise<WebhookResult> {
  const inserted = await tx.$executeRaw`
    INSERT INTO processed_webhook_events (provider, event_id, type, received_at)
    VALUES ('stripe', ${event.id}, ${event.type}, ${deps.clock.now()})
    ON CONFLICT DO NOTHING`;
  if (inserted === 0) return { outcome: 'duplicate', correlationId: null };
  const planned = await plan(tx, deps, event);
  if (!planned) return { outcome: 'ignored', correlationId: null };
  await continueFlow(planned.payment.correlationId, planned.apply);
  return { outcome: 'applied', correlationId: planned.payment.correlationId };
}

/** The payment `event` is about and what applying it does; null for events billing does not act on. */
async function plan(tx: Transaction, deps: BillingDeps, event: StripeEvent): Promise<{ payment: Payment; apply: () => Promise<void> } | null> {
  const object = event.data.object;
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      const payment = await paymentOfSession(tx, object.id);
      const apply = async () => {
        if (object.payment_status !== 'paid') {
          // An async method: completed but unpaid; async_payment_succeeded follows.
          await tx.payment.updateMany({ where: { id: payment.id, status: 'requires_payment' }, data: { status: 'processing', updatedAt: deps.clock.now() } });
          return;
        }
        await recordPaymentSucceeded(tx, deps, payment, {
          providerPaymentId: typeof object.payment_intent === 'string' ? object.payment_intent : null,
          amount: Number(object.amount_total),
          currency: String(object.currency),
        });
      };
      return { payment, apply };
    }
    case 'checkout.session.async_payment_failed':
    case 'checkout.session.expired': {
      const payment = await paymentOfSession(tx, object.id);
      const apply = async () => {
        if (event.type === 'checkout.session.expired') {
          await tx.checkoutSession.update({ where: { providerSessionId: object.id }, data: { status: 'expired', url: null, updatedAt: deps.clock.now() } });
        }
        const reason = event.type === 'checkout.session.expired' ? 'The checkout session expired before payment' : 'The asynchronous payment failed';
        await recordPaymentFailed(tx, deps, payment.id, reason);
      };
      return { payment, apply };
    }
    case 'payment_intent.payment_failed': {
      const metadata = (object.metadata ?? {}) as Record<string, string>;
      const payment =
        (UUID.test(metadata.payment_id ?? '') && (await tx.payment.findUnique({ where: { id: metadata.payment_id! } }))) ||
        (await tx.payment.findFirst({ where: { providerPaymentId: object.id } }));
      if (!payment) throw paymentNotFound(`payment intent ${object.id}`);
      const error = object.last_payment_error as { message?: string; code?: string } | null | undefined;
      return { payment, apply: () => recordPaymentFailed(tx, deps, payment.id, error?.message ?? error?.code ?? 'The payment failed') };
    }
    case 'charge.refunded': {
      const intentId = String(object.payment_intent ?? '');
      const payment = await tx.payment.findFirst({ where: { providerPaymentId: intentId, status: 'succeeded' } });
      if (!payment) throw paymentNotFound(`payment intent ${intentId}`);
      const apply = async () => {
        await lockPayments(tx, payment.orderId);
        await confirmRefundsByCharge(tx, deps, payment, Number(object.amount_refunded ?? 0));
      };
      return { payment, apply };
    }
    default:
      return null;
  }
}

/** The session's payment, with the order's payments locked (the state it is applied to). */
async function paymentOfSession(tx: Transaction, providerSessionId: string): Promise<Payment> {
  const payment = await lockedPaymentOfSession(tx, providerSessionId);
  if (!payment) throw paymentNotFound(`checkout session ${providerSessionId}`);
  return payment;
}
