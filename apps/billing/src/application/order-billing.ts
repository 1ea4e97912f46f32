import { currentFlow } from '@platform/runtime/context';
import type { EventData, orderModified, orderPaidByChannel } from '@platform/contracts';
import type { Order } from '@platform/contracts/api/orders';
import { type Transaction, writeTogether } from '../adapters/database';
import { Prisma } from '../generated/prisma/client';
import { toStripeCurrency } from '../domain/invoice';
import { settleNewTotal } from '../domain/held-money';
import { derivedId } from '../domain/ids';
import { splitProportionally, subtotalChanges, type VendorWeight, vendorWeights } from '../domain/vendor-split';
import { type BillingDeps, lockedPayment, lockPayments } from './context';
import { debitInvoice, draftInvoiceWrites, lockedInvoiceOf, redraftInvoice, withdrawDebit } from './invoices';
import { cancelUnpaidPayment, openCheckout, recordPaymentSucceeded, UNPAID } from './payments';
import { paymentsWithPendingRefunds, requestRefund } from './refunds';
import { keepOrderItems, orderItemsWrites, orderVendorWeights } from './vendor-ledger';

/*
 * The payment side of an order as it is created and modified (docs/requirements.md#order-lifecycle, steps 2 and 9).
 * Ids sent to Stripe are derived from the order's business identity (order, version), so a
 * redelivered event reuses the same Idempotency-Key; existing rows make a repeat a no-op.
 */

/**
 * A new order: payment (requires_payment) + checkout session + draft invoice → billing.checkout.created.
 * The order's rows are built (and its totals checked) before Stripe is called, and written with the payment.
 */
export async function billNewOrder(tx: Transaction, deps: BillingDeps, order: Order): Promise<void> {
  const paymentId = derivedId(`${order.id}/payment/v${order.version}`);
  const [billed] = await tx.$queryRaw<unknown[]>`SELECT 1 FROM payments WHERE order_id = ${order.id}::uuid LIMIT 1`;
  if (billed) return;
  const rows = [...orderItemsWrites(order), ...draftInvoiceWrites(order, deps.clock.now())];
  await openCheckout(tx, deps, { paymentId, kind: 'order', order, amount: order.totals.total }, rows);
}

/**
 * An order paid on a sales channel (`orders.order.paid_by_channel`, recorded just before its
 * `orders.order.created`, which then finds it billed): the items and draft invoice as for any
 * order, and a payment made by the channel, recorded succeeded at once, no checkout. From there
 * it is the usual flow: invoice issued and settled, vendors' shares, `billing.payment.succeeded`.
 */
export async function billChannelOrder(tx: Transaction, deps: BillingDeps, paid: EventData<typeof orderPaidByChannel>): Promise<void> {
  const { order } = paid;
  const paymentId = derivedId(`${order.id}/payment/v${order.version}`);
  const [billed] = await tx.$queryRaw<unknown[]>`SELECT 1 FROM payments WHERE order_id = ${order.id}::uuid LIMIT 1`;
  if (billed) return;
  const now = deps.clock.now();
  await writeTogether(tx, [
    ...orderItemsWrites(order),
    ...draftInvoiceWrites(order, now),
    Prisma.sql`
      INSERT INTO payments (id, order_id, kind, provider, status, amount, currency, correlation_id, created_at, updated_at)
      VALUES (${paymentId}::uuid, ${order.id}::uuid, 'order', ${paid.channel}, 'processing', ${paid.amount}::int, ${paid.currency},
              ${currentFlow()?.correlationId ?? null}, ${now}, ${now})`,
  ]);
  const payment = await lockedPayment(tx, paymentId);
  await recordPaymentSucceeded(tx, deps, payment, { providerPaymentId: `${paid.channel}:${paid.externalOrderId}`, amount: paid.amount, currency: toStripeCurrency(paid.currency) });
}

/**
 * A modified order (new totals). Unpaid: the old session is closed and a new one opened for
 * the new total; the draft follows the order. Paid: a decrease is refunded (credit on the
 * invoice), an increase opens a checkout for the difference and the invoice is partially paid
 * until it arrives. One that comes before the order was billed fails, to be retried after it.
 */
export async function reconcileModifiedOrder(tx: Transaction, deps: BillingDeps, modification: EventData<typeof orderModified>): Promise<void> {
  const { order } = modification;
  const version = `v${order.version}`;
  await lockPayments(tx, order.id);
  // Whose items grew or shrank: a top-up is allocated to the first, a refund taken from the second.
  const changes = subtotalChanges(await orderVendorWeights(tx, order.id), vendorWeights(order.items.map((i) => ({ vendorId: i.vendor.id, vendorType: i.vendor.type, amount: i.lineTotal }))));
  await keepOrderItems(tx, order);
  const payments = await paymentsWithPendingRefunds(tx, order.id);
  const invoice = await lockedInvoiceOf(tx, order.id);
  // Every billed order has an invoice: none yet means its orders.order.created has not been
  // applied (it failed and waits for a retry). Failing rolls this back; the retry comes after it.
  if (!invoice) throw new Error(`order ${order.id} is not billed yet: modification v${order.version} waits for orders.order.created`);
  if (invoice.status === 'void') return;
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
  const change = settleNewTotal(order.totals.total, payments);
  const reason = `Order modified: ${modification.changes.join(', ')}`;
  if (change.kind === 'refund') {
    await requestRefund(tx, deps, {
      refundId: derivedId(`${order.id}/refund/${version}`),
      payment: change.payment,
      amount: change.amount,
      reason,
      invoiceId: invoice.id,
      ...(changes.shrunk.length > 0 && { vendorAmounts: shareOf(change.amount, changes.shrunk) }),
    });
  } else if (change.kind === 'top_up') {
    const topUpId = derivedId(`${order.id}/top-up/${version}`);
    if (payments.some((p) => p.id === topUpId)) return;
    await openCheckout(tx, deps, { paymentId: topUpId, kind: 'top_up', order, amount: change.amount, ...(changes.grown.length > 0 && { vendorWeights: changes.grown }) });
    await debitInvoice(tx, current, change.amount, reason, topUpId, now);
  }
}

/** `amount` shared between `vendors` in proportion to their weights: who gives back a refund. */
function shareOf(amount: number, vendors: readonly VendorWeight[]): Record<string, number> {
  const parts = splitProportionally(amount, vendors.map((v) => v.itemsSubtotal));
  return Object.fromEntries(vendors.map((v, index) => [v.vendorId, parts[index]!]));
}
