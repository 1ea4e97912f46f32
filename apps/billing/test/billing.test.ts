import { randomUUID } from 'node:crypto';
import { EventConsumer } from '@platform/runtime/consumer';
import { runInFlow } from '@platform/runtime/context';
import { isTransient } from '@platform/contracts/errors';
import { publishEnvelope } from '@platform/runtime/nats';
import { newEvent } from '@platform/runtime/outbox';
import { TimerWorker } from '@platform/runtime/timers';
import { cancellationSettled, type Envelope, itemsCancelled, orderCancelled, orderCreated, orderModified, orderPaidByChannel } from '@platform/contracts';
import type { Order } from '@platform/contracts/api/orders';
import got from 'got';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '@platform/test-support/eventually';
import { connectMessaging, type Messaging, quietLog, testMetrics } from '@platform/test-support/messaging';
import type { Transaction } from '../src/adapters/database';
import { markOverdue, OVERDUE_TIMER } from '../src/application/invoices';
import { numberAtCommit } from '../src/application/numbering';
import { afterEventsWritten } from '@platform/runtime/transaction-scope';
import { PAYOUT_TIMER, payoutRunTimer } from '../src/application/payouts';
import { orderSubscriptions } from '../src/consumers/orders';
import { billingOf, call, cancelled, created, type Harness, harness, type Json, outboxTypes, pay, postWebhook, sampleOrder, signed, snapshot } from './harness';

describe('billing: order created → checkout', () => {
  let messaging: Messaging | undefined;
  afterAll(async () => {
    await messaging?.nc.close();
  });

  it('opens a Stripe checkout session and a draft invoice from orders.order.created on NATS', async () => {
    const h = await harness();
    messaging = await connectMessaging();
    const consumer = new EventConsumer<Transaction>({
      name: `billing--orders-test-${randomUUID().slice(0, 8)}`,
      stream: 'ORDERS',
      filterSubject: orderCreated.type,
      subscriptions: orderSubscriptions(h.deps),
      db: h.db,
      js: messaging.js,
      jsm: messaging.jsm,
      log: quietLog,
      metrics: testMetrics,
    });
    await consumer.start();
    try {
      const order = sampleOrder();
      const event = created(order);
      await publishEnvelope(messaging.js, event);
      const billing = await eventually(() => billingOf(h, order.id), (b) => b.status === 200);

      expect(billing.payments).toHaveLength(1);
      expect(billing.payments[0]).toMatchObject({ status: 'requires_payment', amount: 3499, currency: 'EUR', kind: 'order' });
      const session = billing.payments[0].checkoutSessions[0];
      expect(session).toMatchObject({ status: 'open', amount: 3499, currency: 'EUR' });
      expect(session.url).toContain(`/stripe/checkout/${session.providerSessionId}`);
      expect(billing.invoices[0]).toMatchObject({ status: 'draft', number: null, total: 3499 });
      expect(billing.invoices[0].lines.map((l: Json) => [l.kind, l.amount])).toEqual([['item', 2500], ['item', 499], ['shipping', 500]]);
      expect(await outboxTypes(h.db, order.id)).toEqual(['billing.checkout.created']);

      // Stripe got the form-encoded request with our idempotency key and references.
      // This order's request: the simulator's log is shared with the file's other tests.
      const request = h.sim.controls.stripe.requests.find((r) => r.url.endsWith('/v1/checkout/sessions') && (r.body as Json)?.client_reference_id === order.id)!;
      expect(request.headers['idempotency-key']).toBe(billing.payments[0].id);
      expect(request.body).toMatchObject({ client_reference_id: order.id, 'metadata[order_id]': order.id, 'line_items[0][price_data][currency]': 'eur', 'line_items[0][price_data][unit_amount]': '3499' });

      // The same event again (a replay with a new envelope id): no second payment or session.
      await h.deliver({ ...event, id: randomUUID() });
      expect((await billingOf(h, order.id)).payments).toHaveLength(1);
      expect(await outboxTypes(h.db, order.id)).toEqual(['billing.checkout.created']);
    } finally {
      await consumer.stop();
    }
  });

  it("shows the customer's order by its number, in their language, on the payment page, and returns them to pages for people", async () => {
    const h = await harness();
    const order = sampleOrder({ customer: { id: 'cust-es', email: 'ana@example.es', name: 'Ana García', locale: 'es', timezone: 'Europe/Madrid' } });
    await h.deliver(created(order));
    const request = h.sim.controls.stripe.requests.find((r) => r.url.endsWith('/v1/checkout/sessions') && (r.body as Json)?.client_reference_id === order.id)!;
    expect(request.body).toMatchObject({
      'line_items[0][price_data][product_data][name]': `Pedido ${order.number}`,
      locale: 'es',
      success_url: `https://shop.example/pay/complete?order=${order.id}`,
      cancel_url: `https://shop.example/pay/cancelled?order=${order.id}`,
    });

    // The hosted page, as the customer's browser gets it: the order number and the amount in Spanish, no id of ours.
    const session = (await billingOf(h, order.id)).payments[0].checkoutSessions[0];
    const page = (await got(session.url)).body;
    expect(page).toContain('lang="es"');
    expect(page).toContain(`Pedido ${order.number}`);
    expect(page.replace(/\s/g, ' ')).toContain('34,99 €');
    // Only the link back to our page carries the order's id (the lead's URL); nothing the customer reads does.
    expect(page.replaceAll(/href="[^"]*"/g, '')).not.toContain(order.id.slice(0, 8));
    expect(page).toContain('href="https://shop.example/pay/cancelled?order=');
    expect(page).toContain('Volver');

    // Paying in the browser (the page's form) lands on the gateway's page for people, not on JSON.
    const action = /action="([^"]+)"/.exec(page)![1]!;
    const paid = await got.post(new URL(action, session.url).href, { form: { outcome: 'paid' }, followRedirect: false, throwHttpErrors: false });
    expect(paid.statusCode).toBe(303);
    expect(paid.headers.location).toBe(`https://shop.example/pay/complete?order=${order.id}`);
    await eventually(() => billingOf(h, order.id), (b) => b.payments[0].status === 'succeeded');
  });

  it('leaves nothing behind and reports a transient error while Stripe is down', async () => {
    const h = await harness();
    h.sim.controls.stripe.set({ mode: 'error', times: 1 });
    const order = sampleOrder();
    const failure = await h.deliver(created(order)).catch((error: unknown) => error);
    expect(isTransient(failure)).toBe(true);
    expect(await h.db.payment.count()).toBe(0);
    expect(await h.db.invoice.count()).toBe(0);
    // Redelivered once Stripe is back: processed normally.
    await h.deliver(created(order));
    expect(await h.db.payment.count()).toBe(1);
  });

  it('refuses a modification that comes before its order was billed, so it is retried after it (docs/ordering.md)', async () => {
    const h = await harness();
    // created failed on Stripe and waits for its retry; the modification comes first.
    h.sim.controls.stripe.set({ mode: 'error', times: 1 });
    const order = sampleOrder();
    await h.deliver(created(order)).catch(() => undefined);
    const dearer: Order = { ...order, version: 2, totals: { ...order.totals, shipping: 600, total: 3599 } };
    const modification = newEvent(orderModified, { aggregateId: order.id, source: 'orders', data: { order: dearer, previousTotal: 3499, changes: ['shipping'], actor: 'ops:key-1' } });
    await expect(h.deliver(modification)).rejects.toThrow(/not billed yet/);
    expect(await h.db.orderItem.count({ where: { orderId: order.id } })).toBe(0);
    // The retries, in that order: billed at the first total, then the modification redrafts it.
    await h.deliver(created(order));
    await h.deliver(modification);
    const invoice = await h.db.invoice.findFirstOrThrow({ where: { orderId: order.id } });
    expect(invoice).toMatchObject({ status: 'draft', total: 3599 });
  });

  it('refuses an order whose totals disagree with its lines before asking Stripe, writing nothing', async () => {
    const h = await harness();
    const order = sampleOrder({ totals: { subtotal: 2999, shipping: 500, tax: 0, discount: 0, total: 3000 } });
    const failure = await h.deliver(created(order)).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'ORDER_TOTALS_INCONSISTENT' });
    expect(h.sim.controls.stripe.requests.filter((r) => (r.body as Json)?.client_reference_id === order.id)).toEqual([]);
    expect(await h.db.payment.count({ where: { orderId: order.id } })).toBe(0);
    expect(await h.db.invoice.count({ where: { orderId: order.id } })).toBe(0);
    expect(await h.db.orderItem.count({ where: { orderId: order.id } })).toBe(0);
  });
});

