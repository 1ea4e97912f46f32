/** A payment as the held-money arithmetic sees it. */
export interface PaymentBalance {
  status: string;
  amountReceived: number;
  amountRefunded: number;
  /** Refunds asked of the provider and not confirmed yet: already promised back. */
  amountRefundPending: number;
}

/** What a payment can still give back: received minus refunded minus refunds on their way. */
export const refundable = (payment: PaymentBalance): number => payment.amountReceived - payment.amountRefunded - payment.amountRefundPending;

/** The money billing holds for an order: what its succeeded payments can still give back. */
export function heldAmount(payments: readonly PaymentBalance[]): number {
  return payments.filter((p) => p.status === 'succeeded').reduce((sum, p) => sum + refundable(p), 0);
}

/** What a paid order's new total asks of the money held. */
export type HeldMoneyChange<P extends PaymentBalance = PaymentBalance> =
  | { kind: 'refund'; payment: P; amount: number }
  | { kind: 'top_up'; amount: number }
  /** Nothing to move: the total equals what is held, or no single payment can refund the decrease. */
  | { kind: 'none' };

/**
 * After a paid order is modified: a decrease is refunded from the first succeeded payment that
 * can give it back whole (a refund goes to one payment); an increase is collected as a top-up.
 * `payments` in the order they were made.
 */
export function settleNewTotal<P extends PaymentBalance>(total: number, payments: readonly P[]): HeldMoneyChange<P> {
  const difference = total - heldAmount(payments);
  if (difference > 0) return { kind: 'top_up', amount: difference };
  if (difference === 0) return { kind: 'none' };
  const paid = payments.find((p) => p.status === 'succeeded' && refundable(p) >= -difference);
  return paid ? { kind: 'refund', payment: paid, amount: -difference } : { kind: 'none' };
}
