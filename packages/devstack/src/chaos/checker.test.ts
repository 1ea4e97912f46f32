import { describe, expect, it } from 'vitest';
import { ANOMALY_KINDS, type AnomalyKind, checkEvidence, collapsedResends, countByKind, type Evidence, type OrderEvidence, type SentOrder } from './checker';

const sent = (orderId: string, journey: SentOrder['journey'], overrides: Partial<SentOrder> = {}): SentOrder => ({
  orderId,
  journey,
  paid: 'yes',
  cancelled: 'no',
  cancelAnswer: null,
  ...overrides,
});

const delivered = (): OrderEvidence => ({
  sent: sent('o-delivered', 'paid-delivered'),
  orders: { status: 'delivered', total: 3150 },
  billing: {
    payments: [{ kind: 'order', status: 'succeeded', amountReceived: 3150, amountRefunded: 0 }],
    refunds: [],
    invoices: [{ number: 'INV-000001', status: 'paid' }],
    openCheckouts: 0,
  },
  fulfillment: { state: 'delivered', trackingNumbers: ['RR123456785CN'] },
  notificationsKnows: true,
  tracking: [{ trackingNumber: 'RR123456785CN', status: 'delivered' }],
  supplierOrders: [{ supplier: 'aliexpress', reference: 'ref-1', stage: 'delivered' }],
  messages: [
    { channel: 'email', key: 'confirmed' },
    { channel: 'email', key: 'delivered' },
    { channel: 'sms', key: 'delivered' },
    { channel: 'push', key: 'delivered' },
  ],
});

const cancelled = (): OrderEvidence => ({
  sent: sent('o-cancelled', 'cancel-after-placement', { cancelled: 'yes', cancelAnswer: 200 }),
  orders: { status: 'refunded', total: 2500 },
  billing: {
    payments: [{ kind: 'order', status: 'succeeded', amountReceived: 2500, amountRefunded: 2500 }],
    refunds: [{ amount: 2500, status: 'succeeded' }],
    invoices: [{ number: 'INV-000002', status: 'void' }],
    openCheckouts: 0,
  },
  fulfillment: { state: 'cancelled', trackingNumbers: [] },
  notificationsKnows: true,
  tracking: [],
  supplierOrders: [{ supplier: 'cj', reference: 'ref-2', stage: 'cancelled' }],
  messages: [{ channel: 'email', key: 'cancelled' }],
});

const unpaid = (): OrderEvidence => ({
  sent: sent('o-unpaid', 'unpaid', { paid: 'no' }),
  orders: { status: 'pending', total: 1999 },
  billing: { payments: [{ kind: 'order', status: 'requires_payment', amountReceived: 0, amountRefunded: 0 }], refunds: [], invoices: [], openCheckouts: 1 },
  fulfillment: { state: 'pending', trackingNumbers: [] },
  notificationsKnows: true,
  tracking: [],
  supplierOrders: [],
  messages: [],
});

const refused = (): OrderEvidence => ({
  sent: sent('o-refused', 'supplier-refusing'),
  orders: { status: 'exception', total: 2500 },
  billing: {
    payments: [{ kind: 'order', status: 'succeeded', amountReceived: 2500, amountRefunded: 0 }],
    refunds: [],
    invoices: [{ number: 'INV-000003', status: 'paid' }],
    openCheckouts: 0,
  },
  fulfillment: { state: 'failed', trackingNumbers: [] },
  notificationsKnows: true,
  tracking: [],
  supplierOrders: [],
  messages: [{ channel: 'email', key: 'exception' }],
});

const clean = (): Evidence => ({
  orders: [delivered(), cancelled(), unpaid(), refused()],
  deadLetters: [],
  overdueTimers: [],
  unsettled: [],
  stock: [{ hubId: 'hub-madrid', sku: 'MUG-WHT', onHandBefore: 100, onHand: 98, reserved: 3, holding: 3, consumed: 2 }],
  strayedSupplierOrders: [],
});

/** The evidence with one change, and the kinds reported. */
function kindsAfter(change: (evidence: Evidence) => void): AnomalyKind[] {
  const evidence = clean();
  change(evidence);
  return checkEvidence(evidence).map((a) => a.kind);
}

