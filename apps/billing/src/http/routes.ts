import { actorOf } from '@platform/runtime/actor';
import { continueFlow } from '@platform/runtime/context';
import { DomainError } from '@platform/contracts/errors';
import type { PlatformHttpServer } from '@platform/runtime/http';
import { z } from 'zod';
import {
  invoiceIdParamsSchema,
  invoiceListQuerySchema,
  invoiceListSchema,
  invoiceSchema,
  orderBillingParamsSchema,
  orderBillingSchema,
  ledgerQuerySchema,
  opsRefundRequestSchema,
  orderAllocationSchema,
  ownLedgerQuerySchema,
  ownVendorQuerySchema,
  payoutAccountRequestSchema,
  payoutAccountSchema,
  payoutRunSchema,
  refundIdParamsSchema,
  refundSchema,
  stripeWebhookAckSchema,
  vendorIdParamsSchema,
  vendorLedgerSchema,
  vendorPayoutsSchema,
} from '@platform/contracts/api/billing';
import { idempotencyKeySchema } from '@platform/contracts/api/orders';
import type { BillingDeps, Database } from '../application/context';
import { refundByOps } from '../application/ops-refunds';
import { recordMadeOnChannel } from '../application/refunds';
import { findInvoices, invoiceById, orderBilling } from '../application/queries';
import { refundView } from '../application/views';
import { runPayoutsNow, setPayoutAccount, vendorLedger, vendorPayouts } from '../application/payouts';
import { isStripeEvent, receiveStripeEvent } from '../application/stripe-webhook';
import { orderAllocation } from '../application/vendor-ledger';
import { verifyStripeSignature } from '../domain/stripe-signature';

export interface RouteDeps {
  db: Database;
  billing: BillingDeps;
  webhookSecret: string;
  webhookToleranceSeconds: number;
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
      const { outcome, correlationId } = await receiveStripeEvent(deps.db, deps.billing, event);
      // Logged in the order's journey; its `reqId` ties it to the webhook request's own lines.
      continueFlow(correlationId, () => request.log.info({ stripeEventId: event.id, type: event.type, outcome }, 'stripe webhook'));
      return { received: true as const, duplicate: outcome === 'duplicate' };
    });
  });
}

/** Read side: an order's payments, invoices and refunds; invoices by id and by filter. */
export function registerQueries(app: PlatformHttpServer, db: Database): void {
  app.get(
    '/orders/:orderId/billing',
    { schema: { params: orderBillingParamsSchema, response: { 200: orderBillingSchema } } },
    async (request) => orderBilling(db, request.params.orderId),
  );

  app.get('/invoices/:id', { schema: { params: invoiceIdParamsSchema, response: { 200: invoiceSchema } } }, async (request) => invoiceById(db, request.params.id));

  app.get('/invoices', { schema: { querystring: invoiceListQuerySchema, response: { 200: invoiceListSchema } } }, async (request) => ({
    items: await findInvoices(db, request.query),
  }));
}

/**
 * Per-vendor money (BIL-02, BIL-03): an order's allocation with its conservation check, a
 * vendor's ledger and payout statements, its connected account, and a payout run on demand.
 */
export function registerVendorMoney(app: PlatformHttpServer, db: Database, deps: BillingDeps): void {
  app.get(
    '/orders/:orderId/allocation',
    { schema: { params: orderBillingParamsSchema, response: { 200: orderAllocationSchema } } },
    async (request) => orderAllocation(db, request.params.orderId),
  );

  app.get(
    '/vendors/:vendorId/ledger',
    { schema: { params: vendorIdParamsSchema, querystring: ledgerQuerySchema, response: { 200: vendorLedgerSchema } } },
    async (request) => vendorLedger(db, request.params.vendorId, request.query.limit),
  );

  app.get(
    '/vendors/:vendorId/payouts',
    { schema: { params: vendorIdParamsSchema, response: { 200: vendorPayoutsSchema } } },
    async (request) => vendorPayouts(db, request.params.vendorId),
  );

  // The same, for a vendor key: the gateway names the key's vendor in the query.
  app.get(
    '/vendor/ledger',
    { schema: { querystring: ownLedgerQuerySchema, response: { 200: vendorLedgerSchema } } },
    async (request) => vendorLedger(db, request.query.vendorId, request.query.limit),
  );

  app.get(
    '/vendor/payouts',
    { schema: { querystring: ownVendorQuerySchema, response: { 200: vendorPayoutsSchema } } },
    async (request) => vendorPayouts(db, request.query.vendorId),
  );

  app.put(
    '/vendors/:vendorId/payout-account',
    { schema: { params: vendorIdParamsSchema, body: payoutAccountRequestSchema, response: { 200: payoutAccountSchema } } },
    async (request) => setPayoutAccount(db, deps, request.params.vendorId, request.body.stripeAccountId),
  );

  app.post('/payouts/run', { schema: { response: { 200: payoutRunSchema } } }, async () => ({ statements: await runPayoutsNow(db, deps) }));
}

/**
 * `POST /orders/:orderId/refunds` (ops, admin at the gateway): money back by amount, recorded
 * with the acting key; 201 the refund made, 200 the same refund for a repeated Idempotency-Key.
 * `POST /refunds/:refundId/made-on-channel` (ops): a refund waiting for the sales channel is made.
 */
export function registerRefunds(app: PlatformHttpServer, db: Database, deps: BillingDeps): void {
  app.post(
    '/orders/:orderId/refunds',
    {
      schema: {
        params: orderBillingParamsSchema,
        headers: z.looseObject({ 'idempotency-key': idempotencyKeySchema.optional() }),
        body: opsRefundRequestSchema,
        response: { 200: refundSchema, 201: refundSchema },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request).name;
      const { refund, created } = await refundByOps(db, deps, { orderId: request.params.orderId, ...request.body, actor, idempotencyKey: request.headers['idempotency-key'] });
      if (created) request.log.info({ refundId: refund.id, orderId: refund.orderId, amount: refund.amount, status: refund.status, actor }, 'ops refund');
      return reply.code(created ? 201 : 200).send(refundView(refund));
    },
  );

  // Ops refunded the buyer on the sales channel: the waiting refund is made.
  app.post('/refunds/:refundId/made-on-channel', { schema: { params: refundIdParamsSchema, response: { 200: refundSchema } } }, async (request) => {
    const actor = actorOf(request).name;
    const refund = await recordMadeOnChannel(db, deps, request.params.refundId, actor);
    request.log.info({ refundId: refund.id, orderId: refund.orderId, actor }, 'refund made on the sales channel');
    return refundView(refund);
  });
}
