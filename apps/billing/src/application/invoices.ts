import { cancelTimer, scheduleTimer } from '@platform/runtime/timers';
import { invoiceIssued, invoiceStatusChanged } from '@platform/contracts';
import { timers } from '@platform/contracts/timers';
import type { Order } from '@platform/contracts/api/orders';
import { randomUUID } from 'node:crypto';
import { DomainError } from '@platform/contracts/errors';
import { type Transaction, withWrites, writeTogether } from '../adapters/database';
import { invoiceAssignments, invoiceColumns } from '../adapters/rows';
import type { CreditNoteLine } from '@platform/contracts/api/billing';
import { type Invoice, Prisma, type Refund } from '../generated/prisma/client';
import { derivedId } from '../domain/ids';
import { assertTransition, dueDate, type InvoiceStatus, linesFromOrder, OVERDUE_CANDIDATES, statusForBalance } from '../domain/invoice';
import { emit, lockInvoice } from './context';
import { awaitingNumber, carriesNumberOf, numberAtCommit } from './numbering';

export const OVERDUE_TIMER = timers.billing.invoiceOverdue.kind;

/** The order's invoice (one per order), locked for update; `together`: writes sent in the same statement (`withWrites`). */
export async function lockedInvoiceOf(tx: Transaction, orderId: string, together: readonly Prisma.Sql[] = []): Promise<Invoice | null> {
  const [invoice] = await tx.$queryRaw<Invoice[]>(
    withWrites(together, Prisma.sql`SELECT ${invoiceColumns} FROM invoices WHERE order_id = ${orderId}::uuid ORDER BY created_at LIMIT 1 FOR UPDATE`),
  );
  return invoice ?? null;
}

/** The new order's draft invoice and its lines, as writes (`writeTogether`). Refuses an order whose totals disagree. */
export function draftInvoiceWrites(order: Order, now: Date): Prisma.Sql[] {
  const id = derivedId(`${order.id}/invoice`);
  const lines = linesFromOrder(order).map(
    (line) =>
      Prisma.sql`(${randomUUID()}::uuid, ${id}::uuid, ${line.position}::int, ${line.kind}, ${line.description}, ${line.sku}, ${line.quantity}::int, ${line.unitAmount}::int, ${line.amount}::int)`,
  );
  return [
    Prisma.sql`
      INSERT INTO invoices (id, order_id, status, currency, total, order_number, customer, billing_address, created_at, updated_at)
      VALUES (${id}::uuid, ${order.id}::uuid, 'draft', ${order.currency}, ${order.totals.total}::int, ${order.number},
              ${JSON.stringify(order.customer)}::jsonb, ${JSON.stringify(order.billingAddress)}::jsonb, ${now}, ${now})`,
    Prisma.sql`
      INSERT INTO invoice_lines (id, invoice_id, position, kind, description, sku, quantity, unit_amount, amount)
      VALUES ${Prisma.join(lines)}`,
  ];
}

type InvoiceChanges = Partial<Pick<Invoice, 'number' | 'status' | 'total' | 'amountPaid' | 'amountRefunded' | 'issuedAt' | 'dueAt' | 'paidAt' | 'voidedAt'>>;

/** Sets `changes` on the (locked) invoice, with a new version; returns the row as written. `together`: as `lockedInvoiceOf`. */
async function updateInvoice(tx: Transaction, invoice: Invoice, changes: InvoiceChanges, now: Date, together: readonly Prisma.Sql[] = []): Promise<Invoice> {
  const [updated] = await tx.$queryRaw<Invoice[]>(
    withWrites(
      together,
      Prisma.sql`
        UPDATE invoices SET ${Prisma.join([...invoiceAssignments(changes), Prisma.sql`updated_at = ${now}, version = version + 1`])}
        WHERE id = ${invoice.id}::uuid RETURNING ${invoiceColumns}`,
    ),
  );
  if (!updated) throw new DomainError('not_found', 'INVOICE_NOT_FOUND', `No invoice ${invoice.id}`);
  return updated;
}

