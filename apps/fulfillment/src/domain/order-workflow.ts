import { enqueueActions, type ExecutableActionsFrom, initialTransition, setup, type SnapshotFrom, transition } from 'xstate';
import type { WorkflowState } from '@platform/contracts';

/**
 * The order fulfillment workflow (docs/requirements.md#ful-01-order-workflow) on XState v5: its 13 states,
 * its events, its `canRetry` guard (retryCount < 3) and its two delays (payment_confirmed →
 * processing after 60 s, placed_with_supplier → failed after 24 h).
 *
 * The machine is pure: actions only assign context or name an effect. `advance()` runs
 * xstate's pure `transition()` and returns the next snapshot with the effects, which the
 * application executes inside the transaction that stores the snapshot. The `after` delays
 * come out as delayed `xstate.raise` / `xstate.cancel` actions that the application turns
 * into durable timers (PLT-04) instead of in-memory ones, so they survive restarts.
 *
 * Deviations from the original design, on purpose:
 * - CANCEL is also accepted in `placed_with_supplier` (→ cancelled; the supplier orders are
 *   cancelled at the supplier): the platform lets a customer cancel until shipment.
 * - ORDER_MODIFIED (new, target-less) replaces the order details in the context while the
 *   order is `pending` or `payment_confirmed` (orders.order.modified, before processing).
 * - The transition history lives in the `workflow_history` table, not in the context, so the
 *   snapshot stays small; the original notify* actions are gone (notifications react to the
 *   `fulfillment.workflow.transitioned` events instead).
 * - `delivered`, `cancelled`, `refunded` are final as designed; XState (v4 and v5) accepts no
 *   event once the machine is done, so the original REQUEST_REFUND from `delivered` is unreachable.
 */

export interface OrderLine {
  sku: string;
  variantId: string;
  name: string;
  quantity: number;
  unitPrice: number;
  supplierSource: 'aliexpress' | 'cj' | 'spocket' | 'own_stock';
}

export interface ShippingAddress {
  name: string;
  line1: string;
  line2?: string;
  city: string;
  state?: string;
  postalCode: string;
  country: string;
  phone?: string;
}

/** What fulfillment keeps of the order (from orders.order.created / modified). */
export interface OrderDetails {
  number: string;
  customer: { id: string; name: string; email: string; phone?: string };
  items: OrderLine[];
  shippingAddress: ShippingAddress;
  deliveryType: 'standard' | 'express' | 'scheduled';
  deliveryWindow: { start: string; end: string } | null;
  currency: string;
  total: number;
}

export interface WorkflowContext {
  orderId: string;
  order: OrderDetails;
  retryCount: number;
  error: string | null;
  supplierOrderId: string | null;
  tracking: { number: string; carrier: string | null } | null;
  lastLocation: string | null;
  cancelReason: string | null;
  refundId: string | null;
  deliveredAt: string | null;
}

export type WorkflowEvent =
  | { type: 'PAYMENT_RECEIVED' }
  | { type: 'START_PROCESSING' }
  | { type: 'PLACE_ORDER'; supplierId?: string }
  | { type: 'SUPPLIER_CONFIRMED'; supplierOrderId: string }
  | { type: 'SUPPLIER_REJECTED'; reason: string }
  | { type: 'TRACKING_RECEIVED'; trackingNumber: string; carrier: string | null }
  | { type: 'IN_TRANSIT_UPDATE'; location?: string | null }
  | { type: 'OUT_FOR_DELIVERY_UPDATE' }
  | { type: 'DELIVERED'; deliveredAt: string }
  | { type: 'CANCEL'; reason: string }
  | { type: 'REQUEST_REFUND'; reason: string }
  | { type: 'REFUND_PROCESSED'; refundId: string }
  | { type: 'RETRY' }
  | { type: 'FAIL'; error: string }
  | { type: 'ORDER_MODIFIED'; order: OrderDetails };

export const MAX_RETRIES = 3;
export const TIMEOUT_ERROR = 'Order placement timed out';

