import { enqueueActions, type ExecutableActionsFrom, initialTransition, setup, type SnapshotFrom, transition } from 'xstate';
import type { ImpliedOrderStatus, ShortStockPolicy, SupplierSource, WorkflowState } from '@platform/contracts';
import { timers } from '@platform/contracts/timers';
import { DomainError } from '@platform/contracts/errors';

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
 * - Only a `failed` order is retried (RETRY): the original design also allowed it in
 *   `placed_with_supplier`, which would place a second order at a supplier that may still confirm the first.
 * - `delivered`, `cancelled`, `refunded` are final as designed, so they take no event: the
 *   original REQUEST_REFUND from `delivered` is gone (XState accepts nothing once the machine is done).
 * - Mixed sources (docs/requirements.md#ful-05-mixed-sources): PART_FAILED (new, target-less) records
 *   that one source's part was refused or timed out while the rest goes on, and where its units went
 *   (refunded, or re-routed), in every state whose supplier orders are polled. The application sends
 *   it only while something else goes on; when nothing does, the refusal is the whole order's
 *   (FAIL, SUPPLIER_REJECTED or the timeout, as designed). SUPPLIER_REJECTED is also taken in
 *   `supplier_confirmed`: the last supplier may cancel after confirming.
 *
 * The rest of the service never lists states: it asks the snapshot, by tag (`hasTag`, see
 * `WorkflowTag`) or by event (`can`). State names are the contract's (`workflowStateSchema`).
 */

export interface OrderLine {
  sku: string;
  variantId: string;
  name: string;
  quantity: number;
  unitPrice: number;
  supplierSource: SupplierSource;
  /** The vendor selling the line (order.created `vendor.id`); `UNKNOWN_VENDOR` in snapshots stored before it was kept. */
  vendorId: string;
}

/** Where one failed part's units went: another source, or nowhere (`null`: cancelled and refunded). */
export interface PartMove {
  sku: string;
  variantId: string;
  quantity: number;
  to: SupplierSource | null;
}

/** One source's part that was refused or timed out while the rest of the order went on. */
export interface PartFailure {
  source: SupplierSource;
  cause: 'refused' | 'timeout';
  reason: string;
  moves: PartMove[];
}

/**
 * The vendor of lines stored before `vendorId` was kept (MACHINE_VERSION 1 snapshots). Adding a
 * field changes no stored meaning, so the version stays: `restoreWorkflow` fills it in, and such
 * an order counts as one vendor's.
 */
export const UNKNOWN_VENDOR = 'unknown';

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
  /** The customer's answer to short stock (FUL-03), over each SKU's; absent: the SKUs' own. */
  shortStockPolicy?: ShortStockPolicy | null;
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
  /** Parts that failed alone, oldest first: a later placement (a retry) places only what they left (`placementLines`). */
  failedParts: PartFailure[];
}

export type WorkflowEvent =
  | { type: 'PAYMENT_RECEIVED' }
  | { type: 'START_PROCESSING' }
  | { type: 'PLACE_ORDER'; supplierId?: string }
  | { type: 'SUPPLIER_CONFIRMED'; supplierOrderId: string }
  | { type: 'SUPPLIER_REJECTED'; reason: string }
  | ({ type: 'PART_FAILED' } & PartFailure)
  | { type: 'TRACKING_RECEIVED'; trackingNumber: string; carrier: string | null }
  | { type: 'IN_TRANSIT_UPDATE'; location?: string | null }
  | { type: 'OUT_FOR_DELIVERY_UPDATE' }
  | { type: 'DELIVERED'; deliveredAt: string }
  | { type: 'CANCEL'; reason: string }
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

/**
 * The version of what a stored snapshot means (its state names and context). Stored with every
 * snapshot; a snapshot of another version is refused, never read with the wrong meaning. Bump it
 * (with a migration of the stored snapshots) when a state or context field is renamed, removed or
 * changes meaning; adding or removing transitions does not change it.
 */
export const MACHINE_VERSION = 1;

export class UnknownMachineVersionError extends DomainError {
  constructor(orderId: string, version: number) {
    super(
      'conflict',
      'WORKFLOW_MACHINE_VERSION_UNKNOWN',
      `The workflow of order ${orderId} was stored by machine version ${version}; this service runs version ${MACHINE_VERSION} and cannot read it`,
    );
  }
}

/**
 * What a state means for the rules outside the machine. They ask `snapshot.hasTag()` instead of
 * listing states, so a state added or changed here is classified here, once.
 */
export type WorkflowTag =
  /** Fulfillment has begun: the order can no longer be modified (published to orders). */
  | 'started'
  /** Supplier orders may be live: their status is polled until the last parcel is known. */
  | 'polled'
  /** Goods may still be handed to a carrier: hub shipments are accepted. */
  | 'awaiting-shipment'
  /** Goods have left: a cancel can no longer stop them. */
  | 'dispatched'
  /** The order was cancelled: its supplier side must be settled. */
  | 'cancelled';

