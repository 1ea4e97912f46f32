import type { Actor } from '@platform/runtime/actor';
import type { Clock } from '@platform/runtime/clock';
import type { Logger } from '@platform/runtime/logger';
import type { EventData, trackingEstimateChanged, trackingShipmentSilent } from '@platform/contracts';
import type { DelayedOrdersPage } from '@platform/contracts/api/orders';
import type { Database, Transaction } from '../adapters/database';
import { findPromise, listDelayed, recordEstimate, toOrderPromise } from '../adapters/delivery-promise-repository';
import { assertStaff } from '../domain/actor';
import { delayDetails, estimateBreaksPromise } from '../domain/delivery-promise';
import type { OrderStatus } from '../domain/order-status';
import { applyProgress } from './apply-progress';
import { decodeCursor, encodeCursor } from './order-queries';

/*
 * The promise kept an eye on (docs/delivery-promise.md): the carrier's estimates and silences
 * against the promise. A breach moves the order to `delayed` through the one status path
 * (change-status.ts), which flags the promise once and tells the customer once.
 */

type Deps = { clock: Clock; log: Logger };

/** The carrier's new estimate: remembered, and the order flagged late when it is past the promise (once). */
export async function watchEstimate(tx: Transaction, deps: Deps, fact: EventData<typeof trackingEstimateChanged>): Promise<void> {
  const promise = await findPromise(tx, fact.orderId);
  if (!promise) return;
  const estimatedDelivery = new Date(fact.estimatedDelivery);
  await recordEstimate(tx, fact.orderId, estimatedDelivery, deps.clock.now());
  if (promise.delayedAt || !estimateBreaksPromise(estimatedDelivery, { latest: promise.latest.toISOString() })) return;
  await applyProgress(tx, deps, {
    orderId: fact.orderId,
    actor: 'tracking',
    cause: `tracking.shipment.estimate_changed ${fact.estimatedDelivery}`,
    decide: () => ({
      to: 'delayed',
      details: delayDetails({ reason: 'late_estimate', estimatedDelivery }),
      delay: { reason: 'late_estimate', estimatedDelivery },
    }),
  });
}

/** A parcel gone quiet: the order flagged late (once), with the carrier's last estimate if any. */
export async function watchSilence(tx: Transaction, deps: Deps, fact: EventData<typeof trackingShipmentSilent>): Promise<void> {
  const promise = await findPromise(tx, fact.orderId);
  if (!promise || promise.delayedAt) return;
  const estimatedDelivery = fact.estimatedDelivery ? new Date(fact.estimatedDelivery) : promise.estimatedDelivery;
  await applyProgress(tx, deps, {
    orderId: fact.orderId,
    actor: 'tracking',
    cause: `tracking.shipment.silent ${fact.shipmentId}`,
    decide: () => ({
      to: 'delayed',
      details: delayDetails({ reason: 'no_scan', silentForMs: fact.silentForMs }),
      delay: { reason: 'no_scan', estimatedDelivery },
    }),
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
