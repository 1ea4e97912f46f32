import { randomUUID } from 'node:crypto';
import {
  type EventDefinition,
  type EventData,
  noticePlanned,
  notificationFailed,
  notificationSent,
  notificationSuppressed,
  paymentFailed,
  paymentSucceeded,
  refundSucceeded,
  returnChanged,
  type ReturnStatus,
  subjectOf,
  timelineEntryRecorded,
  timelineSubject,
  trackingScanned,
  trackingStatusChanged,
  workflowTransitioned,
} from '@platform/contracts';
import type { TimelineEntry, TimelineResponse } from '@platform/contracts/api/timeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onNoticePlanned, onNotificationOutcome } from '../src/consumers/notification-outcomes-consumer';
import {
  onPaymentFailed,
  onPaymentSucceeded,
  onRefundSucceeded,
  onReturnChanged,
  onTrackingScanned,
  onTrackingStatusChanged,
  onWorkflowTransitioned,
} from '../src/consumers/order-progress-consumers';
import { as, type OrdersService, placeOrder, startOrdersService } from './orders-service';

/**
 * The order's timeline (GW-03): every fact the orders service learns (its own status changes,
 * and payments, refunds, workflow steps, carrier scans and notification outcomes from the other
 * services' events, through the consumers' handlers) becomes one entry, stored once and recorded
 * for the TIMELINE stream in the same transaction.
 */

let service: OrdersService;
beforeAll(async () => {
  service = await startOrdersService();
});
afterAll(async () => service?.stop());

/** When a fact happens: now (each step is built when it is applied, so facts and status changes interleave as they would). */
const next = () => new Date().toISOString();

function run<D extends EventDefinition>(definition: D, data: EventData<D>, handler: (event: ReturnType<OrdersService['event']>, tx: never) => Promise<void>) {
  const event = service.event(definition, data);
  return service.db.$transaction((tx) => handler(event, tx as never)).then(() => event);
}

const pay = (orderId: string) =>
  run(paymentSucceeded, { orderId, paymentId: randomUUID(), provider: 'stripe', providerPaymentId: 'pi_1', amount: 2999, currency: 'EUR', paidAt: next() }, (event, tx) =>
    onPaymentSucceeded(service.deps, event as never, tx),
  );

const step = (orderId: string, from: string, to: string, orderStatus: string | null, tracking: { number: string; carrier: string } | null = null) =>
  run(
    workflowTransitioned,
    { orderId, from: from as never, to: to as never, trigger: 'TEST', retryCount: 0, error: null, willRetry: false, tracking, at: next(), orderStatus: orderStatus as never, fulfillmentStarted: true },
    (event, tx) => onWorkflowTransitioned(service.deps, event as never, tx),
  );

const shipmentId = randomUUID();
const scan = (orderId: string, status: string, location: string, description: string) =>
  run(
    trackingScanned,
    { orderId, shipmentId, scanId: randomUUID(), trackingNumber: 'LX123456789DE', carrier: 'dhl', status: status as never, location, description, scannedAt: next() },
    (event, tx) => onTrackingScanned(event as never, tx),
  );

const facts = (orderId: string, notice: string, channel: 'email' | 'sms' | 'push') => ({
  notificationId: randomUUID(),
  orderId,
  template: notice,
  notice,
  orderStatus: notice as never,
  channel,
});