describe('billing: an order paid on a sales channel (ORD-06)', () => {
  const paidOnTiktok = (order: Order) =>
    newEvent(orderPaidByChannel, {
      aggregateId: order.id,
      source: 'orders',
      data: {
        orderId: order.id,
        channel: 'tiktok_shop',
        externalOrderId: '576000000000000001',
        shopId: '7494000000000000001',
        amount: order.totals.total,
        currency: order.currency,
        paidAt: new Date().toISOString(),
        order,
        items: order.items.map((item) => ({ itemId: item.id, channelLineItemIds: [`li-${item.sku}`], salePrice: item.unitPrice, originalPrice: item.unitPrice })),
      },
    });

  const cancelledBy = (order: Order, actor: string, reason: string) =>
    newEvent(orderCancelled, { aggregateId: order.id, source: 'orders', data: { orderId: order.id, reason, actor, previousStatus: 'confirmed', cancelledAt: new Date().toISOString() } });
  /** As orders records TikTok's own cancel (apps/orders/src/application/channel-orders.ts): TikTok has refunded its buyer. */
  const cancelledOnTiktok = (order: Order) => cancelledBy(order, 'channel:tiktok_shop', 'Cancelled on TikTok Shop: Buyer changed their mind');

  it('records the channel’s payment, succeeded, with no checkout; its created event finds it billed; a cancel on the channel is refunded by the channel', async () => {
    const h = await harness();
    const order = sampleOrder();
    await h.deliver(paidOnTiktok(order));
    await h.deliver(created(order));
    await h.deliver(paidOnTiktok(order));

    const billing = await billingOf(h, order.id);
    expect(billing.payments).toMatchObject([{ provider: 'tiktok_shop', status: 'succeeded', amountReceived: 3499, providerPaymentId: 'tiktok_shop:576000000000000001', checkoutSessions: [] }]);
    expect(billing.invoices).toMatchObject([{ status: 'paid' }]);
    expect(await outboxTypes(h.db, order.id)).toContain('billing.payment.succeeded');
    expect(await outboxTypes(h.db, order.id)).not.toContain('billing.checkout.created');
    expect(h.sim.controls.stripe.requests).toEqual([]);

    await h.deliver(cancelledOnTiktok(order));
    const refunded = await billingOf(h, order.id);
    expect(refunded.refunds).toMatchObject([{ status: 'succeeded', amount: 3499, providerRefundId: expect.stringMatching(/^tiktok_shop:/), failureReason: null, pendingReason: null }]);
    expect(refunded.payments[0]).toMatchObject({ amountRefunded: 3499 });
    expect((await outboxTypes(h.db, order.id)).filter((t) => t === 'billing.refund.succeeded')).toHaveLength(1);
    // The channel pays the buyer back: Stripe is never asked.
    expect(h.sim.controls.stripe.requests).toEqual([]);
  });

  it('a cancel started on our side (ops) is not reported refunded: pending, refund_on_channel_required, no refund.succeeded; a redelivery changes nothing', async () => {
    const h = await harness();
    const order = sampleOrder();
    await h.deliver(paidOnTiktok(order));
    await h.deliver(created(order));
    const event = cancelledBy(order, 'ops:key-1', 'Out of stock everywhere');
    await h.deliver(event);

    const billing = await billingOf(h, order.id);
    // Visible to ops, promised back (the money is not held any more), but nobody has paid the buyer back.
    expect(billing.refunds).toMatchObject([{ status: 'pending', amount: 3499, providerRefundId: null, failureReason: null, pendingReason: 'refund_on_channel_required', succeededAt: null }]);
    expect(billing.payments[0]).toMatchObject({ status: 'succeeded', amountReceived: 3499, amountRefunded: 0 });
    expect(billing.invoices[0]).toMatchObject({ status: 'void', amountRefunded: 0, adjustments: [] });
    const types = await outboxTypes(h.db, order.id);
    expect(types).not.toContain('billing.refund.succeeded');
    expect(types).not.toContain('billing.refund.failed');
    expect(h.sim.controls.stripe.requests).toEqual([]);

    // Redelivered, and republished under a new envelope id: nothing changes.
    const before = await snapshot(h.db);
    await h.deliver(event);
    await h.deliver({ ...event, id: randomUUID() });
    expect(await snapshot(h.db)).toEqual(before);
  });

  it('ops record a refund made on the channel: confirmed as any refund, with who said so, once', async () => {
    const h = await harness();
    const order = sampleOrder();
    await h.deliver(paidOnTiktok(order));
    await h.deliver(created(order));
    await h.deliver(cancelledBy(order, 'ops:key-1', 'Out of stock everywhere'));
    const [waiting] = (await billingOf(h, order.id)).refunds;
    const ops = { 'x-actor': 'ops:key-9', 'x-actor-role': 'ops' };

    const made = await call(h, 'POST', `/refunds/${waiting.id}/made-on-channel`, undefined, ops);
    expect(made).toMatchObject({ status: 'succeeded', id: waiting.id, pendingReason: null, confirmedBy: 'ops:key-9', providerRefundId: `tiktok_shop:${waiting.id}` });
    const billing = await billingOf(h, order.id);
    expect(billing.payments[0]).toMatchObject({ amountRefunded: 3499 });
    expect(billing.creditNotes).toMatchObject([{ refundId: waiting.id, amount: 3499, number: `CN-${new Date().getUTCFullYear()}-000001` }]);
    expect((await outboxTypes(h.db, order.id)).filter((t) => t === 'billing.refund.succeeded')).toHaveLength(1);

    // Again, or a refund that does not exist: refused, nothing changes; Stripe is never asked.
    const before = await snapshot(h.db);
    expect(await call(h, 'POST', `/refunds/${waiting.id}/made-on-channel`, undefined, ops)).toMatchObject({ status: 409, code: 'REFUND_NOT_WAITING_FOR_CHANNEL' });
    expect(await call(h, 'POST', `/refunds/${randomUUID()}/made-on-channel`, undefined, ops)).toMatchObject({ status: 404, code: 'REFUND_NOT_FOUND' });
    expect(await snapshot(h.db)).toEqual(before);
    expect(h.sim.controls.stripe.requests).toEqual([]);
  });

  it('refunds of a lower total or items cancelled on our side wait for the channel; a later cancel on the channel makes them and the rest', async () => {
    const h = await harness();
    const order = sampleOrder();
    await h.deliver(paidOnTiktok(order));
    await h.deliver(created(order));
    // Ops lowered the shipping by 100 (a modification, ours).
    const cheaper: Order = { ...order, version: 2, totals: { ...order.totals, shipping: 400, total: 3399 } };
    await h.deliver(newEvent(orderModified, { aggregateId: order.id, source: 'orders', data: { order: cheaper, previousTotal: 3499, changes: ['shipping'], actor: 'ops:key-1' } }));
    // Fulfillment cannot ship SKU-B: 499 to give back, which only TikTok can do.
    await h.deliver(
      newEvent(itemsCancelled, {
        aggregateId: order.id,
        source: 'fulfillment',
        data: { orderId: order.id, cancellationId: randomUUID(), reason: 'CJ refused the order', cause: 'supplier_refused', source: 'cj', items: [{ sku: 'SKU-B', variantId: 'v-b', vendorId: 'v1', quantity: 1 }], at: new Date().toISOString() },
      }),
    );
    let billing = await billingOf(h, order.id);
    expect(billing.refunds.map((r: Json) => [r.amount, r.status, r.pendingReason])).toEqual([
      [100, 'pending', 'refund_on_channel_required'],
      [499, 'pending', 'refund_on_channel_required'],
    ]);
    expect(billing.payments[0]).toMatchObject({ amountRefunded: 0 });
    expect(await outboxTypes(h.db, order.id)).not.toContain('billing.refund.succeeded');

    // TikTok cancels and refunds its buyer everything: the waiting refunds are made by it, and the rest.
    await h.deliver(cancelledOnTiktok(order));
    billing = await billingOf(h, order.id);
    expect(billing.refunds.map((r: Json) => [r.amount, r.status, r.pendingReason])).toEqual([
      [100, 'succeeded', null],
      [499, 'succeeded', null],
      [2900, 'succeeded', null],
    ]);
    expect(billing.payments[0]).toMatchObject({ amountRefunded: 3499 });
    expect((await outboxTypes(h.db, order.id)).filter((t) => t === 'billing.refund.succeeded')).toHaveLength(3);
    const before = await snapshot(h.db);
    await h.deliver(cancelledOnTiktok(order));
    expect(await snapshot(h.db)).toEqual(before);
    expect(h.sim.controls.stripe.requests).toEqual([]);
  });

  it('after_supplier_cancel: the hold keeps who cancelled; released, a channel cancel is refunded by the channel and ours waits for it', async () => {
    const h = await harness('after_supplier_cancel');
    const settled = (order: Order) =>
      newEvent(cancellationSettled, { aggregateId: order.id, source: 'fulfillment', data: { orderId: order.id, outcome: 'cancelled_at_supplier', at: new Date().toISOString() } });
    const onTiktok = sampleOrder();
    const ours = sampleOrder();
    for (const order of [onTiktok, ours]) {
      await h.deliver(paidOnTiktok(order));
      await h.deliver(created(order));
    }
    await h.deliver(cancelledOnTiktok(onTiktok));
    await h.deliver(cancelledBy(ours, 'ops:key-1', 'Fraud suspected'));
    expect((await billingOf(h, onTiktok.id)).refunds).toEqual([]);
    expect((await billingOf(h, ours.id)).refunds).toEqual([]);

    await h.deliver(settled(onTiktok));
    await h.deliver(settled(ours));
    expect((await billingOf(h, onTiktok.id)).refunds).toMatchObject([{ status: 'succeeded', amount: 3499 }]);
    expect((await billingOf(h, ours.id)).refunds).toMatchObject([{ status: 'pending', amount: 3499, pendingReason: 'refund_on_channel_required' }]);
    expect(await outboxTypes(h.db, ours.id)).not.toContain('billing.refund.succeeded');
    const before = await snapshot(h.db);
    await h.deliver(settled(ours));
    await h.deliver(cancelledBy(ours, 'ops:key-1', 'Fraud suspected'));
    expect(await snapshot(h.db)).toEqual(before);
  });
});

