import { on } from '@platform/runtime/consumer';
import { orderCancelled, orderCreated, orderModified } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { type BillingDeps, lockPayments } from '../application/context';
import { createDraftInvoice, debitInvoice, lockedInvoiceOf, redraftInvoice, withdrawDebit } from '../application/invoices';
import { cancelUnpaidPayment, openCheckout, UNPAID } from '../application/payments';
import { requestRefund } from '../application/refunds';
import { cancelOrderMoney } from '../application/cancellation';
import { derivedId } from '../domain/ids';

/**
 * billing--orders: the payment side of the order lifecycle (docs/requirements.md#order-lifecycle, steps 2, 9, 10).
 * Ids sent to Stripe are derived from the event's business identity (order, version), so a
 * redelivery reuses the same Idempotency-Key; existing rows make a repeat a no-op.
 */
export function orderSubscriptions(deps: BillingDeps) {
  /** `orders.order.created` → payment (requires_payment) + checkout session + draft invoice → billing.checkout.created. */
  const created = on(orderCreated, async (event, tx: Transaction) => {
    const order = event.data;
    const paymentId = derivedId(`${order.id}/payment/v${order.version}`);
    if (await tx.payment.findFirst({ where: { orderId: order.id } })) return;
    await createDraftInvoice(tx, order, deps.clock.now());
    await openCheckout(tx, deps, { paymentId, kind: 'order', order, amount: order.totals.total });
  });

  /**
   * `orders.order.cancelled`: money received is refunded (at once, or once fulfillment has
   * settled the supplier side, per policy: `cancelOrderMoney`); open payments are closed and
   * the invoice is void.
   */
  const cancelled = on(orderCancelled, (event, tx: Transaction) => cancelOrderMoney(tx, deps, event.data.orderId, event.data.reason));

  /**
   * `orders.order.modified` (new totals). Unpaid: the old session is closed and a new one
   * opened for the new total; the draft follows the order. Paid: a decrease is refunded
   * (credit on the invoice), an increase opens a checkout for the difference and the invoice
   * is partially paid until it arrives.
   */
  const modified = on(orderModified, async (event, tx: Transaction) => {
    const { order } = event.data;
    const version = `v${order.version}`;
    await lockPayments(tx, order.id);
    const payments = await tx.payment.findMany({ where: { orderId: order.id }, orderBy: { createdAt: 'asc' } });
    const invoice = await lockedInvoiceOf(tx, order.id);
    if (!invoice || invoice.status === 'void') return;
    const now = deps.clock.now();

    if (invoice.status === 'draft') {
      const newPaymentId = derivedId(`${order.id}/payment/${version}`);
      if (payments.some((p) => p.id === newPaymentId)) return;
      for (const payment of payments.filter((p) => UNPAID.includes(p.status))) await cancelUnpaidPayment(tx, deps, payment);
      await redraftInvoice(tx, invoice, order, now);
      await openCheckout(tx, deps, { paymentId: newPaymentId, kind: 'order', order, amount: order.totals.total });
      return;
    }

    // An unpaid top-up from an earlier modification is withdrawn: this difference replaces it.
    let current = invoice;
    for (const topUp of payments.filter((p) => p.kind === 'top_up' && UNPAID.includes(p.status))) {
      await cancelUnpaidPayment(tx, deps, topUp);
      current = await withdrawDebit(tx, current, topUp.id, 'Top-up replaced by a later modification', now);
    }
    // Against the money actually held: received, minus refunded, minus refunds still on their way.
    const pending = await tx.refund.aggregate({ where: { orderId: order.id, status: 'pending' }, _sum: { amount: true } });
    const held =
      payments.filter((p) => p.status === 'succeeded').reduce((sum, p) => sum + p.amountReceived - p.amountRefunded, 0) - (pending._sum.amount ?? 0);
    const difference = order.totals.total - held;
    if (difference < 0) {
      const paid = payments.find((p) => p.status === 'succeeded' && p.amountReceived - p.amountRefunded >= -difference);
      if (!paid) return;
      await requestRefund(tx, deps, {
        refundId: derivedId(`${order.id}/refund/${version}`),
        payment: paid,
        amount: -difference,
        reason: `Order modified: ${event.data.changes.join(', ')}`,
        invoiceId: invoice.id,
      });
    } else if (difference > 0) {
      const topUpId = derivedId(`${order.id}/top-up/${version}`);
      if (payments.some((p) => p.id === topUpId)) return;
      await openCheckout(tx, deps, { paymentId: topUpId, kind: 'top_up', order, amount: difference });
      await debitInvoice(tx, current, difference, `Order modified: ${event.data.changes.join(', ')}`, topUpId, now);
    }
  });

  return [created, cancelled, modified];
}
