import { DependencyUnavailableError } from '@platform/contracts/errors';
import { createHttpClient } from '@platform/runtime/http-client';

/**
 * Stripe's REST API (docs/providers/stripe.md) as billing uses it: checkout sessions, their
 * expiry, refunds, and Connect transfers to vendors. Form-encoded bodies with bracket notation,
 * `Authorization: Bearer sk_...`, and an `Idempotency-Key` on every POST so a repeated call (a
 * redelivered event, a retried payout run) gets the first answer back instead of a second
 * session, refund or transfer.
 */

/** Stripe refused the request (4xx): repeating it would not help. */
export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly stripeCode: string | undefined,
    message: string,
  ) {
    super(`Stripe ${status} ${type}${stripeCode ? ` (${stripeCode})` : ''}: ${message}`);
    this.name = 'StripeApiError';
  }
}

/** Stripe is down, slow or unreachable (5xx, timeout, connection error): retried until it answers, never dead-lettered. */
export class StripeUnavailableError extends DependencyUnavailableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StripeUnavailableError';
  }
}

export interface StripeCheckoutSession {
  id: string;
  status: 'open' | 'complete' | 'expired';
  payment_status: 'paid' | 'unpaid' | 'no_payment_required';
  amount_total: number;
  currency: string;
  url: string | null;
  expires_at: number | null;
  payment_intent: string | null;
  client_reference_id: string | null;
  metadata: Record<string, string>;
}

export interface StripeRefund {
  id: string;
  amount: number;
  currency: string;
  status: 'pending' | 'requires_action' | 'succeeded' | 'failed' | 'canceled';
  failure_reason?: string | null;
  payment_intent: string;
}

/** A Connect transfer to a connected account (docs/providers/stripe.md#connect-transfers). */
export interface StripeTransfer {
  id: string;
  amount: number;
  currency: string;
  destination: string;
  transfer_group: string | null;
  reversed: boolean;
}

export interface TransferRequest {
  /** The payout statement it pays: the Idempotency-Key, so a retried run never pays twice. */
  statementId: string;
  vendorId: string;
  amount: number;
  /** Platform (upper case) currency. */
  currency: string;
  /** The vendor's connected account (`acct_…`). */
  destination: string;
  transferGroup: string;
}

export interface CheckoutRequest {
  paymentId: string;
  orderId: string;
  /** The line item's product name on Stripe's page, in the customer's language ("Pedido ORD-123"): the order by its number, never our id. */
  productName: string;
  /** The language of Stripe's page (Checkout supports en, es, ro and ru). */
  locale: string;
  amount: number;
  /** Platform (upper case) currency. */
  currency: string;
  customerEmail: string | null;
  /** Where Stripe sends the customer after paying, and when they give up: pages for people. */
  successUrl: string;
  cancelUrl: string;
}

export interface RefundRequest {
  refundId: string;
  orderId: string;
  paymentIntentId: string;
  amount: number;
  reason: string;
}

export interface PaymentProvider {
  readonly name: string;
  createCheckoutSession(request: CheckoutRequest): Promise<StripeCheckoutSession>;
  expireCheckoutSession(sessionId: string): Promise<StripeCheckoutSession>;
  getCheckoutSession(sessionId: string): Promise<StripeCheckoutSession>;
  createRefund(request: RefundRequest): Promise<StripeRefund>;
  createTransfer(request: TransferRequest): Promise<StripeTransfer>;
}

export function createStripeClient(options: { apiUrl: string; secretKey: string; timeoutMs?: number }): PaymentProvider {
  const http = createHttpClient({ prefixUrl: options.apiUrl.replace(/\/+$/, ''), timeoutMs: options.timeoutMs ?? 10_000, userAgent: 'platform-billing' });

  async function call<T>(method: 'GET' | 'POST', path: string, form?: Record<string, string>, idempotencyKey?: string): Promise<T> {
    let response;
    try {
      response = await http(path, {
        method,
        headers: { authorization: `Bearer ${options.secretKey}`, ...(idempotencyKey && { 'idempotency-key': idempotencyKey }) },
        ...(form && { form }),
      });
    } catch (error) {
      throw new StripeUnavailableError(`Stripe unreachable: ${(error as Error).message}`, { cause: error });
    }
    let body: { error?: { type?: string; code?: string; message?: string } } & Record<string, unknown>;
    try {
      body = JSON.parse(response.body);
    } catch {
      if (response.statusCode >= 500) throw new StripeUnavailableError(`Stripe answered ${response.statusCode}`);
      throw new StripeApiError(response.statusCode, 'invalid_response', undefined, 'Stripe answered with a body that is not JSON');
    }
    if (response.statusCode >= 500 || response.statusCode === 429) {
      throw new StripeUnavailableError(`Stripe answered ${response.statusCode}: ${body.error?.message ?? 'no message'}`);
    }
    if (response.statusCode >= 400) {
      throw new StripeApiError(response.statusCode, body.error?.type ?? 'unknown', body.error?.code, body.error?.message ?? 'no message');
    }
    return body as T;
  }

  return {
    name: 'stripe',
    createCheckoutSession: (request) =>
      call<StripeCheckoutSession>(
        'POST',
        'v1/checkout/sessions',
        {
          mode: 'payment',
          client_reference_id: request.orderId,
          success_url: request.successUrl,
          cancel_url: request.cancelUrl,
          locale: request.locale,
          ...(request.customerEmail && { customer_email: request.customerEmail }),
          'metadata[order_id]': request.orderId,
          'metadata[payment_id]': request.paymentId,
          // Copied onto the payment intent, so its own events (payment_failed) name the payment too.
          'payment_intent_data[metadata][order_id]': request.orderId,
          'payment_intent_data[metadata][payment_id]': request.paymentId,
          // One line for the amount due: the invoice carries the itemised lines.
          'line_items[0][quantity]': '1',
          'line_items[0][price_data][currency]': request.currency.toLowerCase(),
          'line_items[0][price_data][unit_amount]': String(request.amount),
          'line_items[0][price_data][product_data][name]': request.productName,
        },
        request.paymentId,
      ),
    expireCheckoutSession: (sessionId) =>
      call<StripeCheckoutSession>('POST', `v1/checkout/sessions/${encodeURIComponent(sessionId)}/expire`, {}, `expire-${sessionId}`),
    getCheckoutSession: (sessionId) => call<StripeCheckoutSession>('GET', `v1/checkout/sessions/${encodeURIComponent(sessionId)}`),
    createRefund: (request) =>
      call<StripeRefund>(
        'POST',
        'v1/refunds',
        {
          payment_intent: request.paymentIntentId,
          amount: String(request.amount),
          reason: 'requested_by_customer',
          'metadata[order_id]': request.orderId,
          'metadata[refund_id]': request.refundId,
          'metadata[reason]': request.reason.slice(0, 500),
        },
        request.refundId,
      ),
    createTransfer: (request) =>
      call<StripeTransfer>(
        'POST',
        'v1/transfers',
        {
          amount: String(request.amount),
          currency: request.currency.toLowerCase(),
          destination: request.destination,
          transfer_group: request.transferGroup,
          'metadata[vendor_id]': request.vendorId,
          'metadata[statement_id]': request.statementId,
        },
        request.statementId,
      ),
  };
}