describe('billing: Stripe webhook', () => {
  it('records the payment, issues INV-000001 and marks it paid; the events are in the outbox', async () => {
    const h = await harness();
    const order = sampleOrder();
    await h.deliver(created(order));
    const result = await pay(h, order.id);
    expect(result.delivery.status).toBe(200);

    const billing = await billingOf(h, order.id);
    expect(billing.payments[0]).toMatchObject({ status: 'succeeded', amountReceived: 3499, providerPaymentId: result.paymentIntent.id });
    expect(billing.payments[0].checkoutSessions[0].status).toBe('complete');
    expect(billing.invoices[0]).toMatchObject({ number: 'INV-000001', status: 'paid', total: 3499, amountPaid: 3499 });
    expect(billing.invoices[0].dueAt).not.toBeNull();
    expect(await outboxTypes(h.db, order.id)).toEqual([
      'billing.checkout.created',
      'billing.payment.succeeded',
      'billing.invoice.issued',
      'billing.invoice.status_changed',
    ]);
    const invoice = await got(`${h.url}/invoices/${billing.invoices[0].id}`).json<Json>();
    expect(invoice.number).toBe('INV-000001');
    const list = await got(`${h.url}/invoices?orderId=${order.id}&status=paid`).json<Json>();
    expect(list.items.map((i: Json) => i.id)).toEqual([invoice.id]);
    expect((await got(`${h.url}/invoices?status=void`).json<Json>()).items).toEqual([]);
  });

  it("continues the order's journey: the events it records carry the correlation id of the flow that opened the payment", async () => {
    const h = await harness();
    const order = sampleOrder();
    const event = { ...created(order), correlationId: `journey-${order.id}` };
    // As the consumer runner delivers it: in the event's flow.
    await runInFlow({ correlationId: event.correlationId, causationId: event.id }, () => h.deliver(event));
    // Stripe's webhook arrives with no id of ours; the one its request gets is not the journey's.
    expect((await pay(h, order.id)).delivery.status).toBe(200);
    const rows = await h.db.outboxEvent.findMany({ where: { aggregateId: order.id }, orderBy: { seq: 'asc' } });
    expect(rows.map((row) => [row.type, (row.envelope as unknown as Envelope).correlationId])).toEqual([
      ['billing.checkout.created', event.correlationId],
      ['billing.payment.succeeded', event.correlationId],
      ['billing.invoice.issued', event.correlationId],
      ['billing.invoice.status_changed', event.correlationId],
    ]);
  });

  it('answers a replayed event as a duplicate and changes nothing', async () => {
    const h = await harness();
    const order = sampleOrder();
    await h.deliver(created(order));
    const result = await pay(h, order.id);
    const before = await snapshot(h.db);
    const resend = await got.post(`${h.sim.baseUrl('stripe')}/_sim/webhooks/resend`, { json: { eventId: result.event.id } }).json<Json>();
    expect(resend.status).toBe(200);
    const direct = await postWebhook(h, JSON.stringify(result.event), signed(JSON.stringify(result.event)));
    expect(direct).toEqual({ status: 200, body: { received: true, duplicate: true } });
    expect(await snapshot(h.db)).toEqual(before);
  });

  it('refuses a bad or expired signature, a malformed body and an unknown session, changing nothing', async () => {
    const h = await harness();
    const order = sampleOrder();
    await h.deliver(created(order));
    const session = await h.db.checkoutSession.findFirstOrThrow({ where: { orderId: order.id } });
    const event = {
      id: 'evt_test_forged',
      object: 'event',
      api_version: '2025-08-27.basil',
      created: Math.floor(Date.now() / 1000),
      type: 'checkout.session.completed',
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object: { id: session.providerSessionId, object: 'checkout.session', status: 'complete', payment_status: 'paid', amount_total: 3499, currency: 'eur', payment_intent: 'pi_forged' } },
    };
    const body = JSON.stringify(event);
    const before = await snapshot(h.db);

    const wrongSecret = await postWebhook(h, body, signed(body, undefined, 'whsec_attacker'));
    expect(wrongSecret.status).toBe(400);
    expect(wrongSecret.body).toMatchObject({ code: 'INVALID_SIGNATURE', status: 400 });
    const tampered = await postWebhook(h, body.replace('3499', '1'), signed(body));
    expect(tampered.body.code).toBe('INVALID_SIGNATURE');
    const missing = await postWebhook(h, body, { 'content-type': 'application/json' });
    expect(missing.body.code).toBe('INVALID_SIGNATURE');
    const old = await postWebhook(h, body, signed(body, Math.floor(Date.now() / 1000) - 301));
    expect(old).toMatchObject({ status: 400, body: { code: 'SIGNATURE_EXPIRED' } });
    const notJson = await postWebhook(h, 'not json', signed('not json'));
    expect(notJson).toMatchObject({ status: 400, body: { code: 'MALFORMED_JSON' } });
    const unknownBody = JSON.stringify({ ...event, id: 'evt_test_unknown', data: { object: { ...event.data.object, id: 'cs_test_unknown' } } });
    const unknown = await postWebhook(h, unknownBody, signed(unknownBody));
    expect(unknown).toMatchObject({ status: 404, body: { code: 'PAYMENT_NOT_FOUND' } });
    expect(await snapshot(h.db)).toEqual(before);

    // The genuine signature of the very same body is accepted.
    expect((await postWebhook(h, body, signed(body))).status).toBe(200);
  });

  it('flags a payment whose amount differs from what was asked, without confirming it', async () => {
    const h = await harness();
    const order = sampleOrder();
    await h.deliver(created(order));
    const session = await h.db.checkoutSession.findFirstOrThrow({ where: { orderId: order.id } });
    const body = JSON.stringify({
      id: 'evt_test_short',
      object: 'event',
      type: 'checkout.session.completed',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: session.providerSessionId, object: 'checkout.session', payment_status: 'paid', amount_total: 100, currency: 'eur', payment_intent: 'pi_short' } },
    });
    expect((await postWebhook(h, body, signed(body))).status).toBe(200);
    const billing = await billingOf(h, order.id);
    expect(billing.payments[0]).toMatchObject({ status: 'flagged', failureReason: expect.stringMatching(/100 eur, expected 3499 eur/) });
    expect(billing.invoices[0].status).toBe('draft');
    expect(await outboxTypes(h.db, order.id)).toEqual(['billing.checkout.created']);
  });

  it('fails the payment visibly when Stripe refuses to open the session', async () => {
    const h = await harness();
    h.sim.controls.stripe.set({ mode: 'reject', times: 1 });
    const order = sampleOrder();
    await h.deliver(created(order));
    const billing = await billingOf(h, order.id);
    expect(billing.payments[0]).toMatchObject({ status: 'failed', failureReason: expect.stringMatching(/card_declined/) });
    expect(await outboxTypes(h.db, order.id)).toEqual(['billing.payment.failed']);
  });

  it('records a declined card as billing.payment.failed', async () => {
    const h = await harness();
    const order = sampleOrder();
    await h.deliver(created(order));
    await pay(h, order.id, 'failed');
    const billing = await billingOf(h, order.id);
    expect(billing.payments[0]).toMatchObject({ status: 'failed', failureReason: 'Your card was declined.' });
    expect(await outboxTypes(h.db, order.id)).toEqual(['billing.checkout.created', 'billing.payment.failed']);
  });
});

