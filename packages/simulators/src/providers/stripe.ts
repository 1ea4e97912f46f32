import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import got from 'got';
import type { SimulatorContext } from '../context';

/**
 * Stripe (docs/providers/stripe.md): checkout sessions, payment intents, refunds, Connect
 * transfers and signed webhook Events, in Stripe's object shapes. Requests are form-encoded with bracket
 * notation and authenticated with `Authorization: Bearer sk_...`; `Idempotency-Key`
 * replays the first answer. The customer side is simulated by `GET /stripe/checkout/:id`
 * (a page with a Pay button) and `POST /stripe/_sim/checkout/sessions/:id/complete`.
 */

export const STRIPE_API_VERSION = '2025-08-27.basil';

type StripeObject = Record<string, unknown> & { id: string };

interface StoredEvent {
  id: string;
  type: string;
  /** The exact body sent, so a resend is byte-identical. */
  rawBody: string;
}

export interface WebhookDelivery {
  eventId: string;
  type: string;
  at: string;
  /** 1 for the event's first delivery, then one more for each automatic retry (a manual resend has none). */
  attempt: number | null;
  status: number | null;
  error: string | null;
  /** The wait booked before Stripe's next attempt, for a refused delivery it will retry (null: none booked). */
  retryInMs?: number | null;
}

/**
 * Stripe sends an event again until the endpoint answers 2xx, backing off exponentially for up
 * to three days. The simulator keeps the rule with a compressed clock: 1 s after the first
 * refusal, doubling to at most 30 s apart, for an hour (docs/providers/stripe.md).
 */
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 30_000;
const RETRY_FOR_MS = 3_600_000;

/** An event whose last delivery was refused: when it was first sent, its attempts so far, when the next is due (epoch ms). */
interface PendingRetry {
  firstAt: number;
  attempts: number;
  dueAt: number;
}

/** `Stripe-Signature` header value for `rawBody` at unix time `timestamp`. */
export function stripeSignatureHeader(secret: string, rawBody: string, timestamp: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

const stripeId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
const unixNow = () => Math.floor(Date.now() / 1000);

/** Flat `a[b][c]=v` form fields (as formbody parses them) as plain strings. */
function formFields(body: unknown): Record<string, string> {
  const fields: Record<string, string> = {};
  if (!body || typeof body !== 'object') return fields;
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') fields[key] = String(value);
  }
  return fields;
}

/** `metadata[order_id]=x` → `{ order_id: 'x' }` for the given bracket prefix. */
function bracketMap(fields: Record<string, string>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  const pattern = new RegExp(`^${prefix.replaceAll('[', '\\[').replaceAll(']', '\\]')}\\[([^\\]]+)\\]$`);
  for (const [key, value] of Object.entries(fields)) {
    const match = pattern.exec(key);
    if (match) out[match[1]!] = value;
  }
  return out;
}

class StripeError extends Error {
  constructor(
    readonly status: number,
    readonly body: { type: string; message: string; code?: string; decline_code?: string; param?: string },
  ) {
    super(body.message);
  }
}

const invalid = (message: string, param?: string, code?: string) =>
  new StripeError(400, { type: 'invalid_request_error', message, ...(param && { param }), ...(code && { code }) });
const missing = (kind: string, id: string, param = 'id') =>
  new StripeError(404, { type: 'invalid_request_error', code: 'resource_missing', param, message: `No such ${kind}: '${id}'` });

