import { describe, expect, it } from 'vitest';
import {
  advance,
  createOrderWorkflow,
  delayOfEvent,
  MACHINE_VERSION,
  type OrderDetails,
  orderImplication,
  restoreWorkflow,
  UNKNOWN_VENDOR,
  startWorkflow,
  stateOf,
  TIMEOUT_ERROR,
  triggerName,
  UnknownMachineVersionError,
  type WorkflowEvent,
  type WorkflowSnapshot,
  type WorkflowTag,
} from './order-workflow';

const machine = createOrderWorkflow({ paymentConfirmedDelayMs: 60_000, supplierTimeoutMs: 86_400_000 });
const order: OrderDetails = {
  number: 'ORD-1',
  customer: { id: 'c1', name: 'Ana', email: 'ana@example.com' },
  items: [{ sku: 'MUG-WHT', variantId: 'v1', name: 'Mug', quantity: 1, unitPrice: 900, supplierSource: 'own_stock', vendorId: 'acme' }],
  shippingAddress: { name: 'Ana', line1: 'Calle 1', city: 'Madrid', postalCode: '28001', country: 'ES' },
  deliveryType: 'standard',
  deliveryWindow: null,
  currency: 'EUR',
  total: 900,
};

const PAYMENT_DELAY_EVENT = 'xstate.after.paymentConfirmedDelay.order.payment_confirmed';
const SUPPLIER_TIMEOUT_EVENT = 'xstate.after.supplierTimeout.order.placed_with_supplier';

/** The machine's events, and the original design's REQUEST_REFUND, which it no longer takes anywhere. */
const EVENTS: Record<string, WorkflowEvent | { type: string; reason: string }> = {
  PAYMENT_RECEIVED: { type: 'PAYMENT_RECEIVED' },
  START_PROCESSING: { type: 'START_PROCESSING' },
  PLACE_ORDER: { type: 'PLACE_ORDER', supplierId: 'cj' },
  SUPPLIER_CONFIRMED: { type: 'SUPPLIER_CONFIRMED', supplierOrderId: 'CJ-1' },
  SUPPLIER_REJECTED: { type: 'SUPPLIER_REJECTED', reason: 'out of stock' },
  TRACKING_RECEIVED: { type: 'TRACKING_RECEIVED', trackingNumber: 'LB123456789CN', carrier: 'CAINIAO' },
  IN_TRANSIT_UPDATE: { type: 'IN_TRANSIT_UPDATE', location: 'Madrid' },
  OUT_FOR_DELIVERY_UPDATE: { type: 'OUT_FOR_DELIVERY_UPDATE' },
  DELIVERED: { type: 'DELIVERED', deliveredAt: '2026-11-22T10:00:00.000Z' },
  CANCEL: { type: 'CANCEL', reason: 'changed my mind' },
  REQUEST_REFUND: { type: 'REQUEST_REFUND', reason: 'broken' },
  REFUND_PROCESSED: { type: 'REFUND_PROCESSED', refundId: 'r1' },
  RETRY: { type: 'RETRY' },
  FAIL: { type: 'FAIL', error: 'supplier refused' },
};

function run(...types: Array<keyof typeof EVENTS | string>): WorkflowSnapshot {
  let snapshot = startWorkflow(machine, { orderId: 'o1', order });
  for (const type of types) {
    const step = advance(machine, snapshot, EVENTS[type] ?? { type });
    expect(step.changed, `${type} accepted in ${step.from}`).toBe(true);
    snapshot = step.snapshot;
  }
  return snapshot;
}