describe('billing: gap-free invoice numbers', () => {
  it('gives orders paid at the same time consecutive numbers, the same in the invoice and in its events', async () => {
    const h = await harness();
    const orders = Array.from({ length: 8 }, () => sampleOrder());
    for (const order of orders) await h.deliver(created(order));
    await Promise.all(orders.map((order) => pay(h, order.id)));
    const invoices = await h.db.invoice.findMany();
    expect(invoices.map((i) => i.status)).toEqual(orders.map(() => 'paid'));
    expect(invoices.map((i) => i.number).sort()).toEqual(orders.map((_, n) => `INV-00000${n + 1}`));
    // The events were recorded before the number was taken: they carry it all the same.
    const events = await h.db.outboxEvent.findMany({ where: { type: { in: ['billing.invoice.issued', 'billing.invoice.status_changed'] } } });
    expect(events).toHaveLength(16);
    const numberOf = new Map(invoices.map((i) => [i.id, i.number]));
    for (const event of events) {
      const data = (event.envelope as Json).data;
      expect(data.number).toBe(numberOf.get(data.invoiceId));
    }
  });

  it("takes the number in the commit: the counter is not locked while the issuing transaction is still open, and its number follows the commit order", async () => {
    const h = await harness();
    const [first, second, third] = [sampleOrder(), sampleOrder(), sampleOrder()];
    for (const order of [first, second, third]) await h.deliver(created(order));
    await pay(h, first.id);
    const draft = await h.db.invoice.findFirstOrThrow({ where: { orderId: second.id } });
    await h.db.$transaction(async (tx) => {
      numberAtCommit(tx, { kind: 'invoice', table: 'invoices', id: draft.id, issuedAt: new Date() });
      afterEventsWritten(tx, async () => {
        // Its number asked for, before its commit: another transaction takes the counter's row
        // at once (NOWAIT fails while a lock is held) and issues the next number.
        const [counter] = await h.db.$queryRaw<Array<{ lastValue: number }>>`
          SELECT last_value AS "lastValue" FROM number_sequences WHERE name = 'invoice' FOR UPDATE NOWAIT`;
        expect(counter!.lastValue).toBe(1);
        await pay(h, third.id);
        expect((await tx.invoice.findUniqueOrThrow({ where: { id: draft.id } })).number).toBeNull();
      });
    }, { timeout: 60_000 }); // it pays another order meanwhile: more than the 5 s a transaction gets by default
    expect((await h.db.invoice.findFirstOrThrow({ where: { orderId: third.id } })).number).toBe('INV-000002');
    expect(await h.db.invoice.findUniqueOrThrow({ where: { id: draft.id } })).toMatchObject({ number: 'INV-000003', numbering: null });
  });

  it('gives a number back when the transaction that took it rolls back, and never truncates past six digits', async () => {
    const h = await harness();
    const [first, second] = [sampleOrder(), sampleOrder()];
    for (const order of [first, second]) await h.deliver(created(order));
    const draft = await h.db.invoice.findFirstOrThrow({ where: { orderId: first.id } });
    await expect(
      h.db.$transaction(async (tx) => {
        numberAtCommit(tx, { kind: 'invoice', table: 'invoices', id: draft.id, issuedAt: new Date() });
        // The number is taken (its trigger run now rather than in the commit), then the transaction
        // fails: the rollback gives it back.
        afterEventsWritten(tx, async () => {
          await tx.$executeRaw`SET CONSTRAINTS ALL IMMEDIATE`;
          expect((await tx.invoice.findUniqueOrThrow({ where: { id: draft.id } })).number).toBe('INV-000001');
          throw new Error('issue failed after numbering');
        });
      }),
    ).rejects.toThrow('issue failed');
    await pay(h, first.id);
    expect((await h.db.invoice.findFirstOrThrow({ where: { orderId: first.id } })).number).toBe('INV-000001');
    await h.db.numberSequence.update({ where: { name: 'invoice' }, data: { lastValue: 999_999 } });
    await pay(h, second.id);
    expect((await h.db.invoice.findFirstOrThrow({ where: { orderId: second.id } })).number).toBe('INV-1000000');
  });
});

