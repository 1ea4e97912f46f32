import type { Transaction } from '../adapters/database';
import type { RefundHold } from '../generated/prisma/client';
import { type BillingDeps, lockPayments } from './context';
import { lockedInvoiceOf, voidInvoice } from './invoices';
import { cancelUnpaidPayment, UNPAID } from './payments';
import { confirmRefundsMadeByChannel, paymentsWithPendingRefunds, requestRefund } from './refunds';
import { refundRoute } from '../domain/channel-refunds';
import { refundable } from '../domain/held-money';
import { derivedId } from '../domain/ids';

/**
 * A cancelled order's money: what was received is refunded (the invoice gets a credit and is
 * void); payments still open are closed at Stripe and the invoice (draft or not) is void.
 * `startedBy` is the cancel's actor: a sales channel's payment counts as refunded only when
 * that channel cancelled (`refundRoute`); otherwise its refund waits for ops on the channel.
 */
export async function settleCancelledOrder(tx: Transaction, deps: BillingDeps, orderId: string, reason: string, startedBy: string | null): Promise<void> {
  const payments = await paymentsWithPendingRefunds(tx, orderId);
  const invoice = await lockedInvoiceOf(tx, orderId);
  for (const payment of payments) {
    if (payment.status === 'succeeded') {
      // The channel refunded its buyer everything: refunds of ours still waiting for it are made too.
      if (refundRoute(payment.provider, startedBy) === 'made_by_channel') await confirmRefundsMadeByChannel(tx, deps, payment);
      // A refund still on its way (cancelled items, a lower total) will take its part: only the rest goes back now.
      await requestRefund(tx, deps, {
        refundId: derivedId(`${orderId}/refund/cancel/${payment.id}`),
        payment,
        amount: refundable(payment),
        reason: `Order cancelled: ${reason}`,
        invoiceId: invoice?.id ?? null,
        startedBy,
      });
    } else if (UNPAID.includes(payment.status)) {
      await cancelUnpaidPayment(tx, deps, payment);
    }
  }
  // Re-read: a refund confirmed above may already have credited and voided it.
  const current = invoice && (await tx.invoice.findUniqueOrThrow({ where: { id: invoice.id } }));
  if (current) await voidInvoice(tx, current, `Order cancelled: ${reason}`, deps.clock.now());
}

/** The order's hold row, created if missing and locked: the cancel and the settlement (two streams) serialize on it. */
async function lockedHold(tx: Transaction, orderId: string): Promise<RefundHold> {
  await tx.$executeRaw`INSERT INTO refund_holds (order_id) VALUES (${orderId}::uuid) ON CONFLICT (order_id) DO NOTHING`;
  await tx.$queryRaw`SELECT order_id FROM refund_holds WHERE order_id = ${orderId}::uuid FOR UPDATE`;
  return tx.refundHold.findUniqueOrThrow({ where: { orderId } });
}

/**
 * `orders.order.cancelled` (`startedBy`: its actor). Under `after_supplier_cancel`, money received is not refunded
 * until fulfillment has settled the supplier side (a supplier order may still ship): the
 * whole settlement waits in `refund_holds` (with who cancelled) and `fulfillment.cancellation.settled` releases it.
 * Nothing paid, or `immediately`: settled now.
 */
export async function cancelOrderMoney(tx: Transaction, deps: BillingDeps, orderId: string, reason: string, startedBy: string | null): Promise<void> {
  await lockPayments(tx, orderId);
  const now = deps.clock.now();
  if (deps.refundOnUnconfirmedSupplierCancel === 'after_supplier_cancel') {
    const paid = await tx.payment.count({ where: { orderId, status: 'succeeded' } });
    if (paid > 0) {
      const hold = await lockedHold(tx, orderId);
      if (hold.releasedAt) return;
      if (!hold.supplierSettledAt) {
        await tx.refundHold.update({ where: { orderId }, data: { reason, startedBy, heldAt: now } });
        return;
      }
      await tx.refundHold.update({ where: { orderId }, data: { reason, startedBy, heldAt: now, releasedAt: now } });
    }
  }
  await settleCancelledOrder(tx, deps, orderId, reason, startedBy);
}

/** `fulfillment.cancellation.settled`: recorded; a refund held for it is released now. */
export async function supplierSideSettled(tx: Transaction, deps: BillingDeps, orderId: string, outcome: string): Promise<void> {
  await lockPayments(tx, orderId);
  const hold = await lockedHold(tx, orderId);
  const now = deps.clock.now();
  if (hold.supplierSettledAt) return;
  const release = hold.heldAt !== null && hold.releasedAt === null;
  await tx.refundHold.update({ where: { orderId }, data: { supplierOutcome: outcome, supplierSettledAt: now, ...(release && { releasedAt: now }) } });
  if (release) await settleCancelledOrder(tx, deps, orderId, hold.reason ?? 'cancelled', hold.startedBy);
}