const at = {
  pending: () => run(),
  payment_confirmed: () => run('PAYMENT_RECEIVED'),
  processing: () => run('PAYMENT_RECEIVED', 'START_PROCESSING'),
  placed_with_supplier: () => run('PAYMENT_RECEIVED', 'START_PROCESSING', 'PLACE_ORDER'),
  supplier_confirmed: () => run('PAYMENT_RECEIVED', 'START_PROCESSING', 'PLACE_ORDER', 'SUPPLIER_CONFIRMED'),
  shipped: () => run('PAYMENT_RECEIVED', 'START_PROCESSING', 'PLACE_ORDER', 'SUPPLIER_CONFIRMED', 'TRACKING_RECEIVED'),
  in_transit: () => run('PAYMENT_RECEIVED', 'START_PROCESSING', 'PLACE_ORDER', 'SUPPLIER_CONFIRMED', 'TRACKING_RECEIVED', 'IN_TRANSIT_UPDATE'),
  out_for_delivery: () =>
    run('PAYMENT_RECEIVED', 'START_PROCESSING', 'PLACE_ORDER', 'SUPPLIER_CONFIRMED', 'TRACKING_RECEIVED', 'IN_TRANSIT_UPDATE', 'OUT_FOR_DELIVERY_UPDATE'),
  failed: () => run('PAYMENT_RECEIVED', 'START_PROCESSING', 'FAIL'),
  refund_requested: () => run('PAYMENT_RECEIVED', 'START_PROCESSING', 'PLACE_ORDER', 'SUPPLIER_CONFIRMED', 'CANCEL'),
};
const finals = {
  delivered: () => run('PAYMENT_RECEIVED', 'START_PROCESSING', 'PLACE_ORDER', 'SUPPLIER_CONFIRMED', 'TRACKING_RECEIVED', 'IN_TRANSIT_UPDATE', 'DELIVERED'),
  cancelled: () => run('CANCEL'),
  refunded: () => run('PAYMENT_RECEIVED', 'START_PROCESSING', 'PLACE_ORDER', 'SUPPLIER_CONFIRMED', 'CANCEL', 'REFUND_PROCESSED'),
};

/**
 * Every transition of the original design (plus CANCEL from payment_confirmed and placed_with_supplier;
 * minus RETRY from placed_with_supplier and REQUEST_REFUND from delivered;
 * docs/requirements.md#ful-01-order-workflow), as [from, event, to].
 */
const TRANSITIONS: Array<[keyof typeof at, string, string]> = [
  ['pending', 'PAYMENT_RECEIVED', 'payment_confirmed'],
  ['pending', 'CANCEL', 'cancelled'],
  ['payment_confirmed', 'START_PROCESSING', 'processing'],
  ['payment_confirmed', PAYMENT_DELAY_EVENT, 'processing'],
  ['payment_confirmed', 'CANCEL', 'cancelled'],
  ['processing', 'PLACE_ORDER', 'placed_with_supplier'],
  ['processing', 'FAIL', 'failed'],
  ['processing', 'CANCEL', 'cancelled'],
  ['placed_with_supplier', 'SUPPLIER_CONFIRMED', 'supplier_confirmed'],
  ['placed_with_supplier', 'SUPPLIER_REJECTED', 'failed'],
  ['placed_with_supplier', SUPPLIER_TIMEOUT_EVENT, 'failed'],
  ['placed_with_supplier', 'CANCEL', 'cancelled'],
  ['supplier_confirmed', 'TRACKING_RECEIVED', 'shipped'],
  ['supplier_confirmed', 'CANCEL', 'refund_requested'],
  ['shipped', 'IN_TRANSIT_UPDATE', 'in_transit'],
  ['in_transit', 'IN_TRANSIT_UPDATE', 'in_transit'],
  ['in_transit', 'OUT_FOR_DELIVERY_UPDATE', 'out_for_delivery'],
  ['in_transit', 'DELIVERED', 'delivered'],
  ['out_for_delivery', 'DELIVERED', 'delivered'],
  ['refund_requested', 'REFUND_PROCESSED', 'refunded'],
  ['failed', 'RETRY', 'processing'],
  ['failed', 'CANCEL', 'cancelled'],
];

