import { DomainError } from '@platform/contracts/errors';
import { transitions } from '@platform/contracts/transitions';
import type { Order } from '@platform/contracts/api/orders';

/** BIL-01 status machine: draft → issued → partially_paid | paid → void, plus overdue past the due date. */
export type InvoiceStatus = 'draft' | 'issued' | 'partially_paid' | 'paid' | 'overdue' | 'void';

const TRANSITIONS: Record<InvoiceStatus, readonly InvoiceStatus[]> = {
  draft: ['issued', 'void'],
  issued: ['partially_paid', 'paid', 'overdue', 'void'],
  partially_paid: ['paid', 'overdue', 'void'],
  overdue: ['partially_paid', 'paid', 'void'],
  // A paid invoice owes more again when the order grew after payment (a debit adjustment).
  paid: ['partially_paid', 'void'],
  void: [],
};

export const { canTransition, assertTransition } = transitions(
  TRANSITIONS,
  (from, to) => new DomainError('conflict', 'INVOICE_TRANSITION_NOT_ALLOWED', `An invoice cannot go from ${from} to ${to}`),
);

/** Statuses in which an unpaid balance can become overdue. */
export const OVERDUE_CANDIDATES: readonly InvoiceStatus[] = ['issued', 'partially_paid'];

/** What a settled amount makes of an issued invoice. */
export function statusForBalance(amountDue: number, amountPaid: number): 'paid' | 'partially_paid' | 'issued' {
  if (amountPaid >= amountDue) return 'paid';
  return amountPaid > 0 ? 'partially_paid' : 'issued';
}

export function dueDate(issuedAt: Date, dueDays: number): Date {
  return new Date(issuedAt.getTime() + dueDays * 24 * 60 * 60 * 1000);
}

export interface DraftLine {
  position: number;
  kind: 'item' | 'shipping' | 'tax' | 'discount';
  description: string;
  sku: string | null;
  quantity: number;
  unitAmount: number;
  amount: number;
}

/**
 * Invoice lines from the order: one per item, then shipping, tax and the discount (negative)
 * when non-zero. They sum to the order total; an order whose totals disagree is refused.
 */
export function linesFromOrder(order: Pick<Order, 'items' | 'totals'>): DraftLine[] {
  const lines: DraftLine[] = order.items.map((item, index) => ({
    position: index + 1,
    kind: 'item',
    description: item.name,
    sku: item.sku,
    quantity: item.quantity,
    unitAmount: item.unitPrice,
    amount: item.unitPrice * item.quantity,
  }));
  const extra = (kind: DraftLine['kind'], description: string, amount: number) => {
    if (amount !== 0) lines.push({ position: lines.length + 1, kind, description, sku: null, quantity: 1, unitAmount: amount, amount });
  };
  extra('shipping', 'Shipping', order.totals.shipping);
  extra('tax', 'Tax', order.totals.tax);
  extra('discount', 'Discount', -order.totals.discount);
  const sum = lines.reduce((total, line) => total + line.amount, 0);
  if (sum !== order.totals.total) {
    throw new DomainError('unprocessable', 'ORDER_TOTALS_INCONSISTENT', `Invoice lines sum to ${sum} but the order total is ${order.totals.total}`);
  }
  return lines;
}

/** Stripe writes currencies lower case; the platform upper case (ISO 4217). */
export const toStripeCurrency = (currency: string) => currency.toLowerCase();
export const fromStripeCurrency = (currency: string) => currency.toUpperCase();
