import { currentFlow } from '@platform/runtime/context';
import { DomainError } from '@platform/contracts/errors';
import { checkoutCreated, paymentFailed, paymentSucceeded } from '@platform/contracts';
import type { Order } from '@platform/contracts/api/orders';
import { type Transaction, writeTogether } from '../adapters/database';
import { StripeApiError } from '../adapters/stripe-client';
import { type Payment, Prisma } from '../generated/prisma/client';
import { fromStripeCurrency, toStripeCurrency } from '../domain/invoice';
import { type BillingDeps, emit, lockedPayment } from './context';
import { issueInvoice, lockedInvoiceOf, recordInvoicePayment } from './invoices';
import { requestRefund } from './refunds';
import { paymentAllocationWrites } from './vendor-ledger';
import { checkoutLineName, checkoutReturnUrls } from '../domain/checkout-page';
import { ORDER_LINK_TTL_MS, signOrderLink } from '@platform/config/order-links';
import { derivedId } from '../domain/ids';
import type { VendorWeight } from '../domain/vendor-split';

export type PaymentKind = 'order' | 'top_up';
/** Payments the customer can still pay. */
export const UNPAID = ['requires_payment', 'processing', 'failed'];

/**
 * Opens a Stripe checkout session for a new payment row → `billing.checkout.created`.
 * The payment id is derived by the caller (same on every redelivery) and is the Stripe
 * Idempotency-Key, so a retried event finds the session it already opened. `together`: the
 * caller's rows, written in the statement that records the payment once Stripe answered.
 */
export async function openCheckout(
  tx: Transaction,
  deps: BillingDeps,
  input: {
    paymentId: string;
    kind: PaymentKind;
    order: Pick<Order, 'id' | 'number' | 'currency' | 'customer'>;
    amount: number;
    /** A top-up's vendors and weights (paymentAllocationWrites); absent: the order's items. */
    vendorWeights?: VendorWeight[];
  },
  together: readonly Prisma.Sql[] = [],
): Promise<void> {
  const { order } = input;
  const now = deps.clock.now();
  // correlation_id: the journey this money belongs to; Stripe's webhooks about it continue it.
  const insertPayment = (status: string, failureReason: string | null) => Prisma.sql`
    INSERT INTO payments (id, order_id, kind, provider, status, amount, currency, failure_reason, correlation_id, vendor_weights, created_at, updated_at)
    VALUES (${input.paymentId}::uuid, ${order.id}::uuid, ${input.kind}, ${deps.provider.name}, ${status}, ${input.amount}::int, ${order.currency}, ${failureReason},
            ${currentFlow()?.correlationId ?? null}, ${input.vendorWeights ? JSON.stringify(input.vendorWeights) : null}::jsonb, ${now}, ${now})`;
  let session;
  try {
    session = await deps.provider.createCheckoutSession({
      paymentId: input.paymentId,
      orderId: order.id,
      productName: checkoutLineName(input.kind, order.number, order.customer.locale),
      locale: order.customer.locale,
      amount: input.amount,
      currency: order.currency,
      customerEmail: order.customer.email,
      ...checkoutReturnUrls(deps.publicBaseUrl, order.id, deps.orderLinkSecret && signOrderLink(deps.orderLinkSecret, order.id, new Date(now.getTime() + ORDER_LINK_TTL_MS))),
    });
  } catch (error) {
    // Stripe refused the session itself (4xx): retrying would not help, so the payment fails visibly.
    if (!(error instanceof StripeApiError)) throw error;
    await writeTogether(tx, [...together, insertPayment('failed', error.message)]);
    await emit(tx, paymentFailed, order.id, { orderId: order.id, paymentId: input.paymentId, reason: error.message, failedAt: now.toISOString() }, now);
    deps.metrics.paymentSettled(tx, deps.provider.name, 'failed');
    return;
  }
  const expiresAt = session.expires_at ? new Date(session.expires_at * 1000) : null;
  await writeTogether(tx, [
    ...together,
    insertPayment('requires_payment', null),
    Prisma.sql`
      INSERT INTO checkout_sessions (id, payment_id, order_id, provider_session_id, status, url, amount, currency, expires_at, created_at, updated_at)
      VALUES (${input.paymentId}::uuid, ${input.paymentId}::uuid, ${order.id}::uuid, ${session.id}, ${session.status}, ${session.url},
              ${session.amount_total}::int, ${fromStripeCurrency(session.currency)}, ${expiresAt}, ${now}, ${now})`,
  ]);
  await emit(tx, checkoutCreated, order.id, {
    orderId: order.id,
    paymentId: input.paymentId,
    provider: deps.provider.name,
    checkoutSessionId: session.id,
    url: session.url,
    amount: input.amount,
    currency: order.currency,
    expiresAt: expiresAt?.toISOString() ?? null,
  }, now);
  deps.metrics.checkoutOpened(tx);
}

/**
 * Closes the payment's open sessions at Stripe and cancels the payment (order cancelled or
 * modified before payment). A session Stripe says is no longer open is left as Stripe has it.
 */
