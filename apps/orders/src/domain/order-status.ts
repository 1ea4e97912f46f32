import { DomainError } from '@platform/contracts/errors';
import { transitions } from '@platform/contracts/transitions';
import type { Order } from '@platform/contracts/api/orders';

export type OrderStatus = Order['status'];
export type FulfillmentStatus = Order['fulfillmentStatus'];

/**
 * Every status change the order may take (ORD-03), whoever asks: a consumer, a cancel, an
 * operator. Forward skips are allowed because the services publishing progress (billing,
 * fulfillment, tracking) use different streams, so a step may be missed or arrive late; a
 * late step that no longer fits (processing after delivered) is simply not in the table.
 */
export const ALLOWED_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending: ['confirmed', 'processing', 'exception', 'cancelled'],
  confirmed: ['processing', 'packed', 'shipped', 'exception', 'cancelled'],
  processing: ['packed', 'shipped', 'out_for_delivery', 'delivered', 'delayed', 'exception', 'cancelled'],
  packed: ['shipped', 'out_for_delivery', 'delivered', 'delayed', 'exception', 'cancelled'],
  shipped: ['out_for_delivery', 'delivered', 'delayed', 'exception', 'returned'],
  out_for_delivery: ['delivered', 'delayed', 'exception', 'returned'],
  delayed: ['processing', 'shipped', 'out_for_delivery', 'delivered', 'exception', 'cancelled', 'returned'],
  exception: ['processing', 'shipped', 'out_for_delivery', 'delivered', 'delayed', 'cancelled', 'returned'],
  delivered: ['returned'],
  returned: ['refunded'],
  cancelled: ['refunded'],
  refunded: [],
};

/** Orders no longer in progress (`active=false` in queries). */
export const FINISHED_STATUSES: readonly OrderStatus[] = ['delivered', 'cancelled', 'refunded', 'returned'];

export const { canTransition, assertTransition } = transitions(
  ALLOWED_TRANSITIONS,
  (from, to) => new DomainError('conflict', 'INVALID_TRANSITION', `An order cannot go from ${from} to ${to}`),
);

/** Statuses whose fulfillment status orders decides; otherwise fulfillment's progress does. */
const OWN_FULFILLMENT_STATUS: readonly OrderStatus[] = ['cancelled', 'refunded', 'returned'];

export function followsFulfillmentProgress(status: OrderStatus): boolean {
  return !OWN_FULFILLMENT_STATUS.includes(status);
}

/**
 * The fulfillment status after a status change (ORD-03). Where the units are is fulfillment's
 * to say (`fulfillment.progress.changed`: partially shipped, shipped, fulfilled …), from the
 * quantities, never from the order status: one parcel delivered is not the order delivered. Orders
 * decides only for the statuses it owns: a cancelled order is `cancelled`, a returned one
 * `returned`, and a refund keeps which of the two it was.
 */
export function deriveFulfillmentStatus(status: OrderStatus, current: FulfillmentStatus): FulfillmentStatus {
  switch (status) {
    case 'returned':
      return 'returned';
    case 'cancelled':
      return 'cancelled';
    case 'refunded':
      return current === 'returned' ? 'returned' : 'cancelled';
    default:
      return current;
  }
}

/** Some goods have left (fulfillment's count); units all cancelled by fulfillment never left. */
export function hasShipped(fulfillmentStatus: FulfillmentStatus): boolean {
  return fulfillmentStatus !== 'not_fulfilled' && fulfillmentStatus !== 'cancelled';
}

/** Statuses from which a cancel is refused: the goods left (the workflow has no cancel after shipment). */
const NOT_CANCELLABLE: readonly OrderStatus[] = ['shipped', 'out_for_delivery', 'delivered', 'refunded', 'returned', 'cancelled'];

export function assertCancellable(order: { status: OrderStatus; fulfillmentStatus: FulfillmentStatus }): void {
  // A delay or exception after shipment is still after shipment; so is a single parcel out.
  if (NOT_CANCELLABLE.includes(order.status) || hasShipped(order.fulfillmentStatus)) {
    throw new DomainError('conflict', 'ORDER_NOT_CANCELLABLE', `An order that is ${order.status} can no longer be cancelled`);
  }
}

export function assertModifiable(order: { status: OrderStatus; fulfillmentStarted: boolean }): void {
  if (!['pending', 'confirmed'].includes(order.status) || order.fulfillmentStarted) {
    const why = order.fulfillmentStarted ? 'fulfillment has started' : `it is ${order.status}`;
    throw new DomainError('conflict', 'ORDER_NOT_MODIFIABLE', `The order can no longer be modified: ${why}`);
  }
}
