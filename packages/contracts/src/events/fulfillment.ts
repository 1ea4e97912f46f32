import { z } from 'zod';
import { defineEvent } from '../envelope';
import { fulfillmentStatusSchema, timestamp } from '../primitives';

/** States of the order workflow (docs/requirements.md#ful-01-order-workflow). */
export const workflowStateSchema = z.enum([
  'pending',
  'payment_confirmed',
  'processing',
  'placed_with_supplier',
  'supplier_confirmed',
  'shipped',
  'in_transit',
  'out_for_delivery',
  'delivered',
  'cancelled',
  'refund_requested',
  'refunded',
  'failed',
]);
export type WorkflowState = z.infer<typeof workflowStateSchema>;

/**
 * The suppliers fulfillment buys from: the one list. Each has an adapter in
 * `apps/fulfillment/src/adapters/suppliers/` and a simulator in `packages/simulators`; every
 * other list of suppliers (types, simulators, the chaos evidence) derives from this one.
 */
export const SUPPLIERS = ['aliexpress', 'cj', 'spocket'] as const;
export type SupplierName = (typeof SUPPLIERS)[number];

/** Where an order line comes from: a supplier, or own stock shipped from a hub. */
export const supplierSchema = z.enum([...SUPPLIERS, 'own_stock']);
export type SupplierSource = z.infer<typeof supplierSchema>;

/** The order statuses a workflow transition can imply (`orderStatus` of `fulfillment.workflow.transitioned`). */
export const impliedOrderStatusSchema = z.enum(['processing', 'shipped', 'out_for_delivery', 'delivered', 'exception']);
export type ImpliedOrderStatus = z.infer<typeof impliedOrderStatusSchema>;

/**
 * The order's fulfillment workflow took a transition (FUL-01): one event per history
 * entry. Orders follows it through `orderStatus` and `fulfillmentStarted`, which fulfillment
 * decides, so orders keeps no copy of the workflow's states.
 */
export const workflowTransitioned = defineEvent({
  type: 'fulfillment.workflow.transitioned',
  version: 1,
  stream: 'FULFILLMENT',
  description: 'The fulfillment workflow of an order moved from one state to another (`willRetry` on `failed`).',
  data: z.object({
    orderId: z.uuid(),
    from: workflowStateSchema,
    to: workflowStateSchema,
    /** The machine event that caused it (`SUPPLIER_CONFIRMED`, `xstate.after.60000...` shown as `TIMEOUT`). */
    trigger: z.string(),
    retryCount: z.number().int().nonnegative(),
    /** Why it failed, for `failed`. */
    error: z.string().nullable(),
    /** For `failed`: whether an automatic retry is scheduled (false = the workflow gave up). */
    willRetry: z.boolean(),
    tracking: z.object({ number: z.string(), carrier: z.string().nullable() }).nullable(),
    at: timestamp,
    /**
     * The customer-facing order status this transition implies; null: none (e.g. a failure that
     * will be retried). Optional because it was added to v1 later: older events carry neither
     * this nor `fulfillmentStarted`.
     */
    orderStatus: impliedOrderStatusSchema.nullable().optional(),
    /** Fulfillment has begun: the order can no longer be modified. */
    fulfillmentStarted: z.boolean().optional(),
  }),
});

/** A supplier order changed (placed, confirmed, rejected, cancelled, shipped) (FUL-05). */
export const supplierOrderChanged = defineEvent({
  type: 'fulfillment.supplier_order.changed',
  version: 1,
  stream: 'FULFILLMENT',
  description: 'A purchase order at a supplier was placed, confirmed, rejected, shipped, cancelled, or could not be cancelled (`cancellation_pending`).',
  data: z.object({
    orderId: z.uuid(),
    supplierOrderId: z.uuid(),
    supplier: supplierSchema,
    externalOrderId: z.string().nullable(),
    /** `cancellation_pending`: we asked to cancel, the supplier could not or would not; an ops task is open. */
    status: z.enum(['placing', 'placed', 'confirmed', 'rejected', 'shipped', 'cancelled', 'failed', 'cancellation_pending']),
    reason: z.string().nullable(),
    at: timestamp,
  }),
});

