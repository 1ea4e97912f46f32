import { describe, expect, it } from 'vitest';
import { progressFromRefund, progressFromTracking, progressFromWorkflow } from './progress-rules';

const transition = (to: string, extra: object = {}) =>
  ({ orderId: 'o', from: 'pending', to, trigger: 'T', retryCount: 0, error: null, willRetry: false, tracking: null, at: '2026-11-22T10:00:00Z', ...extra }) as never;
const tracking = (status: string) =>
  ({ orderId: 'o', shipmentId: 's', trackingNumber: 'LX123', carrier: 'dhl', status, previousStatus: null, event: null, estimatedDelivery: null, provider: '17track', at: '2026-11-22T10:00:00Z' }) as never;

/** What fulfillment publishes with a transition: the order status it implies, whether fulfillment started. */
const started = (orderStatus: string | null = null) => ({ orderStatus, fulfillmentStarted: true });

describe('progress rules', () => {
  it('maps workflow states onto order statuses and remembers that fulfillment started', () => {
    expect(progressFromWorkflow(transition('processing', started('processing')))).toMatchObject({ to: 'processing', fulfillmentStarted: true });
    expect(progressFromWorkflow(transition('placed_with_supplier', started()))).toEqual({ fulfillmentStarted: true });
    const shipped = progressFromWorkflow(transition('shipped', { ...started('shipped'), tracking: { number: 'LX123', carrier: 'dhl' } }));
    expect(shipped).toMatchObject({ to: 'shipped', tracking: { number: 'LX123', carrier: 'dhl' } });
    expect(progressFromWorkflow(transition('payment_confirmed', { orderStatus: null, fulfillmentStarted: false }))).toBeNull();
  });

  it('turns only a final failure into an exception, with the error as details', () => {
    expect(progressFromWorkflow(transition('failed', { willRetry: true, error: 'rejected', orderStatus: null, fulfillmentStarted: false }))).toBeNull();
    expect(progressFromWorkflow(transition('failed', { error: 'rejected', orderStatus: 'exception', fulfillmentStarted: false }))).toEqual({ to: 'exception', details: 'rejected' });
  });

  it('follows what the event says, not the name of the workflow state', () => {
    // A state orders has never heard of moves the order as fulfillment says.
    expect(progressFromWorkflow(transition('packed_at_hub', started('shipped')))).toMatchObject({ to: 'shipped', fulfillmentStarted: true });
    // An event from before the fields existed names no status: nothing is guessed from the state.
    expect(progressFromWorkflow(transition('shipped'))).toBeNull();
  });

  it('maps carrier problems, and back to shipped once moving again after shipment', () => {
    const shipped = { status: 'shipped', fulfillmentStatus: 'shipped' } as const;
    expect(progressFromTracking(tracking('delayed'), shipped)?.to).toBe('delayed');
    expect(progressFromTracking(tracking('delivery_failed'), shipped)?.to).toBe('exception');
    expect(progressFromTracking(tracking('exception'), shipped)?.to).toBe('exception');
    expect(progressFromTracking(tracking('in_transit'), { status: 'delayed', fulfillmentStatus: 'shipped' })?.to).toBe('shipped');
    expect(progressFromTracking(tracking('in_transit'), shipped)?.to).toBeUndefined();
  });

  it('refunds only a cancelled order', () => {
    const refund = { orderId: 'o', refundId: 'r', paymentId: 'p', providerRefundId: 're', amount: 100, currency: 'EUR', reason: 'cancelled', refundedAt: '2026-11-22T10:00:00Z' };
    expect(progressFromRefund(refund as never, { status: 'cancelled', fulfillmentStatus: 'cancelled' })?.to).toBe('refunded');
    expect(progressFromRefund(refund as never, { status: 'confirmed', fulfillmentStatus: 'not_fulfilled' })).toBeNull();
  });

  it('waits until every refund of a cancelled order went through', () => {
    const refund = { orderId: 'o', refundId: 'r', paymentId: 'p', providerRefundId: 're', amount: 100, currency: 'EUR', reason: 'cancelled', refundedAt: '2026-11-22T10:00:00Z' };
    const cancelled = { status: 'cancelled', fulfillmentStatus: 'cancelled' } as const;
    expect(progressFromRefund({ ...refund, remainingPaid: 500 } as never, cancelled)).toBeNull();
    expect(progressFromRefund({ ...refund, remainingPaid: 0 } as never, cancelled)?.to).toBe('refunded');
  });
});