describe('order workflow (FUL-01)', () => {
  it.each(TRANSITIONS)('%s --%s--> %s', (from, type, to) => {
    const step = advance(machine, at[from](), EVENTS[type] ?? { type });
    expect(step.changed).toBe(true);
    expect(step.from).toBe(from);
    expect(step.to).toBe(to);
  });

  it('ignores every event a state does not accept, leaving the snapshot as it was', () => {
    const accepted = new Set(TRANSITIONS.map(([from, type]) => `${from}/${type}`));
    for (const [state, reach] of Object.entries(at)) {
      const snapshot = reach();
      for (const type of Object.keys(EVENTS)) {
        if (accepted.has(`${state}/${type}`)) continue;
        const step = advance(machine, snapshot, EVENTS[type]!);
        expect(step.changed, `${type} in ${state}`).toBe(false);
        expect(step.to).toBe(state);
        expect(step.effects).toEqual([]);
      }
    }
    expect(advance(machine, at.pending(), { type: 'NOT_AN_EVENT' }).changed).toBe(false);
  });

  it('ends in delivered, cancelled and refunded, which accept nothing more', () => {
    for (const [state, reach] of Object.entries(finals)) {
      const snapshot = reach();
      expect(snapshot.value).toBe(state);
      expect(snapshot.status).toBe('done');
      for (const event of Object.values(EVENTS)) expect(advance(machine, snapshot, event).changed, `${event.type} in ${state}`).toBe(false);
    }
  });

  it('retries while retryCount < 3, then the guard refuses', () => {
    let snapshot = at.failed();
    for (let retry = 1; retry <= 3; retry++) {
      const step = advance(machine, snapshot, EVENTS.RETRY!);
      expect(step.to).toBe('processing');
      expect(step.snapshot.context.retryCount).toBe(retry);
      expect(step.snapshot.context.error).toBeNull();
      expect(step.effects).toContainEqual({ type: 'startSupplierOrder' });
      snapshot = advance(machine, step.snapshot, EVENTS.FAIL!).snapshot;
    }
    expect(snapshot.value).toBe('failed');
    expect(snapshot.context.retryCount).toBe(3);
    const refused = advance(machine, snapshot, EVENTS.RETRY!);
    expect(refused.changed).toBe(false);
    expect(refused.to).toBe('failed');
    const placed = advance(machine, advance(machine, snapshot, EVENTS.CANCEL!).snapshot, EVENTS.RETRY!);
    expect(placed.changed).toBe(false);
  });

  it('retries only a failed order: RETRY in placed_with_supplier would order twice, and delivered takes no refund request', () => {
    const placed = advance(machine, at.placed_with_supplier(), EVENTS.RETRY!);
    expect(placed.changed).toBe(false);
    expect(placed.to).toBe('placed_with_supplier');
    expect(at.placed_with_supplier().can({ type: 'RETRY' })).toBe(false);
    expect(at.failed().can({ type: 'RETRY' })).toBe(true);
    expect(advance(machine, finals.delivered(), EVENTS.REQUEST_REFUND!).changed).toBe(false);
  });

  it('schedules an automatic retry after a refusal only while the guard allows it', () => {
    let snapshot = at.processing();
    const willRetry: boolean[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      const failed = advance(machine, snapshot, EVENTS.FAIL!);
      willRetry.push(failed.willRetry);
      expect(failed.snapshot.context.error).toBe('supplier refused');
      expect(failed.effects).toContainEqual({ type: 'abandonAttempt' });
      snapshot = failed.snapshot;
      if (attempt < 3) snapshot = advance(machine, snapshot, EVENTS.RETRY!).snapshot;
    }
    expect(willRetry).toEqual([true, true, true, false]);
    const rejected = advance(machine, at.placed_with_supplier(), EVENTS.SUPPLIER_REJECTED!);
    expect(rejected.snapshot.context.error).toBe('out of stock');
    expect(rejected.willRetry).toBe(true);
  });

  it('turns the 60 s delay into a durable-timer effect, cancelled when the state is left', () => {
    const paid = advance(machine, at.pending(), EVENTS.PAYMENT_RECEIVED!);
    expect(paid.effects).toEqual([{ type: 'startDelay', delay: 'paymentConfirmedDelay', event: PAYMENT_DELAY_EVENT, delayMs: 60_000 }]);
    const started = advance(machine, paid.snapshot, EVENTS.START_PROCESSING!);
    expect(started.effects).toEqual([{ type: 'cancelDelay', delay: 'paymentConfirmedDelay' }, { type: 'startSupplierOrder' }]);
  });

  it('times out placed_with_supplier after 24 h into failed, without an automatic retry', () => {
    const placed = advance(machine, at.processing(), EVENTS.PLACE_ORDER!);
    expect(placed.effects).toContainEqual({ type: 'startDelay', delay: 'supplierTimeout', event: SUPPLIER_TIMEOUT_EVENT, delayMs: 86_400_000 });
    expect(placed.effects).toContainEqual({ type: 'startSupplierPolling' });
    const timedOut = advance(machine, placed.snapshot, { type: SUPPLIER_TIMEOUT_EVENT });
    expect(timedOut.to).toBe('failed');
    expect(timedOut.snapshot.context.error).toBe(TIMEOUT_ERROR);
    expect(timedOut.willRetry).toBe(false);
    expect(timedOut.effects).toContainEqual({ type: 'cancelDelay', delay: 'supplierTimeout' });
    expect(timedOut.effects).toContainEqual({ type: 'stopSupplierPolling' });
    expect(triggerName(SUPPLIER_TIMEOUT_EVENT)).toBe('TIMEOUT');
    expect(delayOfEvent('RETRY')).toBeUndefined();
  });

  it('a stale delay event is ignored once its state was left', () => {
    expect(advance(machine, at.processing(), { type: PAYMENT_DELAY_EVENT }).changed).toBe(false);
    expect(advance(machine, at.supplier_confirmed(), { type: SUPPLIER_TIMEOUT_EVENT }).changed).toBe(false);
  });

  it('keeps context: tracking, location, supplier order, cancel reason, refund, delivery time', () => {
    const shipped = at.shipped();
    expect(shipped.context.supplierOrderId).toBe('CJ-1');
    expect(shipped.context.tracking).toEqual({ number: 'LB123456789CN', carrier: 'CAINIAO' });
    const moved = advance(machine, at.in_transit(), { type: 'IN_TRANSIT_UPDATE', location: 'Valencia' });
    expect(moved.changed).toBe(true);
    expect(moved.transitioned).toBe(false);
    expect(moved.snapshot.context.lastLocation).toBe('Valencia');
    const refund = at.refund_requested();
    expect(refund.context.cancelReason).toBe('changed my mind');
    expect(advance(machine, refund, EVENTS.REFUND_PROCESSED!).snapshot.context.refundId).toBe('r1');
    expect(advance(machine, at.out_for_delivery(), EVENTS.DELIVERED!).snapshot.context.deliveredAt).toBe('2026-11-22T10:00:00.000Z');
  });

  it('cancels at the supplier when cancelled after placement, and after confirmation via refund_requested', () => {
    expect(advance(machine, at.placed_with_supplier(), EVENTS.CANCEL!).effects).toContainEqual({ type: 'cancelOrder' });
    expect(advance(machine, at.supplier_confirmed(), EVENTS.CANCEL!).effects).toContainEqual({ type: 'cancelOrder' });
    expect(advance(machine, at.failed(), EVENTS.CANCEL!).effects).toEqual([{ type: 'cancelRetry' }, { type: 'cancelOrder' }]);
  });

  it('updates the order details only before processing', () => {
    const changed: OrderDetails = { ...order, total: 1800, items: [{ ...order.items[0]!, quantity: 2 }] };
    for (const reach of [at.pending, at.payment_confirmed]) {
      const step = advance(machine, reach(), { type: 'ORDER_MODIFIED', order: changed });
      expect(step.changed).toBe(true);
      expect(step.transitioned).toBe(false);
      expect(step.snapshot.context.order.total).toBe(1800);
    }
    expect(advance(machine, at.processing(), { type: 'ORDER_MODIFIED', order: changed }).changed).toBe(false);
  });

  it('restores a persisted snapshot (JSON round trip) and carries on from it', () => {
    const persisted = JSON.parse(JSON.stringify(machine.getPersistedSnapshot(at.failed())));
    const restored = restoreWorkflow(machine, { orderId: 'o1', machineVersion: MACHINE_VERSION, snapshot: persisted });
    expect(restored.value).toBe('failed');
    expect(restored.context.error).toBe('supplier refused');
    expect(advance(machine, restored, EVENTS.RETRY!).to).toBe('processing');
    const done = restoreWorkflow(machine, { orderId: 'o1', machineVersion: MACHINE_VERSION, snapshot: JSON.parse(JSON.stringify(machine.getPersistedSnapshot(run('CANCEL')))) });
    expect(done.status).toBe('done');
  });

  it('restores a snapshot stored before lines kept their vendor as one unknown vendor\'s', () => {
    const persisted = JSON.parse(JSON.stringify(machine.getPersistedSnapshot(at.failed())));
    for (const item of persisted.context.order.items) delete item.vendorId;
    const restored = restoreWorkflow(machine, { orderId: 'o1', machineVersion: MACHINE_VERSION, snapshot: persisted });
    expect(restored.context.order.items.map((i) => i.vendorId)).toEqual([UNKNOWN_VENDOR]);
    const current = JSON.parse(JSON.stringify(machine.getPersistedSnapshot(at.failed())));
    expect(restoreWorkflow(machine, { orderId: 'o1', machineVersion: MACHINE_VERSION, snapshot: current }).context.order.items[0]!.vendorId).toBe('acme');
  });

  it('restores only a snapshot of its own machine version, refusing another clearly', () => {
    const snapshot = JSON.parse(JSON.stringify(machine.getPersistedSnapshot(at.failed())));
    expect(restoreWorkflow(machine, { orderId: 'o1', machineVersion: MACHINE_VERSION, snapshot }).value).toBe('failed');
    const foreign = () => restoreWorkflow(machine, { orderId: 'o1', machineVersion: MACHINE_VERSION + 1, snapshot });
    expect(foreign).toThrow(UnknownMachineVersionError);
    expect(foreign).toThrow(`The workflow of order o1 was stored by machine version ${MACHINE_VERSION + 1}; this service runs version ${MACHINE_VERSION}`);
  });
});

