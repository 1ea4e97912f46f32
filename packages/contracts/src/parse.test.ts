import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseEvent } from './parse';

const bytes = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const envelope = (overrides: Record<string, unknown> = {}) => ({
  id: randomUUID(),
  type: 'notifications.notification.sent',
  version: 1,
  occurredAt: '2026-11-22T10:00:00.000Z',
  aggregateId: 'order-1',
  correlationId: 'corr-1',
  causationId: null,
  source: 'notifications',
  data: {
    notificationId: randomUUID(),
    orderId: randomUUID(),
    template: 'order-confirmation',
    channel: 'email',
    recipient: 'a@example.com',
    locale: 'en',
    providerMessageId: null,
    sentAt: '2026-11-22T10:00:00.000Z',
  },
  ...overrides,
});

describe('parseEvent', () => {
  it('accepts a known event with valid data', () => {
    const result = parseEvent(bytes(envelope()));
    expect(result.ok).toBe(true);
  });

  it.each([
    ['not JSON', '{nope', /not JSON/],
    ['an envelope without id', { ...envelope(), id: undefined }, /malformed envelope/],
    ['an unknown type', envelope({ type: 'orders.order.teleported' }), /unknown event: orders.order.teleported v1/],
    ['an unknown version', envelope({ version: 9 }), /unknown event: .* v9/],
    ['invalid data', envelope({ data: { orderId: 'x' } }), /invalid notifications.notification.sent v1 data/],
  ])('rejects %s with a reason', (_name, value, reason) => {
    const result = parseEvent(bytes(value));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});