/** State meta: the customer-facing order status that entering the state implies. */
interface StateMeta {
  orderStatus?: ImpliedOrderStatus;
}

/** The effects the application executes; each named after the original design's action it stands for where there is one. */
const NAMED_EFFECTS = [
  'startSupplierOrder',
  'startSupplierPolling',
  'stopSupplierPolling',
  'scheduleRetry',
  'cancelRetry',
  'abandonAttempt',
  'cancelOrder',
  'completeOrder',
] as const;
export type NamedEffect = (typeof NAMED_EFFECTS)[number];

/** In the machine an effect only has a name: the application executes it (`Effect`). */
const effectActions = Object.fromEntries(NAMED_EFFECTS.map((name) => [name, () => {}])) as Record<NamedEffect, () => void>;

/** The retry guard: at most three retries. */
const canRetry = ({ context }: { context: WorkflowContext }) => context.retryCount < MAX_RETRIES;

export function createOrderWorkflow(delays: WorkflowDelays = DEFAULT_DELAYS) {
  return setup({
    types: {
      context: {} as WorkflowContext,
      events: {} as WorkflowEvent,
      input: {} as { orderId: string; order: OrderDetails },
      tags: {} as WorkflowTag,
      meta: {} as StateMeta,
    },
    delays: {
      paymentConfirmedDelay: delays.paymentConfirmedDelayMs,
      supplierTimeout: delays.supplierTimeoutMs,
    } satisfies Record<DelayName, number>,
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
        if (event.type === 'CANCEL') enqueue.assign({ cancelReason: event.reason });
      }),
      setRefund: enqueueActions(({ enqueue, event }) => {
        if (event.type === 'REFUND_PROCESSED') enqueue.assign({ refundId: event.refundId });
      }),
      updateOrder: enqueueActions(({ enqueue, event }) => {
        if (event.type === 'ORDER_MODIFIED') enqueue.assign({ order: event.order });
      }),
      recordFailedPart: enqueueActions(({ enqueue, event, context }) => {
        if (event.type !== 'PART_FAILED') return;
        const { type: _type, ...part } = event;
        enqueue.assign({ failedParts: [...context.failedParts, part] });
      }),
      ...effectActions,
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
      failedParts: [],
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
        tags: ['started'],
        meta: { orderStatus: 'processing' },
        entry: 'startSupplierOrder',
        on: {
          PLACE_ORDER: { target: 'placed_with_supplier' },
          FAIL: { target: 'failed', actions: ['setError', 'retryIfAllowed'] },
          CANCEL: { target: 'cancelled', actions: 'setCancelReason' },
        },
      },
      placed_with_supplier: {
        tags: ['started', 'polled'],
        entry: 'startSupplierPolling',
        exit: 'stopSupplierPolling',
        on: {
          SUPPLIER_CONFIRMED: { target: 'supplier_confirmed', actions: 'setSupplierOrderId' },
          SUPPLIER_REJECTED: { target: 'failed', actions: ['setError', 'retryIfAllowed'] },
          PART_FAILED: { actions: 'recordFailedPart' },
          // Deviation from the original design (see above): cancellable until shipment.
          CANCEL: { target: 'cancelled', actions: 'setCancelReason' },
        },
        // Not auto-retried: the supplier may have received the order (ops can RETRY).
        after: { supplierTimeout: { target: 'failed', actions: 'setTimeoutError' } },
      },
      supplier_confirmed: {
        // Polling goes on after this state until every supplier order has shipped (a hub may ship first).
        tags: ['started', 'polled', 'awaiting-shipment'],
        entry: 'startSupplierPolling',
        on: {
          TRACKING_RECEIVED: { target: 'shipped', actions: 'setTrackingInfo' },
          CANCEL: { target: 'refund_requested', actions: ['setCancelReason', 'cancelOrder'] },
          SUPPLIER_REJECTED: { target: 'failed', actions: ['setError', 'retryIfAllowed'] },
          PART_FAILED: { actions: 'recordFailedPart' },
        },
      },
      shipped: {
        tags: ['started', 'polled', 'awaiting-shipment', 'dispatched'],
        meta: { orderStatus: 'shipped' },
        on: {
          IN_TRANSIT_UPDATE: { target: 'in_transit', actions: 'updateTrackingLocation' },
          PART_FAILED: { actions: 'recordFailedPart' },
        },
      },
      in_transit: {
        tags: ['started', 'polled', 'awaiting-shipment', 'dispatched'],
        on: {
          IN_TRANSIT_UPDATE: { actions: 'updateTrackingLocation' },
          OUT_FOR_DELIVERY_UPDATE: { target: 'out_for_delivery' },
          DELIVERED: { target: 'delivered', actions: 'setDelivered' },
          PART_FAILED: { actions: 'recordFailedPart' },
        },
      },
      out_for_delivery: {
        tags: ['started', 'polled', 'awaiting-shipment', 'dispatched'],
        meta: { orderStatus: 'out_for_delivery' },
        on: {
          DELIVERED: { target: 'delivered', actions: 'setDelivered' },
          PART_FAILED: { actions: 'recordFailedPart' },
        },
      },
      delivered: {
        type: 'final',
        tags: ['started', 'dispatched'],
        meta: { orderStatus: 'delivered' },
        entry: 'completeOrder',
      },
      cancelled: { type: 'final', tags: ['cancelled'], entry: 'cancelOrder' },
      refund_requested: {
        tags: ['cancelled'],
        on: { REFUND_PROCESSED: { target: 'refunded', actions: 'setRefund' } },
      },
      refunded: { type: 'final', tags: ['cancelled'] },
      failed: {
        // The customer hears of it only once the workflow gives up (`orderImplication`).
        meta: { orderStatus: 'exception' },
        entry: 'abandonAttempt',
        exit: 'cancelRetry',
        on: {
          RETRY: { target: 'processing', guard: 'canRetry', actions: 'incrementRetry' },
          CANCEL: { target: 'cancelled', actions: 'setCancelReason' },
        },
      },
    } as const satisfies Record<WorkflowState, unknown>,
  });
}