/**
 * The tags are what the rest of the service asks (`hasTag`): polling, hub shipments, settling a
 * cancel. A state that loses (or gains) a tag changes those rules, so each state's set is pinned.
 */
describe('state tags', () => {
  const reach = { ...at, ...finals };
  const TAGS: Record<keyof typeof reach, WorkflowTag[]> = {
    pending: [],
    payment_confirmed: [],
    processing: ['started'],
    placed_with_supplier: ['started', 'polled'],
    supplier_confirmed: ['started', 'polled', 'awaiting-shipment'],
    shipped: ['started', 'polled', 'awaiting-shipment', 'dispatched'],
    in_transit: ['started', 'polled', 'awaiting-shipment', 'dispatched'],
    out_for_delivery: ['started', 'polled', 'awaiting-shipment', 'dispatched'],
    delivered: ['started', 'dispatched'],
    cancelled: ['cancelled'],
    refund_requested: ['cancelled'],
    refunded: ['cancelled'],
    failed: [],
  };

  it.each(Object.entries(TAGS))('%s is tagged %j', (state, tags) => {
    const snapshot = reach[state as keyof typeof reach]();
    expect(stateOf(snapshot)).toBe(state);
    expect([...snapshot.tags].sort()).toEqual([...tags].sort());
  });

  it('supplier orders are polled from placement until the last parcel is known', () => {
    const polled = Object.entries(reach).filter(([, r]) => r().hasTag('polled')).map(([state]) => state);
    expect(polled).toEqual(['placed_with_supplier', 'supplier_confirmed', 'shipped', 'in_transit', 'out_for_delivery']);
  });
});

