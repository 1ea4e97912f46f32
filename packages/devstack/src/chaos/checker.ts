/**
 * The chaos run's verdict: a pure function from what the run sent and what every service and
 * provider shows afterwards (the evidence) to the anomalies. No I/O here, so the tests can plant
 * each kind of anomaly and see it reported.
 */

export const JOURNEYS = [
  'paid-delivered',
  'unpaid',
  'cancel-before-payment',
  'cancel-after-payment',
  'cancel-after-placement',
  'cancel-after-shipment',
  'modified',
  'supplier-refusing',
  'supplier-silent',
] as const;
export type Journey = (typeof JOURNEYS)[number];

/** What the run knows it did; `unknown` when the answer was lost to a fault (the effect may or may not have happened). */
export type Outcome = 'yes' | 'no' | 'unknown';

export interface SentOrder {
  orderId: string;
  journey: Journey;
  /** The simulated customer's payment reached billing. */
  paid: Outcome;
  /** The platform accepted the cancel (200); `no` also when it was never asked or refused (409). */
  cancelled: Outcome;
  /** HTTP status of the cancel the journey tried last (null: none). */
  cancelAnswer: number | null;
}

export type Channel = 'email' | 'sms' | 'push';

export interface OrderEvidence {
  sent: SentOrder;
  /** The orders service's row (null: it does not know the order). */
  orders: { status: string; total: number } | null;
  /** Billing's rows (null: billing does not know the order). */
  billing: {
    payments: { kind: string; status: string; amountReceived: number; amountRefunded: number }[];
    refunds: { amount: number; status: string }[];
    invoices: { number: string | null; status: string }[];
    openCheckouts: number;
    /** What fulfillment said of the supplier side of a cancel (refund hold), null: not said. */
    supplierOutcome?: string | null;
  } | null;
  /** The workflow (null: fulfillment does not know the order). */
  fulfillment: { state: string; trackingNumbers: string[] } | null;
  /** Notifications holds the order's context (it saw orders.order.created). */
  notificationsKnows: boolean;
  /** Tracking's shipments of the order. */
  tracking: { trackingNumber: string; status: string }[];
  /** The supplier simulators' order book entries placed for this order. */
  supplierOrders: { supplier: string; reference: string; stage: string }[];
  /**
   * Every message a provider accepted for this order: `key` names (order, notice) for the channel.
   * `collapsed`: a push the device replaced with a later one under the same collapse id (a resend
   * after an unknown outcome; FCM offers no way to ask): counted, but the customer saw one.
   */
  messages: { channel: Channel; key: string; collapsed?: boolean }[];
}

export interface StockEvidence {
  hubId: string;
  sku: string;
  onHandBefore: number;
  onHand: number;
  reserved: number;
  /** Sum of reservations held or confirmed. */
  holding: number;
  /** Sum of reservations consumed (shipped from the hub) during the run. */
  consumed: number;
}

export interface Evidence {
  orders: OrderEvidence[];
  deadLetters: { subject: string; reason: string; orderId: string | null }[];
  /** Timers due (by their service's clock) and not fired, or failing (retried with backoff). */
  overdueTimers: { service: string; kind: string; key: string; fireAt: string; attempts?: number; lastError?: string | null }[];
  /** What was still in flight when the settle deadline passed (outbox rows, consumer pending). */
  unsettled: { where: string; count: number }[];
  stock: StockEvidence[];
  /** Supplier simulator orders no placement of ours refers to. */
  strayedSupplierOrders: { supplier: string; reference: string }[];
}

export const ANOMALY_KINDS = [
  'lost',
  'duplicate-notification',
  'duplicate-invoice',
  'duplicate-supplier-order',
  'duplicate-charge',
  'over-refund',
  'inconsistent',
  'stuck',
  'dead-letter',
  'overdue-timer',
  'unsettled',
  'stock',
  'money',
] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

export interface Anomaly {
  kind: AnomalyKind;
  orderId: string | null;
  what: string;
  where: string;
}

// ---------------------------------------------------------------------------------------------
// The final states the services may agree on. One row per accepted combination: add a row when
// a service gains a legitimate final (or waiting) state.

type MoneyRule = 'kept-total' | 'refund-within-paid' | 'none-received';
type SupplierRule = 'any' | 'none-open';

