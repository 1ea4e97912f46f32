import { describe, expect, it } from 'vitest';
import { noticePlan, planFor, respectsQuietHours } from './notification-plan';

describe('planFor', () => {
  it.each([
    ['confirmed', 'order_confirmed', 'order-confirmation'],
    ['processing', 'processing', 'order-status-update'],
    ['shipped', 'shipped', 'order-shipped'],
    ['out_for_delivery', 'out_for_delivery', 'order-status-update'],
    ['delivered', 'delivered', 'order-delivered'],
    ['exception', 'exception', 'order-issue'],
    ['cancelled', 'cancelled', 'order-status-update'],
    ['refunded', 'refunded', 'order-status-update'],
  ])('%s → topic %s, template %s', (status, topic, template) => {
    expect(planFor(status)).toMatchObject({ topic, template });
  });

  it('tells a delay once per order by the running-late notice, not per status change', () => {
    expect(planFor('delayed')).toBeNull();
    expect(noticePlan('running_late')).toMatchObject({ topic: 'delayed', template: 'order-running-late', urgent: false });
  });

  it.each(['pending', 'packed', 'returned', 'toString', 'nonsense'])('announces nothing for %s', (status) => {
    expect(planFor(status)).toBeNull();
  });

  it('lets only exceptions and cancellations through quiet hours, and never holds back email', () => {
    expect(respectsQuietHours(planFor('exception')!, 'sms')).toBe(false);
    expect(respectsQuietHours(planFor('cancelled')!, 'push')).toBe(false);
    expect(respectsQuietHours(noticePlan('running_late'), 'sms')).toBe(true);
    expect(respectsQuietHours(planFor('shipped')!, 'push')).toBe(true);
    expect(respectsQuietHours(planFor('shipped')!, 'email')).toBe(false);
  });
});
