import { EVENTS_PER_TRANSACTION, on, ORDERS_AT_ONCE } from '@platform/runtime/consumer';
import type { ServiceRuntime } from '@platform/runtime/service';
import {
  type EventOf,
  itemsCancelled,
  paymentFailed,
  paymentSucceeded,
  progressChanged,
  refundSucceeded,
  returnChanged,
  trackingScanned,
  trackingEstimateChanged,
  trackingShipmentSilent,
  trackingStatusChanged,
  workflowTransitioned,
} from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { applyProgress } from '../application/apply-progress';
import { noteShippedParcels } from '../application/channel-orders';
import { addToTimeline } from '../application/timeline';
import { carrierScanEntry, paymentEntry, paymentFailedEntry, refundEntry, returnEntry, workflowEntry } from '../domain/timeline';
import { watchEstimate, watchSilence, watchTrackingStatus } from '../application/promise-watch';
import type { OrdersDeps } from '../application/dependencies';
import { applyItemsCancelled, applyVendorProgress, type PartsMoved } from '../application/sub-orders';
import { progressFromPayment, progressFromRefund, progressFromWorkflow } from '../domain/progress-rules';
import { progressFromRollUp } from '../domain/sub-orders';

type Deps = Pick<OrdersDeps, 'clock' | 'log' | 'metrics'>;

export async function onPaymentSucceeded(deps: Deps, event: EventOf<typeof paymentSucceeded>, tx: Transaction): Promise<void> {
  addToTimeline(tx, [paymentEntry(event)]);
  await applyProgress(tx, deps, { orderId: event.data.orderId, actor: 'billing', cause: event.type, decide: () => progressFromPayment(event.data) });
}

/** A failed payment changes no status (the order waits for another attempt or its expiry): it joins the timeline. */
export async function onPaymentFailed(event: EventOf<typeof paymentFailed>, tx: Transaction): Promise<void> {
  addToTimeline(tx, [paymentFailedEntry(event)]);
}

export async function onRefundSucceeded(deps: Deps, event: EventOf<typeof refundSucceeded>, tx: Transaction): Promise<void> {
  addToTimeline(tx, [refundEntry(event)]);
  await applyProgress(tx, deps, {
    orderId: event.data.orderId,
    actor: 'billing',
    cause: event.type,
    decide: (order) => progressFromRefund(event.data, order),
  });
}

export async function onWorkflowTransitioned(deps: Deps, event: EventOf<typeof workflowTransitioned>, tx: Transaction): Promise<void> {
  addToTimeline(tx, [workflowEntry(event)]);
  await applyProgress(tx, deps, {
    orderId: event.data.orderId,
    actor: 'fulfillment',
    cause: `${event.type} ${event.data.from}→${event.data.to}`,
    decide: () => progressFromWorkflow(event.data),
  });
}

/** The parent follows its parts: their roll-up (docs/requirements.md#ord-05-vendor-split). */
function followParts(deps: Deps, tx: Transaction, orderId: string, cause: string, parts: PartsMoved | null): Promise<void> {
  if (!parts) return Promise.resolve();
  return applyProgress(tx, deps, {
    orderId,
    actor: 'fulfillment',
    cause,
    decide: (order) => progressFromRollUp(parts.before, parts.after, order),
    locked: parts.order,
  });
}

export async function onProgressChanged(deps: Deps, event: EventOf<typeof progressChanged>, tx: Transaction): Promise<void> {
  const parts = await applyVendorProgress(tx, deps.clock, event.data);
  await followParts(deps, tx, event.data.orderId, `${event.type} ${event.data.cause.kind}`, parts);
  // A channel order's parcels that left are told back to its channel (after this commit, by a timer).
  await noteShippedParcels(tx, deps, event.data);
}

export async function onItemsCancelled(deps: Deps, event: EventOf<typeof itemsCancelled>, tx: Transaction): Promise<void> {
  const parts = await applyItemsCancelled(tx, deps.clock, event.data);
  await followParts(deps, tx, event.data.orderId, `${event.type} ${event.data.cause}`, parts);
}

