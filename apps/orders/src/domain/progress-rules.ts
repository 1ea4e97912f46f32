import type { DelayReason, EventData } from '@platform/contracts';
import type { paymentSucceeded, refundSucceeded, trackingStatusChanged, workflowTransitioned } from '@platform/contracts';
import { type FulfillmentStatus, hasShipped, type OrderStatus } from './order-status';

/**
 * What another service's event means for the order (docs/requirements.md#ord-03-order-statuses): a status to
 * move to and facts to remember. Whether the move is still allowed is the transition table's call.
 */
export interface Progress {
  to?: OrderStatus;
  details?: string | null;
  tracking?: { number: string; carrier: string | null };
  fulfillmentStarted?: boolean;
  /** Where the units are, when the event says so (the roll-up of the sub-orders); else derived from the status. */
  fulfillmentStatus?: FulfillmentStatus;
  /** Why the order is late, with a move to `delayed`. */
  delay?: { reason: DelayReason; estimatedDelivery: Date | null };
}

export interface OrderState {
  status: OrderStatus;
  fulfillmentStatus: FulfillmentStatus;
}

export function progressFromPayment(data: EventData<typeof paymentSucceeded>): Progress {
  return { to: 'confirmed', details: `Payment received (${data.provider})` };
}

/**
 * Only a cancelled order whose money all went back is refunded: a partial refund after a
 * modification, or the first of two refunds (order and top-up), leaves the status alone.
 */
export function progressFromRefund(data: EventData<typeof refundSucceeded>, order: OrderState): Progress | null {
  if (order.status !== 'cancelled') return null;
  if (data.remainingPaid !== undefined && data.remainingPaid > 0) return null;
  return { to: 'refunded', details: `Refunded ${data.amount} ${data.currency}: ${data.reason}` };
}

/**
 * Fulfillment's transition says what it means for the order (`orderStatus`, `fulfillmentStarted`):
 * orders keeps no copy of the workflow's states. Details are worded here, for the order's history.
 */
export function progressFromWorkflow(data: EventData<typeof workflowTransitioned>): Progress | null {
  const started = data.fulfillmentStarted ? { fulfillmentStarted: true } : {};
  const tracking = data.tracking ? { tracking: data.tracking } : {};
  switch (data.orderStatus) {
    case 'processing':
      return { ...started, to: 'processing', details: data.retryCount > 0 ? `Fulfillment retry ${data.retryCount}` : 'Fulfillment started' };
    case 'shipped': {
      const where = data.tracking ? `: ${data.tracking.carrier ?? 'carrier'} ${data.tracking.number}` : '';
      return { ...started, ...tracking, to: 'shipped', details: `Shipped${where}` };
    }
    case 'out_for_delivery':
      return { ...started, ...tracking, to: 'out_for_delivery', details: 'Out for delivery' };
    case 'delivered':
      return { ...started, ...tracking, to: 'delivered', details: 'Delivered' };
    case 'exception':
      return { ...started, to: 'exception', details: data.error ?? 'Fulfillment failed' };
    default:
      return data.fulfillmentStarted ? { ...started, ...tracking } : null;
  }
}

export function progressFromTracking(data: EventData<typeof trackingStatusChanged>, order: OrderState): Progress | null {
  const tracking = { tracking: { number: data.trackingNumber, carrier: data.carrier } };
  const said = data.event?.description;
  switch (data.status) {
    case 'exception':
      return { ...tracking, to: 'exception', details: said ?? 'The carrier reported a problem' };
    case 'delivery_failed':
      return { ...tracking, to: 'exception', details: `Delivery failed${said ? `: ${said}` : ''}` };
    case 'delayed':
      return {
        ...tracking,
        to: 'delayed',
        details: said ?? 'The shipment is delayed',
        delay: { reason: 'carrier_delay', estimatedDelivery: data.estimatedDelivery ? new Date(data.estimatedDelivery) : null },
      };
    case 'in_transit':
      // Moving again after a delay or problem on the way; an order not shipped yet waits for fulfillment.
      if ((order.status === 'delayed' || order.status === 'exception') && hasShipped(order.fulfillmentStatus)) {
        return { ...tracking, to: 'shipped', details: 'Back in transit' };
      }
      return tracking;
    default:
      return tracking;
  }
}
