import { z } from 'zod';
import { defineEvent } from '../envelope';
import { currencySchema, timestamp } from '../primitives';

const money = { amount: z.number().int().nonnegative(), currency: currencySchema };

/** A payment was requested from the customer: a checkout session exists at the provider. */
export const checkoutCreated = defineEvent({
  type: 'billing.checkout.created',
  version: 1,
  stream: 'BILLING',
  description: 'A checkout session was opened at the payment provider for the order (its URL: `GET /v1/orders/:id/billing`).',
  data: z.object({
    orderId: z.uuid(),
    paymentId: z.uuid(),
    provider: z.string(),
    checkoutSessionId: z.string(),
    url: z.string().nullable(),
    ...money,
    expiresAt: timestamp.nullable(),
  }),
});

/** The provider confirmed the money (BIL-02). Orders confirms the order; fulfillment starts. */
export const paymentSucceeded = defineEvent({
  type: 'billing.payment.succeeded',
  version: 1,
  stream: 'BILLING',
  description: 'The payment provider confirmed the payment for an order.',
  data: z.object({
    orderId: z.uuid(),
    paymentId: z.uuid(),
    provider: z.string(),
    providerPaymentId: z.string(),
    ...money,
    paidAt: timestamp,
  }),
});

export const paymentFailed = defineEvent({
  type: 'billing.payment.failed',
  version: 1,
  stream: 'BILLING',
  description: 'The payment failed or its checkout session expired.',
  data: z.object({ orderId: z.uuid(), paymentId: z.uuid(), reason: z.string(), failedAt: timestamp }),
});

export const invoiceStatusSchema = z.enum(['draft', 'issued', 'partially_paid', 'paid', 'overdue', 'void']);

/** An invoice got its gap-free number `INV-000123` (BIL-01), issued automatically on payment. */
export const invoiceIssued = defineEvent({
  type: 'billing.invoice.issued',
  version: 1,
  stream: 'BILLING',
  description: 'An invoice was issued with its gap-free number.',
  data: z.object({
    orderId: z.uuid(),
    invoiceId: z.uuid(),
    number: z.string().regex(/^INV-\d{6,}$/),
    status: invoiceStatusSchema,
    total: z.number().int(),
    currency: z.string(),
    issuedAt: timestamp,
    dueAt: timestamp.nullable(),
  }),
});

/** The invoice moved in its status machine (paid, partially paid, overdue, void) or was adjusted. */
export const invoiceStatusChanged = defineEvent({
  type: 'billing.invoice.status_changed',
  version: 1,
  stream: 'BILLING',
  description: 'An invoice changed status (paid, partially paid, overdue, void) or was adjusted.',
  data: z.object({
    orderId: z.uuid(),
    invoiceId: z.uuid(),
    number: z.string().nullable(),
    status: invoiceStatusSchema,
    previousStatus: invoiceStatusSchema,
    total: z.number().int(),
    amountPaid: z.number().int(),
    amountRefunded: z.number().int(),
    reason: z.string().nullable(),
    changedAt: timestamp,
  }),
});

/** Money went back to the customer (refund on cancellation). Fulfillment ends in `refunded`. */
export const refundSucceeded = defineEvent({
  type: 'billing.refund.succeeded',
  version: 1,
  stream: 'BILLING',
  description: 'The payment provider confirmed a refund.',
  data: z.object({
    orderId: z.uuid(),
    refundId: z.uuid(),
    paymentId: z.uuid(),
    providerRefundId: z.string(),
    ...money,
    reason: z.string(),
    refundedAt: timestamp,
    /** What the customer still has paid for the order after this refund (0 = fully refunded). */
    remainingPaid: z.number().int().nonnegative().optional(),
    /** Set when the refund pays back a return (`fulfillment.return.changed`, `inspected`). */
    returnId: z.uuid().optional(),
  }),
});

export const refundFailed = defineEvent({
  type: 'billing.refund.failed',
  version: 1,
  stream: 'BILLING',
  description: 'A refund was refused by the payment provider; ops must act.',
  data: z.object({ orderId: z.uuid(), refundId: z.uuid(), reason: z.string(), failedAt: timestamp }),
});

/**
 * A vendor's payout statement was drawn up (BIL-03): what the period brought, and whether its
 * balance was transferred to the vendor's connected account. Aggregate: the vendor id.
 */
export const payoutStatementIssued = defineEvent({
  type: 'billing.payout.statement_issued',
  version: 1,
  stream: 'BILLING',
  description: "A vendor's payout statement was drawn up: earnings, fees, refunds, balance, and the transfer to its connected account (or why none).",
  data: z.object({
    statementId: z.uuid(),
    vendorId: z.string(),
    currency: currencySchema,
    sequence: z.number().int().positive(),
    periodStart: timestamp.nullable(),
    periodEnd: timestamp,
    earnings: z.number().int(),
    fees: z.number().int(),
    refunds: z.number().int(),
    balance: z.number().int(),
    status: z.enum(['paid', 'no_account', 'nothing_due', 'failed']),
    amountPaid: z.number().int().nonnegative(),
    closingBalance: z.number().int(),
    transferId: z.string().nullable(),
  }),
});

export const billingEvents = [
  checkoutCreated,
  paymentSucceeded,
  paymentFailed,
  invoiceIssued,
  invoiceStatusChanged,
  refundSucceeded,
  refundFailed,
  payoutStatementIssued,
] as const;