/** Each step of a return joins the order's timeline; the units it brings back reach the order through fulfillment's progress. */
export async function onReturnChanged(event: EventOf<typeof returnChanged>, tx: Transaction): Promise<void> {
  addToTimeline(tx, [returnEntry(event)]);
}

/** Each carrier scan joins the order's timeline with its place (GW-03), a return parcel's too. */
export async function onTrackingScanned(event: EventOf<typeof trackingScanned>, tx: Transaction): Promise<void> {
  addToTimeline(tx, [carrierScanEntry(event)]);
}

/*
 * A return parcel (its events name the return) is the customer's on its way back: its status,
 * estimate or silence says nothing of the order's delivery, so they neither move the order nor
 * touch its delivery promise.
 */

/** The order follows the parcel's status; the delivery promise keeps its estimate and delivery time. */
export async function onTrackingStatusChanged(deps: Deps, event: EventOf<typeof trackingStatusChanged>, tx: Transaction): Promise<void> {
  if (!event.data.returnId) await watchTrackingStatus(tx, deps, event.data);
}

export async function onEstimateChanged(deps: Deps, event: EventOf<typeof trackingEstimateChanged>, tx: Transaction): Promise<void> {
  if (!event.data.returnId) await watchEstimate(tx, deps, event.data);
}

export async function onShipmentSilent(deps: Deps, event: EventOf<typeof trackingShipmentSilent>, tx: Transaction): Promise<void> {
  if (!event.data.returnId) await watchSilence(tx, deps, event.data);
}

/** The order follows payment, fulfillment and tracking (durable consumers `orders--<purpose>`). */
export function registerProgressConsumers(runtime: ServiceRuntime, db: OrdersDeps['db'], deps: Deps): void {
  // The three consumers commit the events at hand together: each handler locks its own order's
  // rows only, and a batch takes its orders in the order of their ids (EventConsumer).
  runtime.addConsumer<Transaction>({
    name: 'orders--billing',
    concurrency: ORDERS_AT_ONCE,
    batch: EVENTS_PER_TRANSACTION,
    stream: 'BILLING',
    db,
    subscriptions: [
      on(paymentSucceeded, (event, tx: Transaction) => onPaymentSucceeded(deps, event, tx)),
      on(paymentFailed, (event, tx: Transaction) => onPaymentFailed(event, tx)),
      on(refundSucceeded, (event, tx: Transaction) => onRefundSucceeded(deps, event, tx)),
    ],
  });
  runtime.addConsumer<Transaction>({
    name: 'orders--fulfillment',
    concurrency: ORDERS_AT_ONCE,
    batch: EVENTS_PER_TRANSACTION,
    stream: 'FULFILLMENT',
    db,
    subscriptions: [
      on(workflowTransitioned, (event, tx: Transaction) => onWorkflowTransitioned(deps, event, tx)),
      on(progressChanged, (event, tx: Transaction) => onProgressChanged(deps, event, tx)),
      on(itemsCancelled, (event, tx: Transaction) => onItemsCancelled(deps, event, tx)),
      on(returnChanged, (event, tx: Transaction) => onReturnChanged(event, tx)),
    ],
  });
  runtime.addConsumer<Transaction>({
    name: 'orders--tracking',
    concurrency: ORDERS_AT_ONCE,
    batch: EVENTS_PER_TRANSACTION,
    stream: 'TRACKING',
    db,
    subscriptions: [
      on(trackingStatusChanged, (event, tx: Transaction) => onTrackingStatusChanged(deps, event, tx)),
      on(trackingScanned, (event, tx: Transaction) => onTrackingScanned(event, tx)),
      on(trackingEstimateChanged, (event, tx: Transaction) => onEstimateChanged(deps, event, tx)),
      on(trackingShipmentSilent, (event, tx: Transaction) => onShipmentSilent(deps, event, tx)),
    ],
  });
}