export interface WorkflowDelays {
  /** payment_confirmed → processing (60 s). */
  paymentConfirmedDelayMs: number;
  /** placed_with_supplier → failed (24 h). */
  supplierTimeoutMs: number;
}

export const DEFAULT_DELAYS: WorkflowDelays = { paymentConfirmedDelayMs: 60_000, supplierTimeoutMs: 86_400_000 };

/** The effects the application executes; each named after the original design's action it stands for where there is one. */
export type NamedEffect =
  | 'startSupplierOrder'
  | 'startSupplierPolling'
  | 'stopSupplierPolling'
  | 'scheduleRetry'
  | 'cancelRetry'
  | 'abandonAttempt'
  | 'cancelOrder'
  | 'completeOrder';

const effect = () => {};

/** The retry guard: at most three retries. */
const canRetry = ({ context }: { context: WorkflowContext }) => context.retryCount < MAX_RETRIES;

export function createOrderWorkflow(delays: WorkflowDelays = DEFAULT_DELAYS) {
  return setup({
    types: {
      context: {} as WorkflowContext,
      events: {} as WorkflowEvent,
      input: {} as { orderId: string; order: OrderDetails },
    },
    delays: {
      paymentConfirmedDelay: delays.paymentConfirmedDelayMs,
      supplierTimeout: delays.supplierTimeoutMs,
    },
    guards: {
      canRetry,
    },
    actions: {
      setError: enqueueActions(({ enqueue, event }) => {
        const error = event.type === 'FAIL' ? event.error : event.type === 'SUPPLIER_REJECTED' ? event.reason : 'Unknown error';
        enqueue.assign({ error });
      }),
      setTimeoutError: enqueueActions(({ enqueue }) => enqueue.assign({ error: TIMEOUT_ERROR })),
      /** After a refusal the workflow retries by itself while the guard allows (retry timer with backoff). */
      retryIfAllowed: enqueueActions(({ enqueue, context }) => {
        if (canRetry({ context })) enqueue('scheduleRetry');
      }),
      incrementRetry: enqueueActions(({ enqueue, context }) => enqueue.assign({ retryCount: context.retryCount + 1, error: null })),
      setSupplierOrderId: enqueueActions(({ enqueue, event }) => {
        if (event.type === 'SUPPLIER_CONFIRMED') enqueue.assign({ supplierOrderId: event.supplierOrderId });
      }),
      setTrackingInfo: enqueueActions(({ enqueue, event }) => {
        if (event.type === 'TRACKING_RECEIVED') enqueue.assign({ tracking: { number: event.trackingNumber, carrier: event.carrier } });
      }),
      updateTrackingLocation: enqueueActions(({ enqueue, event }) => {
        if (event.type === 'IN_TRANSIT_UPDATE') enqueue.assign({ lastLocation: event.location ?? null });
      }),
      setDelivered: enqueueActions(({ enqueue, event }) => {
        if (event.type === 'DELIVERED') enqueue.assign({ deliveredAt: event.deliveredAt });
      }),
      setCancelReason: enqueueActions(({ enqueue, event }) => {
        if (event.type === 'CANCEL' || event.type === 'REQUEST_REFUND') enqueue.assign({ cancelReason: event.reason });
      }),
      setRefund: enqueueActions(({ enqueue, event }) => {
        if (event.type === 'REFUND_PROCESSED') enqueue.assign({ refundId: event.refundId });
      }),
      updateOrder: enqueueActions(({ enqueue, event }) => {
        if (event.type === 'ORDER_MODIFIED') enqueue.assign({ order: event.order });
      }),
      startSupplierOrder: effect,
      startSupplierPolling: effect,
      stopSupplierPolling: effect,
      scheduleRetry: effect,
      cancelRetry: effect,
      abandonAttempt: effect,
      cancelOrder: effect,
      completeOrder: effect,
    },
  }).createMachine({
    id: 'order',
    initial: 'pending',
    context: ({ input }) => ({
      orderId: input.orderId,
      order: input.order,
      retryCount: 0,
      error: null,
      supplierOrderId: null,
      tracking: null,
      lastLocation: null,
      cancelReason: null,
      refundId: null,
      deliveredAt: null,
    }),
    states: {
      pending: {
        on: {
          PAYMENT_RECEIVED: { target: 'payment_confirmed' },
          CANCEL: { target: 'cancelled', actions: 'setCancelReason' },
          ORDER_MODIFIED: { actions: 'updateOrder' },
        },
      },
      payment_confirmed: {
        on: {
          START_PROCESSING: { target: 'processing' },
          // Deviation from the original design: a paid order cancelled within the 60 s (or whose cancel
          // arrives after the payment, from another stream) must not go on to the supplier.
          CANCEL: { target: 'cancelled', actions: 'setCancelReason' },
          ORDER_MODIFIED: { actions: 'updateOrder' },
        },
        after: { paymentConfirmedDelay: { target: 'processing' } },
      },
      processing: {
        entry: 'startSupplierOrder',
        on: {
          PLACE_ORDER: { target: 'placed_with_supplier' },
          FAIL: { target: 'failed', actions: ['setError', 'retryIfAllowed'] },
          CANCEL: { target: 'cancelled', actions: 'setCancelReason' },
        },
      },
      placed_with_supplier: {
        entry: 'startSupplierPolling',
        exit: 'stopSupplierPolling',
        on: {
          SUPPLIER_CONFIRMED: { target: 'supplier_confirmed', actions: 'setSupplierOrderId' },
          SUPPLIER_REJECTED: { target: 'failed', actions: ['setError', 'retryIfAllowed'] },
          RETRY: { target: 'processing', guard: 'canRetry', actions: 'incrementRetry' },
          // Deviation from the original design (see above): cancellable until shipment.
          CANCEL: { target: 'cancelled', actions: 'setCancelReason' },
        },
        // Not auto-retried: the supplier may have received the order (ops can RETRY).
        after: { supplierTimeout: { target: 'failed', actions: 'setTimeoutError' } },
      },
      supplier_confirmed: {
        // Polling goes on after this state until every supplier order has shipped (a hub may ship first).
        entry: 'startSupplierPolling',
        on: {
          TRACKING_RECEIVED: { target: 'shipped', actions: 'setTrackingInfo' },
          CANCEL: { target: 'refund_requested', actions: ['setCancelReason', 'cancelOrder'] },
        },
      },
      shipped: {
        on: { IN_TRANSIT_UPDATE: { target: 'in_transit', actions: 'updateTrackingLocation' } },
      },
      in_transit: {
        on: {
          IN_TRANSIT_UPDATE: { actions: 'updateTrackingLocation' },
          OUT_FOR_DELIVERY_UPDATE: { target: 'out_for_delivery' },
          DELIVERED: { target: 'delivered', actions: 'setDelivered' },
        },
      },
      out_for_delivery: {
        on: { DELIVERED: { target: 'delivered', actions: 'setDelivered' } },
      },
      delivered: {
        type: 'final',
        entry: 'completeOrder',
        on: { REQUEST_REFUND: { target: 'refund_requested', actions: 'setCancelReason' } },
      },
      cancelled: { type: 'final', entry: 'cancelOrder' },
      refund_requested: {
        on: { REFUND_PROCESSED: { target: 'refunded', actions: 'setRefund' } },
      },
      refunded: { type: 'final' },
      failed: {
        entry: 'abandonAttempt',
        exit: 'cancelRetry',
        on: {
          RETRY: { target: 'processing', guard: 'canRetry', actions: 'incrementRetry' },
          CANCEL: { target: 'cancelled', actions: 'setCancelReason' },
        },
      },
    },
  });
}

