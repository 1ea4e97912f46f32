import type { Clock } from '@platform/runtime/clock';
import { newEvent, recordEvent } from '@platform/runtime/outbox';
import type { EventData, EventDefinition } from '@platform/contracts';
import { DomainError } from '@platform/contracts/errors';
import type { BusinessMetrics } from '../adapters/business-metrics';
import type { Transaction } from '../adapters/database';
import { paymentColumns } from '../adapters/rows';
import { type Payment, Prisma } from '../generated/prisma/client';
import type { PaymentProvider } from '../adapters/stripe-client';
import type { FeeRates } from '../domain/vendor-split';

/** The database as the edges hold it: they hand it to the use cases and run no query of their own. */
export type { Database } from '../adapters/database';

export const SERVICE = 'billing';

/** What billing's use cases need besides the transaction. */
export interface BillingDeps {
  provider: PaymentProvider;
  clock: Clock;
  metrics: BusinessMetrics;
  /** Where the customer pages are: Stripe sends the customer back to `/pay/complete` or `/pay/cancelled` there. */
  publicBaseUrl: string;
  /** ORDER_LINK_SECRET: the pages the payment page returns to get a signed link to the order. */
  orderLinkSecret?: string | undefined;
  invoiceDueDays: number;
  /**
   * REFUND_ON_UNCONFIRMED_SUPPLIER_CANCEL: whether a cancelled order's refund goes out at once
   * or waits for `fulfillment.cancellation.settled` (a supplier order may still ship).
   */
  refundOnUnconfirmedSupplierCancel: RefundPolicy;
  /** PLATFORM_FEE_BRAND_BPS / PLATFORM_FEE_DISTRIBUTOR_BPS: the platform's fee per vendor type. */
  feeRates: FeeRates;
  /** PAYOUT_INTERVAL_MS: time between payout runs. */
  payoutIntervalMs: number;
}

export const REFUND_POLICIES = ['immediately', 'after_supplier_cancel'] as const;
export type RefundPolicy = (typeof REFUND_POLICIES)[number];

/** Records `definition`'s event about the aggregate (an order; a vendor for payouts) in the caller's transaction (outbox); returns its id. */
export async function emit<D extends EventDefinition>(tx: Transaction, definition: D, aggregateId: string, data: EventData<D>, at: Date): Promise<string> {
  const event = newEvent(definition, { aggregateId, source: SERVICE, data, occurredAt: at });
  await recordEvent(tx, event);
  return event.id;
}

/** Row locks taken before read-modify-write, so a webhook and a consumer never interleave on one order's money. */
export async function lockPayments(tx: Transaction, orderId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM payments WHERE order_id = ${orderId}::uuid ORDER BY id FOR UPDATE`;
}

/**
 * `lockPayments` for the order of the payment `subject` selects (a scalar subquery or value),
 * returning that payment as it is once locked.
 */
async function lockPaymentsOf(tx: Transaction, subject: Prisma.Sql): Promise<Payment | undefined> {
  const payments = await tx.$queryRaw<(Payment & { subject: boolean })[]>`
    SELECT ${paymentColumns}, id = (${subject}) AS subject FROM payments
    WHERE order_id = (SELECT order_id FROM payments WHERE id = (${subject})) ORDER BY id FOR UPDATE`;
  const found = payments.find((p) => p.subject);
  if (!found) return undefined;
  const { subject: _, ...payment } = found;
  return payment;
}

export async function lockedPayment(tx: Transaction, paymentId: string): Promise<Payment> {
  const payment = await lockPaymentsOf(tx, Prisma.sql`${paymentId}::uuid`);
  if (!payment) throw new DomainError('not_found', 'PAYMENT_NOT_FOUND', `No payment ${paymentId}`);
  return payment;
}

/** The payment a Stripe checkout session was opened for, locked as `lockedPayment`; undefined for an unknown session. */
export function lockedPaymentOfSession(tx: Transaction, providerSessionId: string): Promise<Payment | undefined> {
  return lockPaymentsOf(tx, Prisma.sql`SELECT payment_id FROM checkout_sessions WHERE provider_session_id = ${providerSessionId}`);
}

export async function lockInvoice(tx: Transaction, invoiceId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM invoices WHERE id = ${invoiceId}::uuid FOR UPDATE`;
}