export type OrderWorkflow = ReturnType<typeof createOrderWorkflow>;
export type WorkflowSnapshot = SnapshotFrom<OrderWorkflow>;
type ExecutableAction = ExecutableActionsFrom<OrderWorkflow>;

/**
 * The machine's delays. Each runs as the durable timer of the same name that contracts declare
 * for fulfillment (`timers.fulfillment`), so it survives restarts.
 */
export const DELAY_NAMES = ['paymentConfirmedDelay', 'supplierTimeout'] as const satisfies ReadonlyArray<keyof typeof timers.fulfillment>;
export type DelayName = (typeof DELAY_NAMES)[number];

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
  return DELAY_NAMES.find((delay) => delay === name);
}

/** The event name recorded in history and events: delays show as TIMEOUT (see the contract). */
export function triggerName(eventType: string): string {
  return delayOfEvent(eventType) ? 'TIMEOUT' : eventType;
}

export function stateOf(snapshot: WorkflowSnapshot): WorkflowState {
  return snapshot.value satisfies WorkflowState;
}

/**
 * What a transition means for the customer's order, published with it so that orders keeps no
 * copy of the workflow's states: the order status the new state implies (a failure only once the
 * workflow gives up: a retried one is not the customer's concern yet) and whether fulfillment
 * has started.
 */
export function orderImplication(step: Step): { orderStatus: ImpliedOrderStatus | null; fulfillmentStarted: boolean } {
  const implied = Object.values(step.snapshot.getMeta()).find((meta) => meta?.orderStatus)?.orderStatus ?? null;
  return { orderStatus: step.willRetry ? null : implied, fulfillmentStarted: step.snapshot.hasTag('started') };
}

/** The workflow for a new order, in `pending`. */
export function startWorkflow(machine: OrderWorkflow, input: { orderId: string; order: OrderDetails }): WorkflowSnapshot {
  return initialTransition(machine, input)[0];
}

/**
 * Rebuilds a snapshot from what `getPersistedSnapshot` stored (a flat machine: value + context)
 * by machine version `machineVersion`; another version than this machine's is refused.
 */
export function restoreWorkflow(
  machine: OrderWorkflow,
  stored: { orderId: string; machineVersion: number; snapshot: { value: unknown; context: unknown } },
): WorkflowSnapshot {
  if (stored.machineVersion !== MACHINE_VERSION) throw new UnknownMachineVersionError(stored.orderId, stored.machineVersion);
  // Fields added later (same meaning, so the same version): failed parts start empty, lines stored
  // before their vendor was kept belong to UNKNOWN_VENDOR.
  const restored = { ...ADDED_CONTEXT, ...(stored.snapshot.context as WorkflowContext) };
  const items = restored.order.items.map((item) => ({ ...item, vendorId: item.vendorId ?? UNKNOWN_VENDOR }));
  return machine.resolveState({ value: stored.snapshot.value as WorkflowState, context: { ...restored, order: { ...restored.order, items } } });
}

/** Context fields added after snapshots were first stored, with the value an older snapshot means. */
const ADDED_CONTEXT: Pick<WorkflowContext, 'failedParts'> = { failedParts: [] };

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
  if (isNamedEffect(type)) return [{ type }];
  return [];
}

function isNamedEffect(type: string): type is NamedEffect {
  return (NAMED_EFFECTS as readonly string[]).includes(type);
}
