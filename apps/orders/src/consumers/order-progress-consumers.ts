import { on } from '@platform/runtime/consumer';
import type { ServiceRuntime } from '@platform/runtime/service';
import {
  type EventOf,
  paymentSucceeded,
  progressChanged,
  refundSucceeded,
  streams,
  trackingStatusChanged,
  workflowTransitioned,
} from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { applyFulfillmentStatus, applyProgress } from '../application/apply-progress';
import type { OrdersDeps } from '../application/dependencies';
import { progressFromPayment, progressFromRefund, progressFromTracking, progressFromWorkflow } from '../domain/progress-rules';

type Deps = Pick<OrdersDeps, 'clock' | 'log'>;

export function onPaymentSucceeded(deps: Deps, event: EventOf<typeof paymentSucceeded>, tx: Transaction): Promise<void> {
  return applyProgress(tx, deps, { orderId: event.data.orderId, actor: 'billing', cause: event.type, decide: () => progressFromPayment(event.data) });
}

export function onRefundSucceeded(deps: Deps, event: EventOf<typeof refundSucceeded>, tx: Transaction): Promise<void> {
  return applyProgress(tx, deps, {
    orderId: event.data.orderId,
    actor: 'billing',
    cause: event.type,
    decide: (order) => progressFromRefund(event.data, order),
  });
}

export function onWorkflowTransitioned(deps: Deps, event: EventOf<typeof workflowTransitioned>, tx: Transaction): Promise<void> {
  return applyProgress(tx, deps, {
    orderId: event.data.orderId,
    actor: 'fulfillment',
    cause: `${event.type} ${event.data.from}→${event.data.to}`,
    decide: () => progressFromWorkflow(event.data),
  });
}

export function onProgressChanged(deps: Deps, event: EventOf<typeof progressChanged>, tx: Transaction): Promise<void> {
  return applyFulfillmentStatus(tx, deps, { orderId: event.data.orderId, fulfillmentStatus: event.data.fulfillmentStatus, cause: `${event.type} ${event.data.cause.kind}` });
}

export function onTrackingStatusChanged(deps: Deps, event: EventOf<typeof trackingStatusChanged>, tx: Transaction): Promise<void> {
  return applyProgress(tx, deps, {
    orderId: event.data.orderId,
    actor: 'tracking',
    cause: `${event.type} ${event.data.status}`,
    decide: (order) => progressFromTracking(event.data, order),
  });
}

/** The order follows payment, fulfillment and tracking (durable consumers `orders--<purpose>`). */
export function registerProgressConsumers(runtime: ServiceRuntime, db: OrdersDeps['db'], deps: Deps): void {
  runtime.addConsumer<Transaction>({
    name: 'orders--billing',
    stream: 'BILLING',
    db,
    subscriptions: [
      on(paymentSucceeded, (event, tx: Transaction) => onPaymentSucceeded(deps, event, tx)),
      on(refundSucceeded, (event, tx: Transaction) => onRefundSucceeded(deps, event, tx)),
    ],
  });
  runtime.addConsumer<Transaction>({
    name: 'orders--fulfillment',
    stream: 'FULFILLMENT',
    // Two event types: the whole stream (a filter, unlike none, replaces the one an existing durable has).
    filterSubject: streams.FULFILLMENT.subjects[0],
    db,
    subscriptions: [
      on(workflowTransitioned, (event, tx: Transaction) => onWorkflowTransitioned(deps, event, tx)),
      on(progressChanged, (event, tx: Transaction) => onProgressChanged(deps, event, tx)),
    ],
  });
  runtime.addConsumer<Transaction>({
    name: 'orders--tracking',
    stream: 'TRACKING',
    filterSubject: trackingStatusChanged.type,
    db,
    subscriptions: [on(trackingStatusChanged, (event, tx: Transaction) => onTrackingStatusChanged(deps, event, tx))],
  });
}