export type OrderWorkflow = ReturnType<typeof createOrderWorkflow>;
export type WorkflowSnapshot = SnapshotFrom<OrderWorkflow>;
type ExecutableAction = ExecutableActionsFrom<OrderWorkflow>;

/** Which durable timer stands for each of the machine's delays. */
export const DELAY_TIMER_KINDS = {
  paymentConfirmedDelay: 'fulfillment.payment-confirmed-delay',
  supplierTimeout: 'fulfillment.supplier-timeout',
} as const;
export type DelayName = keyof typeof DELAY_TIMER_KINDS;

export type Effect =
  | { type: NamedEffect }
  /** Start a durable timer that sends `event` (the machine's `xstate.after.*` event) after `delayMs`. */
  | { type: 'startDelay'; delay: DelayName; event: string; delayMs: number }
  /** The state that owned the delay was left: cancel its timer. */
  | { type: 'cancelDelay'; delay: DelayName };

export interface Step {
  snapshot: WorkflowSnapshot;
  from: WorkflowState;
  to: WorkflowState;
  /** False when the event was not accepted here (no transition, no context change). */
  changed: boolean;
  /** A state change (not a self-transition such as IN_TRANSIT_UPDATE in `in_transit`). */
  transitioned: boolean;
  effects: Effect[];
  /** For `failed`: whether a retry is scheduled. */
  willRetry: boolean;
}

