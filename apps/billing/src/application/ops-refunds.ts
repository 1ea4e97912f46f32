import { randomUUID } from 'node:crypto';
import { DomainError } from '@platform/contracts/errors';
import type { Database } from '../adapters/database';
import type { Refund } from '../generated/prisma/client';
import { heldAmount, refundable } from '../domain/held-money';
import { derivedId } from '../domain/ids';
import { type BillingDeps, lockPayments } from './context';
import { lockedInvoiceOf } from './invoices';
import { paymentsWithPendingRefunds, requestRefund } from './refunds';

/**
 * `POST /orders/:orderId/refunds` (ops, admin; docs/requirements.md#bil-02-payments-and-refunds):
 * money back by amount, full or partial, through the same path as every refund (Stripe with the
 * refund id as Idempotency-Key; a credit note and the vendors' reversal in proportion on
 * success), recorded with the acting key. With an `Idempotency-Key` the refund id derives from
 * it: a repeat answers the refund it made (`created: false`); the same key with another body is
 * a conflict. The amount must fit what the order's money can still give back, in one payment.
 */
export function refundByOps(
  db: Database,
  deps: BillingDeps,
  input: { orderId: string; amount: number; reason: string; actor: string; idempotencyKey?: string | undefined },
): Promise<{ refund: Refund; created: boolean }> {
  return db.$transaction(
    async (tx) => {
      const { orderId, amount } = input;
      await lockPayments(tx, orderId);
      const refundId = input.idempotencyKey ? derivedId(`${orderId}/refund/ops/${input.idempotencyKey}`) : randomUUID();
      const earlier = await tx.refund.findUnique({ where: { id: refundId } });
      if (earlier) return { refund: sameRequest(earlier, input), created: false };
      const payments = await paymentsWithPendingRefunds(tx, orderId);
      if (payments.length === 0) throw new DomainError('not_found', 'BILLING_NOT_FOUND', `Billing knows nothing about order ${orderId}`);
      const held = heldAmount(payments);
      if (amount > held) {
        throw new DomainError('unprocessable', 'REFUND_EXCEEDS_REFUNDABLE', `Order ${orderId} can give back at most ${held}`, [{ pointer: '/body/amount', detail: `at most ${held} is refundable` }]);
      }
      // A refund goes to one payment (as a modification's): an amount spread over an order and its top-up is two refunds.
      const payment = payments.find((p) => p.status === 'succeeded' && refundable(p) >= amount);
      if (!payment) {
        const largest = Math.max(...payments.filter((p) => p.status === 'succeeded').map(refundable));
        throw new DomainError('unprocessable', 'REFUND_SPANS_PAYMENTS', `Order ${orderId} can give back at most ${largest} in one refund`, [{ pointer: '/body/amount', detail: `at most ${largest} in one refund` }]);
      }
      const invoice = await lockedInvoiceOf(tx, orderId);
      await requestRefund(tx, deps, {
        refundId,
        payment,
        amount,
        reason: input.reason,
        invoiceId: invoice && invoice.status !== 'draft' ? invoice.id : null,
        requestedBy: input.actor,
      });
      return { refund: await tx.refund.findUniqueOrThrow({ where: { id: refundId } }), created: true };
    },
    // Stripe is called inside the transaction, as for every refund.
    { timeout: 30_000, maxWait: 10_000 },
  );
}

function sameRequest(refund: Refund, input: { orderId: string; amount: number; reason: string }): Refund {
  if (refund.orderId === input.orderId && refund.amount === input.amount && refund.reason === input.reason) return refund;
  throw new DomainError('conflict', 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request body', [
    { pointer: '/headers/idempotency-key', detail: 'reused with a different body' },
  ]);
}

