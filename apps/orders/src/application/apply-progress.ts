import type { Clock } from '@platform/runtime/clock';
import { retryOnConflict } from '@platform/runtime/conflict-retry';
import type { Logger } from '@platform/runtime/logger';
import type { Transaction } from '../adapters/database';
import { findOrderRow, type OrderRow, updateOrderAtVersion } from '../adapters/order-repository';
import { canTransition, type FulfillmentStatus, followsFulfillmentProgress, type OrderStatus } from '../domain/order-status';
import type { OrderState, Progress } from '../domain/progress-rules';
import { applyStatusChange, isVersionConflict } from './change-status';

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
  deps: { clock: Clock; log: Logger },
  input: { orderId: string; actor: string; cause: string; decide: (order: OrderState) => Progress | null },
): Promise<void> {
  await retryOnConflict(isVersionConflict, async () => {
    const row = await findOrderRow(tx, input.orderId);
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
    if (move && canTransition(row.status as OrderStatus, move)) {
      await applyStatusChange(tx, deps.clock, row, row.version, {
        to: move,
        details: progress.details ?? null,
        actor: input.actor,
        tracking: newTracking,
        fulfillmentStarted: startsFulfillment,
      });
    } else if (startsFulfillment || newTracking) {
      // Facts without a status change still bump the version: a modification read before them must fail.
      await updateOrderAtVersion(tx, row.id, row.version, {
        ...(startsFulfillment && { fulfillmentStarted: true }),
        ...(newTracking && { trackingNumber: newTracking.number, trackingCarrier: newTracking.carrier }),
        updatedAt: deps.clock.now(),
      });
    }
  });
}

/**
 * Where the order's units are, as fulfillment counts them (`fulfillment.progress.changed`,
 * docs/requirements.md#ord-03-order-statuses): the order's fulfillment status, unless the order is
 * cancelled, refunded or returned, which orders decides. The events of one order arrive in
 * order, so the latest wins; the version is bumped so a modification read before it fails.
 */
export async function applyFulfillmentStatus(
  tx: Transaction,
  deps: { clock: Clock; log: Logger },
  input: { orderId: string; fulfillmentStatus: FulfillmentStatus; cause: string },
): Promise<void> {
  await retryOnConflict(isVersionConflict, async () => {
    const row = await findOrderRow(tx, input.orderId);
    if (!row) {
      deps.log.warn({ orderId: input.orderId, cause: input.cause }, 'event about an unknown order; ignored');
      return;
    }
    if (!followsFulfillmentProgress(row.status as OrderStatus) || row.fulfillmentStatus === input.fulfillmentStatus) return;
    await updateOrderAtVersion(tx, row.id, row.version, { fulfillmentStatus: input.fulfillmentStatus, updatedAt: deps.clock.now() });
  });
}