/** A shipment left with a carrier and has a tracking number: tracking starts following it. */
export const shipmentShipped = defineEvent({
  type: 'fulfillment.shipment.shipped',
  version: 1,
  stream: 'FULFILLMENT',
  description: 'A shipment was handed to a carrier with a tracking number.',
  data: z.object({
    orderId: z.uuid(),
    shipmentId: z.uuid(),
    trackingNumber: z.string(),
    /** The carrier as the supplier named it (`CAINIAO_STANDARD`, `USPS`), if it did. */
    carrierHint: z.string().nullable(),
    supplier: supplierSchema,
    destinationCountry: z.string().length(2),
    shippedAt: timestamp,
  }),
});

/** How ops settled a supplier order the supplier could not cancel. */
export const supplierCancellationOutcomeSchema = z.enum(['cancelled_at_supplier', 'shipped_anyway']);
export type SupplierCancellationOutcome = z.infer<typeof supplierCancellationOutcomeSchema>;

/**
 * How a supplier order overdue for shipping ended its task: by itself when the supplier shipped
 * it (with a tracking number), refused or cancelled it, or it was cancelled at the supplier, or
 * the supplier could not cancel it (`cancellation_left_to_ops`: a `supplier_cancellation` task
 * follows); or by ops, who settled it their own way (`handled_by_ops`).
 */
export const supplierOverdueOutcomeSchema = z.enum(['supplier_shipped', 'supplier_refused', 'supplier_order_cancelled', 'cancellation_left_to_ops', 'handled_by_ops']);
export type SupplierOverdueOutcome = z.infer<typeof supplierOverdueOutcomeSchema>;

/**
 * v1, supplier-cancellation tasks only: published until `supplier_overdue` tasks came (v2). Kept
 * registered for its messages still in the stream and the dead letters.
 */
export const opsTaskChangedV1 = defineEvent({
  type: 'fulfillment.ops_task.changed',
  version: 1,
  stream: 'FULFILLMENT',
  description: 'A task for operations was opened or resolved (e.g. a supplier order to cancel by hand).',
  data: z.object({
    taskId: z.uuid(),
    orderId: z.uuid(),
    kind: z.enum(['supplier_cancellation']),
    status: z.enum(['open', 'resolved']),
    supplier: supplierSchema,
    supplierOrderId: z.uuid(),
    reason: z.string(),
    outcome: supplierCancellationOutcomeSchema.nullable(),
    resolvedBy: z.string().nullable(),
    at: timestamp,
  }),
});

/**
 * An ops task about a supplier order was opened or resolved: one the supplier could not cancel
 * (`supplier_cancellation`, resolved by ops), or one confirmed that has not shipped by its
 * deadline (`supplier_overdue`, closed when the supplier order ships or ends). v2: the kind and
 * outcome take new values, which a v1 reader would refuse.
 */
export const opsTaskChanged = defineEvent({
  type: 'fulfillment.ops_task.changed',
  version: 2,
  stream: 'FULFILLMENT',
  description: 'A task for operations about a supplier order was opened or resolved (one to cancel by hand, one overdue for shipping).',
  data: opsTaskChangedV1.data.extend({
    kind: z.enum(['supplier_cancellation', 'supplier_overdue']),
    outcome: z.union([supplierCancellationOutcomeSchema, supplierOverdueOutcomeSchema]).nullable(),
  }),
});

/** How a cancelled order's supplier side ended (`fulfillment.cancellation.settled`). */
export const cancellationOutcomeSchema = z.enum(['nothing_at_supplier', 'cancelled_at_supplier', 'shipped_anyway']);
export type CancellationOutcome = z.infer<typeof cancellationOutcomeSchema>;

/**
 * The supplier side of a cancelled order is settled: nothing was at a supplier, every supplier
 * order was cancelled, or ops recorded what happened to the ones a supplier could not cancel.
 * Billing holds a cancel's refund for this under `REFUND_ON_UNCONFIRMED_SUPPLIER_CANCEL=after_supplier_cancel`.
 */
export const cancellationSettled = defineEvent({
  type: 'fulfillment.cancellation.settled',
  version: 1,
  stream: 'FULFILLMENT',
  description: 'The supplier side of a cancelled order is settled (cancelled, nothing placed, or recorded by ops).',
  data: z.object({
    orderId: z.uuid(),
    outcome: cancellationOutcomeSchema,
    at: timestamp,
  }),
});


