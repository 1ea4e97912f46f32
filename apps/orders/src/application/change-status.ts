import { randomUUID } from 'node:crypto';
import { DomainError } from '@platform/contracts/errors';
import { newEvent, recordEvent } from '@platform/runtime/outbox';
import type { Actor } from '@platform/runtime/actor';
import { retryOnConflict } from '@platform/runtime/conflict-retry';
import { orderCancelled, orderStatusChanged } from '@platform/contracts';
import type { Order } from '@platform/contracts/api/orders';
import type { Transaction } from '../adapters/database';
import { getOrderRow, type OrderRow, toOrder, updateOrderAtVersion, versionConflict } from '../adapters/order-repository';
import { assertMayAccess } from '../domain/actor';
import { assertCancellable, assertTransition, deriveFulfillmentStatus, type OrderStatus } from '../domain/order-status';
import { statusEntry } from '../domain/timeline';
import { type OrdersDeps, SERVICE } from './dependencies';
import { addToTimeline } from './timeline';
import { type DelayFact, flagDelayed, settleDelivered, stopWatchingDeadline } from './delivery-promise';
import { subOrdersFollowParent } from './sub-orders';

/** What a status change needs from the process: its time, and the metrics a delivery counts in. */
export type StatusDeps = Pick<OrdersDeps, 'clock' | 'metrics'>;

export interface StatusChange {
  to: OrderStatus;
  details: string | null;
  actor: string;
  /** Facts learnt with the change (a tracking number on shipment, fulfillment started). */
  tracking?: { number: string; carrier: string | null } | undefined;
  fulfillmentStarted?: boolean | undefined;
  /** Where the units are, when known (the sub-orders' roll-up); else derived from the status. */
  fulfillmentStatus?: Order['fulfillmentStatus'] | undefined;
  /** Why the order is late, for a change to `delayed` (none: an operator's call). */
  delay?: DelayFact | undefined;
}

/**
 * The one way an order's status changes (ORD-03): checked against the transition table, the
 * row updated only at `expectedVersion` (optimistic lock) with a history entry, and
 * `orders.order.status_changed` recorded, all in the caller's transaction.
 */
export async function applyStatusChange(
  tx: Transaction,
  deps: StatusDeps,
  row: OrderRow,
  expectedVersion: number,
  change: StatusChange,
): Promise<Order> {
  const previous = row.status as OrderStatus;
  assertTransition(previous, change.to);
  const now = deps.clock.now();
  const history = { id: randomUUID(), status: change.to, previousStatus: previous, details: change.details, actor: change.actor, createdAt: now };
  const updated = await updateOrderAtVersion(
    tx,
    row.id,
    expectedVersion,
    {
      status: change.to,
      fulfillmentStatus: change.fulfillmentStatus ?? deriveFulfillmentStatus(change.to, row.fulfillmentStatus as Order['fulfillmentStatus']),
      ...(change.tracking && { trackingNumber: change.tracking.number, trackingCarrier: change.tracking.carrier }),
      ...(change.fulfillmentStarted && { fulfillmentStarted: true }),
      updatedAt: now,
    },
    history,
  );
  const order = toOrder(updated);
  addToTimeline(tx, [statusEntry({ ...history, orderId: order.id, at: now })]);
  await recordEvent(
    tx,
    newEvent(orderStatusChanged, {
      aggregateId: order.id,
      source: SERVICE,
      occurredAt: now,
      data: {
        orderId: order.id,
        number: order.number,
        status: order.status,
        previousStatus: previous,
        details: change.details,
        actor: change.actor,
        customer: order.customer,
        total: order.totals.total,
        currency: order.currency,
        tracking: order.tracking ?? null,
        version: order.version,
        changedAt: now.toISOString(),
      },
    }),
  );
  // The delivery promise follows: flagged the first time the order is late past it (a carrier's
  // delay the promise absorbs moves the status only), settled on delivery, no longer watched once cancelled.
  if (change.to === 'delayed') {
    const delayed = await flagDelayed(tx, order, change.delay ?? { reason: 'manual', estimatedDelivery: null }, now);
    if (delayed) await recordEvent(tx, delayed);
  }
  if (change.to === 'delivered') await settleDelivered(tx, deps.metrics, order.id, now);
  if (change.to === 'cancelled') await stopWatchingDeadline(tx, order.id);
  await subOrdersFollowParent(tx, deps.clock, order, change);
  return order;
}

export function isVersionConflict(error: unknown): boolean {
  return error instanceof DomainError && error.code === 'VERSION_CONFLICT';
}

/**
 * Runs `attempt` on the current row; when a concurrent writer won the optimistic lock, reads
 * the row again and retries. `expectedVersion` given = the caller's own precondition, which
 * is never retried.
 */
export async function withCurrentOrder<T>(
  tx: Transaction,
  orderId: string,
  { expectedVersion, actor }: { expectedVersion?: number | undefined; actor?: Actor | undefined },
  attempt: (row: OrderRow, version: number) => Promise<T>,
): Promise<T> {
  return retryOnConflict(
    (error) => expectedVersion === undefined && isVersionConflict(error),
    async () => {
      const row = await getOrderRow(tx, orderId);
      if (actor) assertMayAccess(actor, row.customerId, row.id);
      if (expectedVersion !== undefined && row.version !== expectedVersion) throw versionConflict(expectedVersion);
      return attempt(row, row.version);
    },
  );
}

/**
 * Cancels an order (ORD-04) unless it shipped: `cancelled` with history, and
 * `orders.order.cancelled` so fulfillment stops and billing refunds or voids.
 */
export async function cancelOrderInTransaction(
  tx: Transaction,
  deps: StatusDeps,
  input: { orderId: string; reason: string; actor: Actor; expectedVersion?: number | undefined },
): Promise<Order> {
  return withCurrentOrder(tx, input.orderId, input, async (row, version) => {
    assertCancellable({ status: row.status as OrderStatus, fulfillmentStatus: row.fulfillmentStatus as Order['fulfillmentStatus'] });
    const order = await applyStatusChange(tx, deps, row, version, { to: 'cancelled', details: input.reason, actor: input.actor.name });
    await recordEvent(
      tx,
      newEvent(orderCancelled, {
        aggregateId: order.id,
        source: SERVICE,
        occurredAt: deps.clock.now(),
        data: {
          orderId: order.id,
          reason: input.reason,
          actor: input.actor.name,
          previousStatus: row.status as OrderStatus,
          cancelledAt: order.updatedAt,
        },
      }),
    );
    return order;
  });
}
