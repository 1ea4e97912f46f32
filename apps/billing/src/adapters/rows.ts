import { Prisma } from '../generated/prisma/client';
import type { CheckoutSession, CreditNote, Invoice, InvoiceAdjustment, InvoiceLine, Payment, Refund, RefundHold } from '../generated/prisma/client';

/*
 * Typed raw SQL on the hot paths (the model API costs about three times a raw statement in
 * CPU): each model's columns read under its Prisma field names, so `$queryRaw<Payment[]>`
 * returns the model's own type, and a JSON document built by PostgreSQL becomes those types again.
 */

type Columns<Model> = { readonly [Field in keyof Model]-?: string };

const PAYMENT = {
  id: 'id',
  orderId: 'order_id',
  kind: 'kind',
  provider: 'provider',
  status: 'status',
  amount: 'amount',
  currency: 'currency',
  providerPaymentId: 'provider_payment_id',
  amountReceived: 'amount_received',
  amountRefunded: 'amount_refunded',
  failureReason: 'failure_reason',
  paidAt: 'paid_at',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  correlationId: 'correlation_id',
  vendorWeights: 'vendor_weights',
} satisfies Columns<Payment>;

const CHECKOUT_SESSION = {
  id: 'id',
  paymentId: 'payment_id',
  orderId: 'order_id',
  providerSessionId: 'provider_session_id',
  status: 'status',
  url: 'url',
  amount: 'amount',
  currency: 'currency',
  expiresAt: 'expires_at',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
} satisfies Columns<CheckoutSession>;

const INVOICE = {
  id: 'id',
  orderId: 'order_id',
  number: 'number',
  numbering: 'numbering',
  status: 'status',
  currency: 'currency',
  total: 'total',
  amountPaid: 'amount_paid',
  amountRefunded: 'amount_refunded',
  orderNumber: 'order_number',
  customer: 'customer',
  billingAddress: 'billing_address',
  issuedAt: 'issued_at',
  dueAt: 'due_at',
  paidAt: 'paid_at',
  voidedAt: 'voided_at',
  version: 'version',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
} satisfies Columns<Invoice>;

const INVOICE_LINE = {
  id: 'id',
  invoiceId: 'invoice_id',
  position: 'position',
  kind: 'kind',
  description: 'description',
  sku: 'sku',
  quantity: 'quantity',
  unitAmount: 'unit_amount',
  amount: 'amount',
} satisfies Columns<InvoiceLine>;

const INVOICE_ADJUSTMENT = {
  id: 'id',
  invoiceId: 'invoice_id',
  kind: 'kind',
  amount: 'amount',
  reason: 'reason',
  refundId: 'refund_id',
  paymentId: 'payment_id',
  createdAt: 'created_at',
} satisfies Columns<InvoiceAdjustment>;

const REFUND = {
  id: 'id',
  orderId: 'order_id',
  paymentId: 'payment_id',
  invoiceId: 'invoice_id',
  providerRefundId: 'provider_refund_id',
  amount: 'amount',
  currency: 'currency',
  reason: 'reason',
  vendorAmounts: 'vendor_amounts',
  cancellationId: 'cancellation_id',
  returnId: 'return_id',
  requestedBy: 'requested_by',
  confirmedBy: 'confirmed_by',
  creditLines: 'credit_lines',
  status: 'status',
  failureReason: 'failure_reason',
  pendingReason: 'pending_reason',
  createdAt: 'created_at',
  succeededAt: 'succeeded_at',
  updatedAt: 'updated_at',
} satisfies Columns<Refund>;

const CREDIT_NOTE = {
  id: 'id',
  number: 'number',
  numbering: 'numbering',
  invoiceId: 'invoice_id',
  orderId: 'order_id',
  refundId: 'refund_id',
  amount: 'amount',
  currency: 'currency',
  reason: 'reason',
  lines: 'lines',
  issuedAt: 'issued_at',
} satisfies Columns<CreditNote>;