/** How many units of an order (or of one vendor's part) are where. */
export const unitCountsSchema = z.object({
  ordered: z.number().int().nonnegative(),
  shipped: z.number().int().nonnegative(),
  delivered: z.number().int().nonnegative(),
  returned: z.number().int().nonnegative(),
  /** Cancelled or refunded without shipping (a supplier refused, short stock under the partial policy, a cancel). */
  cancelled: z.number().int().nonnegative(),
});
export type UnitCounts = z.infer<typeof unitCountsSchema>;

/** A shipment's status (FUL-04): `draft → ready → in_transit → delivered | cancelled`. */
export const shipmentStatusSchema = z.enum(['draft', 'ready', 'in_transit', 'delivered', 'cancelled']);
export type ShipmentStatus = z.infer<typeof shipmentStatusSchema>;

export const parcelSchema = z.object({
  shipmentId: z.uuid(),
  /** 1-based, in the order the parcels left; `of` is how many parcels the order is expected to take now. */
  number: z.number().int().positive(),
  of: z.number().int().positive(),
  source: supplierSchema,
  status: shipmentStatusSchema,
  trackingNumber: z.string().nullable(),
  carrier: z.string().nullable(),
  items: z.array(z.object({ sku: z.string(), vendorId: z.string(), quantity: z.number().int().positive() })),
  shippedAt: timestamp.nullable(),
  deliveredAt: timestamp.nullable(),
});
export type Parcel = z.infer<typeof parcelSchema>;

/**
 * Where the order's units are changed (ORD-03, FUL-04): a parcel shipped or was delivered, or
 * units were cancelled. Fulfillment decides from quantities: the order is `fulfilled` (and its
 * workflow delivered) only when every unit is delivered, returned or cancelled. Carries every
 * parcel and each vendor's part, so orders (sub-order statuses) and notifications (one notice
 * per parcel) need no read-back.
 */
export const progressChanged = defineEvent({
  type: 'fulfillment.progress.changed',
  version: 1,
  stream: 'FULFILLMENT',
  description: 'Where the order\'s units are changed (a parcel shipped or delivered, units cancelled): fulfillment status per order and per vendor, with every parcel.',
  data: z.object({
    orderId: z.uuid(),
    fulfillmentStatus: fulfillmentStatusSchema,
    units: unitCountsSchema,
    vendors: z.array(z.object({ vendorId: z.string(), fulfillmentStatus: fulfillmentStatusSchema, units: unitCountsSchema })),
    parcels: z.array(parcelSchema),
    /** What this change was, for history and notices: the parcel it is about, if any. */
    cause: z.object({
      kind: z.enum(['parcel_shipped', 'parcel_delivered', 'units_cancelled', 'units_returned']),
      shipmentId: z.uuid().nullable(),
    }),
    at: timestamp,
  }),
});

/**
 * Units of an order will not be shipped and must be paid back: their source refused or timed
 * out and the policy says refund (or no other source has them), or stock was short under the
 * `partial` policy. Billing refunds exactly these units (a credit line on the invoice) and
 * reverses the vendors' earnings for them; the rest of the order goes on.
 */
export const itemsCancelled = defineEvent({
  type: 'fulfillment.items.cancelled',
  version: 1,
  stream: 'FULFILLMENT',
  description: 'Some units of an order will not ship (a source refused, short stock under the partial policy) and are to be refunded; the rest goes on.',
  data: z.object({
    orderId: z.uuid(),
    /** Unique per cancellation: billing refunds once per id. */
    cancellationId: z.uuid(),
    reason: z.string(),
    cause: z.enum(['supplier_refused', 'supplier_timeout', 'stock_short']),
    source: supplierSchema,
    items: z
      .array(z.object({ sku: z.string(), variantId: z.string(), vendorId: z.string(), quantity: z.number().int().positive() }))
      .min(1),
    at: timestamp,
  }),
});

/** What to do when stock is short (FUL-03), per SKU (set by ops) or per order (given at checkout). */
export const shortStockPolicySchema = z.enum(['substitute', 'partial', 'backorder']);
export type ShortStockPolicy = z.infer<typeof shortStockPolicySchema>;

/**
 * A SKU's availability across the hubs changed, with its short-stock policy: orders keeps these
 * to answer quotes and check new orders (FUL-03) without calling fulfillment.
 */
