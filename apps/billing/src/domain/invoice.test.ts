import { describe, expect, it } from 'vitest';
import { canTransition, assertTransition, dueDate, linesFromOrder, statusForBalance } from './invoice';

const item = (sku: string, quantity: number, unitPrice: number) => ({ sku, name: `Item ${sku}`, quantity, unitPrice });

describe('invoice status machine', () => {
  it('follows draft → issued → partially_paid | paid → void, and overdue for unpaid balances', () => {
    expect(canTransition('draft', 'issued')).toBe(true);
    expect(canTransition('issued', 'paid')).toBe(true);
    expect(canTransition('issued', 'partially_paid')).toBe(true);
    expect(canTransition('partially_paid', 'paid')).toBe(true);
    expect(canTransition('paid', 'void')).toBe(true);
    expect(canTransition('issued', 'overdue')).toBe(true);
    expect(canTransition('overdue', 'paid')).toBe(true);
    expect(canTransition('draft', 'void')).toBe(true);
  });

  it('refuses skipping issue, leaving void, and overdue once paid', () => {
    expect(canTransition('draft', 'paid')).toBe(false);
    expect(canTransition('void', 'issued')).toBe(false);
    expect(canTransition('void', 'paid')).toBe(false);
    expect(canTransition('paid', 'overdue')).toBe(false);
    expect(canTransition('paid', 'issued')).toBe(false);
    expect(() => assertTransition('void', 'paid')).toThrow(/cannot go from void to paid/);
  });

  it('derives paid / partially paid from the balance', () => {
    expect(statusForBalance(1000, 1000)).toBe('paid');
    expect(statusForBalance(1000, 400)).toBe('partially_paid');
    expect(statusForBalance(1000, 0)).toBe('issued');
  });
});

describe('invoice numbers', () => {
  it('sets the due date the given number of days after issue', () => {
    expect(dueDate(new Date('2026-11-22T10:00:00Z'), 14).toISOString()).toBe('2026-12-06T10:00:00.000Z');
  });
});

describe('invoice lines from an order', () => {
  it('has one line per item plus shipping, tax and a negative discount, summing to the total', () => {
    const lines = linesFromOrder({
      items: [item('A', 2, 1250), item('B', 1, 499)] as never,
      totals: { subtotal: 2999, shipping: 500, tax: 100, discount: 99, total: 3500 },
    });
    expect(lines.map((l) => [l.position, l.kind, l.amount])).toEqual([
      [1, 'item', 2500],
      [2, 'item', 499],
      [3, 'shipping', 500],
      [4, 'tax', 100],
      [5, 'discount', -99],
    ]);
  });

  it('leaves out zero shipping, tax and discount', () => {
    const lines = linesFromOrder({ items: [item('A', 1, 100)] as never, totals: { subtotal: 100, shipping: 0, tax: 0, discount: 0, total: 100 } });
    expect(lines).toHaveLength(1);
  });

  it('refuses an order whose totals do not add up', () => {
    expect(() => linesFromOrder({ items: [item('A', 1, 100)] as never, totals: { subtotal: 100, shipping: 0, tax: 0, discount: 0, total: 150 } })).toThrow(/sum to 100/);
  });
});
