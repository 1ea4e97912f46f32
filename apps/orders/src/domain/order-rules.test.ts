import { createOrderRequestSchema, type CreateOrderInput } from '@platform/contracts/api/orders';
import { DomainError } from '@platform/contracts/errors';
import { describe, expect, it } from 'vitest';
import { assertOrderRules } from './order-rules';

const now = new Date('2026-11-22T10:00:00Z');
const item = { sku: 'SKU-1', variantId: 'v1', name: 'Widget', quantity: 1, unitPrice: 1000, vendor: { id: 'acme', type: 'brand' } } as const;
const base: CreateOrderInput = {
  customer: { id: 'c1', email: 'a@example.com', name: 'Ana' },
  shippingAddress: { name: 'Ana', line1: 'Calle 1', city: 'Madrid', postalCode: '28001', country: 'ES' },
  items: [item],
  currency: 'EUR',
};
const order = (overrides: Partial<CreateOrderInput>) => {
  const parsed = createOrderRequestSchema.parse({ ...base, ...overrides });
  return { ...parsed, items: parsed.items.map((i) => ({ ...i, unitPrice: i.unitPrice ?? 0 })) };
};

function violations(input: Partial<CreateOrderInput>): string[] {
  try {
    assertOrderRules(order(input), now);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('ORDER_RULES_VIOLATED');
    return ((error as DomainError).fields ?? []).map((f) => f.pointer);
  }
}

describe('assertOrderRules', () => {
  it('accepts a plain standard order', () => {
    expect(violations({})).toEqual([]);
  });

  it('refuses an age-restricted item unless the customer is age verified', () => {
    const items = [item, { ...item, sku: 'WINE', ageRestricted: true }];
    expect(violations({ items })).toEqual(['/items/1/ageRestricted']);
    expect(violations({ items, ageVerified: true })).toEqual([]);
  });

  it('requires a delivery window for scheduled delivery', () => {
    expect(violations({ deliveryType: 'scheduled' })).toEqual(['/deliveryWindow']);
  });

  it('refuses a window that starts too soon or lasts too long', () => {
    const soon = { start: '2026-11-22T11:00:00Z', end: '2026-11-22T13:00:00Z' };
    expect(violations({ deliveryType: 'scheduled', deliveryWindow: soon })).toEqual(['/deliveryWindow/start']);
    const long = { start: '2026-11-23T08:00:00Z', end: '2026-11-23T22:00:00Z' };
    expect(violations({ deliveryType: 'scheduled', deliveryWindow: long })).toEqual(['/deliveryWindow/end']);
    const good = { start: '2026-11-23T08:00:00Z', end: '2026-11-23T12:00:00Z' };
    expect(violations({ deliveryType: 'scheduled', deliveryWindow: good })).toEqual([]);
  });

  it('refuses a window on a non-scheduled order', () => {
    const window = { start: '2026-11-23T08:00:00Z', end: '2026-11-23T12:00:00Z' };
    expect(violations({ deliveryType: 'express', deliveryWindow: window })).toEqual(['/deliveryWindow']);
  });

  it('refuses amounts the order cannot store', () => {
    const big = { ...item, quantity: 2, unitPrice: 1_500_000_000 };
    expect(violations({ items: [big] })).toEqual(['/items/0/quantity']);
    const two = [{ ...item, unitPrice: 1_500_000_000 }, { ...item, sku: 'B', unitPrice: 1_500_000_000 }];
    expect(violations({ items: two })).toEqual(['/items']);
  });

  it('reports every violated field at once', () => {
    const items = [{ ...item, ageRestricted: true }];
    expect(violations({ items, deliveryType: 'scheduled' })).toEqual(['/items/0/ageRestricted', '/deliveryWindow']);
  });
});
