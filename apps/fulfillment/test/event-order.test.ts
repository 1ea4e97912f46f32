import { randomUUID } from 'node:crypto';
import { allEvents, type Envelope, orderCancelled, orderCreated, orderModified, paymentSucceeded, refundSucceeded, trackingStatusChanged } from '@platform/contracts';
import type { Order } from '@platform/contracts/api/orders';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingEventSubscriptions } from '../src/consumers/billing-events';
import { orderEventSubscriptions } from '../src/consumers/order-events';
import { trackingEventSubscriptions } from '../src/consumers/tracking-events';
import { eventually } from '@platform/test-support/eventually';
import { type Composition, compose, createdEvent, event, POLL_MS, sampleOrder } from './support/composition';

/**
 * Fulfillment consumes three streams; JetStream keeps each stream's order but not the order
 * between them. For every pair of event types from different consumers, a journey in which
 * they are in flight together is replayed with the later one delivered first (keeping each
 * stream's own order), and the workflow must end where the natural order ends.
 */

let c: Composition;
beforeAll(async () => {
  c = await compose();
});
afterAll(async () => {
  await c?.stop();
});

/** The consumers as app.ts registers them: which stream each subscription reads. */
const consumers = () => [
  { stream: 'ORDERS', subscriptions: orderEventSubscriptions(c.fulfillment) },
  { stream: 'BILLING', subscriptions: billingEventSubscriptions(c.fulfillment) },
  { stream: 'TRACKING', subscriptions: trackingEventSubscriptions(c.fulfillment) },
];
const streamOf = (type: string) => allEvents.find((d) => d.type === type)!.stream;

interface Delivery {
  type: string;
  build: () => Promise<Envelope>;
}
interface Journey {
  name: string;
  /** Deliveries between internal steps (timers, supplier answers), which they cannot cross. */
  segments: Array<{ before?: () => Promise<void>; events: Delivery[] }>;
}

const created = (order: Order): Delivery => ({ type: orderCreated.type, build: async () => createdEvent(order) });
const paid = (order: Order): Delivery => ({
  type: paymentSucceeded.type,
  build: async () =>
    event(paymentSucceeded, order.id, { orderId: order.id, paymentId: randomUUID(), provider: 'stripe', providerPaymentId: 'pi_1', amount: 2000, currency: 'EUR', paidAt: new Date().toISOString() }),
});
const refunded = (order: Order): Delivery => ({
  type: refundSucceeded.type,
  build: async () =>
    event(refundSucceeded, order.id, {
      orderId: order.id, refundId: randomUUID(), paymentId: randomUUID(), providerRefundId: 're_1', amount: 2000, currency: 'EUR', reason: 'Order cancelled', refundedAt: new Date().toISOString(), remainingPaid: 0,
    }),
});
const cancelled = (order: Order): Delivery => ({
  type: orderCancelled.type,
  build: async () => event(orderCancelled, order.id, { orderId: order.id, reason: 'customer asked', actor: 'customer:cust-1', previousStatus: 'confirmed', cancelledAt: new Date().toISOString() }),
});
const modified = (order: Order): Delivery => ({
  type: orderModified.type,
  build: async () => event(orderModified, order.id, { order: { ...order, notes: 'ring twice', version: 1 }, previousTotal: 2000, changes: ['notes'], actor: 'customer:cust-1' }),
});
const tracked = (order: Order, status: 'in_transit' | 'delivered', previousStatus: 'pending' | 'in_transit'): Delivery => ({
  type: trackingStatusChanged.type,
  build: async () => {
    const shipment = await c.db.shipment.findFirstOrThrow({ where: { orderId: order.id } });
    return event(trackingStatusChanged, order.id, {
      orderId: order.id, shipmentId: shipment.id, trackingNumber: shipment.trackingNumber!, carrier: null, status, previousStatus,
      event: { time: new Date().toISOString(), location: 'Madrid', description: status }, estimatedDelivery: null, provider: '17track', at: new Date().toISOString(),
    });
  },
});
/** The 60 s pass, the supplier order is placed and the first poll finds it confirmed or shipped. */
const placeAndAnswer = (answer: 'confirmed' | 'shipped') => async () => {
  c.suppliers.cj.status =
    answer === 'confirmed' ? { status: 'confirmed', trackingNumber: null, carrier: null, reason: null } : { status: 'shipped', trackingNumber: 'RR123456785CN', carrier: 'CJPacket Ordinary', reason: null };
  await c.advance(60_000);
  await c.advance(POLL_MS);
};

