import { describe, expect, it } from 'vitest';
import { progressFromRefund, progressFromTracking, progressFromWorkflow } from './progress-rules';

const transition = (to: string, extra: object = {}) =>
  ({ orderId: 'o', from: 'pending', to, trigger: 'T', retryCount: 0, error: null, willRetry: false, tracking: null, at: '2026-11-22T10:00:00Z', ...extra }) as never;
const tracking = (status: string) =>
  ({ orderId: 'o', shipmentId: 's', trackingNumber: 'LX123', carrier: 'dhl', status, previousStatus: null, event: null, estimatedDelivery: null, provider: '17track', at: '2026-11-22T10:00:00Z' }) as never;

describe('progress rules', () => {
  it('maps workflow states onto order statuses and remembers that fulfillment started', () => {
    expect(progressFromWorkflow(transition('processing'))).toMatchObject({ to: 'processing', fulfillmentStarted: true });
    expect(progressFromWorkflow(transition('placed_with_supplier'))).toEqual({ fulfillmentStarted: true });
    const shipped = progressFromWorkflow(transition('shipped', { tracking: { number: 'LX123', carrier: 'dhl' } }));
    expect(shipped).toMatchObject({ to: 'shipped', tracking: { number: 'LX123', carrier: 'dhl' } });
    expect(progressFromWorkflow(transition('payment_confirmed'))).toBeNull();
  });

  it('turns only a final failure into an exception, with the error as details', () => {
    expect(progressFromWorkflow(transition('failed', { willRetry: true, error: 'rejected' }))).toBeNull();
    expect(progressFromWorkflow(transition('failed', { error: 'rejected' }))).toEqual({ to: 'exception', details: 'rejected' });
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