describe('billing: the refund of a cancel waits for the supplier side, per REFUND_ON_UNCONFIRMED_SUPPLIER_CANCEL', () => {
  const settled = (order: Order, outcome: 'nothing_at_supplier' | 'cancelled_at_supplier' | 'shipped_anyway' = 'cancelled_at_supplier') =>
    newEvent(cancellationSettled, { aggregateId: order.id, source: 'fulfillment', data: { orderId: order.id, outcome, at: new Date().toISOString() } });
  const refundRequests = (h: Harness) => h.sim.controls.stripe.requests.filter((r) => r.url.endsWith('/v1/refunds'));

  it('after_supplier_cancel: a paid order cancelled keeps its money (held, visible) until fulfillment settles the supplier side, then refunds once', async () => {
    const h = await harness('after_supplier_cancel');
    const order = sampleOrder();
    await h.deliver(created(order));
    await pay(h, order.id);
    await h.deliver(cancelled(order));
    const held = await billingOf(h, order.id);
    expect(held.refunds).toEqual([]);
    expect(held.refundHold).toMatchObject({ reason: 'customer changed mind', supplierOutcome: null, releasedAt: null });
    expect(held.invoices[0]).toMatchObject({ status: 'paid' });
    expect(refundRequests(h)).toHaveLength(0);

    // Ops recorded the AliExpress order as cancelled: fulfillment settles, billing refunds.
    await h.deliver(settled(order));
    const released = await billingOf(h, order.id);
    expect(released.refunds).toMatchObject([{ status: 'succeeded', amount: 3499 }]);
    expect(released.refundHold).toMatchObject({ supplierOutcome: 'cancelled_at_supplier' });
    expect(released.refundHold.releasedAt).not.toBeNull();
    expect(released.invoices[0]).toMatchObject({ status: 'void', amountRefunded: 3499 });
    // Redelivered or repeated: nothing more.
    await h.deliver(settled(order));
    await h.deliver({ ...cancelled(order), id: randomUUID() });
    expect(refundRequests(h)).toHaveLength(1);
    expect((await outboxTypes(h.db, order.id)).filter((t) => t === 'billing.refund.succeeded')).toHaveLength(1);
  });

  it('after_supplier_cancel: a settlement that arrives before the cancel (another stream) lets the cancel refund at once; an unpaid order is not held', async () => {
    const h = await harness('after_supplier_cancel');
    const order = sampleOrder();
    await h.deliver(created(order));
    await pay(h, order.id);
    await h.deliver(settled(order, 'nothing_at_supplier'));
    expect((await billingOf(h, order.id)).refunds).toEqual([]);
    await h.deliver(cancelled(order));
    expect((await billingOf(h, order.id)).refunds).toMatchObject([{ status: 'succeeded', amount: 3499 }]);

    const unpaid = sampleOrder();
    await h.deliver(created(unpaid));
    await h.deliver(cancelled(unpaid));
    const billing = await billingOf(h, unpaid.id);
    expect(billing.refundHold).toBeNull();
    expect(billing.invoices[0]).toMatchObject({ status: 'void' });
  });

  it('immediately: the cancel refunds at once; the later settlement changes nothing', async () => {
    const h = await harness('immediately');
    const order = sampleOrder();
    await h.deliver(created(order));
    await pay(h, order.id);
    await h.deliver(cancelled(order));
    expect((await billingOf(h, order.id)).refunds).toMatchObject([{ status: 'succeeded', amount: 3499 }]);
    await h.deliver(settled(order, 'shipped_anyway'));
    expect(refundRequests(h)).toHaveLength(1);
    expect((await billingOf(h, order.id)).refundHold).toMatchObject({ heldAt: null, supplierOutcome: 'shipped_anyway' });
  });
});

