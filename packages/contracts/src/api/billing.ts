import { z } from 'zod';
import { invoiceStatusSchema } from '../events/billing';
import { cancellationOutcomeSchema } from '../events/fulfillment';
import { currencySchema, timestamp } from '../primitives';

/** Billing's HTTP API (service root; the gateway exposes it under /v1). Money in integer minor units. */

export const paymentStatusSchema = z.enum(['requires_payment', 'processing', 'succeeded', 'failed', 'cancelled', 'flagged']);
export const refundStatusSchema = z.enum(['pending', 'succeeded', 'failed']);
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
  failureReason: z.string().nullable(),
  createdAt: timestamp,
  succeededAt: timestamp.nullable(),
});

/** `GET /orders/:orderId/billing`. */
export const orderBillingSchema = z.object({
  orderId: z.uuid(),
  payments: z.array(paymentSchema),
  invoices: z.array(invoiceSchema),
  refunds: z.array(refundSchema),
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