/** `xstate.after.<delay>.<state node id>`: the event a delay sends when it elapses. */
export function delayOfEvent(eventType: string): DelayName | undefined {
  const match = /^xstate\.after\.([^.]+)\./.exec(eventType);
  const name = match?.[1];
  return name && name in DELAY_TIMER_KINDS ? (name as DelayName) : undefined;
}

/** The event name recorded in history and events: delays show as TIMEOUT (see the contract). */
export function triggerName(eventType: string): string {
  return delayOfEvent(eventType) ? 'TIMEOUT' : eventType;
}

export function stateOf(snapshot: WorkflowSnapshot): WorkflowState {
  return snapshot.value as WorkflowState;
}

/** The workflow for a new order, in `pending`. */
export function startWorkflow(machine: OrderWorkflow, input: { orderId: string; order: OrderDetails }): WorkflowSnapshot {
  return initialTransition(machine, input)[0];
}

/** Rebuilds a snapshot from what `getPersistedSnapshot` stored (a flat machine: value + context). */
export function restoreWorkflow(machine: OrderWorkflow, persisted: { value: unknown; context: unknown }): WorkflowSnapshot {
  return machine.resolveState({ value: persisted.value as WorkflowState, context: persisted.context as WorkflowContext });
}

/** Applies `event` purely: the next snapshot and the effects to execute. */
export function advance(machine: OrderWorkflow, snapshot: WorkflowSnapshot, event: WorkflowEvent | { type: string }): Step {
  const from = stateOf(snapshot);
  // As a running actor would: a finished workflow takes no more events (the pure API alone would).
  if (snapshot.status === 'done') return { snapshot, from, to: from, changed: false, transitioned: false, effects: [], willRetry: false };
  const [next, actions] = transition(machine, snapshot, event as WorkflowEvent);
  const effects = actions.flatMap(toEffect);
  const to = stateOf(next);
  const changed = next !== snapshot && (to !== from || next.context !== snapshot.context);
  return {
    snapshot: next,
    from,
    to,
    changed,
    transitioned: to !== from,
    effects,
    willRetry: effects.some((e) => e.type === 'scheduleRetry'),
  };
}

function toEffect(action: ExecutableAction): Effect[] {
  const { type, params } = action as { type: string; params?: Record<string, unknown> };
  if (type === 'xstate.raise') {
    const event = (params?.event as { type: string } | undefined)?.type ?? '';
    const delay = delayOfEvent(event);
    return delay ? [{ type: 'startDelay', delay, event, delayMs: Number(params?.delay) }] : [];
  }
  if (type === 'xstate.cancel') {
    const delay = delayOfEvent(String(params?.sendId ?? ''));
    return delay ? [{ type: 'cancelDelay', delay }] : [];
  }
  if (NAMED_EFFECTS.has(type)) return [{ type: type as NamedEffect }];
  return [];
}

const NAMED_EFFECTS = new Set<string>([
  'startSupplierOrder',
  'startSupplierPolling',
  'stopSupplierPolling',
  'scheduleRetry',
  'cancelRetry',
  'abandonAttempt',
  'cancelOrder',
  'completeOrder',
]);