export const availabilityChanged = defineEvent({
  type: 'fulfillment.availability.changed',
  version: 1,
  stream: 'FULFILLMENT',
  description: 'A SKU\'s units free to reserve across the hubs, or its short-stock policy, changed (orders checks quotes and new orders against it).',
  data: z.object({
    sku: z.string(),
    /** On hand minus reserved, summed over active hubs. */
    available: z.number().int().nonnegative(),
    policy: shortStockPolicySchema.nullable(),
    /** The equivalent SKU the `substitute` policy ships instead. */
    substituteSku: z.string().nullable(),
    /** When a backordered unit is expected (the next restock), if known. */
    restockExpectedAt: timestamp.nullable(),
    at: timestamp,
  }),
});

/** Units short in stock are held for a restock (`backorder`): reserved when stock arrives, the customer told the date. */
export const itemsBackordered = defineEvent({
  type: 'fulfillment.items.backordered',
  version: 1,
  stream: 'FULFILLMENT',
  description: 'Units short in stock are held for the next restock (backorder policy), with the expected date.',
  data: z.object({
    orderId: z.uuid(),
    items: z.array(z.object({ sku: z.string(), vendorId: z.string(), quantity: z.number().int().positive(), expectedAt: timestamp.nullable() })).min(1),
    at: timestamp,
  }),
});

/** Units short in stock ship as a configured equivalent SKU (`substitute`); the customer is told. */
export const itemsSubstituted = defineEvent({
  type: 'fulfillment.items.substituted',
  version: 1,
  stream: 'FULFILLMENT',
  description: 'Units short in stock ship as a configured equivalent SKU (substitute policy).',
  data: z.object({
    orderId: z.uuid(),
    items: z.array(z.object({ sku: z.string(), substituteSku: z.string(), vendorId: z.string(), quantity: z.number().int().positive() })).min(1),
    at: timestamp,
  }),
});

/**
 * What the device/asset system is asked to do for a delivered item (FUL-06,
 * docs/requirements.md#ful-06-automation-steps): set up a sensor sold by its brand (`vendor`) or
 * by a distributor (`partner`), the first one or a replacement, or take one back (`return`).
 */
export const AUTOMATION_SCENARIOS = [
  'sensor_vendor_first_time',
  'sensor_partner_first_time',
  'sensor_vendor_replacement',
  'sensor_partner_replacement',
  'sensor_return',
] as const;
export const automationScenarioSchema = z.enum(AUTOMATION_SCENARIOS);
export type AutomationScenario = z.infer<typeof automationScenarioSchema>;

/** An automation step's status: `pending → running → succeeded`, back to `pending` for a retry, `failed` after the last attempt, `fallback_triggered` by ops. */
export const automationStepStatusSchema = z.enum(['pending', 'running', 'succeeded', 'failed', 'fallback_triggered']);
export type AutomationStepStatus = z.infer<typeof automationStepStatusSchema>;

/**
 * An automation step changed status (created, attempted, retried, failed for good, handled by
 * hand). `failed` comes with the ops task opened for it (`opsTaskId`), which `succeeded` or
 * `fallback_triggered` later closes: this event tells both, the ops task event being the
 * supplier-cancellation one.
 */
export const automationStepChanged = defineEvent({
  type: 'fulfillment.automation_step.changed',
  version: 1,
  stream: 'FULFILLMENT',
  description: 'A post-delivery automation step of a shipment item was created, attempted, retried, failed (ops task opened) or handled by ops (fallback).',
  data: z.object({
    stepId: z.uuid(),
    orderId: z.uuid(),
    shipmentId: z.uuid(),
    sku: z.string(),
    scenario: automationScenarioSchema,
    status: automationStepStatusSchema,
    attempts: z.number().int().nonnegative(),
    maxAttempts: z.number().int().positive(),
    errorMessage: z.string().nullable(),
    /** When the next automatic attempt is due (a failed attempt with attempts left), else null. */
    nextAttemptAt: timestamp.nullable(),
    opsTaskId: z.uuid().nullable(),
    /** Who caused it: `system`, or the ops actor of a manual retry or fallback. */
    actor: z.string(),
    at: timestamp,
  }),
});

export const fulfillmentEvents = [workflowTransitioned, supplierOrderChanged, shipmentShipped, opsTaskChangedV1, opsTaskChanged, cancellationSettled, progressChanged, itemsCancelled, availabilityChanged, itemsBackordered, itemsSubstituted, automationStepChanged] as const;