export interface FinalStateRule {
  name: string;
  orders: readonly string[];
  fulfillment: readonly string[];
  /** `delivered`: every shipment tracking knows is delivered (and there is one); `none`: none delivered; `any`. */
  tracking: 'delivered' | 'none' | 'any';
  billing: {
    /** An invoice must be in one of these statuses (empty: no requirement). */
    invoice: readonly string[];
    /** An open checkout session must remain (the customer can still pay). */
    openCheckout: boolean;
    money: MoneyRule;
  };
  /** `none-open`: no supplier order may remain open (placed/confirmed/shipped) at the provider. */
  supplierOrders: SupplierRule;
  /** Fulfillment must have settled the cancel at the supplier with this outcome. */
  supplierOutcome?: string;
}

export const FINAL_STATES: readonly FinalStateRule[] = [
  {
    name: 'delivered',
    orders: ['delivered'],
    fulfillment: ['delivered'],
    tracking: 'delivered',
    billing: { invoice: ['paid'], openCheckout: false, money: 'kept-total' },
    supplierOrders: 'any',
  },
  {
    name: 'cancelled',
    orders: ['cancelled', 'refunded'],
    fulfillment: ['cancelled', 'refunded'],
    tracking: 'none',
    billing: { invoice: [], openCheckout: false, money: 'refund-within-paid' },
    supplierOrders: 'none-open',
  },
  {
    // A cancel the supplier could not carry out: ops found the parcel already on its way
    // (recorded through the ops task) and the customer was refunded all the same.
    name: 'cancelled-shipped-anyway',
    orders: ['cancelled', 'refunded'],
    fulfillment: ['cancelled', 'refunded', 'shipped', 'in_transit', 'out_for_delivery', 'delivered'],
    tracking: 'any',
    billing: { invoice: [], openCheckout: false, money: 'refund-within-paid' },
    supplierOrders: 'any',
    supplierOutcome: 'shipped_anyway',
  },
  {
    name: 'unpaid',
    orders: ['pending'],
    fulfillment: ['pending'],
    tracking: 'none',
    billing: { invoice: [], openCheckout: true, money: 'none-received' },
    supplierOrders: 'none-open',
  },
  {
    name: 'supplier-refused',
    orders: ['exception'],
    fulfillment: ['failed'],
    tracking: 'none',
    billing: { invoice: [], openCheckout: false, money: 'refund-within-paid' },
    supplierOrders: 'none-open',
  },
];

/** Order statuses after which nothing more happens on its own. */
const FINAL_ORDER_STATUSES = new Set(['delivered', 'cancelled', 'refunded', 'exception', 'returned']);
const OPEN_SUPPLIER_STAGES = new Set(['placed', 'confirmed', 'shipped']);

/** The final states a journey may end in, given what the run knows it did. */
export function expectedFinalStates(sent: SentOrder): string[] {
  const otherwise = (): string[] => {
    if (sent.paid === 'no') return ['unpaid'];
    const paidOutcome = sent.journey === 'supplier-refusing' || sent.journey === 'supplier-silent' ? 'supplier-refused' : 'delivered';
    return sent.paid === 'yes' ? [paidOutcome] : ['unpaid', paidOutcome];
  };
  const cancelled = ['cancelled', 'cancelled-shipped-anyway'];
  if (sent.cancelled === 'yes') return cancelled;
  if (sent.cancelled === 'unknown') return [...cancelled, ...otherwise()];
  return otherwise();
}

const received = (billing: NonNullable<OrderEvidence['billing']>): number => billing.payments.reduce((sum, p) => sum + p.amountReceived, 0);
const refunded = (billing: NonNullable<OrderEvidence['billing']>): number =>
  billing.refunds.filter((r) => r.status === 'succeeded').reduce((sum, r) => sum + r.amount, 0);