describe('billing: cancellation and modification', () => {
  it('refunds a paid order once, voids the invoice with a credit line, whichever of API answer and webhook comes first', async () => {
    const h = await harness();
    const order = sampleOrder();
    await h.deliver(created(order));
    await pay(h, order.id);
    const event = cancelled(order);
    await h.deliver(event);
    // Stripe's charge.refunded webhook comes after its API answer: it must change nothing more.
    const hooks = await eventually(
      () => got(`${h.sim.baseUrl('stripe')}/_sim/webhooks`).json<Json>(),
      (w) => w.deliveries.some((d: Json) => d.type === 'charge.refunded'),
    );
    expect(hooks.deliveries.find((d: Json) => d.type === 'charge.refunded').status).toBe(200);
    await h.deliver({ ...event, id: randomUUID() });

    const billing = await billingOf(h, order.id);
    expect(billing.refunds).toHaveLength(1);
    expect(billing.refunds[0]).toMatchObject({ status: 'succeeded', amount: 3499, currency: 'EUR' });
    expect(billing.refunds[0].providerRefundId).toMatch(/^re_/);
    expect(billing.payments[0]).toMatchObject({ status: 'succeeded', amountRefunded: 3499 });
    expect(billing.invoices[0]).toMatchObject({ number: 'INV-000001', status: 'void', total: 0, amountRefunded: 3499 });
    expect(billing.invoices[0].adjustments).toMatchObject([{ kind: 'credit', amount: -3499, refundId: billing.refunds[0].id }]);
    const types = await outboxTypes(h.db, order.id);
    expect(types.filter((t) => t === 'billing.refund.succeeded')).toHaveLength(1);
    expect(types.slice(-2)).toEqual(['billing.refund.succeeded', 'billing.invoice.status_changed']);
    expect(h.sim.controls.stripe.requests.filter((r) => r.url.endsWith('/v1/refunds'))).toHaveLength(1);
  });

  it('refunds on cancel only what a refund still on its way does not already give back', async () => {
    const h = await harness();
    const order = sampleOrder();
    await h.deliver(created(order));
    await pay(h, order.id);
    const payment = await h.db.payment.findFirstOrThrow({ where: { orderId: order.id } });
    const invoice = await h.db.invoice.findFirstOrThrow({ where: { orderId: order.id } });
    await h.db.refund.create({
      data: { id: randomUUID(), orderId: order.id, paymentId: payment.id, invoiceId: invoice.id, providerRefundId: 're_items', amount: 1000, currency: 'EUR', reason: 'Items not supplied', status: 'pending', createdAt: new Date(), updatedAt: new Date() },
    });
    const before = h.sim.controls.stripe.requests.filter((r) => r.url.endsWith('/v1/refunds')).length;
    await h.deliver(cancelled(order));
    const asked = h.sim.controls.stripe.requests.filter((r) => r.url.endsWith('/v1/refunds')).slice(before);
    expect(asked).toHaveLength(1);
    expect(String((asked[0]!.body as Record<string, unknown>).amount)).toBe('2499');
  });

  it('confirms a pending refund from charge.refunded when that comes first', async () => {
    const h = await harness();
    const order = sampleOrder();
    await h.deliver(created(order));
    const paid = await pay(h, order.id);
    const payment = await h.db.payment.findFirstOrThrow({ where: { orderId: order.id } });
    await h.db.refund.create({
      data: { id: randomUUID(), orderId: order.id, paymentId: payment.id, invoiceId: (await h.db.invoice.findFirstOrThrow({ where: { orderId: order.id } })).id, providerRefundId: 're_pending', amount: 3499, currency: 'EUR', reason: 'Order cancelled', status: 'pending', createdAt: new Date(), updatedAt: new Date() },
    });
    const hook = (id: string) =>
      JSON.stringify({ id, object: 'event', type: 'charge.refunded', created: Math.floor(Date.now() / 1000), data: { object: { id: 'ch_1', object: 'charge', amount: 3499, amount_refunded: 3499, refunded: true, payment_intent: paid.paymentIntent.id }, previous_attributes: { amount_refunded: 0, refunded: false } } });
    expect((await postWebhook(h, hook('evt_refund_1'), signed(hook('evt_refund_1')))).status).toBe(200);
    expect((await postWebhook(h, hook('evt_refund_2'), signed(hook('evt_refund_2')))).status).toBe(200);
    const billing = await billingOf(h, order.id);
    expect(billing.refunds[0].status).toBe('succeeded');
    expect(billing.invoices[0].status).toBe('void');
    expect((await outboxTypes(h.db, order.id)).filter((t) => t === 'billing.refund.succeeded')).toHaveLength(1);
  });

  it('expires the session and voids the draft when an unpaid order is cancelled (no payment.failed)', async () => {
    const h = await harness();
    const order = sampleOrder();
    await h.deliver(created(order));
    await h.deliver(cancelled(order));
    const hooks = await eventually(
      () => got(`${h.sim.baseUrl('stripe')}/_sim/webhooks`).json<Json>(),
      (w) => w.deliveries.some((d: Json) => d.type === 'checkout.session.expired'),
    );
    expect(hooks.deliveries[0].status).toBe(200);
    const billing = await billingOf(h, order.id);
    expect(billing.payments[0].status).toBe('cancelled');
    expect(billing.payments[0].checkoutSessions[0].status).toBe('expired');
    expect(billing.invoices[0]).toMatchObject({ status: 'void', number: null });
    expect(await outboxTypes(h.db, order.id)).toEqual(['billing.checkout.created', 'billing.invoice.status_changed']);
  });

  it('reopens checkout for the new total while unpaid, and asks for the difference after payment (partially paid, then overdue)', async () => {
    const h = await harness();
    const order = sampleOrder();
    await h.deliver(created(order));
    const bigger = (base: Order, version: number, extra: number): Order => ({
      ...base,
      version,
      items: [...base.items.slice(0, 1), { ...base.items[1]!, quantity: base.items[1]!.quantity + extra, lineTotal: 499 * (base.items[1]!.quantity + extra) }],
      totals: { ...base.totals, subtotal: base.totals.subtotal + 499 * extra, total: base.totals.total + 499 * extra },
    });
    const modified = (next: Order, previousTotal: number) =>
      newEvent(orderModified, { aggregateId: next.id, source: 'orders', data: { order: next, previousTotal, changes: ['quantity of SKU-B'], actor: 'customer:cust-1' } });

    const v2 = bigger(order, 2, 1);
    await h.deliver(modified(v2, order.totals.total));
    let billing = await billingOf(h, order.id);
    expect(billing.payments.map((p: Json) => [p.status, p.amount])).toEqual([['cancelled', 3499], ['requires_payment', 3998]]);
    expect(billing.payments[0].checkoutSessions[0].status).toBe('expired');
    expect(billing.invoices[0]).toMatchObject({ status: 'draft', total: 3998 });

    await pay(h, order.id);
    const v3 = bigger(v2, 3, 1);
    await h.deliver(modified(v3, v2.totals.total));
    billing = await billingOf(h, order.id);
    expect(billing.payments.at(-1)).toMatchObject({ kind: 'top_up', status: 'requires_payment', amount: 499 });
    expect(billing.invoices[0]).toMatchObject({ status: 'partially_paid', total: 4497, amountPaid: 3998 });
    expect(billing.invoices[0].adjustments).toMatchObject([{ kind: 'debit', amount: 499 }]);
    const timer = await h.db.timer.findUniqueOrThrow({ where: { kind_key: { kind: OVERDUE_TIMER, key: billing.invoices[0].id } } });
    expect(timer.fireAt.toISOString()).toBe(billing.invoices[0].dueAt);

    // The due date passes (clock moved, no sleeping): the durable timer marks it overdue.
    h.clock.advance(15 * 24 * 60 * 60 * 1000);
    const worker = new TimerWorker<Transaction>({ db: h.db, clock: h.clock, log: quietLog, handlers: { [OVERDUE_TIMER]: (t, tx, now) => markOverdue(tx, t.key, now) } });
    worker.start();
    try {
      await eventually(() => billingOf(h, order.id), (b) => b.invoices[0].status === 'overdue');
    } finally {
      await worker.stop();
    }
    expect((await outboxTypes(h.db, order.id)).at(-1)).toBe('billing.invoice.status_changed');

    // The customer pays the difference: the invoice is paid again and the timer is gone. Billing's
    // clock is 15 days ahead now, so Stripe's signature (real time) is stale to it; re-signed at its time.
    const topUp = await pay(h, order.id);
    expect(topUp.delivery.status).toBe(400);
    const body = JSON.stringify(topUp.event);
    expect((await postWebhook(h, body, signed(body, Math.floor(h.clock.now().getTime() / 1000)))).status).toBe(200);
    billing = await billingOf(h, order.id);
    expect(billing.payments.at(-1).status).toBe('succeeded');
    expect(billing.invoices[0]).toMatchObject({ status: 'paid', number: 'INV-000001', amountPaid: 4497, total: 4497 });
    expect(await h.db.timer.count({ where: { kind: OVERDUE_TIMER, firedAt: null } })).toBe(0);
  });

  it('replaces an unpaid top-up when the order changes again: back to the paid total means no refund and nothing owed', async () => {
    const h = await harness();
    const order = sampleOrder();
    await h.deliver(created(order));
    await pay(h, order.id);
    const modified = (next: Order, previousTotal: number) =>
      newEvent(orderModified, { aggregateId: next.id, source: 'orders', data: { order: next, previousTotal, changes: ['quantity of SKU-B'], actor: 'customer:cust-1' } });
    const dearer: Order = { ...order, version: 2, totals: { ...order.totals, total: order.totals.total + 499 } };
    await h.deliver(modified(dearer, order.totals.total));
    expect((await billingOf(h, order.id)).invoices[0]).toMatchObject({ status: 'partially_paid', total: order.totals.total + 499 });

    const back: Order = { ...order, version: 3 };
    await h.deliver(modified(back, dearer.totals.total));
    const billing = await billingOf(h, order.id);
    expect(billing.refunds).toEqual([]);
    expect(billing.payments.map((p: Json) => [p.kind, p.status])).toEqual([['order', 'succeeded'], ['top_up', 'cancelled']]);
    expect(billing.payments[1].checkoutSessions[0].status).toBe('expired');
    expect(billing.invoices[0]).toMatchObject({ status: 'paid', total: order.totals.total, amountPaid: order.totals.total, amountRefunded: 0 });
    expect(billing.invoices[0].adjustments.map((a: Json) => a.amount)).toEqual([499, -499]);
  });

  it('refunds the difference when a paid order gets cheaper, keeping the invoice paid with a credit line', async () => {
    const h = await harness();
    const order = sampleOrder();
    await h.deliver(created(order));
    await pay(h, order.id);
    const cheaper: Order = { ...order, version: 2, items: order.items.slice(0, 1), totals: { ...order.totals, subtotal: 2500, total: 3000 } };
    const event = newEvent(orderModified, { aggregateId: order.id, source: 'orders', data: { order: cheaper, previousTotal: 3499, changes: ['removed SKU-B'], actor: 'customer:cust-1' } });
    await h.deliver(event);
    await h.deliver({ ...event, id: randomUUID() });
    const billing = await billingOf(h, order.id);
    expect(billing.refunds).toMatchObject([{ amount: 499, status: 'succeeded' }]);
    expect(billing.invoices[0]).toMatchObject({ status: 'paid', total: 3000, amountPaid: 3499, amountRefunded: 499 });
    expect(billing.invoices[0].adjustments).toMatchObject([{ kind: 'credit', amount: -499 }]);
    expect((await outboxTypes(h.db, order.id)).filter((t) => t === 'billing.refund.succeeded')).toHaveLength(1);
    // The order's items follow it: the dropped position is gone.
    expect(await h.db.orderItem.findMany({ where: { orderId: order.id }, select: { position: true, sku: true }, orderBy: { position: 'asc' } })).toEqual([{ position: 1, sku: 'SKU-A' }]);
  });

  it('refunds money that arrives for a payment already cancelled, without announcing a payment', async () => {
    const h = await harness();
    const order = sampleOrder();
    await h.deliver(created(order));
    // The race: billing cancelled the payment while the customer was paying on Stripe's page.
    await h.db.payment.updateMany({ where: { orderId: order.id }, data: { status: 'cancelled' } });
    await pay(h, order.id);
    const billing = await billingOf(h, order.id);
    expect(billing.refunds).toMatchObject([{ amount: 3499, status: 'succeeded' }]);
    expect(billing.invoices[0]).toMatchObject({ status: 'draft', total: 3499, amountRefunded: 0 });
    const types = await outboxTypes(h.db, order.id);
    expect(types).not.toContain('billing.payment.succeeded');
    expect(types).toContain('billing.refund.succeeded');
  });
});

