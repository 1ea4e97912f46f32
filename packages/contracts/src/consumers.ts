import type { EventDefinition, StreamName } from './envelope';
import {
  availabilityChanged,
  cancellationSettled,
  itemsBackordered,
  itemsCancelled,
  itemsSubstituted,
  noticePlanned,
  notificationDeferred,
  notificationFailed,
  notificationSent,
  notificationSuppressed,
  orderCancelled,
  orderCreated,
  orderDelayed,
  orderModified,
  orderPaidByChannel,
  orderPromised,
  orderStatusChanged,
  paymentFailed,
  paymentSucceeded,
  progressChanged,
  refundSucceeded,
  returnChanged,
  shipmentShipped,
  trackingScanned,
  trackingEstimateChanged,
  trackingShipmentSilent,
  trackingStatusChanged,
  workflowTransitioned,
} from './events';

/**
 * Who reads which events: every durable consumer of the platform. A publisher looks here
 * before changing an event; ARCHITECTURE.md's subject table is rendered from it; and
 * `runtime.addConsumer` refuses a declared consumer whose handlers or stream differ.
 */
export interface ConsumerDeclaration {
  /** Durable name, `<service>--<purpose>`. */
  readonly name: string;
  readonly stream: StreamName;
  /** The events it has handlers for (others on its stream are acknowledged and skipped). */
  readonly events: readonly EventDefinition[];
}

export const durableConsumers: readonly ConsumerDeclaration[] = [
  { name: 'orders--billing', stream: 'BILLING', events: [paymentSucceeded, paymentFailed, refundSucceeded] },
  { name: 'orders--fulfillment', stream: 'FULFILLMENT', events: [workflowTransitioned, progressChanged, itemsCancelled, returnChanged] },
  { name: 'orders--tracking', stream: 'TRACKING', events: [trackingStatusChanged, trackingScanned, trackingEstimateChanged, trackingShipmentSilent] },
  { name: 'orders--availability', stream: 'FULFILLMENT', events: [availabilityChanged] },
  { name: 'orders--notifications', stream: 'NOTIFICATIONS', events: [noticePlanned, notificationSent, notificationFailed, notificationDeferred, notificationSuppressed] },
  { name: 'billing--orders', stream: 'ORDERS', events: [orderCreated, orderCancelled, orderModified, orderPaidByChannel] },
  { name: 'billing--fulfillment', stream: 'FULFILLMENT', events: [cancellationSettled, itemsCancelled, returnChanged] },
  { name: 'fulfillment--order-events', stream: 'ORDERS', events: [orderCreated, orderModified, orderCancelled] },
  { name: 'fulfillment--billing-events', stream: 'BILLING', events: [paymentSucceeded, refundSucceeded] },
  { name: 'fulfillment--tracking-updates', stream: 'TRACKING', events: [trackingStatusChanged] },
  { name: 'tracking--shipments', stream: 'FULFILLMENT', events: [shipmentShipped] },
  { name: 'tracking--returns', stream: 'FULFILLMENT', events: [returnChanged] },
  { name: 'notifications--order-events', stream: 'ORDERS', events: [orderCreated, orderModified, orderStatusChanged, orderPromised, orderDelayed] },
  { name: 'notifications--fulfillment-events', stream: 'FULFILLMENT', events: [progressChanged, itemsCancelled, itemsBackordered, itemsSubstituted, returnChanged] },
  { name: 'notifications--billing-events', stream: 'BILLING', events: [refundSucceeded] },
];

/** The service a durable consumer belongs to (the part of its name before `--`). */
export function consumerService(name: string): string {
  return name.split('--')[0]!;
}

/**
 * Why a consumer about to start disagrees with its declaration, or undefined. A name not
 * declared here is left alone: tests start consumers of their own.
 */
export function consumerDeclarationMismatch(consumer: { name: string; stream: string; events: ReadonlyArray<{ type: string; version: number }> }): string | undefined {
  const declared = durableConsumers.find((candidate) => candidate.name === consumer.name);
  if (!declared) return undefined;
  const where = `packages/contracts/src/consumers.ts (ARCHITECTURE.md's subject table is rendered from it)`;
  if (declared.stream !== consumer.stream) {
    return `durable consumer ${consumer.name} reads stream ${consumer.stream}, but ${where} declares ${declared.stream}`;
  }
  // By version too: a handler reads one version's shape, and another version is dead-lettered.
  const named = (events: ReadonlyArray<{ type: string; version: number }>) => [...new Set(events.map((event) => `${event.type} v${event.version}`))].sort();
  const handled = named(consumer.events);
  const expected = named(declared.events);
  if (handled.join() !== expected.join()) {
    return `durable consumer ${consumer.name} handles ${handled.join(', ') || 'nothing'}, but ${where} declares ${expected.join(', ')}`;
  }
  return undefined;
}

/**
 * The one filter subject that covers every subject in `subjects` and as few others as NATS'
 * wildcards allow: tokens all subjects share are kept, the others become `*` (a `>` when their
 * lengths differ). The server then skips, for instance, `orders.sub_order.*` for a consumer of
 * `orders.order.*` events, and a consumer of `billing.payment.succeeded` and
 * `billing.refund.succeeded` reads `billing.*.succeeded`. NATS 2.9 takes one filter per
 * consumer (2.10's `filter_subjects` would take the list itself); events inside the filter that
 * the consumer has no handler for are still acknowledged and skipped by the consumer.
 */
export function narrowestFilter(subjects: readonly string[]): string {
  if (subjects.length === 0) throw new Error('a filter needs at least one subject');
  const split = subjects.map((subject) => subject.split('.'));
  const shortest = Math.min(...split.map((tokens) => tokens.length));
  const sameLength = split.every((tokens) => tokens.length === shortest);
  // With different lengths the last shared position becomes `>`: it must match one token or more.
  const kept = sameLength ? shortest : shortest - 1;
  const tokens = Array.from({ length: kept }, (_, i) => (split.every((t) => t[i] === split[0]![i]) ? split[0]![i]! : '*'));
  return sameLength ? tokens.join('.') : [...tokens, '>'].join('.');
}