/** Why `order` does not satisfy `rule` (empty: it does). */
function mismatches(order: OrderEvidence, rule: FinalStateRule): string[] {
  const out: string[] = [];
  const { orders, billing, fulfillment } = order;
  if (!orders || !billing || !fulfillment) return ['missing in a service'];
  if (!rule.orders.includes(orders.status)) out.push(`orders ${orders.status}`);
  if (!rule.fulfillment.includes(fulfillment.state)) out.push(`fulfillment ${fulfillment.state}`);
  const delivered = order.tracking.filter((s) => s.status === 'delivered').length;
  if (rule.tracking === 'delivered' && (order.tracking.length === 0 || delivered < order.tracking.length)) {
    out.push(`tracking ${order.tracking.map((s) => s.status).join(',') || 'none'}`);
  }
  if (rule.tracking === 'none' && delivered > 0) out.push('tracking delivered');
  if (rule.billing.invoice.length > 0 && !billing.invoices.some((i) => rule.billing.invoice.includes(i.status))) {
    out.push(`invoice ${billing.invoices.map((i) => i.status).join(',') || 'none'}`);
  }
  if (rule.billing.openCheckout && billing.openCheckouts === 0) out.push('no open checkout');
  if (!rule.billing.openCheckout && billing.openCheckouts > 0 && received(billing) === 0 && rule.billing.money !== 'refund-within-paid') {
    out.push('checkout still open');
  }
  if (rule.supplierOutcome && billing.supplierOutcome !== rule.supplierOutcome) out.push(`supplier outcome ${billing.supplierOutcome ?? 'none'}`);
  if (rule.supplierOrders === 'none-open') {
    const open = order.supplierOrders.filter((s) => OPEN_SUPPLIER_STAGES.has(s.stage));
    if (open.length > 0) out.push(`supplier order open at ${open.map((s) => `${s.supplier} (${s.stage})`).join(', ')}`);
  }
  return out;
}

function describeState(order: OrderEvidence): string {
  const b = order.billing;
  return [
    `orders=${order.orders?.status ?? '-'}`,
    `fulfillment=${order.fulfillment?.state ?? '-'}`,
    `tracking=${order.tracking.map((s) => s.status).join(',') || '-'}`,
    b ? `billing received=${received(b)} refunded=${refunded(b)} invoices=${b.invoices.map((i) => i.status).join(',') || '-'} open-checkouts=${b.openCheckouts}` : 'billing=-',
    `suppliers=${order.supplierOrders.map((s) => `${s.supplier}:${s.stage}`).join(',') || '-'}`,
  ].join(' ');
}

function checkOrder(order: OrderEvidence, report: (kind: AnomalyKind, what: string, where: string) => void): void {
  const { sent } = order;
  // Lost: every service that should know the order knows it.
  if (!order.orders) report('lost', 'accepted with 201 but unknown to orders', 'orders db');
  if (!order.billing) report('lost', 'no payment record', 'billing db');
  if (!order.fulfillment) report('lost', 'no workflow', 'fulfillment db');
  if (!order.notificationsKnows) report('lost', 'no order context', 'notifications db');
  for (const number of order.fulfillment?.trackingNumbers ?? []) {
    if (!order.tracking.some((s) => s.trackingNumber === number)) report('lost', `parcel ${number} shipped but not followed`, 'tracking db');
  }

  // Duplicated effects.
  const messages = new Map<string, number>();
  for (const m of order.messages.filter((m) => !m.collapsed)) messages.set(`${m.channel} ${m.key}`, (messages.get(`${m.channel} ${m.key}`) ?? 0) + 1);
  for (const [key, count] of messages) if (count > 1) report('duplicate-notification', `${key} sent ${count} times`, `${key.split(' ')[0]} provider`);
  const bySupplier = new Map<string, number>();
  for (const s of order.supplierOrders) if (s.stage !== 'cancelled') bySupplier.set(s.supplier, (bySupplier.get(s.supplier) ?? 0) + 1);
  for (const [supplier, count] of bySupplier) if (count > 1) report('duplicate-supplier-order', `${count} live supplier orders`, `${supplier} simulator`);
  const billing = order.billing;
  if (billing) {
    const invoices = billing.invoices.filter((i) => i.number !== null);
    if (invoices.length > 1) report('duplicate-invoice', `${invoices.length} invoices: ${invoices.map((i) => i.number).join(', ')}`, 'billing db');
    // A charge whose money all went back (paid on a session replaced by a modification) is not kept.
    const charges = billing.payments.filter((p) => p.kind === 'order' && p.status === 'succeeded' && p.amountReceived > p.amountRefunded);
    if (charges.length > 1) report('duplicate-charge', `${charges.length} succeeded order payments kept`, 'billing db');
    if (refunded(billing) > received(billing)) report('over-refund', `refunded ${refunded(billing)} of ${received(billing)} received`, 'billing db');
  }

  // Final state: consistent across services, and the one the journey leads to.
  if (!order.orders || !billing || !order.fulfillment) return;
  const matched = FINAL_STATES.find((rule) => mismatches(order, rule).length === 0);
  const expected = expectedFinalStates(sent);
  if (!matched) {
    const closest = FINAL_STATES.filter((rule) => expected.includes(rule.name))
      .map((rule) => `not ${rule.name}: ${mismatches(order, rule).join('; ')}`)
      .join(' | ');
    const kind = FINAL_ORDER_STATUSES.has(order.orders.status) ? 'inconsistent' : 'stuck';
    report(kind, `${describeState(order)} (${closest})`, 'orders/billing/fulfillment/tracking/suppliers');
    return;
  }
  if (!expected.includes(matched.name)) {
    report('inconsistent', `ended ${matched.name}, expected ${expected.join(' or ')} (journey ${sent.journey}, cancel answer ${sent.cancelAnswer ?? '-'})`, 'journey vs services');
    return;
  }
  // Money: what was kept is what the order costs, for orders that stay.
  if (matched.billing.money === 'kept-total' && received(billing) - refunded(billing) !== order.orders.total) {
    report('money', `kept ${received(billing) - refunded(billing)} (received ${received(billing)} − refunded ${refunded(billing)}) for a total of ${order.orders.total}`, 'billing db vs orders db');
  }
  if (matched.billing.money === 'none-received' && received(billing) > 0) report('money', `received ${received(billing)} for an unpaid order`, 'billing db');
}

