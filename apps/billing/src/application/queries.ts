import { DomainError } from '@platform/contracts/errors';
import type { z } from 'zod';
import type { InvoiceView, invoiceListQuerySchema, OrderBilling } from '@platform/contracts/api/billing';
import type { Database } from '../adapters/database';
import { invoiceInclude, invoiceView, paymentView, refundHoldView, refundView } from './views';

/** An order's payments, invoices, refunds and refund hold. */
export async function orderBilling(db: Database, orderId: string): Promise<OrderBilling> {
  // One snapshot: a refund committed between separate reads would show without its invoice credit.
  const [payments, invoices, refunds, hold] = await db.$transaction(
    [
      db.payment.findMany({ where: { orderId }, include: { checkoutSessions: { orderBy: { createdAt: 'asc' } } }, orderBy: { createdAt: 'asc' } }),
      db.invoice.findMany({ where: { orderId }, include: invoiceInclude, orderBy: { createdAt: 'asc' } }),
      db.refund.findMany({ where: { orderId }, orderBy: { createdAt: 'asc' } }),
      db.refundHold.findUnique({ where: { orderId } }),
    ],
    { isolationLevel: 'RepeatableRead' },
  );
  if (payments.length === 0 && invoices.length === 0) {
    throw new DomainError('not_found', 'BILLING_NOT_FOUND', `Billing knows nothing about order ${orderId}`);
  }
  return { orderId, payments: payments.map(paymentView), invoices: invoices.map(invoiceView), refunds: refunds.map(refundView), refundHold: hold && refundHoldView(hold) };
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