export function registerStripe(app: FastifyInstance, context: SimulatorContext): void {
  const { control, credentials, store } = context;
  const { sessions, paymentIntents, charges, refunds, transfers, events, deliveries, retries, retried, idempotent } = store.keep(() => ({
    sessions: new Map<string, StripeObject>(),
    paymentIntents: new Map<string, StripeObject>(),
    charges: new Map<string, StripeObject>(),
    refunds: new Map<string, StripeObject>(),
    transfers: new Map<string, StripeObject>(),
    events: new Map<string, StoredEvent>(),
    deliveries: [] as WebhookDelivery[],
    retries: new Map<string, PendingRetry>(),
    retried: { sent: 0, accepted: 0, abandoned: 0 },
    idempotent: new Map<string, { path: string; status: number; body: unknown }>(),
  }));

  /** Sends `event` to the webhook URL; `attempt` numbers Stripe's own deliveries (null: a manual resend, which schedules nothing). */
  async function deliver(event: StoredEvent, attempt: number | null, signature?: string): Promise<WebhookDelivery> {
    const delivery: WebhookDelivery = { eventId: event.id, type: event.type, at: new Date().toISOString(), attempt, status: null, error: null, retryInMs: null };
    try {
      const response = await got.post(`${context.webhookBaseUrl}/v1/webhooks/stripe`, {
        body: event.rawBody,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'stripe-signature': signature ?? stripeSignatureHeader(credentials.stripe.webhookSecret, event.rawBody, unixNow()),
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        },
        throwHttpErrors: false,
        retry: { limit: 0 },
        timeout: { request: 10_000 },
      });
      delivery.status = response.statusCode;
    } catch (error) {
      delivery.error = (error as Error).message;
    }
    deliveries.push(delivery);
    if (deliveries.length > 1000) deliveries.shift();
    const accepted = delivery.status !== null && delivery.status >= 200 && delivery.status < 300;
    if (accepted) forgetRetry(event.id, attempt);
    else if (attempt !== null) delivery.retryInMs = bookRetry(event.id, attempt);
    // The answer may come after the request that sent the event was answered.
    store.changed();
    return delivery;
  }

  // A timer per refused event; the retries kept in a state file are booked again after a restart.
  const retryTimers = new Map<string, NodeJS.Timeout>();
  let closed = false;
  function armRetry(eventId: string, dueAt: number): void {
    if (closed) return;
    clearTimeout(retryTimers.get(eventId));
    const send = () => {
      retryTimers.delete(eventId);
      const event = events.get(eventId);
      const pending = retries.get(eventId);
      if (!event || !pending) return void retries.delete(eventId);
      retried.sent += 1;
      void deliver(event, pending.attempts + 1);
    };
    retryTimers.set(eventId, setTimeout(send, Math.max(0, dueAt - Date.now())));
  }

  /** Books the next automatic delivery of a refused event and returns its wait, or gives it up once out of time (null). */
  function bookRetry(eventId: string, attempt: number): number | null {
    const now = Date.now();
    const firstAt = retries.get(eventId)?.firstAt ?? now;
    if (now - firstAt >= RETRY_FOR_MS) {
      retries.delete(eventId);
      retried.abandoned += 1;
      return null;
    }
    const waitMs = Math.min(RETRY_FIRST_MS * 2 ** (attempt - 1), RETRY_MAX_MS);
    retries.set(eventId, { firstAt, attempts: attempt, dueAt: now + waitMs });
    armRetry(eventId, now + waitMs);
    return waitMs;
  }

  /** An accepted delivery (a retry, or a manual resend) ends the event's retries. */
  function forgetRetry(eventId: string, attempt: number | null): void {
    if (!retries.delete(eventId)) return;
    clearTimeout(retryTimers.get(eventId));
    retryTimers.delete(eventId);
    if (attempt !== null) retried.accepted += 1;
  }

  for (const [eventId, pending] of retries) armRetry(eventId, pending.dueAt);
  app.addHook('onClose', async () => {
    closed = true;
    for (const timer of retryTimers.values()) clearTimeout(timer);
  });

  /** Builds, stores and sends an Event; resolves with the delivery outcome. */
  function emit(type: string, object: StripeObject, previousAttributes?: Record<string, unknown>, idempotencyKey: string | null = null) {
    const event = {
      id: stripeId('evt'),
      object: 'event',
      api_version: STRIPE_API_VERSION,
      created: unixNow(),
      data: { object: structuredClone(object), ...(previousAttributes && { previous_attributes: previousAttributes }) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: idempotencyKey ? stripeId('req') : null, idempotency_key: idempotencyKey },
      type,
    };
    const stored: StoredEvent = { id: event.id, type, rawBody: JSON.stringify(event) };
    events.set(stored.id, stored);
    return { event: stored, delivered: deliver(stored, 1) };
  }

  function sendError(reply: FastifyReply, error: StripeError) {
    return reply.code(error.status).send({ error: error.body });
  }

  /**
   * The API routes' common path: auth, behaviour switch, idempotency replay, Stripe error body.
   * `handle` returns the object to answer with; `reject` describes this endpoint's refusal.
   */
  function api(handle: (request: FastifyRequest, fields: Record<string, string>) => StripeObject | Promise<StripeObject>, reject?: () => StripeError) {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const auth = request.headers.authorization;
      if (auth !== `Bearer ${credentials.stripe.secretKey}`) {
        control.record(request, 'unauthorized');
        const message = auth
          ? 'Invalid API Key provided.'
          : "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').";
        return reply.code(401).send({ error: { type: 'invalid_request_error', message } });
      }
      const behaviour = control.next();
      if (behaviour.mode === 'error') {
        control.record(request, 'error');
        const status = Number(behaviour.options.status ?? 503);
        return reply.code(status).send({ error: { type: 'api_error', message: 'An unknown error occurred on Stripe\'s end (simulated outage).' } });
      }
      if (await control.applyFailure(behaviour, request, reply)) return reply;
      const key = request.headers['idempotency-key'];
      const idempotencyKey = typeof key === 'string' && key.length > 0 ? key : null;
      const path = `${request.method} ${request.routeOptions.url}`;
      if (idempotencyKey && request.method === 'POST') {
        const previous = idempotent.get(idempotencyKey);
        if (previous) {
          control.record(request, 'idempotent_replay');
          if (previous.path !== path) {
            return sendError(reply, new StripeError(400, { type: 'idempotency_error', message: `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${previous.path}').` }));
          }
          return reply.code(previous.status).header('idempotent-replayed', 'true').send(previous.body);
        }
      }
      let status = 200;
      let body: unknown;
      if (behaviour.mode === 'reject' && reject) {
        const error = reject();
        status = error.status;
        body = { error: error.body };
        control.record(request, 'reject');
      } else {
        try {
          body = await handle(request, formFields(request.body));
          control.record(request, behaviour.mode);
        } catch (error) {
          if (!(error instanceof StripeError)) throw error;
          status = error.status;
          body = { error: error.body };
          control.record(request, 'invalid');
        }
      }
      // Stripe stores the first answer for a key, errors included (except its own 5xx).
      if (idempotencyKey && request.method === 'POST') idempotent.set(idempotencyKey, { path, status, body });
      return reply.code(status).header('request-id', stripeId('req')).send(body);
    };
  }

  function findSession(id: string): StripeObject {
    const session = sessions.get(id);
    if (!session) throw missing('checkout.session', id);
    return session;
  }

  app.post(
    '/v1/checkout/sessions',
    api(
      (request, fields) => {
        const mode = fields.mode;
        if (mode !== 'payment') throw invalid('This simulator supports `mode=payment` only.', 'mode');
        let amount = 0;
        let currency: string | undefined;
        const lines: PageLine[] = [];
        for (let i = 0; fields[`line_items[${i}][quantity]`] !== undefined || fields[`line_items[${i}][price_data][unit_amount]`] !== undefined; i++) {
          const unit = Number(fields[`line_items[${i}][price_data][unit_amount]`]);
          const quantity = Number(fields[`line_items[${i}][quantity]`] ?? 1);
          const lineCurrency = fields[`line_items[${i}][price_data][currency]`];
          const product = `line_items[${i}][price_data][product_data]`;
          if (!Number.isInteger(unit) || unit < 0) throw invalid('Invalid integer: unit_amount', `line_items[${i}][price_data][unit_amount]`);
          if (!Number.isInteger(quantity) || quantity < 1) throw invalid('Invalid integer: quantity', `line_items[${i}][quantity]`);
          if (!lineCurrency || !/^[a-z]{3}$/.test(lineCurrency)) throw invalid('Invalid currency', `line_items[${i}][price_data][currency]`);
          if (currency && currency !== lineCurrency) throw invalid('All line items must use the same currency.', `line_items[${i}][price_data][currency]`);
          if (!fields[`${product}[name]`]) throw invalid(`Missing required param: ${product}[name].`, `${product}[name]`);
          currency = lineCurrency;
          amount += unit * quantity;
          lines.push({ name: fields[`${product}[name]`]!, description: fields[`${product}[description]`] ?? null, quantity, unitAmount: unit });
        }
        if (!currency) throw invalid('Missing required param: line_items.', 'line_items');
        if (!fields.success_url) throw invalid('Missing required param: success_url.', 'success_url');
        if (fields.locale !== undefined && !CHECKOUT_LOCALES.has(fields.locale)) throw invalid(`Invalid locale: ${fields.locale}`, 'locale');
        const id = stripeId('cs_test');
        const created = unixNow();
        const session: StripeObject = {
          id,
          object: 'checkout.session',
          mode,
          status: 'open',
          payment_status: 'unpaid',
          amount_subtotal: amount,
          amount_total: amount,
          currency,
          customer: null,
          customer_email: fields.customer_email ?? null,
          customer_details: null,
          client_reference_id: fields.client_reference_id ?? null,
          metadata: bracketMap(fields, 'metadata'),
          payment_intent: null,
          success_url: fields.success_url,
          cancel_url: fields.cancel_url ?? null,
          locale: fields.locale ?? null,
          created,
          expires_at: Number(fields.expires_at ?? created + 24 * 60 * 60),
          livemode: false,
          total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
          url: `${request.protocol}://${request.headers.host}/stripe/checkout/${id}`,
          // Kept for the payment intent created at completion (Stripe: payment_intent_data[metadata]).
          payment_intent_data_metadata: bracketMap(fields, 'payment_intent_data[metadata]'),
          // What the hosted page shows (Stripe returns line items only when expanded).
          page_lines: lines,
        };
        sessions.set(id, session);
        return publicSession(session);
      },
      () => new StripeError(402, { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' }),
    ),
  );

  app.get('/v1/checkout/sessions/:id', api((request) => publicSession(findSession((request.params as { id: string }).id))));

  app.post(
    '/v1/checkout/sessions/:id/expire',
    api((request) => {
      const session = findSession((request.params as { id: string }).id);
      if (session.status !== 'open') throw invalid(`Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${String(session.status)}".`);
      Object.assign(session, { status: 'expired', url: null });
      void emit('checkout.session.expired', publicSession(session)).delivered;
      return publicSession(session);
    }),
  );

  app.get(
    '/v1/payment_intents/:id',
    api((request) => {
      const id = (request.params as { id: string }).id;
      const intent = paymentIntents.get(id);
      if (!intent) throw missing('payment_intent', id);
      return intent;
    }),
  );

  app.post(
    '/v1/refunds',
    api(
      (request, fields) => {
        const intentId = fields.payment_intent;
        if (!intentId) throw invalid('One of the following params should be provided for this request: payment_intent or charge.', 'payment_intent');
        const intent = paymentIntents.get(intentId);
        if (!intent) throw missing('payment_intent', intentId, 'payment_intent');
        const charge = charges.get(String(intent.latest_charge));
        if (intent.status !== 'succeeded' || !charge) throw invalid(`This PaymentIntent (${intentId}) does not have a successful charge to refund.`, 'payment_intent');
        const remaining = Number(charge.amount) - Number(charge.amount_refunded);
        const amount = fields.amount === undefined ? remaining : Number(fields.amount);
        if (remaining <= 0) throw invalid(`Charge ${charge.id} has already been refunded.`, undefined, 'charge_already_refunded');
        if (!Number.isInteger(amount) || amount <= 0 || amount > remaining) {
          throw invalid(`Refund amount (${fields.amount}) is greater than unrefunded amount on charge (${remaining}).`, 'amount', 'amount_too_large');
        }
        const refund: StripeObject = {
          id: stripeId('re'),
          object: 'refund',
          amount,
          charge: charge.id,
          created: unixNow(),
          currency: charge.currency,
          metadata: bracketMap(fields, 'metadata'),
          payment_intent: intentId,
          reason: fields.reason ?? null,
          status: 'succeeded',
        };
        refunds.set(refund.id, refund);
        const previous = { amount_refunded: charge.amount_refunded, refunded: charge.refunded };
        charge.amount_refunded = Number(charge.amount_refunded) + amount;
        charge.refunded = charge.amount_refunded === charge.amount;
        const key = request.headers['idempotency-key'];
        // After the API answer, as Stripe does: the caller may see either first.
        setImmediate(() => void emit('charge.refunded', charge, previous, typeof key === 'string' ? key : null).delivered);
        return refund;
      },
      () => new StripeError(402, { type: 'invalid_request_error', code: 'charge_disputed', message: 'This charge has been disputed and cannot be refunded (simulated rejection).' }),
    ),
  );

  // Connect (docs/providers/stripe.md#connect-transfers): money from the platform's balance to a
  // connected account. Any well-formed `acct_…` is taken as connected, except `acct_closed…`,
  // which Stripe refuses as it would a destination that can no longer receive transfers.
  app.post(
    '/v1/transfers',
    api(
      (request, fields) => {
        const amount = Number(fields.amount);
        if (fields.amount === undefined) throw invalid('Missing required param: amount.', 'amount');
        if (!Number.isInteger(amount) || amount < 1) throw invalid('Invalid positive integer', 'amount');
        if (!fields.currency || !/^[a-z]{3}$/.test(fields.currency)) throw invalid('Invalid currency', 'currency');
        const destination = fields.destination;
        if (!destination) throw invalid('Missing required param: destination.', 'destination');
        if (!/^acct_[A-Za-z0-9]+$/.test(destination)) throw missing('account', destination, 'destination');
        if (destination.startsWith('acct_closed')) {
          throw invalid('The destination account cannot receive transfers (its capabilities are inactive).', 'destination', 'account_invalid');
        }
        const id = stripeId('tr');
        const transfer: StripeObject = {
          id,
          object: 'transfer',
          amount,
          amount_reversed: 0,
          balance_transaction: stripeId('txn'),
          created: unixNow(),
          currency: fields.currency,
          description: fields.description ?? null,
          destination,
          destination_payment: stripeId('py'),
          livemode: false,
          metadata: bracketMap(fields, 'metadata'),
          reversals: { object: 'list', data: [], has_more: false, total_count: 0, url: `/v1/transfers/${id}/reversals` },
          reversed: false,
          source_transaction: fields.source_transaction ?? null,
          source_type: 'card',
          transfer_group: fields.transfer_group ?? null,
        };
        transfers.set(id, transfer);
        return transfer;
      },
      () => new StripeError(400, { type: 'invalid_request_error', code: 'balance_insufficient', message: 'You have insufficient available funds in your Stripe account (simulated rejection).' }),
    ),
  );

  app.get(
    '/v1/transfers/:id',
    api((request) => {
      const id = (request.params as { id: string }).id;
      const transfer = transfers.get(id);
      if (!transfer) throw missing('transfer', id);
      return transfer;
    }),
  );

  app.get(
    '/v1/transfers',
    api((request) => {
      const query = request.query as { destination?: string; transfer_group?: string };
      const data = [...transfers.values()]
        .filter((t) => (!query.destination || t.destination === query.destination) && (!query.transfer_group || t.transfer_group === query.transfer_group))
        .reverse();
      return { id: 'list', object: 'list', data, has_more: false, url: '/v1/transfers' };
    }),
  );

  // ---- The customer's side and test controls (not part of Stripe's API) ----

  // Stripe's hosted page as the customer sees it: each line item's product name and description
  // (what we sent, never our ids), the amounts, in the session's `locale`; a link back to `cancel_url`.
  app.get('/checkout/:id', async (request, reply) => {
    const session = sessions.get((request.params as { id: string }).id);
    if (!session) return reply.code(404).type('text/html').send('<!doctype html><title>Not found</title><p>No such checkout session.</p>');
    return reply.type('text/html').send(checkoutPage(session));
  });

  // Sessions in the order they were opened, after the session `after` (a cursor): how a load
  // generator finds what to pay without polling the platform. Not part of Stripe's API.
  app.get('/_sim/checkout/sessions', async (request) => {
    const { after, limit } = request.query as { after?: string; limit?: string };
    const all = [...sessions.values()];
    const start = after ? all.findIndex((session) => session.id === after) + 1 : 0;
    const max = Math.min(Math.max(Number(limit) || 100, 1), 1000);
    return { data: all.slice(start, start + max).map(publicSession), has_more: start + max < all.length };
  });

  app.post('/_sim/checkout/sessions/:id/complete', async (request, reply) => {
    const session = sessions.get((request.params as { id: string }).id);
    if (!session) return sendError(reply, missing('checkout.session', (request.params as { id: string }).id));
    const outcome = formFields(request.body).outcome ?? 'paid';
    if (!['paid', 'failed', 'async'].includes(outcome)) return sendError(reply, invalid('outcome must be paid, failed or async', 'outcome'));
    const asyncPending = session.status === 'complete' && session.payment_status === 'unpaid';
    if (session.status !== 'open' && !asyncPending) return sendError(reply, invalid(`This Checkout Session is ${String(session.status)}.`));
    const intent = ensurePaymentIntent(session);
    let sent: ReturnType<typeof emit>;
    if (outcome === 'failed') {
      Object.assign(intent, {
        status: 'requires_payment_method',
        last_payment_error: { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' },
      });
      sent = emit(asyncPending ? 'checkout.session.async_payment_failed' : 'payment_intent.payment_failed', asyncPending ? publicSession(session) : intent);
    } else if (outcome === 'async' && !asyncPending) {
      Object.assign(intent, { status: 'processing' });
      Object.assign(session, { status: 'complete', url: null });
      sent = emit('checkout.session.completed', publicSession(session));
    } else {
      const charge: StripeObject = {
        id: stripeId('ch'),
        object: 'charge',
        amount: intent.amount,
        amount_captured: intent.amount,
        amount_refunded: 0,
        refunded: false,
        captured: true,
        paid: true,
        status: 'succeeded',
        currency: intent.currency,
        payment_intent: intent.id,
        metadata: intent.metadata,
        created: unixNow(),
      };
      charges.set(charge.id, charge);
      Object.assign(intent, { status: 'succeeded', amount_received: intent.amount, latest_charge: charge.id, payment_method: stripeId('pm') });
      Object.assign(session, { status: 'complete', payment_status: 'paid', url: null });
      sent = emit(asyncPending ? 'checkout.session.async_payment_succeeded' : 'checkout.session.completed', publicSession(session));
    }
    const delivery = await sent.delivered;
    if (request.headers['content-type']?.startsWith('application/x-www-form-urlencoded') && outcome !== 'failed' && session.success_url) {
      // As Stripe does: `{CHECKOUT_SESSION_ID}` in the success URL becomes the session's id.
      return reply.redirect(String(session.success_url).replaceAll('{CHECKOUT_SESSION_ID}', String(session.id)), 303);
    }
    return { session: publicSession(session), paymentIntent: intent, event: JSON.parse(sent.event.rawBody), delivery };
  });

  /**
   * Sends a stored event again, byte for byte, as the Dashboard's "Resend" does; re-signed now
   * unless `signature` gives the header to send. Accepted, it ends the event's automatic retries.
   */
  app.post('/_sim/webhooks/resend', async (request, reply) => {
    const body = (request.body ?? {}) as { eventId?: string; signature?: string };
    const event = body.eventId ? events.get(body.eventId) : undefined;
    if (!event) return sendError(reply, missing('event', String(body.eventId), 'eventId'));
    return deliver(event, null, body.signature);
  });

  app.get('/_sim/webhooks', async () => ({
    events: [...events.values()].map((e) => ({ id: e.id, type: e.type, event: JSON.parse(e.rawBody) })),
    deliveries,
  }));

  /** The automatic resends so far (sent, then accepted, given up) and the events still waiting for one. */
  app.get('/_sim/webhooks/retries', async () => ({ ...retried, pending: retries.size }));

  function ensurePaymentIntent(session: StripeObject): StripeObject {
    const existing = session.payment_intent ? paymentIntents.get(String(session.payment_intent)) : undefined;
    if (existing) return existing;
    const intent: StripeObject = {
      id: stripeId('pi'),
      object: 'payment_intent',
      amount: session.amount_total,
      amount_received: 0,
      currency: session.currency,
      status: 'requires_payment_method',
      capture_method: 'automatic_async',
      latest_charge: null,
      payment_method: null,
      last_payment_error: null,
      metadata: { ...(session.payment_intent_data_metadata as Record<string, string>) },
      created: unixNow(),
      livemode: false,
    };
    paymentIntents.set(intent.id, intent);
    session.payment_intent = intent.id;
    return intent;
  }
}

/** The session as Stripe shows it (without the simulator's bookkeeping). */
function publicSession(session: StripeObject): StripeObject {
  const { payment_intent_data_metadata: _kept, page_lines: _shown, ...visible } = session;
  return structuredClone(visible) as StripeObject;
}

/** A line item as the hosted page shows it. */
interface PageLine {
  name: string;
  description: string | null;
  quantity: number;
  unitAmount: number;
}

/** The `locale` values Stripe Checkout accepts (docs.stripe.com/api/checkout/sessions/create#create_checkout_session-locale). */
const CHECKOUT_LOCALES = new Set(
  'auto bg cs da de el en en-GB es es-419 et fi fil fr fr-CA hr hu id it ja ko lt lv ms mt nb nl pl pt pt-BR ro ru sk sl sv th tr vi zh zh-HK zh-TW'.split(' '),
);

/** The page's own words in the languages the platform's customers use; Stripe shows English for the rest. */
const PAGE_WORDS: Record<string, { pay: string; back: string; declined: string; total: string; closed: string }> = {
  en: { pay: 'Pay', back: 'Back', declined: 'Pay with a declined card', total: 'Total', closed: 'This session is closed.' },
  es: { pay: 'Pagar', back: 'Volver', declined: 'Pagar con una tarjeta rechazada', total: 'Total', closed: 'Esta sesión está cerrada.' },
  ro: { pay: 'Plătește', back: 'Înapoi', declined: 'Plătește cu un card refuzat', total: 'Total', closed: 'Această sesiune este închisă.' },
  ru: { pay: 'Оплатить', back: 'Назад', declined: 'Оплатить отклонённой картой', total: 'Итого', closed: 'Эта сессия закрыта.' },
};

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function checkoutPage(session: StripeObject): string {
  const requested = typeof session.locale === 'string' && session.locale !== 'auto' ? session.locale : 'en';
  const language = requested.split('-')[0]!;
  const words = PAGE_WORDS[language] ?? PAGE_WORDS.en!;
  const format = new Intl.NumberFormat(requested, { style: 'currency', currency: String(session.currency).toUpperCase() });
  // Amounts are in minor units; the currency's exponent (EUR 2, JPY 0) says where the point goes.
  const money = (minor: number) => format.format(minor / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
  const lines = ((session.page_lines ?? []) as PageLine[])
    .map(
      (line) =>
        `<li><strong>${escapeHtml(line.name)}</strong>${line.description ? `<br>${escapeHtml(line.description)}` : ''}<br>${line.quantity} × ${escapeHtml(money(line.unitAmount))}</li>`,
    )
    .join('');
  const total = escapeHtml(money(Number(session.amount_total)));
  const action = `/stripe/_sim/checkout/sessions/${String(session.id)}/complete`;
  const button = (outcome: string, label: string) =>
    `<form method="post" action="${action}"><input type="hidden" name="outcome" value="${outcome}"><button>${escapeHtml(label)}</button></form>`;
  const actions =
    session.status === 'open'
      ? `${button('paid', `${words.pay} ${money(Number(session.amount_total))}`)}${button('failed', words.declined)}${
          session.cancel_url ? `<p><a href="${escapeHtml(String(session.cancel_url))}">${escapeHtml(words.back)}</a></p>` : ''
        }`
      : `<p>${escapeHtml(words.closed)}</p>`;
  const title = escapeHtml(((session.page_lines ?? []) as PageLine[])[0]?.name ?? 'Checkout');
  return `<!doctype html><html lang="${escapeHtml(requested)}"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><ul>${lines}</ul><p>${escapeHtml(words.total)}: ${total}</p>${actions}</body></html>`;
}