describe('chaos checker', () => {
  it('reports nothing for a clean evidence set covering every accepted final state', () => {
    expect(checkEvidence(clean())).toEqual([]);
    expect(Object.values(countByKind([])).every((n) => n === 0)).toBe(true);
  });

  it('accepts either outcome when the answer to a cancel or a payment was lost', () => {
    const evidence = clean();
    evidence.orders[0]!.sent.cancelled = 'unknown';
    evidence.orders[1]!.sent.cancelled = 'unknown';
    evidence.orders[2]!.sent.paid = 'unknown';
    expect(checkEvidence(evidence)).toEqual([]);
  });

  it('does not count a charge whose money all went back (paid on a session a modification replaced)', () => {
    const evidence = clean();
    evidence.orders[0]!.billing!.payments.push({ kind: 'order', status: 'succeeded', amountReceived: 1200, amountRefunded: 1200 });
    evidence.orders[0]!.billing!.refunds.push({ amount: 1200, status: 'succeeded' });
    expect(checkEvidence(evidence).filter((a) => a.kind === 'duplicate-charge')).toEqual([]);
  });

  it('counts a push resend the device collapsed into one, and reports a second push the customer saw', () => {
    const evidence = clean();
    const push = { channel: 'push' as const, key: 'shipped to device-1' };
    evidence.orders[0]!.messages.push({ ...push, collapsed: true }, push);
    expect(checkEvidence(evidence)).toEqual([]);
    expect(collapsedResends(evidence)).toBe(1);
    evidence.orders[0]!.messages.push(push);
    expect(checkEvidence(evidence).map((a) => a.kind)).toEqual(['duplicate-notification']);
  });

  it('accepts a refunded cancel whose parcel ops found already shipped, only with that outcome recorded', () => {
    const evidence = clean();
    const order = evidence.orders[1]!;
    order.supplierOrders = [{ supplier: 'aliexpress', reference: 'ref-2', stage: 'shipped' }];
    order.billing!.supplierOutcome = 'shipped_anyway';
    expect(checkEvidence(evidence)).toEqual([]);
    order.billing!.supplierOutcome = 'cancelled_at_supplier';
    expect(checkEvidence(evidence).map((a) => a.kind)).toEqual(['inconsistent']);
  });

  const planted: [AnomalyKind, string, (evidence: Evidence) => void][] = [
    ['lost', 'an order orders does not know', (e) => void (e.orders[0]!.orders = null)],
    ['lost', 'an order billing does not know', (e) => void (e.orders[2]!.billing = null)],
    ['lost', 'an order without a workflow', (e) => void (e.orders[1]!.fulfillment = null)],
    ['lost', 'an order notifications never saw', (e) => void (e.orders[3]!.notificationsKnows = false)],
    ['lost', 'a shipped parcel tracking does not follow', (e) => void (e.orders[0]!.tracking = [])],
    ['duplicate-notification', 'an email sent twice', (e) => void e.orders[0]!.messages.push({ channel: 'email', key: 'confirmed' })],
    ['duplicate-notification', 'a push sent twice', (e) => void e.orders[0]!.messages.push({ channel: 'push', key: 'delivered' })],
    ['duplicate-invoice', 'two numbered invoices', (e) => void e.orders[0]!.billing!.invoices.push({ number: 'INV-000009', status: 'paid' })],
    ['duplicate-supplier-order', 'two live orders at one supplier', (e) => void e.orders[0]!.supplierOrders.push({ supplier: 'aliexpress', reference: 'ref-x', stage: 'placed' })],
    ['duplicate-supplier-order', 'a supplier order nobody placed', (e) => void e.strayedSupplierOrders.push({ supplier: 'cj', reference: 'ref-y' })],
    [
      'duplicate-charge',
      'two succeeded order payments kept',
      (e) => void e.orders[3]!.billing!.payments.push({ kind: 'order', status: 'succeeded', amountReceived: 100, amountRefunded: 0 }),
    ],
    ['over-refund', 'a refund beyond what was paid', (e) => void e.orders[1]!.billing!.refunds.push({ amount: 1, status: 'succeeded' })],
    [
      'inconsistent',
      'refunded while the supplier order stays open',
      (e) => void (e.orders[1]!.supplierOrders[0]!.stage = 'placed'),
    ],
    ['inconsistent', 'orders delivered, fulfillment cancelled', (e) => void (e.orders[0]!.fulfillment!.state = 'cancelled')],
    ['inconsistent', 'a cancel answered 200 yet the order was delivered', (e) => void Object.assign(e.orders[0]!.sent, { cancelled: 'yes', cancelAnswer: 200 })],
    ['stuck', 'a workflow stranded in refund_requested', (e) => void Object.assign(e.orders[1]!, { orders: { status: 'processing', total: 2500 }, fulfillment: { state: 'refund_requested', trackingNumbers: [] } })],
    ['stuck', 'a paid order still pending', (e) => void (e.orders[0]!.orders!.status = 'shipped')],
    ['dead-letter', 'a dead letter', (e) => void e.deadLetters.push({ subject: 'deadletter.orders--billing', reason: 'max deliveries', orderId: 'o-1' })],
    ['overdue-timer', 'a timer due and not fired', (e) => void e.overdueTimers.push({ service: 'fulfillment', kind: 'fulfillment.supplier-poll', key: 'o-1', fireAt: '2020-01-01T00:00:00Z' })],
    ['unsettled', 'outbox rows left', (e) => void e.unsettled.push({ where: 'orders outbox', count: 3 })],
    ['stock', 'reserved units no reservation holds', (e) => void (e.stock[0]!.reserved = 5)],
    ['stock', 'units gone without a shipment', (e) => void (e.stock[0]!.onHand = 97)],
    ['money', 'a delivered order that kept less than its total', (e) => void (e.orders[0]!.billing!.payments[0]!.amountReceived = 3000)],
    ['money', 'money received for an unpaid order', (e) => void Object.assign(e.orders[2]!.billing!.payments[0]!, { amountReceived: 10 })],
  ];

  it.each(planted)('reports %s: %s', (kind, _what, plant) => {
    expect(kindsAfter(plant)).toContain(kind);
  });

  it('plants cover every anomaly kind', () => {
    expect(new Set(planted.map(([kind]) => kind))).toEqual(new Set(ANOMALY_KINDS));
  });

  it('names the order, what and where in the evidence', () => {
    const evidence = clean();
    evidence.orders[0]!.messages.push({ channel: 'sms', key: 'delivered' });
    expect(checkEvidence(evidence)).toEqual([{ kind: 'duplicate-notification', orderId: 'o-delivered', what: 'sms delivered sent 2 times', where: 'sms provider' }]);
  });
});
