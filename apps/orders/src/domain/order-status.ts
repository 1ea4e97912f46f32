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

/**
 * The fulfillment status follows the order status. Delays and exceptions say nothing about
 * where the goods are, so they keep the fulfillment status the order had.
 */
export function deriveFulfillmentStatus(status: OrderStatus, current: FulfillmentStatus): FulfillmentStatus {
  switch (status) {
    case 'pending':
    case 'confirmed':
    case 'processing':
    case 'packed':
      return 'not_fulfilled';
    case 'shipped':
    case 'out_for_delivery':
      return 'shipped';
    case 'delivered':
      return 'fulfilled';
    case 'returned':
      return 'returned';
    case 'cancelled':
      return 'cancelled';
    case 'refunded':
      return current === 'returned' ? 'returned' : 'cancelled';
    case 'delayed':
    case 'exception':
      return current;
  }
}

/** Statuses from which a cancel is refused: the goods left (the workflow has no cancel after shipment). */
const NOT_CANCELLABLE: readonly OrderStatus[] = ['shipped', 'out_for_delivery', 'delivered', 'refunded', 'returned', 'cancelled'];

export function assertCancellable(order: { status: OrderStatus; fulfillmentStatus: FulfillmentStatus }): void {
  // A delay or exception after shipment is still after shipment.
  const shipped = order.fulfillmentStatus !== 'not_fulfilled';
  if (NOT_CANCELLABLE.includes(order.status) || shipped) {
    throw new DomainError('conflict', 'ORDER_NOT_CANCELLABLE', `An order that is ${order.status} can no longer be cancelled`);
  }
}

export function assertModifiable(order: { status: OrderStatus; fulfillmentStarted: boolean }): void {
  if (!['pending', 'confirmed'].includes(order.status) || order.fulfillmentStarted) {
    const why = order.fulfillmentStarted ? 'fulfillment has started' : `it is ${order.status}`;
    throw new DomainError('conflict', 'ORDER_NOT_MODIFIABLE', `The order can no longer be modified: ${why}`);
  }
}
