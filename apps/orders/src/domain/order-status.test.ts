import { DomainError } from '@platform/contracts/errors';
import { orderStatusSchema } from '@platform/contracts/events/orders';
import { describe, expect, it } from 'vitest';
import { ALLOWED_TRANSITIONS, assertCancellable, assertModifiable, assertTransition, canTransition, deriveFulfillmentStatus } from './order-status';

const codeOf = (fn: () => void) => {
  try {
    fn();
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return (error as DomainError).code;
  }
};

describe('order status machine', () => {
  it('lists every status and only known statuses as targets', () => {
    expect(Object.keys(ALLOWED_TRANSITIONS).sort()).toEqual([...orderStatusSchema.options].sort());
    for (const targets of Object.values(ALLOWED_TRANSITIONS)) for (const to of targets) expect(orderStatusSchema.options).toContain(to);
  });

  it('walks the happy path and refuses going back', () => {
    const path = ['pending', 'confirmed', 'processing', 'shipped', 'out_for_delivery', 'delivered'] as const;
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1]!, path[i]!)).toBe(true);
    expect(canTransition('delivered', 'processing')).toBe(false);
    expect(canTransition('cancelled', 'processing')).toBe(false);
    expect(canTransition('shipped', 'confirmed')).toBe(false);
    expect(codeOf(() => assertTransition('refunded', 'pending'))).toBe('INVALID_TRANSITION');
  });

  it('refunds only cancelled or returned orders', () => {
    expect(canTransition('cancelled', 'refunded')).toBe(true);
    expect(canTransition('returned', 'refunded')).toBe(true);
    expect(canTransition('confirmed', 'refunded')).toBe(false);
  });

  it('derives the fulfillment status, keeping it through delays and exceptions', () => {
    expect(deriveFulfillmentStatus('processing', 'not_fulfilled')).toBe('not_fulfilled');
    // Where the goods are is fulfillment's count, not the order status: a status change keeps it.
    expect(deriveFulfillmentStatus('shipped', 'partially_shipped')).toBe('partially_shipped');
    expect(deriveFulfillmentStatus('delayed', 'shipped')).toBe('shipped');
    expect(deriveFulfillmentStatus('exception', 'not_fulfilled')).toBe('not_fulfilled');
    expect(deriveFulfillmentStatus('delivered', 'fulfilled')).toBe('fulfilled');
    expect(deriveFulfillmentStatus('returned', 'fulfilled')).toBe('returned');
    expect(deriveFulfillmentStatus('refunded', 'cancelled')).toBe('cancelled');
    expect(deriveFulfillmentStatus('cancelled', 'not_fulfilled')).toBe('cancelled');
    expect(deriveFulfillmentStatus('refunded', 'returned')).toBe('returned');
  });

  it('cancels only before shipment, also when a delay or exception came after shipment', () => {
    expect(codeOf(() => assertCancellable({ status: 'confirmed', fulfillmentStatus: 'not_fulfilled' }))).toBeNull();
    expect(codeOf(() => assertCancellable({ status: 'exception', fulfillmentStatus: 'not_fulfilled' }))).toBeNull();
    expect(codeOf(() => assertCancellable({ status: 'shipped', fulfillmentStatus: 'shipped' }))).toBe('ORDER_NOT_CANCELLABLE');
    expect(codeOf(() => assertCancellable({ status: 'delayed', fulfillmentStatus: 'shipped' }))).toBe('ORDER_NOT_CANCELLABLE');
    // One parcel of two out: the goods have started to leave.
    expect(codeOf(() => assertCancellable({ status: 'exception', fulfillmentStatus: 'partially_shipped' }))).toBe('ORDER_NOT_CANCELLABLE');
    expect(codeOf(() => assertCancellable({ status: 'exception', fulfillmentStatus: 'cancelled' }))).toBeNull();
    expect(codeOf(() => assertCancellable({ status: 'cancelled', fulfillmentStatus: 'cancelled' }))).toBe('ORDER_NOT_CANCELLABLE');
  });

  it('modifies only pending or confirmed orders whose fulfillment has not started', () => {
    expect(codeOf(() => assertModifiable({ status: 'confirmed', fulfillmentStarted: false }))).toBeNull();
    expect(codeOf(() => assertModifiable({ status: 'confirmed', fulfillmentStarted: true }))).toBe('ORDER_NOT_MODIFIABLE');
    expect(codeOf(() => assertModifiable({ status: 'processing', fulfillmentStarted: false }))).toBe('ORDER_NOT_MODIFIABLE');
  });
});
