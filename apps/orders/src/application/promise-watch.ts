import type { Actor } from '@platform/runtime/actor';
import { recordEvent } from '@platform/runtime/outbox';
import type { EventData, trackingEstimateChanged, trackingShipmentSilent, trackingStatusChanged } from '@platform/contracts';
import type { DelayedOrdersPage } from '@platform/contracts/api/orders';
import type { Database, Transaction } from '../adapters/database';
import { findPromise, listDelayed, listParcels, type PromiseRow, recordParcel, setEstimate, toOrderPromise } from '../adapters/delivery-promise-repository';
import { lockOrder, type OrderRow, toOrder } from '../adapters/order-repository';
import { assertStaff } from '../domain/actor';
import { awaitsDelivery, delayDetails, estimateBreaksPromise, orderEstimate, promisePassed } from '../domain/delivery-promise';
import { canTransition, type OrderStatus } from '../domain/order-status';
import { progressFromTracking } from '../domain/progress-rules';
import { applyProgress } from './apply-progress';
import type { OrdersDeps } from './dependencies';
import { type DelayFact, flagDelayed, settleOnCarrierTime } from './delivery-promise';
import { decodeCursor, encodeCursor } from '@platform/contracts/api/page-cursor';

/*
 * The promise kept an eye on (docs/delivery-promise.md): the carrier's estimates, silences,
 * delays and deliveries per parcel, and the promise's own deadline (a timer). A breach moves the
 * order to `delayed` through the one status path (change-status.ts), which flags the promise once
 * and tells the customer once; where the status cannot or need not move (not shipped yet, or
 * already `delayed` by a carrier delay the promise absorbed), the promise is flagged all the same.
 * Each handler first takes the order's row lock, so one order's facts are applied one at a time.
 */

type Deps = Pick<OrdersDeps, 'clock' | 'log' | 'metrics'>;

/**
 * The order is late: moved to `delayed` where the status table allows it, and its promise flagged
 * (once) whether or not the status moved.
 */
async function reportLate(
  tx: Transaction,
  deps: Deps,
  row: OrderRow,
  late: { actor: string; cause: string; details: string; delay: DelayFact },
): Promise<void> {
  if (canTransition(row.status as OrderStatus, 'delayed')) {
    await applyProgress(tx, deps, { orderId: row.id, actor: late.actor, cause: late.cause, decide: () => ({ to: 'delayed', details: late.details, delay: late.delay }), locked: row });
  }
  await flagUnmoved(tx, deps, row.id, late.delay);
}

/** The promise flagged for a delay the status did not move for (it is `delayed` already, or cannot be); a no-op once flagged. */
async function flagUnmoved(tx: Transaction, deps: Deps, orderId: string, delay: DelayFact): Promise<void> {
  const promise = await findPromise(tx, orderId);
  if (!promise || promise.delayedAt || promise.promiseMet !== null) return;
  const row = await lockOrder(tx, orderId);
  if (!row || !awaitsDelivery(row.status as OrderStatus)) return;
  const delayed = await flagDelayed(tx, toOrder(row), delay, deps.clock.now());
  if (delayed) await recordEvent(tx, delayed);
}

/** The parcel's facts kept, and the order's estimate worked out again from all its parcels: the promise as it now stands. */
async function noteParcel(
  tx: Transaction,
  deps: Deps,
  orderId: string,
  shipmentId: string,
  facts: { estimatedDelivery?: Date | undefined; deliveredAt?: Date | undefined },
): Promise<PromiseRow> {
  const now = deps.clock.now();
  await recordParcel(tx, orderId, shipmentId, facts, now);
  return setEstimate(tx, orderId, orderEstimate(await listParcels(tx, orderId)), now);
}

/**
 * The carrier's new estimate for a parcel: kept, and the order flagged late (once) when the
 * order's estimate, the latest among its parcels still on the way, is past the promise.
 */
export async function watchEstimate(tx: Transaction, deps: Deps, fact: EventData<typeof trackingEstimateChanged>): Promise<void> {
  const row = await lockOrder(tx, fact.orderId);
  if (!row || !(await findPromise(tx, fact.orderId))) return;
  const promise = await noteParcel(tx, deps, fact.orderId, fact.shipmentId, { estimatedDelivery: new Date(fact.estimatedDelivery) });
  const estimatedDelivery = promise.estimatedDelivery;
  if (promise.delayedAt || !estimatedDelivery || !estimateBreaksPromise(estimatedDelivery, { latest: promise.latest.toISOString() })) return;
  await reportLate(tx, deps, row, {
    actor: 'tracking',
    cause: `tracking.shipment.estimate_changed ${fact.estimatedDelivery}`,
    details: delayDetails({ reason: 'late_estimate', estimatedDelivery }),
    delay: { reason: 'late_estimate', estimatedDelivery },
  });
}