export function checkEvidence(evidence: Evidence): Anomaly[] {
  const anomalies: Anomaly[] = [];
  for (const order of evidence.orders) {
    checkOrder(order, (kind, what, where) => anomalies.push({ kind, orderId: order.sent.orderId, what, where }));
  }
  for (const s of evidence.strayedSupplierOrders) {
    anomalies.push({ kind: 'duplicate-supplier-order', orderId: null, what: `order ${s.reference} no placement of ours refers to`, where: `${s.supplier} simulator` });
  }
  for (const d of evidence.deadLetters) anomalies.push({ kind: 'dead-letter', orderId: d.orderId, what: `${d.subject}: ${d.reason}`, where: 'DEAD_LETTERS' });
  for (const t of evidence.overdueTimers) {
    const failing = t.attempts ? `, failed ${t.attempts} time(s)${t.lastError ? `: ${t.lastError}` : ''}` : '';
    anomalies.push({ kind: 'overdue-timer', orderId: null, what: `${t.kind} ${t.key} due ${t.fireAt}, not fired${failing}`, where: `${t.service} db` });
  }
  for (const u of evidence.unsettled) anomalies.push({ kind: 'unsettled', orderId: null, what: `${u.count} still in flight`, where: u.where });
  for (const s of evidence.stock) {
    const where = `fulfillment db hub_stock ${s.hubId}/${s.sku}`;
    if (s.reserved !== s.holding) anomalies.push({ kind: 'stock', orderId: null, what: `reserved ${s.reserved} but reservations hold ${s.holding}`, where });
    if (s.onHand !== s.onHandBefore - s.consumed) {
      anomalies.push({ kind: 'stock', orderId: null, what: `on hand ${s.onHand}, expected ${s.onHandBefore} − ${s.consumed} consumed`, where });
    }
    if (s.reserved < 0 || s.reserved > s.onHand) anomalies.push({ kind: 'stock', orderId: null, what: `reserved ${s.reserved} of ${s.onHand} on hand`, where });
  }
  return anomalies;
}

/** Anomalies counted by kind (every kind present, zeros included). */
export function countByKind(anomalies: readonly Anomaly[]): Record<AnomalyKind, number> {
  const counts = Object.fromEntries(ANOMALY_KINDS.map((kind) => [kind, 0])) as Record<AnomalyKind, number>;
  for (const a of anomalies) counts[a.kind] += 1;
  return counts;
}

/** Pushes sent again after an unknown outcome and collapsed on the device into one: not hidden, counted. */
export function collapsedResends(evidence: Evidence): number {
  return evidence.orders.reduce((sum, order) => sum + order.messages.filter((m) => m.collapsed).length, 0);
}