/** A draft follows the order while nothing is paid: its lines are rebuilt from the modified order. */
export async function redraftInvoice(tx: Transaction, invoice: Invoice, order: Order, now: Date): Promise<void> {
  const lines = linesFromOrder(order);
  await tx.invoiceLine.deleteMany({ where: { invoiceId: invoice.id } });
  await tx.invoice.update({
    where: { id: invoice.id },
    data: {
      total: order.totals.total,
      customer: order.customer,
      billingAddress: order.billingAddress,
      updatedAt: now,
      version: { increment: 1 },
      lines: { create: lines.map((line) => ({ id: randomUUID(), ...line })) },
    },
  });
}

async function setStatus(
  tx: Transaction,
  invoice: Invoice,
  to: InvoiceStatus,
  reason: string | null,
  now: Date,
  extra: Pick<InvoiceChanges, 'total' | 'amountPaid' | 'amountRefunded'> = {},
  together: readonly Prisma.Sql[] = [],
): Promise<Invoice> {
  const from = invoice.status as InvoiceStatus;
  assertTransition(from, to);
  const updated = await updateInvoice(tx, invoice, { ...extra, status: to, ...(to === 'paid' && { paidAt: now }), ...(to === 'void' && { voidedAt: now }) }, now, together);
  const pendingNumber = awaitingNumber(tx, invoice.id);
  const eventId = await emit(tx, invoiceStatusChanged, invoice.orderId, {
    orderId: invoice.orderId,
    invoiceId: invoice.id,
    number: updated.number ?? pendingNumber,
    status: to,
    previousStatus: from,
    total: updated.total,
    amountPaid: updated.amountPaid,
    amountRefunded: updated.amountRefunded,
    reason,
    changedAt: now.toISOString(),
  }, now);
  if (pendingNumber) carriesNumberOf(tx, invoice.id, eventId);
  if (OVERDUE_CANDIDATES.includes(to) && updated.dueAt) {
    await scheduleTimer(tx, { kind: OVERDUE_TIMER, key: invoice.id, fireAt: updated.dueAt, payload: { invoiceId: invoice.id } });
  } else if (!OVERDUE_CANDIDATES.includes(to) && to !== 'overdue') {
    await cancelTimer(tx, OVERDUE_TIMER, invoice.id);
  }
  return updated;
}

/**
 * Issues a draft: issue and due dates → `billing.invoice.issued`. Its gap-free number comes in
 * the transaction's commit (`numberAtCommit`).
 */
export async function issueInvoice(tx: Transaction, invoice: Invoice, now: Date, dueDays: number): Promise<Invoice> {
  assertTransition(invoice.status as InvoiceStatus, 'issued');
  const number = numberAtCommit(tx, { kind: 'invoice', table: 'invoices', id: invoice.id, issuedAt: now });
  const issued = await updateInvoice(tx, invoice, { status: 'issued', issuedAt: now, dueAt: dueDate(now, dueDays) }, now);
  const eventId = await emit(tx, invoiceIssued, invoice.orderId, {
    orderId: invoice.orderId,
    invoiceId: invoice.id,
    number,
    status: 'issued',
    total: issued.total,
    currency: issued.currency,
    issuedAt: now.toISOString(),
    dueAt: issued.dueAt!.toISOString(),
  }, now);
  carriesNumberOf(tx, invoice.id, eventId);
  return issued;
}

/** Money received against the invoice: issued/overdue/partially paid → partially_paid or paid. `together`: as `lockedInvoiceOf`. */
export async function recordInvoicePayment(tx: Transaction, invoice: Invoice, amount: number, now: Date, together: readonly Prisma.Sql[] = []): Promise<Invoice> {
  const amountPaid = invoice.amountPaid + amount;
  const to = statusForBalance(invoice.total, amountPaid - invoice.amountRefunded);
  if (to === invoice.status) return updateInvoice(tx, invoice, { amountPaid }, now, together);
  return setStatus(tx, invoice, to, 'Payment received', now, { amountPaid }, together);
}

/** A debit (the order grew after payment): the invoice asks for more and is partially paid until the top-up arrives. */
export async function debitInvoice(tx: Transaction, invoice: Invoice, amount: number, reason: string, paymentId: string, now: Date): Promise<Invoice> {
  await tx.invoiceAdjustment.create({ data: { id: randomUUID(), invoiceId: invoice.id, kind: 'debit', amount, reason, paymentId, createdAt: now } });
  return retotal(tx, invoice, invoice.total + amount, reason, now);
}