/** A parcel gone quiet: the order flagged late (once), with the order's estimate if any. */
export async function watchSilence(tx: Transaction, deps: Deps, fact: EventData<typeof trackingShipmentSilent>): Promise<void> {
  const row = await lockOrder(tx, fact.orderId);
  const promise = row && (await findPromise(tx, fact.orderId));
  if (!row || !promise || promise.delayedAt) return;
  const estimatedDelivery = promise.estimatedDelivery ?? (fact.estimatedDelivery ? new Date(fact.estimatedDelivery) : null);
  await reportLate(tx, deps, row, {
    actor: 'tracking',
    cause: `tracking.shipment.silent ${fact.shipmentId}`,
    details: delayDetails({ reason: 'no_scan', silentForMs: fact.silentForMs }),
    delay: { reason: 'no_scan', estimatedDelivery },
  });
}

/**
 * A parcel's normalized status moved (ORD-03: delayed, exception, back in transit): the order
 * follows (`progressFromTracking`). The parcel's facts are kept first: the estimate it came
 * with, and for `delivered` when the carrier delivered it (the scan's time, else when tracking
 * learnt it), which the promise is judged on. A carrier's "delayed" flags the promise only when
 * it breaks it (`delayBreaksPromise`), also for an order already `delayed` by an earlier one.
 */
export async function watchTrackingStatus(tx: Transaction, deps: Deps, fact: EventData<typeof trackingStatusChanged>): Promise<void> {
  const row = await lockOrder(tx, fact.orderId);
  const promise = row && (await findPromise(tx, fact.orderId));
  const delivered = fact.status === 'delivered';
  if (promise && (fact.estimatedDelivery || delivered)) {
    await noteParcel(tx, deps, fact.orderId, fact.shipmentId, {
      estimatedDelivery: fact.estimatedDelivery ? new Date(fact.estimatedDelivery) : undefined,
      deliveredAt: delivered ? new Date(fact.event?.time ?? fact.at) : undefined,
    });
  }
  await applyProgress(tx, deps, {
    orderId: fact.orderId,
    actor: 'tracking',
    cause: `tracking.shipment.status_changed ${fact.status}`,
    decide: (order) => progressFromTracking(fact, order),
    ...(row && { locked: row }),
  });
  if (!promise) return;
  if (fact.status === 'delayed') {
    await flagUnmoved(tx, deps, fact.orderId, { reason: 'carrier_delay', estimatedDelivery: fact.estimatedDelivery ? new Date(fact.estimatedDelivery) : null });
  }
  if (delivered) {
    const settled = await findPromise(tx, fact.orderId);
    if (settled) await settleOnCarrierTime(tx, settled, deps.clock.now());
  }
}

/**
 * Timer `orders.promise-deadline`, just after the promise's last moment: an order the customer
 * paid for and still waits on, not flagged yet (no estimate past the promise, no silence: say a
 * parcel scanned regularly without an estimate, or not shipped at all), is late now. Flagged
 * like the watchers' breaches (`late_estimate`: it can only arrive after the promise), so the
 * customer's one notice is still one. A promise moved later by a modification moved the timer too.
 */
export async function promiseDeadlinePassed(tx: Transaction, deps: Deps, orderId: string): Promise<void> {
  const row = await lockOrder(tx, orderId);
  const promise = row && (await findPromise(tx, orderId));
  const now = deps.clock.now();
  if (!row || !promise || promise.delayedAt || promise.promiseMet !== null) return;
  if (!awaitsDelivery(row.status as OrderStatus) || !promisePassed(now, { latest: promise.latest.toISOString() })) return;
  await reportLate(tx, deps, row, {
    actor: 'orders',
    cause: `timer orders.promise-deadline ${promise.latest.toISOString()}`,
    details: delayDetails({ reason: 'promise_passed', estimatedDelivery: promise.estimatedDelivery }),
    delay: { reason: 'late_estimate', estimatedDelivery: promise.estimatedDelivery },
  });
}

/** `GET /ops/orders/delayed`: orders flagged late and still on their way, longest late first. */
export async function delayedOrders(db: Database, query: { limit: number; cursor?: string | undefined }, actor: Actor): Promise<DelayedOrdersPage> {
  assertStaff(actor);
  const after = query.cursor ? decodeCursor(query.cursor) : undefined;
  const rows = await listDelayed(db, { after: after && { delayedAt: after.createdAt, orderId: after.id }, limit: query.limit + 1 });
  const items = rows.slice(0, query.limit).map((row) => ({
    orderId: row.promise.orderId,
    number: row.number,
    status: row.status as OrderStatus,
    customerId: row.customerId,
    tracking: row.tracking,
    deliveryPromise: toOrderPromise(row.promise),
  }));
  const last = rows.length > query.limit ? items.at(-1)! : undefined;
  return { items, nextCursor: last ? encodeCursor({ createdAt: last.deliveryPromise.delayedAt!, id: last.orderId }) : null };
}
