import { DomainError } from '@platform/contracts/errors';
import type { EventData, itemsCancelled, returnChanged } from '@platform/contracts';
import type { CreditNoteLine } from '@platform/contracts/api/billing';
import type { Transaction } from '../adapters/database';
import { refundable } from '../domain/held-money';
import { derivedId } from '../domain/ids';
import { type RefundedUnit, unitsRefund } from '../domain/unit-refunds';
import { type BillingDeps, lockPayments } from './context';
import { lockedInvoiceOf } from './invoices';
import { paymentsWithPendingRefunds, requestRefund } from './refunds';
import { vendorPositions } from './vendor-ledger';

/*
 * Units refunded at their price (unit price × quantity: tax and shipping are order-level
 * amounts here, shared by vendor, not by item; docs/requirements.md#bil-02-payments-and-refunds),
 * never more than their vendor still holds: units that will not ship, and units returned.
 * Each goes through Stripe with an id derived from its cause as Idempotency-Key, once per
 * cause; on success the invoice gets a credit line and a credit note, the vendors' ledgers the
 * reversal (`confirmRefund`). A cancelled or unpaid order has nothing to refund here: its
 * cancel refunds everything.
 */

/** `fulfillment.items.cancelled`: units that will not ship, once per cancellation. */
export async function refundCancelledItems(tx: Transaction, deps: BillingDeps, cancellation: EventData<typeof itemsCancelled>): Promise<void> {
  await refundUnits(tx, deps, {
    orderId: cancellation.orderId,
    refundId: derivedId(`${cancellation.orderId}/refund/items/${cancellation.cancellationId}`),
    units: cancellation.items.map((item) => ({ ...item, restockingFeeBps: null })),
    reason: `Items cancelled: ${cancellation.reason}`,
    cause: `cancellation ${cancellation.cancellationId}`,
    cancellationId: cancellation.cancellationId,
  });
}

/**
 * `fulfillment.return.changed` at `inspected` (docs/requirements.md#returns): the returned
 * units less the restocking fee inspection fixed per line, once per return (a resent or
 * replayed event finds its refund). Billing acts on no other step.
 */
export async function refundReturnedItems(tx: Transaction, deps: BillingDeps, rma: EventData<typeof returnChanged>): Promise<void> {
  if (rma.status !== 'inspected') return;
  await refundUnits(tx, deps, {
    orderId: rma.orderId,
    refundId: derivedId(`${rma.orderId}/refund/return/${rma.returnId}`),
    units: rma.items,
    reason: `Return ${rma.number}: ${rma.reason}`,
    cause: `return ${rma.number}`,
    returnId: rma.returnId,
  });
}

async function refundUnits(
  tx: Transaction,
  deps: BillingDeps,
  input: { orderId: string; refundId: string; units: RefundedUnit[]; reason: string; cause: string; cancellationId?: string; returnId?: string },
): Promise<void> {
  const { orderId, refundId } = input;
  await lockPayments(tx, orderId);
  if (await tx.refund.findUnique({ where: { id: refundId } })) return;
  const invoice = await lockedInvoiceOf(tx, orderId);
  if (!invoice || invoice.status === 'void' || invoice.status === 'draft') return;
  const [items, lines, positions] = await Promise.all([
    tx.orderItem.findMany({ where: { orderId } }),
    tx.invoiceLine.findMany({ where: { invoiceId: invoice.id, kind: 'item' } }),
    vendorPositions(tx, orderId),
  ]);
  const refund = unitsRefund(input.units, items, lines, new Map(positions.map((p) => [p.vendorId, p.remaining])));
  if ('missing' in refund) {
    const { sku, variantId, vendorId } = refund.missing;
    throw new DomainError('unprocessable', 'ITEM_NOT_IN_ORDER', `Item ${sku}/${variantId} of vendor ${vendorId} (${input.cause}) is not in order ${orderId}`);
  }
  // A refund still on its way from a payment is already promised: it cannot give that part twice.
  const payments = await paymentsWithPendingRefunds(tx, orderId);
  const payment = payments.find((p) => p.status === 'succeeded' && refundable(p) >= refund.amount);
  if (!payment) throw new DomainError('unprocessable', 'NOTHING_TO_REFUND', `No payment of order ${orderId} can refund ${refund.amount} for ${input.cause}`);
  await requestRefund(tx, deps, {
    refundId,
    payment,
    amount: refund.amount,
    reason: input.reason,
    invoiceId: invoice.id,
    vendorAmounts: refund.vendorAmounts,
    creditLines: refund.lines satisfies CreditNoteLine[],
    ...(input.cancellationId && { cancellationId: input.cancellationId }),
    ...(input.returnId && { returnId: input.returnId }),
  });
}
