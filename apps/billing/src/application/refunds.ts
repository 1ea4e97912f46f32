import { refundFailed, refundSucceeded } from '@platform/contracts';
import type { CreditNoteLine } from '@platform/contracts/api/billing';
import { DomainError } from '@platform/contracts/errors';
import type { Database, Transaction } from '../adapters/database';
import { StripeApiError } from '../adapters/stripe-client';
import type { Payment, Refund } from '../generated/prisma/client';
import { REFUND_ON_CHANNEL_REQUIRED, refundRoute } from '../domain/channel-refunds';
import { type BillingDeps, emit, lockedPayment } from './context';
import { creditInvoice, lockedInvoiceOf } from './invoices';
import { reverseVendorShares } from './vendor-ledger';

/** A payment with the refunds asked of it and not confirmed yet (`refundable` counts them as given back). */
export type PaymentWithPendingRefunds = Payment & { amountRefundPending: number };

/** The order's payments in the order they were made, each with its pending refunds. */
export async function paymentsWithPendingRefunds(tx: Transaction, orderId: string): Promise<PaymentWithPendingRefunds[]> {
  const payments = await tx.payment.findMany({ where: { orderId }, orderBy: { createdAt: 'asc' } });
  const pending = await tx.refund.groupBy({ by: ['paymentId'], where: { orderId, status: 'pending' }, _sum: { amount: true } });
  const pendingOf = new Map(pending.map((row) => [row.paymentId, row._sum.amount ?? 0]));
  return payments.map((payment) => ({ ...payment, amountRefundPending: pendingOf.get(payment.id) ?? 0 }));
}

/**
 * Refunds `amount` of a succeeded payment through Stripe (Idempotency-Key = refund id, derived
 * by the caller, so a redelivered event neither refunds twice nor records twice). Stripe's
 * synchronous `succeeded` confirms at once; a `pending` one waits for `charge.refunded`.
 * A payment a sales channel took is never refunded through Stripe (`refundRoute`): when the
 * channel itself cancelled (`startedBy`), it has refunded the buyer and the refund is recorded
 * as made by it; otherwise nobody has, and the refund stays `pending` with
 * `refund_on_channel_required` for ops (counted as promised back, no `billing.refund.succeeded`).
 */
export async function requestRefund(
  tx: Transaction,
  deps: BillingDeps,
  input: {
    refundId: string;
    payment: Payment;
    amount: number;
    reason: string;
    invoiceId: string | null;
    /** Who gives it back (cancelled items); absent: every vendor in proportion. */
    vendorAmounts?: Record<string, number>;
    cancellationId?: string;
    /** The return it pays back (once per return). */
    returnId?: string;
    /** The API caller who asked for it (an ops refund). */
    requestedBy?: string;
    /** Its credit note's lines; absent: one line with the reason. */
    creditLines?: CreditNoteLine[];
    /** The actor of the cancel that asks for it (`channel:tiktok_shop` when the channel cancelled); absent: started on our side. */
    startedBy?: string | null;
  },
): Promise<void> {
  const { payment } = input;
  if (input.amount <= 0 || (await tx.refund.findUnique({ where: { id: input.refundId } }))) return;
  const now = deps.clock.now();
  const base = {
    id: input.refundId,
    orderId: payment.orderId,
    paymentId: payment.id,
    invoiceId: input.invoiceId,
    amount: input.amount,
    currency: payment.currency,
    reason: input.reason,
    vendorAmounts: input.vendorAmounts,
    cancellationId: input.cancellationId,
    returnId: input.returnId,
    requestedBy: input.requestedBy,
    creditLines: input.creditLines,
    createdAt: now,
    updatedAt: now,
  };
  const route = refundRoute(payment.provider, input.startedBy);
  if (route === 'made_by_channel') {
    // The buyer paid the channel, and the channel refunded them when it cancelled: recorded as made by it.
    await tx.refund.create({ data: { ...base, providerRefundId: `${payment.provider}:${input.refundId}`, status: 'pending' } });
    await confirmRefund(tx, deps, input.refundId);
    return;
  }
  if (route === 'on_channel_required') {
    // Started on our side: the channel was not told and the buyer has nothing back. Promised, not made.
    await tx.refund.create({ data: { ...base, providerRefundId: null, status: 'pending', pendingReason: REFUND_ON_CHANNEL_REQUIRED } });
    return;
  }
  try {
    const refund = await deps.provider.createRefund({
      refundId: input.refundId,
      orderId: payment.orderId,
      paymentIntentId: payment.providerPaymentId ?? '',
      amount: input.amount,
      reason: input.reason,
    });
    if (refund.status === 'failed' || refund.status === 'canceled') {
      await recordFailed(tx, base, refund.failure_reason ?? `Stripe refund ${refund.status}`, refund.id);
      return;
    }
    await tx.refund.create({ data: { ...base, providerRefundId: refund.id, status: 'pending' } });
    if (refund.status === 'succeeded') await confirmRefund(tx, deps, input.refundId);
  } catch (error) {
    if (!(error instanceof StripeApiError)) throw error;
    await recordFailed(tx, base, error.message, null);
  }

  async function recordFailed(tx: Transaction, data: typeof base, reason: string, providerRefundId: string | null) {
    await tx.refund.create({ data: { ...data, providerRefundId, status: 'failed', failureReason: reason } });
    await emit(tx, refundFailed, payment.orderId, { orderId: payment.orderId, refundId: data.id, reason, failedAt: now.toISOString() }, now);
  }
}

