import { describe, expect, it } from 'vitest';
import { type HeldMoneyChange, heldAmount, type PaymentBalance, refundable, settleNewTotal } from './held-money';

const payment = (id: string, status: string, amountReceived: number, amountRefunded = 0, amountRefundPending = 0) => ({
  id,
  status,
  amountReceived,
  amountRefunded,
  amountRefundPending,
});
type Payment = ReturnType<typeof payment>;

describe('held money', () => {
  it.each<[string, PaymentBalance[], number]>([
    ['nothing paid', [payment('a', 'requires_payment', 0)], 0],
    ['one payment received', [payment('a', 'succeeded', 5000)], 5000],
    ['minus what was refunded', [payment('a', 'succeeded', 5000, 1200)], 3800],
    ['minus refunds still on their way', [payment('a', 'succeeded', 5000, 1200, 800)], 3000],
    ['order payment and a paid top-up', [payment('a', 'succeeded', 5000), payment('b', 'succeeded', 700)], 5700],
    ['unpaid, cancelled and flagged payments hold nothing', [payment('a', 'succeeded', 5000), payment('b', 'cancelled', 0), payment('c', 'flagged', 0), payment('d', 'processing', 0)], 5000],
  ])('%s', (_case, payments, held) => {
    expect(heldAmount(payments)).toBe(held);
  });

  it('a payment can give back what it received, less what it refunded and what it is refunding', () => {
    expect(refundable(payment('a', 'succeeded', 5000, 1200))).toBe(3800);
    expect(refundable(payment('a', 'succeeded', 5000, 1200, 800))).toBe(3000);
  });
});

describe("settling a paid order's new total", () => {
  const order = payment('order', 'succeeded', 5000);
  const topUp = payment('top-up', 'succeeded', 2000);

  const refunding = (amount: number) => payment('order', 'succeeded', 5000, 0, amount);

  it.each<[string, number, Payment[], HeldMoneyChange<Payment>]>([
    ['same total: nothing moves', 5000, [order], { kind: 'none' }],
    ['dearer: the difference is collected', 6500, [order], { kind: 'top_up', amount: 1500 }],
    ['cheaper: the difference is refunded', 3500, [order], { kind: 'refund', payment: order, amount: 1500 }],
    ['cheaper to nothing held: all of it is refunded', 0, [order], { kind: 'refund', payment: order, amount: 5000 }],
    ['a refund on its way counts as given back', 3500, [refunding(1500)], { kind: 'none' }],
    ['a refund on its way leaves less to refund', 3000, [refunding(1500)], { kind: 'refund', payment: refunding(1500), amount: 500 }],
    ['back to the old total with a refund on its way: the refunded part is collected again', 5000, [refunding(1500)], { kind: 'top_up', amount: 1500 }],
    [
      'a payment with a refund on its way gives back only the rest: the next one that can give it all refunds',
      1000,
      [refunding(4000), topUp],
      { kind: 'refund', payment: topUp, amount: 2000 },
    ],
    ['refunded from the first payment that can give back all of it', 4000, [order, topUp], { kind: 'refund', payment: order, amount: 3000 }],
    [
      'skips a payment that cannot give back all of it',
      5500,
      [payment('small', 'succeeded', 1000, 500), payment('large', 'succeeded', 6000)],
      { kind: 'refund', payment: payment('large', 'succeeded', 6000), amount: 1000 },
    ],
    ['no single payment can refund the decrease: nothing is refunded', 1000, [order, topUp], { kind: 'none' }],
    ['unpaid top-ups neither hold nor refund', 4000, [order, payment('open', 'requires_payment', 0)], { kind: 'refund', payment: order, amount: 1000 }],
    ['nothing paid yet and the order grows: all of it is collected', 5000, [payment('a', 'failed', 0)], { kind: 'top_up', amount: 5000 }],
  ])('%s', (_case, total, payments, expected) => {
    expect(settleNewTotal(total, payments)).toEqual(expected);
  });
});