describe('billing: per-vendor money (allocations, item refunds, payouts)', () => {
  /** Two vendors: a brand (2 × 1250) and a distributor (1 × 499), 500 shipping: 3499. */
  const twoVendorOrder = () => {
    const order = sampleOrder();
    order.items[0]!.vendor = { id: 'brand-1', type: 'brand' };
    order.items[1]!.vendor = { id: 'dist-1', type: 'distributor' };
    return order;
  };
  const itemsCancelledEvent = (order: Order, cancellationId: string, items: { sku: string; variantId: string; vendorId: string; quantity: number }[]) =>
    newEvent(itemsCancelled, {
      aggregateId: order.id,
      source: 'fulfillment',
      data: { orderId: order.id, cancellationId, reason: 'CJ refused the order', cause: 'supplier_refused', source: 'cj', items, at: new Date().toISOString() },
    });
  const allocation = (h: Harness, orderId: string) => call(h, 'GET', `/orders/${orderId}/allocation`);
  const byVendor = (a: Json) => Object.fromEntries(a.vendors.map((v: Json) => [v.vendorId, [v.allocated, v.fees, v.earnings, v.reversedFees, v.reversedEarnings]]));
  const stripeRequests = (h: Harness, path: string, match: (body: Json) => boolean) =>
    h.sim.controls.stripe.requests.filter((r) => r.method === 'POST' && r.url.endsWith(path) && match(r.body as Json));

  it('allocates a payment to a brand and a distributor at their rates, refunds cancelled items once per cancellation, and conserves money through a cancel', async () => {
    const h = await harness();
    const order = twoVendorOrder();
    await h.deliver(created(order));
    await pay(h, order.id);

    // 3499 split 2500 : 499 by largest remainder → 2917 + 582; fees 10 % and 15 %, half up.
    let a = await allocation(h, order.id);
    expect(a.status).toBe(200);
    expect(byVendor(a)).toEqual({ 'brand-1': [2917, 292, 2625, 0, 0], 'dist-1': [582, 87, 495, 0, 0] });
    expect(a.vendors[0].subOrder).toEqual({ orderNumber: order.number, vendorId: 'brand-1' });
    expect(a.check).toMatchObject({ paid: 3499, refunded: 0, earnings: 3120, fees: 379, balanced: true, problems: [] });

    // The distributor's unit will not ship: 499 back, through Stripe, a credit line on the invoice.
    const cancellationId = randomUUID();
    const event = itemsCancelledEvent(order, cancellationId, [{ sku: 'SKU-B', variantId: 'v-b', vendorId: 'dist-1', quantity: 1 }]);
    await h.deliver(event);
    let billing = await billingOf(h, order.id);
    expect(billing.refunds).toMatchObject([{ amount: 499, status: 'succeeded', reason: 'Items cancelled: CJ refused the order' }]);
    expect(billing.invoices[0]).toMatchObject({ status: 'paid', total: 3000, amountRefunded: 499 });
    expect(billing.invoices[0].adjustments).toMatchObject([{ kind: 'credit', amount: -499, refundId: billing.refunds[0].id }]);
    expect(await outboxTypes(h.db, order.id)).toContain('billing.refund.succeeded');
    const refundCalls = () => stripeRequests(h, '/v1/refunds', (b) => b['metadata[order_id]'] === order.id);
    expect(refundCalls().map((r) => r.headers['idempotency-key'])).toEqual([billing.refunds[0].id]);

    // Only the distributor gives back: 499 × 87 / 582 = 74.6 → 75 of fee, 424 of earning.
    a = await allocation(h, order.id);
    expect(byVendor(a)).toEqual({ 'brand-1': [2917, 292, 2625, 0, 0], 'dist-1': [582, 87, 495, 75, 424] });
    expect(a.check).toMatchObject({ paid: 3499, refunded: 499, reversedEarnings: 424, reversedFees: 75, balanced: true });

    // Redelivered, and republished under a new envelope id: still one refund, one Stripe call.
    await h.deliver(event);
    await h.deliver({ ...event, id: randomUUID() });
    billing = await billingOf(h, order.id);
    expect(billing.refunds).toHaveLength(1);
    expect(billing.invoices[0].adjustments).toHaveLength(1);
    expect(refundCalls()).toHaveLength(1);

    // The order is cancelled: the rest (3000) goes back and every vendor gives back all it held.
    await h.deliver(cancelled(order));
    a = await allocation(h, order.id);
    expect(byVendor(a)).toEqual({ 'brand-1': [2917, 292, 2625, 292, 2625], 'dist-1': [582, 87, 495, 87, 495] });
    expect(a.check).toMatchObject({ paid: 3499, refunded: 3499, balanced: true });
    expect(a.vendors.map((v: Json) => v.netEarnings)).toEqual([0, 0]);
  });

  it("allocates a top-up to the vendor whose items grew and takes a lower total's refund from the vendor whose items shrank", async () => {
    const h = await harness();
    const order = twoVendorOrder();
    await h.deliver(created(order));
    await pay(h, order.id);
    const modified = (next: Order, previousTotal: number) =>
      newEvent(orderModified, { aggregateId: next.id, source: 'orders', data: { order: next, previousTotal, changes: ['items'], actor: 'customer:cust-1' } });

    // v2 adds a second distributor's item (1000): the top-up is that vendor's.
    const added = { id: randomUUID(), sku: 'SKU-C', variantId: 'v-c', name: 'Lamp', quantity: 1, unitPrice: 1000, lineTotal: 1000, vendor: { id: 'dist-2', type: 'distributor' as const }, supplierSource: 'cj' as const, ageRestricted: false };
    const v2: Order = { ...order, version: 2, items: [...order.items, added], totals: { ...order.totals, subtotal: 3999, total: 4499 } };
    await h.deliver(modified(v2, 3499));
    await pay(h, order.id);
    let a = await allocation(h, order.id);
    expect(byVendor(a)).toEqual({ 'brand-1': [2917, 292, 2625, 0, 0], 'dist-1': [582, 87, 495, 0, 0], 'dist-2': [1000, 150, 850, 0, 0] });
    expect(a.check).toMatchObject({ paid: 4499, balanced: true });

    // v3 drops the first distributor's item: its 499 comes back from that vendor alone.
    const v3: Order = { ...v2, version: 3, items: [v2.items[0]!, added], totals: { ...v2.totals, subtotal: 3500, total: 4000 } };
    await h.deliver(modified(v3, 4499));
    expect(await h.db.orderItem.findMany({ where: { orderId: order.id }, select: { position: true, sku: true, vendorId: true }, orderBy: { position: 'asc' } })).toEqual([
      { position: 1, sku: 'SKU-A', vendorId: 'brand-1' },
      { position: 2, sku: 'SKU-C', vendorId: 'dist-2' },
    ]);
    a = await allocation(h, order.id);
    expect(byVendor(a)).toEqual({ 'brand-1': [2917, 292, 2625, 0, 0], 'dist-1': [582, 87, 495, 75, 424], 'dist-2': [1000, 150, 850, 0, 0] });

    // The added item cannot ship: its full price comes back from its vendor.
    await h.deliver(itemsCancelledEvent(order, randomUUID(), [{ sku: 'SKU-C', variantId: 'v-c', vendorId: 'dist-2', quantity: 1 }]));
    a = await allocation(h, order.id);
    expect(byVendor(a)['dist-2']).toEqual([1000, 150, 850, 150, 850]);
    expect(a.check).toMatchObject({ paid: 4499, refunded: 1499, balanced: true });
  });

  it('pays each vendor its balance by a Connect transfer per statement; without an account it accrues; a refund after a payout carries over', async () => {
    const h = await harness();
    const order = twoVendorOrder();
    await h.deliver(created(order));
    await pay(h, order.id);
    expect((await call(h, 'PUT', '/vendors/brand-1/payout-account', { stripeAccountId: 'acct_1Brand' })).status).toBe(200);
    const refused = await call(h, 'PUT', '/vendors/dist-1/payout-account', { stripeAccountId: 'not-an-account' });
    expect(refused.status).toBe(400);
    expect(refused.errors[0].pointer).toBe('/stripeAccountId');

    let run = await call(h, 'POST', '/payouts/run');
    const statements = (r: Json) => Object.fromEntries(r.statements.map((s: Json) => [s.vendorId, [s.status, s.openingBalance, s.earnings, s.fees, s.refunds, s.balance, s.amountPaid, s.closingBalance]]));
    expect(statements(run)).toEqual({ 'brand-1': ['paid', 0, 2625, 292, 0, 2625, 2625, 0], 'dist-1': ['no_account', 0, 495, 87, 0, 495, 0, 495] });
    const brandStatement = run.statements.find((s: Json) => s.vendorId === 'brand-1');
    expect(brandStatement.transferId).toMatch(/^tr_/);
    const transfers = stripeRequests(h, '/v1/transfers', () => true);
    expect(transfers).toHaveLength(1);
    expect(transfers[0]!.headers['idempotency-key']).toBe(brandStatement.id);
    expect(transfers[0]!.body).toMatchObject({ amount: '2625', currency: 'eur', destination: 'acct_1Brand', 'metadata[vendor_id]': 'brand-1' });
    // Each statement is announced with it, in the same transaction.
    const announced = await h.db.outboxEvent.findMany({ where: { type: 'billing.payout.statement_issued' }, orderBy: { seq: 'asc' } });
    expect(announced.map((e) => [e.aggregateId, (e.envelope as Json).data.status, (e.envelope as Json).data.transferId])).toEqual([
      ['brand-1', 'paid', brandStatement.transferId],
      ['dist-1', 'no_account', null],
    ]);

    let ledger = await call(h, 'GET', '/vendors/brand-1/ledger');
    expect(ledger.balances).toEqual([{ currency: 'EUR', balance: 0 }]);
    expect(ledger.entries.map((e: Json) => [e.kind, e.amount]).sort()).toEqual([['earning', 2625], ['fee', 292], ['payout', -2625]]);

    // A brand unit cannot ship after the brand was paid: 1250 back; the brand owes 1125 (1250 less its fee share, 125).
    await h.deliver(itemsCancelledEvent(order, randomUUID(), [{ sku: 'SKU-A', variantId: 'v-a', vendorId: 'brand-1', quantity: 1 }]));
    ledger = await call(h, 'GET', '/vendors/brand-1/ledger');
    expect(ledger.balances).toEqual([{ currency: 'EUR', balance: -1125 }]);
    // The vendor key's route (the gateway names the vendor) answers the same; without a vendor, 400.
    expect(await call(h, 'GET', '/vendor/ledger?vendorId=brand-1')).toEqual(ledger);
    expect((await call(h, 'GET', '/vendor/ledger')).status).toBe(400);
    expect((await allocation(h, order.id)).check).toMatchObject({ paid: 3499, refunded: 1250, balanced: true });

    // The distributor gets an account: its accrued 495 is paid; the brand's negative balance carries over.
    await call(h, 'PUT', '/vendors/dist-1/payout-account', { stripeAccountId: 'acct_1Dist' });
    run = await call(h, 'POST', '/payouts/run');
    expect(statements(run)).toEqual({ 'brand-1': ['nothing_due', 0, 0, 0, -1125, -1125, 0, -1125], 'dist-1': ['paid', 495, 0, 0, 0, 495, 495, 0] });
    expect(stripeRequests(h, '/v1/transfers', () => true).map((r) => (r.body as Json).destination)).toEqual(['acct_1Brand', 'acct_1Dist']);

    // Nothing new and nothing payable: the next run draws up nothing.
    expect((await call(h, 'POST', '/payouts/run')).statements).toEqual([]);
    const payouts = await call(h, 'GET', '/vendors/brand-1/payouts');
    expect(payouts).toMatchObject({ stripeAccountId: 'acct_1Brand', statements: [{ sequence: 2, status: 'nothing_due' }, { sequence: 1, status: 'paid' }] });
  });

  it('runs payouts on the durable timer every PAYOUT_INTERVAL_MS, scheduled at start-up', async () => {
    const h = await harness();
    const pending = await h.db.timer.findFirstOrThrow({ where: { kind: PAYOUT_TIMER, firedAt: null } });
    expect(pending.fireAt.getTime() - h.clock.now().getTime()).toBeGreaterThan(6.9 * 24 * 60 * 60 * 1000);
    const order = twoVendorOrder();
    await h.deliver(created(order));
    await pay(h, order.id);
    await h.db.vendorPayoutAccount.create({ data: { vendorId: 'dist-1', stripeAccountId: 'acct_1Dist', updatedAt: new Date() } });

    h.clock.advance(7 * 24 * 60 * 60 * 1000 + 1000);
    const worker = new TimerWorker<Transaction>({ db: h.db, clock: h.clock, log: quietLog, handlers: { [PAYOUT_TIMER]: (_t, tx, now) => payoutRunTimer(tx, h.deps, now) } });
    expect(await worker.fireDue()).toBe(1);
    const payouts = await call(h, 'GET', '/vendors/dist-1/payouts');
    expect(payouts.statements).toMatchObject([{ status: 'paid', amountPaid: 495 }]);
    // The next run is an interval after this one.
    const next = await h.db.timer.findFirstOrThrow({ where: { kind: PAYOUT_TIMER, firedAt: null } });
    expect(next.fireAt.getTime()).toBe(Date.parse(payouts.statements[0].createdAt) + 7 * 24 * 60 * 60 * 1000);
  });
});