/**
 * Takes back the debit of a top-up that was never paid (a later modification replaces it):
 * a negative line for the same payment, and the invoice asks for that much less.
 */
export async function withdrawDebit(tx: Transaction, invoice: Invoice, paymentId: string, reason: string, now: Date): Promise<Invoice> {
  const debits = await tx.invoiceAdjustment.aggregate({ where: { invoiceId: invoice.id, paymentId }, _sum: { amount: true } });
  const outstanding = debits._sum.amount ?? 0;
  if (outstanding <= 0) return invoice;
  await tx.invoiceAdjustment.create({ data: { id: randomUUID(), invoiceId: invoice.id, kind: 'credit', amount: -outstanding, reason, paymentId, createdAt: now } });
  return retotal(tx, invoice, invoice.total - outstanding, reason, now);
}

async function retotal(tx: Transaction, invoice: Invoice, total: number, reason: string, now: Date): Promise<Invoice> {
  const to = statusForBalance(total, invoice.amountPaid - invoice.amountRefunded);
  if (to === invoice.status) return updateInvoice(tx, invoice, { total }, now);
  return setStatus(tx, invoice, to, reason, now, { total });
}

/**
 * A refund credits the invoice: a negative adjustment line, and a credit note (its own
 * gap-free number, its lines: the refund's, else one line with its reason). An invoice
 * credited down to nothing is void (a cancellation); otherwise it keeps its status (a partial refund).
 */
export async function creditInvoice(tx: Transaction, invoice: Invoice, refund: Refund, now: Date): Promise<Invoice> {
  const reason = `Refund: ${refund.reason}`;
  const lines: CreditNoteLine[] = (refund.creditLines as CreditNoteLine[] | null) ?? [
    { description: refund.reason, sku: null, quantity: 1, unitAmount: refund.amount, restockingFeeBps: null, amount: refund.amount },
  ];
  const creditNoteId = derivedId(`${refund.id}/credit-note`);
  numberAtCommit(tx, { kind: 'credit_note', table: 'credit_notes', id: creditNoteId, issuedAt: now });
  await writeTogether(tx, [
    Prisma.sql`
      INSERT INTO invoice_adjustments (id, invoice_id, kind, amount, reason, refund_id, created_at)
      VALUES (${randomUUID()}::uuid, ${invoice.id}::uuid, 'credit', ${-refund.amount}::int, ${reason}, ${refund.id}::uuid, ${now})`,
    Prisma.sql`
      INSERT INTO credit_notes (id, invoice_id, order_id, refund_id, amount, currency, reason, lines, issued_at)
      VALUES (${creditNoteId}::uuid, ${invoice.id}::uuid, ${invoice.orderId}::uuid, ${refund.id}::uuid, ${refund.amount}::int, ${refund.currency},
              ${refund.reason}, ${JSON.stringify(lines)}::jsonb, ${now})`,
  ]);
  const data = { total: Math.max(0, invoice.total - refund.amount), amountRefunded: invoice.amountRefunded + refund.amount };
  if (data.total === 0 && invoice.status !== 'void') return setStatus(tx, invoice, 'void', reason, now, data);
  return updateInvoice(tx, invoice, data, now);
}

export async function voidInvoice(tx: Transaction, invoice: Invoice, reason: string, now: Date): Promise<Invoice> {
  if (invoice.status === 'void') return invoice;
  return setStatus(tx, invoice, 'void', reason, now);
}

/** Timer: the due date passed with a balance still open. */
export async function markOverdue(tx: Transaction, invoiceId: string, now: Date): Promise<void> {
  await lockInvoice(tx, invoiceId);
  const invoice = await tx.invoice.findUnique({ where: { id: invoiceId } });
  if (!invoice || !OVERDUE_CANDIDATES.includes(invoice.status as InvoiceStatus)) return;
  if (invoice.dueAt && invoice.dueAt > now) return;
  await setStatus(tx, invoice, 'overdue', 'Due date passed with an open balance', now);
}
