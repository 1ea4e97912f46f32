import { DomainError } from '@platform/runtime/errors';
import type { PlatformHttpServer } from '@platform/runtime/http';
import {
  invoiceIdParamsSchema,
  invoiceListQuerySchema,
  invoiceListSchema,
  invoiceSchema,
  orderBillingParamsSchema,
  orderBillingSchema,
  stripeWebhookAckSchema,
} from '@platform/contracts/api/billing';
import type { Database } from '../adapters/database';
import type { BillingDeps } from '../application/context';
import { applyStripeEvent, isStripeEvent } from '../application/stripe-webhook';
import { verifyStripeSignature } from '../domain/stripe-signature';
import { invoiceInclude, invoiceView, paymentView, refundHoldView, refundView } from './views';

export interface RouteDeps {
  db: Database;
  billing: BillingDeps;
  webhookSecret: string;
  webhookToleranceSeconds: number;
  /** Called after a webhook's transaction committed (wakes the outbox relay). */
  afterCommit?: () => void;
}

/**
 * `POST /webhooks/stripe`: the raw body exactly as Stripe signed it (the gateway forwards it
 * unchanged). Verified before anything is parsed; a bad or expired signature, a malformed
 * body or an unknown payment answers a problem and changes nothing.
 */
export async function registerStripeWebhook(app: PlatformHttpServer, deps: RouteDeps): Promise<void> {
  await app.register(async (scope) => {
    // Only in this scope: every body arrives as the untouched string the signature covers.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    scope.post('/webhooks/stripe', { schema: { response: { 200: stripeWebhookAckSchema } } }, async (request) => {
      const rawBody = typeof request.body === 'string' ? request.body : '';
      const header = request.headers['stripe-signature'];
      const check = verifyStripeSignature({
        header: Array.isArray(header) ? header[0] : header,
        rawBody,
        secret: deps.webhookSecret,
        now: deps.billing.clock.now(),
        toleranceSeconds: deps.webhookToleranceSeconds,
      });
      if (!check.ok) throw new DomainError('invalid', check.code, check.reason);
      let event: unknown;
      try {
        event = JSON.parse(rawBody);
      } catch {
        throw new DomainError('invalid', 'MALFORMED_JSON', 'The webhook body is not JSON');
      }
      if (!isStripeEvent(event)) throw new DomainError('invalid', 'INVALID_EVENT', 'The body is not a Stripe Event (id, type, data.object)');
      const outcome = await deps.db.$transaction((tx) => applyStripeEvent(tx, deps.billing, event), { timeout: 30_000, maxWait: 10_000 });
      if (outcome === 'applied') deps.afterCommit?.();
      request.log.info({ stripeEventId: event.id, type: event.type, outcome }, 'stripe webhook');
      return { received: true as const, duplicate: outcome === 'duplicate' };
    });
  });
}

/** Read side: an order's payments, invoices and refunds; invoices by id and by filter. */
export function registerQueries(app: PlatformHttpServer, db: Database): void {
  app.get(
    '/orders/:orderId/billing',
    { schema: { params: orderBillingParamsSchema, response: { 200: orderBillingSchema } } },
    async (request) => {
      const { orderId } = request.params;
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
    },
  );

  app.get('/invoices/:id', { schema: { params: invoiceIdParamsSchema, response: { 200: invoiceSchema } } }, async (request) => {
    const invoice = await db.invoice.findUnique({ where: { id: request.params.id }, include: invoiceInclude });
    if (!invoice) throw new DomainError('not_found', 'INVOICE_NOT_FOUND', `No invoice ${request.params.id}`);
    return invoiceView(invoice);
  });

  app.get('/invoices', { schema: { querystring: invoiceListQuerySchema, response: { 200: invoiceListSchema } } }, async (request) => {
    const { orderId, status, limit } = request.query;
    const invoices = await db.invoice.findMany({
      where: { ...(orderId && { orderId }), ...(status && { status }) },
      include: invoiceInclude,
      orderBy: { createdAt: 'desc' },
      take: limit,
    });
    return { items: invoices.map(invoiceView) };
  });
}