const REFUND_HOLD = {
  orderId: 'order_id',
  reason: 'reason',
  startedBy: 'started_by',
  heldAt: 'held_at',
  supplierOutcome: 'supplier_outcome',
  supplierSettledAt: 'supplier_settled_at',
  releasedAt: 'released_at',
} satisfies Columns<RefundHold>;

function select(columns: Record<string, string>): Prisma.Sql {
  return Prisma.raw(Object.entries(columns).map(([field, column]) => (field === column ? column : `${column} AS "${field}"`)).join(', '));
}

/** `SELECT ${paymentColumns} FROM payments …` reads `Payment` rows. */
export const paymentColumns = select(PAYMENT);
export const checkoutSessionColumns = select(CHECKOUT_SESSION);
export const invoiceColumns = select(INVOICE);
export const invoiceLineColumns = select(INVOICE_LINE);
export const invoiceAdjustmentColumns = select(INVOICE_ADJUSTMENT);
export const refundColumns = select(REFUND);
export const refundHoldColumns = select(REFUND_HOLD);
export const creditNoteColumns = select(CREDIT_NOTE);

/** The columns `changes` names, as `column = value` for an UPDATE's SET list. */
export function invoiceAssignments(changes: Partial<Invoice>): Prisma.Sql[] {
  return Object.entries(changes)
    .filter(([, value]) => value !== undefined)
    .map(([field, value]) => Prisma.sql`${Prisma.raw(INVOICE[field as keyof Invoice])} = ${value}`);
}

/*
 * Rows that travelled as JSON (json_agg of rows read with the columns above) carry their
 * timestamps as text: these turn them back into the models' Dates.
 */

type JsonRow<Model> = { [Field in keyof Model]: Model[Field] extends Date ? string : Model[Field] extends Date | null ? string | null : Model[Field] };

function withDates<Model>(row: JsonRow<Model>, fields: readonly (keyof Model)[]): Model {
  const revived: Record<string, unknown> = { ...row };
  for (const field of fields) {
    const value = revived[field as string];
    if (typeof value === 'string') revived[field as string] = new Date(value);
  }
  return revived as Model;
}

/** One document with an order's billing (`orderBilling`); a list with no rows is null. */
export interface OrderBillingJson {
  payments: (JsonRow<Payment> & { checkoutSessions: JsonRow<CheckoutSession>[] })[] | null;
  invoices: (JsonRow<Invoice> & { lines: InvoiceLine[]; adjustments: JsonRow<InvoiceAdjustment>[] })[] | null;
  refunds: JsonRow<Refund>[] | null;
  creditNotes: JsonRow<CreditNote>[] | null;
  hold: JsonRow<RefundHold> | null;
}

export function orderBillingFromJson(json: OrderBillingJson) {
  return {
    payments: (json.payments ?? []).map((payment) => ({
      ...withDates<Payment>(payment, ['paidAt', 'createdAt', 'updatedAt']),
      checkoutSessions: payment.checkoutSessions.map((session) => withDates<CheckoutSession>(session, ['expiresAt', 'createdAt', 'updatedAt'])),
    })),
    invoices: (json.invoices ?? []).map((invoice) => ({
      ...withDates<Invoice>(invoice, ['issuedAt', 'dueAt', 'paidAt', 'voidedAt', 'createdAt', 'updatedAt']),
      lines: invoice.lines,
      adjustments: invoice.adjustments.map((adjustment) => withDates<InvoiceAdjustment>(adjustment, ['createdAt'])),
    })),
    refunds: (json.refunds ?? []).map((refund) => withDates<Refund>(refund, ['createdAt', 'succeededAt', 'updatedAt'])),
    creditNotes: (json.creditNotes ?? []).map((note) => withDates<CreditNote>(note, ['issuedAt'])),
    hold: json.hold && withDates<RefundHold>(json.hold, ['heldAt', 'supplierSettledAt', 'releasedAt']),
  };
}
