import { DomainError } from '@platform/contracts/errors';
import type { z } from 'zod';
import type { InvoiceView, invoiceListQuerySchema, OrderBilling } from '@platform/contracts/api/billing';
import type { Database } from '../adapters/database';
import {
  checkoutSessionColumns,
  creditNoteColumns,
  invoiceAdjustmentColumns,
  invoiceColumns,
  invoiceLineColumns,
  type OrderBillingJson,
  orderBillingFromJson,
  paymentColumns,
  refundColumns,
  refundHoldColumns,
} from '../adapters/rows';
import { creditNoteView, invoiceInclude, invoiceView, paymentView, refundHoldView, refundView } from './views';

/**
 * An order's payments, invoices, refunds, credit notes and refund hold: one statement (polled until the
 * checkout shows), so one snapshot without a transaction: a refund committed meanwhile never
 * shows without its invoice credit.
 */
export async function orderBilling(db: Database, orderId: string): Promise<OrderBilling> {
  const [billing] = await db.$queryRaw<OrderBillingJson[]>`
    SELECT
      (SELECT json_agg(p ORDER BY p."createdAt") FROM (
         SELECT ${paymentColumns},
           (SELECT coalesce(json_agg(s ORDER BY s."createdAt"), '[]') FROM (SELECT ${checkoutSessionColumns} FROM checkout_sessions WHERE payment_id = payments.id) s) AS "checkoutSessions"
         FROM payments WHERE order_id = ${orderId}::uuid) p) AS payments,
      (SELECT json_agg(i ORDER BY i."createdAt") FROM (
         SELECT ${invoiceColumns},
           (SELECT coalesce(json_agg(l ORDER BY l.position), '[]') FROM (SELECT ${invoiceLineColumns} FROM invoice_lines WHERE invoice_id = invoices.id) l) AS lines,
           (SELECT coalesce(json_agg(a ORDER BY a."createdAt"), '[]') FROM (SELECT ${invoiceAdjustmentColumns} FROM invoice_adjustments WHERE invoice_id = invoices.id) a) AS adjustments
         FROM invoices WHERE order_id = ${orderId}::uuid) i) AS invoices,
      (SELECT json_agg(r ORDER BY r."createdAt") FROM (SELECT ${refundColumns} FROM refunds WHERE order_id = ${orderId}::uuid) r) AS refunds,
      (SELECT json_agg(c ORDER BY c.number) FROM (SELECT ${creditNoteColumns} FROM credit_notes WHERE order_id = ${orderId}::uuid) c) AS "creditNotes",
      (SELECT row_to_json(h) FROM (SELECT ${refundHoldColumns} FROM refund_holds WHERE order_id = ${orderId}::uuid) h) AS hold`;
  const { payments, invoices, refunds, creditNotes, hold } = orderBillingFromJson(billing!);
  if (payments.length === 0 && invoices.length === 0) {
    throw new DomainError('not_found', 'BILLING_NOT_FOUND', `Billing knows nothing about order ${orderId}`);
  }
  return { orderId, payments: payments.map(paymentView), invoices: invoices.map(invoiceView), refunds: refunds.map(refundView), creditNotes: creditNotes.map(creditNoteView), refundHold: hold && refundHoldView(hold) };
}

export async function invoiceById(db: Database, id: string): Promise<InvoiceView> {
  const invoice = await db.invoice.findUnique({ where: { id }, include: invoiceInclude });
  if (!invoice) throw new DomainError('not_found', 'INVOICE_NOT_FOUND', `No invoice ${id}`);
  return invoiceView(invoice);
}

/** Newest first, by order and status. */
export async function findInvoices(db: Database, { orderId, status, limit }: z.infer<typeof invoiceListQuerySchema>): Promise<InvoiceView[]> {
  const invoices = await db.invoice.findMany({
    where: { ...(orderId && { orderId }), ...(status && { status }) },
    include: invoiceInclude,
    orderBy: { createdAt: 'desc' },
    take: limit,
  });
  return invoices.map(invoiceView);
}
