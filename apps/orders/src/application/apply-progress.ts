import { retryOnConflict } from '@platform/runtime/conflict-retry';
import type { Logger } from '@platform/runtime/logger';
import type { Transaction } from '../adapters/database';
import { findOrderRow, type OrderRow, updateOrderAtVersion } from '../adapters/order-repository';
import { canTransition, type FulfillmentStatus, type OrderStatus } from '../domain/order-status';
import type { OrderState, Progress } from '../domain/progress-rules';
import { applyStatusChange, isVersionConflict, type StatusDeps } from './change-status';

function stateOf(row: OrderRow): OrderState {
  return { status: row.status as OrderStatus, fulfillmentStatus: row.fulfillmentStatus as FulfillmentStatus };
}

/**
 * Applies what another service reported, idempotently: a move the table no longer allows
 * (a late `processing` after a cancel, a duplicate) is logged and skipped, never an error
 * loop. A concurrent writer winning the optimistic lock makes it read the order again.
 */
export async function applyProgress(
  tx: Transaction,
  deps: StatusDeps & { log: Logger },
  input: {
    orderId: string;
    actor: string;
    cause: string;
    decide: (order: OrderState) => Progress | null;
    /** The order as the caller read it under its row lock (no other writer can have changed it): not read again. */
    locked?: OrderRow;
  },
): Promise<void> {
  let locked = input.locked;
  await retryOnConflict(isVersionConflict, async () => {
    const row = locked ?? (await findOrderRow(tx, input.orderId));
    locked = undefined;
    if (!row) {
      deps.log.warn({ orderId: input.orderId, cause: input.cause }, 'event about an unknown order; ignored');
      return;
    }
    const progress = input.decide(stateOf(row));
    if (!progress) return;
    const move = progress.to !== undefined && progress.to !== row.status ? progress.to : undefined;
    if (move && !canTransition(row.status as OrderStatus, move)) {
      deps.log.info({ orderId: row.id, status: row.status, to: move, cause: input.cause }, 'status change no longer applies; ignored');
    }
    const startsFulfillment = progress.fulfillmentStarted === true && !row.fulfillmentStarted;
    const newTracking = progress.tracking && progress.tracking.number !== row.trackingNumber ? progress.tracking : undefined;
    const newFulfillmentStatus = progress.fulfillmentStatus !== undefined && progress.fulfillmentStatus !== row.fulfillmentStatus ? progress.fulfillmentStatus : undefined;
    if (move && canTransition(row.status as OrderStatus, move)) {
      await applyStatusChange(tx, deps, row, row.version, {
        to: move,
        details: progress.details ?? null,
        actor: input.actor,
        tracking: newTracking,
        fulfillmentStarted: startsFulfillment,
        fulfillmentStatus: progress.fulfillmentStatus,
        delay: progress.delay,
      });
    } else if (startsFulfillment || newTracking || newFulfillmentStatus) {
      // Facts without a status change still bump the version: a modification read before them must fail.
      await updateOrderAtVersion(tx, row.id, row.version, {
        ...(startsFulfillment && { fulfillmentStarted: true }),
        ...(newTracking && { trackingNumber: newTracking.number, trackingCarrier: newTracking.carrier }),
        ...(newFulfillmentStatus && { fulfillmentStatus: newFulfillmentStatus }),
        updatedAt: deps.clock.now(),
      });
    }
  });
}
