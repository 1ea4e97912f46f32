import { DomainError } from '@platform/contracts/errors';
import type { EventData, itemsCancelled } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { refundable } from '../domain/held-money';
import { derivedId } from '../domain/ids';
import { type BillingDeps, lockPayments } from './context';
import { lockedInvoiceOf } from './invoices';
import { paymentsWithPendingRefunds, requestRefund } from './refunds';
import { vendorPositions } from './vendor-ledger';

/**
 * `fulfillment.items.cancelled`: units that will not ship are refunded, once per cancellation,
 * at their price (unit price × quantity: tax and shipping are order-level amounts here, shared
 * by vendor, not by item; docs/requirements.md#bil-02-payments-and-refunds), never more than
 * their vendor still holds. The refund goes through Stripe with the cancellation's derived id
 * as Idempotency-Key; on success the invoice gets a credit line and the vendors' ledgers the
 * reversal (`confirmRefund`). A cancelled or unpaid order has nothing to refund here: its
 * cancel refunds everything.
 */
export async function refundCancelledItems(tx: Transaction, deps: BillingDeps, cancellation: EventData<typeof itemsCancelled>): Promise<void> {
  const { orderId } = cancellation;
  await lockPayments(tx, orderId);
  const refundId = derivedId(`${orderId}/refund/items/${cancellation.cancellationId}`);
  if (await tx.refund.findUnique({ where: { id: refundId } })) return;
  const invoice = await lockedInvoiceOf(tx, orderId);
  if (!invoice || invoice.status === 'void' || invoice.status === 'draft') return;
  const items = await tx.orderItem.findMany({ where: { orderId } });
  const positions = new Map((await vendorPositions(tx, orderId)).map((p) => [p.vendorId, p.remaining]));
  const vendorAmounts: Record<string, number> = {};
  for (const item of cancellation.items) {
    const ordered = items.find((i) => i.sku === item.sku && i.variantId === item.variantId && i.vendorId === item.vendorId);
    if (!ordered) throw new DomainError('unprocessable', 'ITEM_NOT_IN_ORDER', `Cancelled item ${item.sku}/${item.variantId} of vendor ${item.vendorId} is not in order ${orderId}`);
    vendorAmounts[item.vendorId] = (vendorAmounts[item.vendorId] ?? 0) + ordered.unitPrice * Math.min(item.quantity, ordered.quantity);
  }
  for (const [vendorId, amount] of Object.entries(vendorAmounts)) vendorAmounts[vendorId] = Math.min(amount, positions.get(vendorId) ?? amount);
  const amount = Object.values(vendorAmounts).reduce((sum, a) => sum + a, 0);
  // A refund still on its way from a payment is already promised: it cannot give that part twice.
  const payments = await paymentsWithPendingRefunds(tx, orderId);
  const payment = payments.find((p) => p.status === 'succeeded' && refundable(p) >= amount);
  if (!payment) throw new DomainError('unprocessable', 'NOTHING_TO_REFUND', `No payment of order ${orderId} can refund ${amount} for cancellation ${cancellation.cancellationId}`);
  await requestRefund(tx, deps, {
    refundId,
    payment,
    amount,
    reason: `Items cancelled: ${cancellation.reason}`,
    invoiceId: invoice.id,
    vendorAmounts,
    cancellationId: cancellation.cancellationId,
  });
}