describe('the order timeline', () => {
  it('merges status changes, workflow steps, payments, carrier scans with their place and notification outcomes with their reasons, in time order', async () => {
    const order = await placeOrder(service);
    const id = order.id;
    const pushId = randomUUID();
    const steps: Array<() => Promise<unknown>> = [
      () => pay(id),
      () =>
        run(notificationSent, { ...facts(id, 'confirmed', 'email'), recipient: 'ana@example.com', locale: 'es', providerMessageId: 'm-1', sentAt: next() }, (event, tx) =>
          onNotificationOutcome({ outcome: 'sent', event: event as never }, tx),
        ),
      () => step(id, 'payment_confirmed', 'processing', 'processing'),
      () => step(id, 'supplier_confirmed', 'shipped', 'shipped', { number: 'LX123456789DE', carrier: 'dhl' }),
      // The shipped notice's plan: the email is to be sent (its own event tells), the SMS waits for
      // the end of quiet hours, the push is switched off.
      () =>
        run(
          noticePlanned,
          {
            orderId: id,
            template: 'order-shipped',
            orderStatus: 'shipped',
            notice: 'shipped',
            plannedAt: next(),
            channels: [
              { channel: 'email', notificationId: randomUUID(), outcome: 'pending' },
              { channel: 'sms', notificationId: randomUUID(), outcome: 'deferred', reason: 'quiet_hours', until: '2026-12-02T07:00:00.000Z' },
              { channel: 'push', notificationId: pushId, outcome: 'suppressed', reason: 'preference_off' },
            ],
          },
          (event, tx) => onNoticePlanned(event as never, tx),
        ),
      // The same suppression as it was published before notices had one event: the same entry, not a second.
      () =>
        run(notificationSuppressed, { ...facts(id, 'shipped', 'push'), notificationId: pushId, reason: 'preference_off', suppressedAt: next() }, (event, tx) =>
          onNotificationOutcome({ outcome: 'suppressed', event: event as never }, tx),
        ),
      () => scan(id, 'in_transit', 'Leipzig, DE', 'Departed sorting centre'),
      () => scan(id, 'in_transit', 'Madrid, ES', 'Arrived at the destination country'),
      () =>
        run(notificationFailed, { ...facts(id, 'out_for_delivery', 'email'), reason: 'smtp: mailbox unavailable', attempts: 5, failedAt: next() }, (event, tx) =>
          onNotificationOutcome({ outcome: 'failed', event: event as never }, tx),
        ),
      () => step(id, 'in_transit', 'delivered', 'delivered'),
      () => scan(id, 'delivered', 'Madrid, ES', 'Delivered'),
    ];
    const applied: unknown[] = [];
    for (const s of steps) applied.push(await s());
    // A redelivered scan (beyond the consumer's own processed-event record) adds nothing.
    const redelivered = applied[6] as ReturnType<OrdersService['event']>;
    await service.db.$transaction((tx) => onTrackingScanned(redelivered as never, tx));

    const timeline = (await service.app.inject({ method: 'GET', url: `/orders/${id}/timeline`, headers: as.ops })).json() as TimelineResponse;
    const times = timeline.entries.map((entry) => Date.parse(entry.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // As they happened: each fact, and the status change it caused right after it.
    expect(timeline.entries.map((entry) => entry.kind)).toEqual([
      'status',
      'payment',
      'status',
      'notification',
      'workflow',
      'status',
      'workflow',
      'status',
      'notification',
      'notification',
      'carrier_scan',
      'carrier_scan',
      'notification',
      'workflow',
      'status',
      'carrier_scan',
    ]);
    expect(timeline.entries.filter((e) => e.kind === 'status').map((e) => (e as Extract<TimelineEntry, { kind: 'status' }>).status)).toEqual([
      'pending',
      'confirmed',
      'processing',
      'shipped',
      'delivered',
    ]);
    const scans = timeline.entries.filter((e): e is Extract<TimelineEntry, { kind: 'carrier_scan' }> => e.kind === 'carrier_scan');
    expect(scans.map((s) => [s.status, s.location, s.description])).toEqual([
      ['in_transit', 'Leipzig, DE', 'Departed sorting centre'],
      ['in_transit', 'Madrid, ES', 'Arrived at the destination country'],
      ['delivered', 'Madrid, ES', 'Delivered'],
    ]);
    const notifications = timeline.entries.filter((e): e is Extract<TimelineEntry, { kind: 'notification' }> => e.kind === 'notification');
    expect(notifications.map((n) => [n.notice, n.channel, n.outcome, n.reason, n.until])).toEqual([
      ['confirmed', 'email', 'sent', null, null],
      ['shipped', 'sms', 'deferred', 'quiet_hours', '2026-12-02T07:00:00.000Z'],
      ['shipped', 'push', 'suppressed', 'preference_off', null],
      ['out_for_delivery', 'email', 'failed', 'smtp: mailbox unavailable', null],
    ]);
    expect(timeline.entries.find((e) => e.kind === 'payment')).toMatchObject({ outcome: 'succeeded', amount: { amount: 2999, currency: 'EUR' } });

    // The customer reads what is theirs to read: no workflow states, provider errors or unused channels.
    const mine = (await service.app.inject({ method: 'GET', url: `/orders/${id}/timeline`, headers: as.customer(order.customer.id) })).json() as TimelineResponse;
    expect(mine.entries.every((e) => e.audience === 'customer')).toBe(true);
    expect(mine.entries.map((e) => e.id)).toEqual(timeline.entries.filter((e) => e.audience === 'customer').map((e) => e.id));
    expect(mine.entries.some((e) => e.kind === 'workflow' || (e.kind === 'notification' && (e.outcome === 'failed' || e.outcome === 'suppressed')))).toBe(false);
    // A page opened by a signed link asks for the same.
    const linked = (await service.app.inject({ method: 'GET', url: `/orders/${id}/timeline?audience=customer` })).json() as TimelineResponse;
    expect(linked.entries).toEqual(mine.entries);
    expect((await service.app.inject({ method: 'GET', url: `/orders/${id}/timeline`, headers: as.customer('intruder') })).statusCode).toBe(404);

    // Every entry, once, was recorded for the TIMELINE stream on the order's subject under its customer.
    const published = await service.db.outboxEvent.findMany({ where: { aggregateId: id, type: timelineEntryRecorded.type }, orderBy: { seq: 'asc' } });
    const envelopes = published.map((row) => row.envelope as ReturnType<OrdersService['event']>);
    expect(envelopes.map((e) => (e.data as { entry: TimelineEntry }).entry.id).sort()).toEqual(timeline.entries.map((e) => e.id).sort());
    expect(new Set(envelopes.map((e) => subjectOf(e)))).toEqual(new Set([timelineSubject(order.customer.id, id)]));
  });

  it('records a refund with its amount', async () => {
    const order = await placeOrder(service);
    await run(
      refundSucceeded,
      { orderId: order.id, refundId: randomUUID(), paymentId: randomUUID(), providerRefundId: 're_1', amount: 1200, currency: 'EUR', reason: 'order cancelled', refundedAt: next() },
      (event, tx) => onRefundSucceeded(service.deps, event as never, tx),
    );
    const timeline = (await service.app.inject({ method: 'GET', url: `/orders/${order.id}/timeline`, headers: as.ops })).json() as TimelineResponse;
    expect(timeline.entries.find((e) => e.kind === 'refund')).toMatchObject({ outcome: 'succeeded', amount: { amount: 1200, currency: 'EUR' }, audience: 'customer' });
  });

  it('records a failed payment for the customer without the provider’s reason, once', async () => {
    const order = await placeOrder(service);
    const failed = service.event(paymentFailed, { orderId: order.id, paymentId: randomUUID(), reason: 'card_declined: Your card was declined.', failedAt: next() });
    // Delivered twice: the second changes nothing.
    for (let delivery = 0; delivery < 2; delivery++) await service.db.$transaction((tx) => onPaymentFailed(failed as never, tx as never));
    const timeline = (await service.app.inject({ method: 'GET', url: `/orders/${order.id}/timeline?audience=customer` })).json() as TimelineResponse;
    const payments = timeline.entries.filter((e) => e.kind === 'payment');
    expect(payments).toEqual([expect.objectContaining({ outcome: 'failed', amount: null, reason: null, audience: 'customer' })]);
    expect(JSON.stringify(timeline)).not.toContain('card_declined');
  });

  it('records each step of a return for the customer, with a refusal’s reason; the return parcel’s carrier problems leave the order alone', async () => {
    const order = await placeOrder(service);
    const id = order.id;
    await pay(id);
    await step(id, 'payment_confirmed', 'processing', 'processing');
    await step(id, 'supplier_confirmed', 'shipped', 'shipped', { number: 'LX123456789DE', carrier: 'dhl' });
    const returnId = randomUUID();
    const line = { sku: 'SKU-1', variantId: 'v-1', vendorId: 'acme', quantity: 1, condition: null, restockingFeeBps: null };
    const label = { carrier: 'Correos', trackingNumber: 'RR123456785ES', labelUrl: 'https://labels.example.com/1.png' };
    const moved = (status: ReturnStatus, previousStatus: ReturnStatus | null, refusalReason: string | null = null) =>
      run(
        returnChanged,
        { returnId, orderId: id, number: 'RMA-1-1', status, previousStatus, reason: 'Too small', items: [line], label: status === 'approved' ? label : null, hubId: null, refusalReason, actor: 'ops:key1', at: next() },
        (event, tx) => onReturnChanged(event as never, tx),
      );
    await moved('requested', null);
    await moved('approved', 'requested');
    const problem = (parcel: { shipmentId: string; returnId?: string; trackingNumber: string }) =>
      run(
        trackingStatusChanged,
        { orderId: id, ...parcel, carrier: 'correos', status: 'exception', previousStatus: 'in_transit', event: null, estimatedDelivery: null, provider: '17track', at: next() },
        (event, tx) => onTrackingStatusChanged(service.deps, event as never, tx),
      );
    await problem({ shipmentId: returnId, returnId, trackingNumber: label.trackingNumber });
    const status = async () => (await service.app.inject({ method: 'GET', url: `/orders/${id}`, headers: as.ops })).json().status;
    expect(await status()).toBe('shipped');
    // The order's own parcel in trouble does move it: the return parcel was told apart.
    await problem({ shipmentId, trackingNumber: 'LX123456789DE' });
    expect(await status()).toBe('exception');

    const other = randomUUID();
    await run(
      returnChanged,
      { returnId: other, orderId: id, number: 'RMA-1-2', status: 'refused', previousStatus: 'requested', reason: 'Worn', items: [line], label: null, hubId: null, refusalReason: 'Worn beyond a trial', actor: 'ops:key1', at: next() },
      (event, tx) => onReturnChanged(event as never, tx),
    );
    const mine = (await service.app.inject({ method: 'GET', url: `/orders/${id}/timeline`, headers: as.customer(order.customer.id) })).json() as TimelineResponse;
    const returns = mine.entries.filter((e): e is Extract<TimelineEntry, { kind: 'return' }> => e.kind === 'return');
    expect(returns.map((r) => [r.number, r.status, r.reason])).toEqual([
      ['RMA-1-1', 'requested', null],
      ['RMA-1-1', 'approved', null],
      ['RMA-1-2', 'refused', 'Worn beyond a trial'],
    ]);
  });

  it('keeps a customer id that is not a subject token apart from the others', () => {
    expect(timelineSubject('a.b *>', 'x')).toMatch(/^timeline\.[A-Za-z0-9_-]+\.x$/);
    expect(timelineSubject('a.b', 'x')).not.toBe(timelineSubject('a', 'x'));
  });
});
