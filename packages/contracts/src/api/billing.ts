import { z } from 'zod';
import { invoiceStatusSchema } from '../events/billing';
import { cancellationOutcomeSchema } from '../events/fulfillment';
import { currencySchema, text, timestamp } from '../primitives';

/** Billing's HTTP API (service root; the gateway exposes it under /v1). Money in integer minor units. */

export const paymentStatusSchema = z.enum(['requires_payment', 'processing', 'succeeded', 'failed', 'cancelled', 'flagged']);
export const refundStatusSchema = z.enum(['pending', 'succeeded', 'failed']);
/** What a `pending` refund waits for besides the provider: `refund_on_channel_required`, ops refund the buyer on the sales channel. */
export const refundPendingReasonSchema = z.enum(['refund_on_channel_required']);
export { invoiceStatusSchema };

export const checkoutSessionSchema = z.object({
  id: z.uuid(),
  providerSessionId: z.string(),
  status: z.enum(['open', 'complete', 'expired']),
  url: z.string().nullable(),
  amount: z.number().int(),
  currency: currencySchema,
  expiresAt: timestamp.nullable(),
  createdAt: timestamp,
});

export const paymentSchema = z.object({
  id: z.uuid(),
  orderId: z.uuid(),
  kind: z.enum(['order', 'top_up']),
  provider: z.string(),
  status: paymentStatusSchema,
  amount: z.number().int(),
  currency: currencySchema,
  providerPaymentId: z.string().nullable(),
  amountReceived: z.number().int(),
  amountRefunded: z.number().int(),
  failureReason: z.string().nullable(),
  paidAt: timestamp.nullable(),
  createdAt: timestamp,
  checkoutSessions: z.array(checkoutSessionSchema),
});

export const invoiceLineSchema = z.object({
  position: z.number().int(),
  kind: z.enum(['item', 'shipping', 'tax', 'discount']),
  description: z.string(),
  sku: z.string().nullable(),
  quantity: z.number().int(),
  unitAmount: z.number().int(),
  amount: z.number().int(),
});

export const invoiceAdjustmentSchema = z.object({
  id: z.uuid(),
  kind: z.enum(['credit', 'debit']),
  /** Negative for a credit. */
  amount: z.number().int(),
  reason: z.string(),
  refundId: z.uuid().nullable(),
  paymentId: z.uuid().nullable(),
  createdAt: timestamp,
});