const journeys = (order: Order): Journey[] => [
  {
    name: 'cancelled before fulfillment starts',
    segments: [{ events: [created(order), modified(order), paid(order), cancelled(order), refunded(order)] }],
  },
  {
    name: 'cancelled after the supplier confirmed',
    segments: [
      { events: [created(order), paid(order)] },
      { before: placeAndAnswer('confirmed'), events: [cancelled(order), refunded(order)] },
    ],
  },
  {
    name: 'late news from orders and billing while the parcel travels',
    segments: [
      { events: [created(order), paid(order)] },
      {
        before: placeAndAnswer('shipped'),
        events: [modified(order), cancelled(order), paid(order), refunded(order), tracked(order, 'in_transit', 'pending'), tracked(order, 'delivered', 'in_transit')],
      },
    ],
  },
];

/** A pair that can never be in flight together: the tracking update follows a shipment, which needs the order. */
const CAUSALLY_ORDERED = [['orders.order.created', 'tracking.shipment.status_changed']];

/** Every interleaving that moves a later event of another stream ahead of an earlier one, keeping per-stream order. */
function reorderings(types: string[]): Array<{ pair: [string, string]; order: number[] }> {
  const out: Array<{ pair: [string, string]; order: number[] }> = [];
  const indices = types.map((_, i) => i);
  for (let i = 0; i < types.length; i += 1) {
    for (let j = i + 1; j < types.length; j += 1) {
      const later = streamOf(types[j]!);
      if (streamOf(types[i]!) === later) continue;
      const between = indices.slice(i, j + 1);
      const moved = between.filter((k) => streamOf(types[k]!) === later);
      out.push({ pair: [types[i]!, types[j]!], order: [...indices.slice(0, i), ...moved, ...between.filter((k) => !moved.includes(k)), ...indices.slice(j + 1)] });
    }
  }
  return out;
}

/** The handler the service's consumers run for `type`. */
function handlerOf(type: string) {
  return consumers()
    .flatMap((consumer) => consumer.subscriptions)
    .find((s) => s.type === type)!.handle;
}

/**
 * Delivers like the consumers: a handler that throws is redelivered later (JetStream nak),
 * and its stream's later events wait behind it (one aggregate's events stay in order).
 */
async function deliverAll(envelopes: Envelope[]) {
  const waiting = new Map<string, Envelope[]>();
  const apply = async (envelope: Envelope) => {
    try {
      await c.db.$transaction((tx) => handlerOf(envelope.type)(envelope, tx));
      return true;
    } catch {
      return false;
    }
  };
  const retryWaiting = async () => {
    for (let progress = true; progress; ) {
      progress = false;
      for (const queue of waiting.values()) {
        while (queue.length > 0 && (await apply(queue[0]!))) {
          queue.shift();
          progress = true;
        }
      }
    }
  };
  for (const envelope of envelopes) {
    const queue = waiting.get(streamOf(envelope.type)) ?? [];
    waiting.set(streamOf(envelope.type), queue);
    if (queue.length > 0 || !(await apply(envelope))) queue.push(envelope);
    else await retryWaiting();
  }
  await retryWaiting();
  expect([...waiting.values()].flat().map((e) => e.type), 'events never applied').toEqual([]);
}

async function run(journeyIndex: number, reorder?: { segment: number; order: number[] }) {
  const order = sampleOrder([{ sku: 'CJ-LAMP', quantity: 1, supplierSource: 'cj' }]);
  const journey = journeys(order)[journeyIndex]!;
  for (const [index, segment] of journey.segments.entries()) {
    await segment.before?.();
    const envelopes: Envelope[] = [];
    for (const delivery of segment.events) envelopes.push(await delivery.build());
    await deliverAll(reorder?.segment === index ? reorder.order.map((k) => envelopes[k]!) : envelopes);
  }
  const view = (await c.app.inject({ method: 'GET', url: `/orders/${order.id}` })).json();
  // Parked events still waiting: a finished workflow has none left (what could not apply shows as dropped).
  return { state: view.state, waiting: view.parkedEvents.filter((p: { droppedAt: string | null }) => p.droppedAt === null).length };
}

