import type { z } from 'zod';
import type { CreditNoteLine, creditNoteSchema, invoiceSchema, orderBillingSchema, paymentSchema, refundSchema } from '@platform/contracts/api/billing';
import type { CheckoutSession, CreditNote, Invoice, InvoiceAdjustment, InvoiceLine, Payment, Refund, RefundHold } from '../generated/prisma/client';

/** Database rows as the API shows them (contracts/api/billing.ts). */

const iso = (date: Date | null) => date?.toISOString() ?? null;

export type InvoiceRow = Invoice & { lines: InvoiceLine[]; adjustments: InvoiceAdjustment[] };
export const invoiceInclude = {
  lines: { orderBy: { position: 'asc' } },
  adjustments: { orderBy: { createdAt: 'asc' } },
} as const;

export function invoiceView(invoice: InvoiceRow): z.infer<typeof invoiceSchema> {
  return {
    id: invoice.id,
    orderId: invoice.orderId,
    number: invoice.number,
    status: invoice.status as z.infer<typeof invoiceSchema>['status'],
    currency: invoice.currency,
    total: invoice.total,
    amountPaid: invoice.amountPaid,
    amountRefunded: invoice.amountRefunded,
    issuedAt: iso(invoice.issuedAt),
    dueAt: iso(invoice.dueAt),
    paidAt: iso(invoice.paidAt),
    voidedAt: iso(invoice.voidedAt),
    lines: invoice.lines.map(({ position, kind, description, sku, quantity, unitAmount, amount }) => ({
      position,
      kind: kind as 'item',
      description,
      sku,
      quantity,
      unitAmount,
      amount,
    })),
    adjustments: invoice.adjustments.map((a) => ({
      id: a.id,
      kind: a.kind as 'credit' | 'debit',
      amount: a.amount,
      reason: a.reason,
      refundId: a.refundId,
      paymentId: a.paymentId,
      createdAt: a.createdAt.toISOString(),
    })),
    createdAt: invoice.createdAt.toISOString(),
    updatedAt: invoice.updatedAt.toISOString(),
  };
}

export function paymentView(payment: Payment & { checkoutSessions: CheckoutSession[] }): z.infer<typeof paymentSchema> {
  return {
    id: payment.id,
    orderId: payment.orderId,
    kind: payment.kind as 'order' | 'top_up',
    provider: payment.provider,
    status: payment.status as z.infer<typeof paymentSchema>['status'],
    amount: payment.amount,
    currency: payment.currency,
    providerPaymentId: payment.providerPaymentId,
    amountReceived: payment.amountReceived,
    amountRefunded: payment.amountRefunded,
    failureReason: payment.failureReason,
    paidAt: iso(payment.paidAt),
    createdAt: payment.createdAt.toISOString(),
    checkoutSessions: payment.checkoutSessions.map((s) => ({
      id: s.id,
      providerSessionId: s.providerSessionId,
      status: s.status as 'open' | 'complete' | 'expired',
      url: s.url,
      amount: s.amount,
      currency: s.currency,
      expiresAt: iso(s.expiresAt),
      createdAt: s.createdAt.toISOString(),
    })),
  };
}

export function refundView(refund: Refund): z.infer<typeof refundSchema> {
  return {
    id: refund.id,
    orderId: refund.orderId,
    paymentId: refund.paymentId,
    providerRefundId: refund.providerRefundId,
    amount: refund.amount,
    currency: refund.currency,
    reason: refund.reason,
    status: refund.status as z.infer<typeof refundSchema>['status'],
    failureReason: refund.failureReason,
    pendingReason: refund.pendingReason as z.infer<typeof refundSchema>['pendingReason'],
    returnId: refund.returnId,
    requestedBy: refund.requestedBy,
    confirmedBy: refund.confirmedBy,
    createdAt: refund.createdAt.toISOString(),
    succeededAt: iso(refund.succeededAt),
  };
}

type RefundHoldView = NonNullable<z.infer<typeof orderBillingSchema>['refundHold']>;

export function refundHoldView(hold: RefundHold): RefundHoldView {
  return {
    reason: hold.reason,
    heldAt: iso(hold.heldAt),
    supplierOutcome: hold.supplierOutcome as RefundHoldView['supplierOutcome'],
    supplierSettledAt: iso(hold.supplierSettledAt),
    releasedAt: iso(hold.releasedAt),
  };
}

/** A credit note as read after its transaction committed: its number is set (application/numbering.ts). */
export function creditNoteView(note: CreditNote): z.infer<typeof creditNoteSchema> {
  return {
    id: note.id,
    number: note.number!,
    invoiceId: note.invoiceId,
    refundId: note.refundId,
    amount: note.amount,
    currency: note.currency,
    reason: note.reason,
    lines: note.lines as CreditNoteLine[],
    issuedAt: note.issuedAt.toISOString(),
  };
}