export const invoiceSchema = z.object({
  id: z.uuid(),
  orderId: z.uuid(),
  /** `INV-000123` once issued; null while draft. */
  number: z.string().nullable(),
  status: invoiceStatusSchema,
  currency: currencySchema,
  /** Lines plus adjustments: what the invoice asks for. */
  total: z.number().int(),
  amountPaid: z.number().int(),
  amountRefunded: z.number().int(),
  issuedAt: timestamp.nullable(),
  dueAt: timestamp.nullable(),
  paidAt: timestamp.nullable(),
  voidedAt: timestamp.nullable(),
  lines: z.array(invoiceLineSchema),
  adjustments: z.array(invoiceAdjustmentSchema),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type InvoiceView = z.infer<typeof invoiceSchema>;

export const refundSchema = z.object({
  id: z.uuid(),
  orderId: z.uuid(),
  paymentId: z.uuid(),
  providerRefundId: z.string().nullable(),
  amount: z.number().int(),
  currency: currencySchema,
  reason: z.string(),
  status: refundStatusSchema,
  /** Why it failed (`failed` only). */
  failureReason: z.string().nullable(),
  pendingReason: refundPendingReasonSchema.nullable(),
  /** The return it pays back (docs/requirements.md#returns), else null. */
  returnId: z.uuid().nullable(),
  /** Who asked for it through the API (an ops refund: `ops:<key>`), else null. */
  requestedBy: z.string().nullable(),
  /** Who recorded a `refund_on_channel_required` refund made on the sales channel, else null. */
  confirmedBy: z.string().nullable(),
  createdAt: timestamp,
  succeededAt: timestamp.nullable(),
});

/** A line of a credit note: what one returned or cancelled line gives back, or the reason of a refund by amount. */
export const creditNoteLineSchema = z.object({
  description: z.string(),
  sku: z.string().nullable(),
  quantity: z.number().int().positive(),
  unitAmount: z.number().int(),
  /** The restocking fee kept on a returned line (basis points), null where none applies. */
  restockingFeeBps: z.number().int().min(0).max(10_000).nullable(),
  /** What the line gives back (a negative line: the refund was capped by what the vendors still held). */
  amount: z.number().int(),
});
export type CreditNoteLine = z.infer<typeof creditNoteLineSchema>;

/** A refund that credited an issued invoice, as a document with its own gap-free number (`CN-2026-000001`). */
export const creditNoteSchema = z.object({
  id: z.uuid(),
  number: z.string(),
  invoiceId: z.uuid(),
  refundId: z.uuid(),
  amount: z.number().int(),
  currency: currencySchema,
  reason: z.string(),
  lines: z.array(creditNoteLineSchema),
  issuedAt: timestamp,
});

/** `POST /orders/:orderId/refunds` (ops, admin): money back by amount, up to what is refundable. */
export const opsRefundRequestSchema = z.object({
  amount: z.number().int().positive(),
  reason: text(500),
});

/** `GET /orders/:orderId/billing`. */
export const orderBillingSchema = z.object({
  orderId: z.uuid(),
  payments: z.array(paymentSchema),
  invoices: z.array(invoiceSchema),
  refunds: z.array(refundSchema),
  creditNotes: z.array(creditNoteSchema),
  /** A cancel's refund waiting for the supplier side (REFUND_ON_UNCONFIRMED_SUPPLIER_CANCEL=after_supplier_cancel). */
  refundHold: z
    .object({
      reason: z.string().nullable(),
      heldAt: timestamp.nullable(),
      supplierOutcome: cancellationOutcomeSchema.nullable(),
      supplierSettledAt: timestamp.nullable(),
      releasedAt: timestamp.nullable(),
    })
    .nullable(),
});

export const orderBillingParamsSchema = z.object({ orderId: z.uuid() });
export const refundIdParamsSchema = z.object({ refundId: z.uuid() });
export const invoiceIdParamsSchema = z.object({ id: z.uuid() });

/** `GET /invoices?orderId=&status=`. */
export const invoiceListQuerySchema = z.object({
  orderId: z.uuid().optional(),
  status: invoiceStatusSchema.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const invoiceListSchema = z.object({ items: z.array(invoiceSchema) });

/** `POST /webhooks/stripe` answer: 200 for an applied, ignored or duplicate (replayed) event. */
export const stripeWebhookAckSchema = z.object({ received: z.literal(true), duplicate: z.boolean() });
export type OrderBilling = z.infer<typeof orderBillingSchema>;

/* ---- Per-vendor money (BIL-02 allocations, BIL-03 payouts) ---- */

export const vendorTypeSchema = z.enum(['brand', 'distributor']);
export const vendorIdParamsSchema = z.object({ vendorId: text(100) });

/** One vendor's part of an order's money: allocated, given back, and what it still holds. */
export const vendorAllocationSchema = z.object({
  vendorId: z.string(),
  vendorType: vendorTypeSchema,
  /** The sub-order: the order's number and this vendor. */
  subOrder: z.object({ orderNumber: z.string().nullable(), vendorId: z.string() }),
  /** Σ of its allocations of the order's payments (earnings + fees). */
  allocated: z.number().int(),
  earnings: z.number().int(),
  fees: z.number().int(),
  /** Given back by refunds (positive amounts). */
  reversedEarnings: z.number().int(),
  reversedFees: z.number().int(),
  /** earnings − reversed earnings: what the order leaves the vendor. */
  netEarnings: z.number().int(),
});

/** `GET /orders/:orderId/allocation`: the order's vendors and the conservation check. */
export const orderAllocationSchema = z.object({
  orderId: z.uuid(),
  currency: currencySchema.nullable(),
  vendors: z.array(vendorAllocationSchema),
  check: z.object({
    /** Received on the allocated payments. */
    paid: z.number().int(),
    /** Refunded (succeeded) from them. */
    refunded: z.number().int(),
    earnings: z.number().int(),
    fees: z.number().int(),
    reversedEarnings: z.number().int(),
    reversedFees: z.number().int(),
    /** paid = earnings + fees and refunded = reversed earnings + reversed fees. */
    balanced: z.boolean(),
    problems: z.array(z.string()),
  }),
});

export const ledgerEntryKindSchema = z.enum(['earning', 'fee', 'refund', 'fee_reversal', 'payout']);

export const ledgerEntrySchema = z.object({
  id: z.uuid(),
  kind: ledgerEntryKindSchema,
  /** Signed minor units: earning and fee +, refund, fee_reversal and payout −. */
  amount: z.number().int(),
  currency: currencySchema,
  orderId: z.uuid().nullable(),
  subOrder: z.object({ orderNumber: z.string().nullable(), vendorId: z.string() }).nullable(),
  /** The payment, refund or statement that caused it. */
  reference: z.uuid(),
  statementId: z.uuid().nullable(),
  at: timestamp,
});

export const ledgerQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) });
/** `GET /vendor/ledger?vendorId=` and `/vendor/payouts?vendorId=`: a vendor key's own (the gateway sets `vendorId`). */
export const ownVendorQuerySchema = z.object({ vendorId: text(100) });
export const ownLedgerQuerySchema = ledgerQuerySchema.extend(ownVendorQuerySchema.shape);

/** `GET /vendors/:vendorId/ledger`: balance per currency (earnings − refunds − payouts) and the newest entries. */
export const vendorLedgerSchema = z.object({
  vendorId: z.string(),
  balances: z.array(z.object({ currency: currencySchema, balance: z.number().int() })),
  entries: z.array(ledgerEntrySchema),
});

export const payoutStatusSchema = z.enum(['paid', 'no_account', 'nothing_due', 'failed']);

export const payoutStatementSchema = z.object({
  id: z.uuid(),
  vendorId: z.string(),
  currency: currencySchema,
  sequence: z.number().int(),
  period: z.object({ start: timestamp.nullable(), end: timestamp }),
  /** Carried over from the previous statement (negative after a refund that came after a payout). */
  openingBalance: z.number().int(),
  earnings: z.number().int(),
  fees: z.number().int(),
  /** Earnings given back in the period (≤ 0). */
  refunds: z.number().int(),
  feeReversals: z.number().int(),
  /** opening + earnings + refunds: what the vendor was owed at the end of the period. */
  balance: z.number().int(),
  status: payoutStatusSchema,
  amountPaid: z.number().int(),
  closingBalance: z.number().int(),
  destination: z.string().nullable(),
  transferId: z.string().nullable(),
  failureReason: z.string().nullable(),
  createdAt: timestamp,
});

/** `GET /vendors/:vendorId/payouts`. */
export const vendorPayoutsSchema = z.object({
  vendorId: z.string(),
  stripeAccountId: z.string().nullable(),
  statements: z.array(payoutStatementSchema),
});

/** `POST /payouts/run`: the statements this run drew up. */
export const payoutRunSchema = z.object({ statements: z.array(payoutStatementSchema) });

/** Body of `PUT /vendors/:vendorId/payout-account`: the vendor's Stripe connected account. */
export const payoutAccountRequestSchema = z.object({ stripeAccountId: z.string().regex(/^acct_[A-Za-z0-9]{1,64}$/, 'must be a Stripe account id (acct_…)') });
export const payoutAccountSchema = z.object({ vendorId: z.string(), stripeAccountId: z.string(), updatedAt: timestamp });

export type OrderAllocation = z.infer<typeof orderAllocationSchema>;
export type VendorLedger = z.infer<typeof vendorLedgerSchema>;
export type VendorPayouts = z.infer<typeof vendorPayoutsSchema>;
export type PayoutStatementView = z.infer<typeof payoutStatementSchema>;