const sample = journeys(sampleOrder([]));
const typesOf = (events: Delivery[]) => events.map((e) => e.type);

describe('events from different streams, in either order', () => {
  it('every cross-stream pair of subscribed event types is exercised by some journey', () => {
    const types = consumers().flatMap((consumer) => consumer.subscriptions.map((s) => ({ type: s.type, stream: consumer.stream })));
    const key = (pair: string[]) => [...pair].sort().join(' + ');
    const required = types.flatMap((a) => types.filter((b) => b.stream !== a.stream && a.type < b.type).map((b) => key([a.type, b.type])));
    const covered = new Set(sample.flatMap((journey) => journey.segments.flatMap((segment) => reorderings(typesOf(segment.events)).map(({ pair }) => key(pair)))));
    const excluded = CAUSALLY_ORDERED.map(key);
    expect(required.length).toBeGreaterThan(0);
    expect(required.filter((pair) => !covered.has(pair) && !excluded.includes(pair))).toEqual([]);
  });

  it.each(sample.map((journey, index) => [journey.name, index] as const))('%s: every reordering ends where the natural order ends', async (_name, journeyIndex) => {
    const natural = await run(journeyIndex);
    expect(natural.waiting).toBe(0);
    expect(natural.state).toBe(['cancelled', 'refunded', 'delivered'][journeyIndex]);
    for (const [segmentIndex, segment] of sample[journeyIndex]!.segments.entries()) {
      for (const { pair, order } of reorderings(typesOf(segment.events))) {
        const reordered = await run(journeyIndex, { segment: segmentIndex, order });
        expect(reordered, `${pair[1]} before ${pair[0]}`).toEqual(natural);
      }
    }
  });
});

describe('an event that cannot apply yet, while a step that would let it is being committed', () => {
  /**
   * A paid order confirmed by its supplier, then its cancel and its refund (which applies only
   * after the cancel), each handled in a transaction of its own: `first` runs and holds its
   * commit until the other waits for the workflow's row (or is done), then both commit. The
   * refund must end applied, whichever was first.
   */
  async function cancelAndRefundRacing(first: 'cancel' | 'refund') {
    const order = sampleOrder([{ sku: 'CJ-LAMP', quantity: 1, supplierSource: 'cj' }]);
    await deliverAll([createdEvent(order), await paid(order).build()]);
    await placeAndAnswer('confirmed')();
    const events = { cancel: await cancelled(order).build(), refund: await refunded(order).build() };
    const second = events[first === 'cancel' ? 'refund' : 'cancel'];
    let handled!: () => void;
    const ready = new Promise<void>((resolve) => (handled = resolve));
    let commit!: () => void;
    const committing = new Promise<void>((resolve) => (commit = resolve));
    const holding = c.db.$transaction(async (tx) => {
      await handlerOf(events[first].type)(events[first], tx);
      handled();
      await committing;
    });
    await ready;
    let secondSettled = false;
    const following = c.db.$transaction((tx) => handlerOf(second.type)(second, tx)).finally(() => (secondSettled = true));
    await eventually(
      async () => secondSettled || (await c.db.$queryRaw<Array<{ waiting: number }>>`SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`)[0]!.waiting > 0,
      (ready) => ready,
    );
    commit();
    await Promise.all([holding, following]);
    return (await c.app.inject({ method: 'GET', url: `/orders/${order.id}` })).json();
  }

  it('waits for that step and applies after it, rather than being parked where that step no longer looks', async () => {
    // The cancel is saved but not committed until the refund has either been handled or waits for the row.
    const view = await cancelAndRefundRacing('cancel');
    expect(view.parkedEvents.filter((p: { droppedAt: string | null }) => p.droppedAt === null)).toEqual([]);
    expect(view.state).toBe('refunded');
  });

  it('is found by that step when it was parked first and committed while the step waited for the row', async () => {
    // The refund is parked (the workflow is not cancelled yet) but not committed until the cancel
    // waits for the row: the cancel's step must count it and apply it.
    const view = await cancelAndRefundRacing('refund');
    expect(view.parkedEvents).toEqual([]);
    expect(view.state).toBe('refunded');
  });
});