describe('what a transition tells orders', () => {
  const implication = (from: WorkflowSnapshot, event: WorkflowEvent | { type: string }) => orderImplication(advance(machine, from, event));

  it('names the order status a state implies and whether fulfillment started', () => {
    expect(implication(at.pending(), EVENTS.PAYMENT_RECEIVED!)).toEqual({ orderStatus: null, fulfillmentStarted: false });
    expect(implication(at.payment_confirmed(), EVENTS.START_PROCESSING!)).toEqual({ orderStatus: 'processing', fulfillmentStarted: true });
    expect(implication(at.processing(), EVENTS.PLACE_ORDER!)).toEqual({ orderStatus: null, fulfillmentStarted: true });
    expect(implication(at.placed_with_supplier(), EVENTS.SUPPLIER_CONFIRMED!)).toEqual({ orderStatus: null, fulfillmentStarted: true });
    expect(implication(at.supplier_confirmed(), EVENTS.TRACKING_RECEIVED!)).toEqual({ orderStatus: 'shipped', fulfillmentStarted: true });
    expect(implication(at.shipped(), EVENTS.IN_TRANSIT_UPDATE!)).toEqual({ orderStatus: null, fulfillmentStarted: true });
    expect(implication(at.in_transit(), EVENTS.OUT_FOR_DELIVERY_UPDATE!)).toEqual({ orderStatus: 'out_for_delivery', fulfillmentStarted: true });
    expect(implication(at.out_for_delivery(), EVENTS.DELIVERED!)).toEqual({ orderStatus: 'delivered', fulfillmentStarted: true });
    expect(implication(at.supplier_confirmed(), EVENTS.CANCEL!)).toEqual({ orderStatus: null, fulfillmentStarted: false });
  });

  it('reports a failure as an exception only once the workflow gives up', () => {
    // Retried: not the customer's concern yet.
    expect(implication(at.processing(), EVENTS.FAIL!)).toEqual({ orderStatus: null, fulfillmentStarted: false });
    let snapshot = at.failed();
    for (let retry = 1; retry < 3; retry++) snapshot = advance(machine, advance(machine, snapshot, EVENTS.RETRY!).snapshot, EVENTS.FAIL!).snapshot;
    const gaveUp = advance(machine, advance(machine, snapshot, EVENTS.RETRY!).snapshot, EVENTS.FAIL!);
    expect(gaveUp.willRetry).toBe(false);
    expect(orderImplication(gaveUp)).toEqual({ orderStatus: 'exception', fulfillmentStarted: false });
    const timedOut = advance(machine, at.placed_with_supplier(), { type: SUPPLIER_TIMEOUT_EVENT });
    expect(orderImplication(timedOut)).toEqual({ orderStatus: 'exception', fulfillmentStarted: false });
  });
});