/**
 * Marks a pending refund succeeded: whichever comes first, Stripe's API answer or the
 * `charge.refunded` webhook; the conditional update makes the second a no-op, so
 * `billing.refund.succeeded`, the invoice credit and the vendors' reversal happen exactly once.
 */
export async function confirmRefund(tx: Transaction, deps: BillingDeps, refundId: string): Promise<boolean> {
  const now = deps.clock.now();
  const claimed = await tx.refund.updateMany({ where: { id: refundId, status: 'pending' }, data: { status: 'succeeded', succeededAt: now, updatedAt: now } });
  if (claimed.count === 0) return false;
  const refund: Refund = await tx.refund.findUniqueOrThrow({ where: { id: refundId } });
  await tx.payment.update({ where: { id: refund.paymentId }, data: { amountRefunded: { increment: refund.amount }, updatedAt: now } });
  const paid = await tx.payment.aggregate({ where: { orderId: refund.orderId }, _sum: { amountReceived: true, amountRefunded: true } });
  const remainingPaid = Math.max(0, (paid._sum.amountReceived ?? 0) - (paid._sum.amountRefunded ?? 0));
  await emit(tx, refundSucceeded, refund.orderId, {
    orderId: refund.orderId,
    refundId: refund.id,
    paymentId: refund.paymentId,
    providerRefundId: refund.providerRefundId ?? refund.id,
    amount: refund.amount,
    currency: refund.currency,
    reason: refund.reason,
    refundedAt: now.toISOString(),
    remainingPaid,
    ...(refund.returnId && { returnId: refund.returnId }),
  }, now);
  const invoice = refund.invoiceId ? await lockedInvoiceOf(tx, refund.orderId) : null;
  if (invoice) await creditInvoice(tx, invoice, refund, now);
  await reverseVendorShares(tx, refund, now);
  return true;
}

/**
 * The channel cancelled the order and refunded its buyer everything they paid it: the payment's
 * refunds still waiting for someone to refund on the channel are made now, by it (oldest first).
 */
export async function confirmRefundsMadeByChannel(tx: Transaction, deps: BillingDeps, payment: Payment): Promise<void> {
  const waiting = await tx.refund.findMany({ where: { paymentId: payment.id, status: 'pending', pendingReason: REFUND_ON_CHANNEL_REQUIRED }, orderBy: { createdAt: 'asc' } });
  for (const refund of waiting) await madeOnChannel(tx, deps, payment, refund.id, null);
}

/** A refund the channel made (recorded by `confirmedBy`, ops, or by the channel's own cancel): confirmed as any refund. */
async function madeOnChannel(tx: Transaction, deps: BillingDeps, payment: Payment, refundId: string, confirmedBy: string | null): Promise<void> {
  await tx.refund.update({ where: { id: refundId }, data: { providerRefundId: `${payment.provider}:${refundId}`, pendingReason: null, confirmedBy } });
  await confirmRefund(tx, deps, refundId);
}

/**
 * `POST /refunds/:refundId/made-on-channel` (ops): ops refunded the buyer on the sales channel
 * (the refund waited with `refund_on_channel_required`); it is confirmed now, as any refund
 * (`billing.refund.succeeded`, credit note, vendors' reversal), and records who said so.
 * Anything else answers 409 and changes nothing; a repeat after it finds it succeeded (409).
 */
export function recordMadeOnChannel(db: Database, deps: BillingDeps, refundId: string, actor: string): Promise<Refund> {
  return db.$transaction(async (tx) => {
    const found = await tx.refund.findUnique({ where: { id: refundId } });
    if (!found) throw new DomainError('not_found', 'REFUND_NOT_FOUND', `No refund ${refundId}`);
    const payment = await lockedPayment(tx, found.paymentId);
    const refund = await tx.refund.findUniqueOrThrow({ where: { id: refundId } });
    if (refund.status !== 'pending' || refund.pendingReason !== REFUND_ON_CHANNEL_REQUIRED) {
      throw new DomainError('conflict', 'REFUND_NOT_WAITING_FOR_CHANNEL', `Refund ${refundId} is ${refund.status}, not waiting for a refund on the sales channel`);
    }
    await madeOnChannel(tx, deps, payment, refundId, actor);
    return tx.refund.findUniqueOrThrow({ where: { id: refundId } });
  });
}

/** `charge.refunded`: confirms the payment's pending refunds the charge's refunded amount covers, oldest first. */
export async function confirmRefundsByCharge(tx: Transaction, deps: BillingDeps, payment: Payment, amountRefunded: number): Promise<void> {
  const refunds = await tx.refund.findMany({ where: { paymentId: payment.id, status: { in: ['pending', 'succeeded'] } }, orderBy: { createdAt: 'asc' } });
  let covered = refunds.filter((r) => r.status === 'succeeded').reduce((sum, r) => sum + r.amount, 0);
  for (const refund of refunds.filter((r) => r.status === 'pending')) {
    if (covered + refund.amount > amountRefunded) break;
    await confirmRefund(tx, deps, refund.id);
    covered += refund.amount;
  }
}