export async function cancelUnpaidPayment(tx: Transaction, deps: BillingDeps, payment: Payment): Promise<void> {
  const now = deps.clock.now();
  const sessions = await tx.checkoutSession.findMany({ where: { paymentId: payment.id, status: 'open' } });
  for (const session of sessions) {
    let status = 'expired';
    try {
      status = (await deps.provider.expireCheckoutSession(session.providerSessionId)).status;
    } catch (error) {
      if (!(error instanceof StripeApiError)) throw error;
      status = (await deps.provider.getCheckoutSession(session.providerSessionId)).status;
    }
    await tx.checkoutSession.update({ where: { id: session.id }, data: { status, url: null, updatedAt: now } });
  }
  await tx.payment.update({ where: { id: payment.id }, data: { status: 'cancelled', updatedAt: now } });
}

/**
 * Stripe says the money arrived (checkout completed and paid, or async payment succeeded).
 * Exactly once per payment: the payment moves to `succeeded`, the invoice is issued with its
 * number (first payment) and settled → payment.succeeded, invoice.issued, invoice.status_changed.
 * An amount or currency that differs from what was asked flags the payment instead.
 * `payment` as read under the lock of its order's payments (`lockedPaymentOfSession`).
 */
export async function recordPaymentSucceeded(
  tx: Transaction,
  deps: BillingDeps,
  payment: Payment,
  paid: { providerPaymentId: string | null; amount: number; currency: string },
): Promise<void> {
  const now = deps.clock.now();
  if (payment.status === 'succeeded' || payment.status === 'flagged') return;
  const cancelledMeanwhile = payment.status === 'cancelled';
  if (paid.amount !== payment.amount || paid.currency !== toStripeCurrency(payment.currency)) {
    await tx.payment.update({
      where: { id: payment.id },
      data: {
        status: 'flagged',
        providerPaymentId: paid.providerPaymentId,
        failureReason: `Stripe reported ${paid.amount} ${paid.currency}, expected ${payment.amount} ${toStripeCurrency(payment.currency)}`,
        updatedAt: now,
      },
    });
    return;
  }
  const succeeded = [
    Prisma.sql`
      UPDATE payments SET status = 'succeeded', provider_payment_id = ${paid.providerPaymentId}, amount_received = ${paid.amount}::int, paid_at = ${now},
                          failure_reason = NULL, updated_at = ${now}
      WHERE id = ${payment.id}::uuid`,
    Prisma.sql`UPDATE checkout_sessions SET status = 'complete', url = NULL, updated_at = ${now} WHERE payment_id = ${payment.id}::uuid AND status = 'open'`,
  ];
  if (cancelledMeanwhile) {
    await writeTogether(tx, succeeded);
    // The customer paid while the order was being cancelled or changed (the session could no
    // longer be expired): the money goes straight back, and nothing downstream hears of a payment.
    await requestRefund(tx, deps, {
      refundId: derivedId(`${payment.id}/refund/paid-after-cancel`),
      payment: { ...payment, providerPaymentId: paid.providerPaymentId, amountReceived: paid.amount },
      amount: paid.amount,
      reason: 'Paid after the payment was cancelled',
      invoiceId: null,
    });
    return;
  }
  // Written in the statement that locks the invoice.
  let invoice = await lockedInvoiceOf(tx, payment.orderId, succeeded);
  await emit(tx, paymentSucceeded, payment.orderId, {
    orderId: payment.orderId,
    paymentId: payment.id,
    provider: payment.provider,
    providerPaymentId: paid.providerPaymentId ?? payment.id,
    amount: paid.amount,
    currency: payment.currency,
    paidAt: now.toISOString(),
  }, now);
  deps.metrics.paymentSettled(tx, payment.provider, 'succeeded');
  if (!invoice) throw new DomainError('not_found', 'INVOICE_NOT_FOUND', `No invoice for order ${payment.orderId}`);
  // The vendors' shares, whatever the invoice's state: the money is held for them until refunded.
  // Their rows are written in the statement that settles the invoice.
  const allocation = await paymentAllocationWrites(tx, deps, { ...payment, amountReceived: paid.amount }, invoice, now);
  // Paid after the invoice was voided (the order was cancelled meanwhile): ops refunds; nothing to settle.
  if (invoice.status === 'void') return writeTogether(tx, allocation);
  if (invoice.status === 'draft') invoice = await issueInvoice(tx, invoice, now, deps.invoiceDueDays);
  await recordInvoicePayment(tx, invoice, paid.amount, now, allocation);
}

/** The customer's payment failed or its session expired → `billing.payment.failed` (once per failure). */
export async function recordPaymentFailed(tx: Transaction, deps: BillingDeps, paymentId: string, reason: string): Promise<void> {
  const now = deps.clock.now();
  const payment = await lockedPayment(tx, paymentId);
  if (!['requires_payment', 'processing'].includes(payment.status)) return;
  await tx.payment.update({ where: { id: payment.id }, data: { status: 'failed', failureReason: reason, updatedAt: now } });
  await emit(tx, paymentFailed, payment.orderId, { orderId: payment.orderId, paymentId: payment.id, reason, failedAt: now.toISOString() }, now);
  deps.metrics.paymentSettled(tx, payment.provider, 'failed');
}
