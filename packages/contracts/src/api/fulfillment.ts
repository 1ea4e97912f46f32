import { z } from 'zod';
import {
  automationScenarioSchema,
  automationStepStatusSchema,
  shortStockPolicySchema,
  SUPPLIERS,
  supplierCancellationOutcomeSchema,
  supplierOverdueOutcomeSchema,
  supplierSchema,
  workflowStateSchema,
} from '../events/fulfillment';
import { addressSchema, countryCodeSchema, text, timestamp } from '../primitives';

/** Schemas of the fulfillment service's HTTP API (the gateway imports them for its OpenAPI document). */

export const fulfillmentOrderParamsSchema = z.object({ orderId: z.uuid() });
export const hubParamsSchema = z.object({ id: text(100) });

const trackingNumberSchema = z.string().trim().regex(/^[A-Za-z0-9-]{5,40}$/, 'must be 5 to 40 letters, digits or dashes');
/** Part of what remains (default: everything that remains of the hub fulfillment order). */
const shipmentItemsSchema = z
  .array(z.object({ sku: text(100), quantity: z.number().int().positive().max(10_000) }))
  .min(1)
  .max(200)
  .refine((items) => new Set(items.map((i) => i.sku)).size === items.length, 'must not repeat a SKU');

/** `POST /orders/:orderId/shipments`: the own-stock items left a hub with a carrier (draft, ready and handed over at once). */
export const createHubShipmentRequestSchema = z.object({
  trackingNumber: trackingNumberSchema,
  carrier: text(100).optional(),
  items: shipmentItemsSchema.optional(),
});
export type CreateHubShipmentRequest = z.infer<typeof createHubShipmentRequestSchema>;

export const fulfillmentOrderIdParamsSchema = z.object({ id: z.uuid() });

/** `POST /fulfillment-orders/:id/shipments`: a parcel being prepared (`draft`); its units are allocated now. */
export const createDraftShipmentRequestSchema = z.object({ items: shipmentItemsSchema.optional(), carrier: text(100).optional() });
export type CreateDraftShipmentRequest = z.infer<typeof createDraftShipmentRequestSchema>;

/** `PATCH /shipments/:id`: a draft's units (re-allocated) or carrier (null: none yet). */
export const updateDraftShipmentRequestSchema = z
  .object({ items: shipmentItemsSchema, carrier: text(100).nullable() })
  .partial()
  .refine((body) => Object.keys(body).length > 0, { message: 'name at least one field' });
export type UpdateDraftShipmentRequest = z.infer<typeof updateDraftShipmentRequestSchema>;

/**
 * `POST /shipments/:id/status` (docs/requirements.md#ful-04-fulfillment-orders-and-shipments):
 * `ready` once the label is bought (tracking number required), `in_transit` when the carrier
 * has it, `cancelled` before that (its units go back to the fulfillment order).
 */
export const shipmentStatusRequestSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('ready'), trackingNumber: trackingNumberSchema, carrier: text(100).optional() }),
  z.object({ status: z.literal('in_transit') }),
  z.object({ status: z.literal('cancelled') }),
]);
export type ShipmentStatusRequest = z.infer<typeof shipmentStatusRequestSchema>;

export const hubStockParamsSchema = z.object({ id: text(100), sku: text(100) });

/** Shipping zones routing compares with the destination's (FUL-02). */
export const zoneSchema = z.enum(['EU', 'NA', 'UK', 'INTL']);

const hubFields = {
  name: text(200),
  /** Where the hub is (ISO 3166-1 alpha-2). */
  country: countryCodeSchema,
  /** Default: the country's zone. */
  zone: zoneSchema,
  /** Handling cost per unit and per parcel, minor units: the cheaper hub wins a tie. */
  costPerItem: z.number().int().nonnegative().max(1_000_000),
  costPerShipment: z.number().int().nonnegative().max(1_000_000),
  /** Higher first, among hubs equally close to the destination (ops' preference). */
  priority: z.number().int().min(-1000).max(1000),
  /** An inactive hub is never routed to; its stock is not counted as available. */
  active: z.boolean(),
};

/** `POST /hubs`: a new place own stock ships from. */
export const createHubRequestSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,49}$/, 'must be 2 to 50 lowercase letters, digits or dashes'),
  ...hubFields,
  zone: hubFields.zone.optional(),
  costPerShipment: hubFields.costPerShipment.default(0),
  priority: hubFields.priority.default(0),
  active: hubFields.active.default(true),
});
export type CreateHubRequest = z.infer<typeof createHubRequestSchema>;

/** `PATCH /hubs/:id`: what changes. */
export const updateHubRequestSchema = z
  .object(hubFields)
  .partial()
  .refine((body) => Object.keys(body).length > 0, { message: 'name at least one field' });
export type UpdateHubRequest = z.infer<typeof updateHubRequestSchema>;

/** `PUT /hubs/:id/stock/:sku`: the SKU's on-hand quantity (an inventory adjustment) and the next restock. */
export const setHubStockRequestSchema = z.object({
  onHand: z.number().int().nonnegative().max(10_000_000),
  /** When the next delivery is expected and how many units it brings; null: none known. */
  restockExpectedAt: timestamp.nullable().default(null),
  restockQuantity: z.number().int().positive().max(10_000_000).nullable().default(null),
});
export type SetHubStockRequest = z.infer<typeof setHubStockRequestSchema>;

export const stockPolicyParamsSchema = z.object({ sku: text(100) });

/** `PUT /inventory/policies/:sku`: what happens when the SKU is short (FUL-03); null removes the policy. */
export const setStockPolicyRequestSchema = z
  .object({ policy: shortStockPolicySchema.nullable(), substituteSku: text(100).nullable().default(null) })
  .superRefine((body, context) => {
    if (body.policy === 'substitute' && !body.substituteSku) context.addIssue({ code: 'custom', path: ['substituteSku'], message: 'required for substitute' });
    if (body.policy !== 'substitute' && body.substituteSku) context.addIssue({ code: 'custom', path: ['substituteSku'], message: 'only for substitute' });
  });
export type SetStockPolicyRequest = z.infer<typeof setStockPolicyRequestSchema>;

export const stockPolicySchema = z.object({
  sku: z.string(),
  policy: shortStockPolicySchema.nullable(),
  substituteSku: z.string().nullable(),
  updatedAt: timestamp,
});
export const stockPoliciesResponseSchema = z.object({ policies: z.array(stockPolicySchema) });

export const timersQuerySchema = z.object({
  state: z.enum(['pending', 'fired', 'all']).default('pending'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const timerSchema = z.object({
  id: z.uuid(),
  kind: z.string(),
  key: z.string(),
  fireAt: timestamp,
  firedAt: timestamp.nullable(),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
});

export const workflowHistoryEntrySchema = z.object({
  from: workflowStateSchema,
  to: workflowStateSchema,
  trigger: z.string(),
  details: z.record(z.string(), z.unknown()),
  at: timestamp,
});

export const supplierOrderSchema = z.object({
  id: z.uuid(),
  supplier: z.string(),
  attempt: z.number().int(),
  status: z.string(),
  externalOrderId: z.string().nullable(),
  items: z.unknown(),
  reason: z.string().nullable(),
  trackingNumber: z.string().nullable(),
  carrier: z.string().nullable(),
  /** The supplier order whose items this one took over after that one failed (re-routed); null for a first placement. */
  replaces: z.uuid().nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const shipmentSchema = z.object({
  id: z.uuid(),
  source: z.string(),
  fulfillmentOrderId: z.uuid().nullable(),
  supplierOrderId: z.uuid().nullable(),
  status: z.enum(['draft', 'ready', 'in_transit', 'delivered', 'cancelled']),
  /** Null while a draft. */
  trackingNumber: z.string().nullable(),
  carrier: z.string().nullable(),
  address: addressSchema,
  items: z.unknown(),
  shippedAt: timestamp.nullable(),
  deliveredAt: timestamp.nullable(),
});
export type ShipmentView = z.infer<typeof shipmentSchema>;

export const reservationSchema = z.object({
  id: z.uuid(),
  hubId: z.string(),
  sku: z.string(),
  quantity: z.number().int(),
  /** `backordered`: short, waiting for a restock (no units held yet), expected at `expectedAt`. */
  status: z.enum(['held', 'confirmed', 'consumed', 'released', 'backordered']),
  expiresAt: timestamp.nullable(),
  expectedAt: timestamp.nullable(),
  releaseReason: z.string().nullable(),
});

export const fulfillmentOrderSchema = z.object({
  id: z.uuid(),
  hubId: z.string(),
  status: z.enum(['ready_to_prepare', 'awaiting_shipment', 'in_transit', 'completed', 'cancelled']),
  priority: z.enum(['HIGH', 'MEDIUM', 'NORMAL']),
  attempt: z.number().int(),
  items: z.array(z.object({ sku: z.string(), name: z.string(), quantity: z.number().int(), remainingQuantity: z.number().int() })),
});

/** `GET /fulfillment-orders/:id`: one hub's part of an order, what remains of it to allocate, and its parcels. */
export const fulfillmentOrderViewSchema = fulfillmentOrderSchema.extend({ orderId: z.uuid(), shipments: z.array(shipmentSchema) });
export type FulfillmentOrderView = z.infer<typeof fulfillmentOrderViewSchema>;

/** An event from another service the workflow could not take when it came: waiting, or dropped once the workflow finished. */
export const parkedEventSchema = z.object({
  eventType: z.string(),
  parkedAt: timestamp,
  droppedAt: timestamp.nullable(),
  dropReason: z.string().nullable(),
});

/** How an automation step's ops task closed: the step succeeded (a manual retry) or ops handled it by hand. */
export const automationTaskOutcomeSchema = z.enum(['step_succeeded', 'fallback_triggered']);

/**
 * Something ops must do by hand: a supplier order the supplier could not cancel
 * (`supplier_cancellation`: supplier fields set, resolved here), a supplier order confirmed that
 * has not shipped by its deadline (`supplier_overdue`: supplier fields set, closed when it ships,
 * is refused or is cancelled, or resolved here once ops handled it), or an automation step that failed for good
 * (`automation_step_failed`: `automationStepId` set, closed by the step's retry or fallback).
 */
export const opsTaskSchema = z.object({
  id: z.uuid(),
  orderId: z.uuid(),
  kind: z.enum(['supplier_cancellation', 'supplier_overdue', 'automation_step_failed']),
  status: z.enum(['open', 'resolved']),
  supplier: supplierSchema.nullable(),
  supplierOrderId: z.uuid().nullable(),
  externalOrderId: z.string().nullable(),
  automationStepId: z.uuid().nullable(),
  reason: z.string(),
  outcome: z.union([supplierCancellationOutcomeSchema, supplierOverdueOutcomeSchema, automationTaskOutcomeSchema]).nullable(),
  note: z.string().nullable(),
  resolvedBy: z.string().nullable(),
  createdAt: timestamp,
  resolvedAt: timestamp.nullable(),
});
export type OpsTask = z.infer<typeof opsTaskSchema>;
export const opsTasksQuerySchema = z.object({ status: z.enum(['open', 'resolved']).default('open') });
export const opsTasksResponseSchema = z.object({ tasks: z.array(opsTaskSchema) });
export const opsTaskParamsSchema = z.object({ taskId: z.uuid() });
/**
 * What ops found: for a `supplier_cancellation` task, what happened at the supplier (in its
 * console, by mail); for a `supplier_overdue` task, `handled_by_ops` (settled with the supplier or
 * the customer their own way; the supplier order is still asked for its parcel).
 */
export const resolveOpsTaskRequestSchema = z.object({
  outcome: z.union([supplierCancellationOutcomeSchema, supplierOverdueOutcomeSchema.extract(['handled_by_ops'])]),
  note: text(500).optional(),
});
export type ResolveOpsTaskRequest = z.infer<typeof resolveOpsTaskRequestSchema>;

export const orderFulfillmentSchema = z.object({
  orderId: z.uuid(),
  state: workflowStateSchema,
  version: z.number().int(),
  /** Retries made so far (automatic after a supplier refusal, or by ops). */
  retryCount: z.number().int(),
  /** Retries allowed in all: a refusal with `retryCount` below this is retried automatically. */
  maxRetries: z.number().int(),
  /** When the automatic retry of a refused attempt is due; null when none is pending. */
  nextRetryAt: timestamp.nullable(),
  error: z.string().nullable(),
  order: z.object({
    number: z.string(),
    customerId: z.string(),
    deliveryType: z.string(),
    deliveryWindow: z.object({ start: z.string(), end: z.string() }).nullable(),
    currency: z.string(),
    total: z.number().int(),
    shippingAddress: addressSchema,
    items: z.array(z.object({ sku: z.string(), name: z.string(), quantity: z.number().int(), supplierSource: z.string() })),
  }),
  tracking: z.object({ number: z.string(), carrier: z.string().nullable() }).nullable(),
  /** Sources that failed alone while the rest went on, oldest first, and where each unit went (`to` null: refunded). */
  failedParts: z.array(
    z.object({
      source: supplierSchema,
      cause: z.enum(['refused', 'timeout']),
      reason: z.string(),
      moves: z.array(z.object({ sku: z.string(), variantId: z.string(), quantity: z.number().int(), to: supplierSchema.nullable() })),
    }),
  ),
  history: z.array(workflowHistoryEntrySchema),
  supplierOrders: z.array(supplierOrderSchema),
  fulfillmentOrders: z.array(fulfillmentOrderSchema),
  shipments: z.array(shipmentSchema),
  reservations: z.array(reservationSchema),
  pendingTimers: z.array(timerSchema),
  parkedEvents: z.array(parkedEventSchema),
  opsTasks: z.array(opsTaskSchema),
});
export type OrderFulfillment = z.infer<typeof orderFulfillmentSchema>;

/** Answer of `POST /orders/:orderId/process|retry`. */
export const workflowCommandResponseSchema = z.object({ orderId: z.uuid(), state: workflowStateSchema, retryCount: z.number().int() });

export const hubShipmentResponseSchema = z.object({ orderId: z.uuid(), shipmentId: z.uuid(), state: workflowStateSchema });

export const supplierCallSchema = z.object({
  id: z.uuid(),
  supplier: z.string(),
  operation: z.string(),
  reference: z.string().nullable(),
  request: z.unknown(),
  response: z.unknown(),
  httpStatus: z.number().int().nullable(),
  durationMs: z.number().int(),
  outcome: z.string(),
  error: z.string().nullable(),
  createdAt: timestamp,
});
export const supplierCallsResponseSchema = z.object({ orderId: z.uuid(), calls: z.array(supplierCallSchema) });

export const hubStockSchema = z.object({
  sku: z.string(),
  onHand: z.number().int(),
  reserved: z.number().int(),
  available: z.number().int(),
  restockExpectedAt: timestamp.nullable(),
  restockQuantity: z.number().int().nullable(),
});
export const hubSchema = z.object({
  id: z.string(),
  name: z.string(),
  country: z.string(),
  zone: zoneSchema,
  costPerItem: z.number().int(),
  costPerShipment: z.number().int(),
  priority: z.number().int(),
  active: z.boolean(),
  stock: z.array(hubStockSchema),
});
export const hubsResponseSchema = z.object({ hubs: z.array(hubSchema) });
export const hubStockResponseSchema = hubStockSchema.extend({ hubId: z.string() });
export const timersResponseSchema = z.object({ timers: z.array(timerSchema) });

/** What a scenario's automation step carries to the device/asset system (FUL-06). */
export const automationPayloadSchema = z.object({
  orderId: z.uuid(),
  shipmentId: z.uuid(),
  trackingNumber: z.string(),
  sku: z.string(),
  quantity: z.number().int().positive(),
  deliveredAt: timestamp,
});
export type AutomationPayload = z.infer<typeof automationPayloadSchema>;

/** A scenario's retry policy (docs/requirements.md#ful-06-automation-steps). */
export const automationScenarioPolicySchema = z.object({
  scenario: automationScenarioSchema,
  maxAttempts: z.number().int().positive(),
  retryDelaySeconds: z.number().int().positive(),
  timeoutSeconds: z.number().int().positive(),
  fallbackDescription: z.string(),
});

/** A post-delivery automation step of one shipment item (FUL-06). */
export const automationStepSchema = z.object({
  id: z.uuid(),
  orderId: z.uuid(),
  shipmentId: z.uuid(),
  sku: z.string(),
  scenario: automationScenarioSchema,
  status: automationStepStatusSchema,
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  lastAttemptedAt: timestamp.nullable(),
  nextAttemptAt: timestamp.nullable(),
  errorMessage: z.string().nullable(),
  /** The device system's id for the work, once it was done. */
  externalId: z.string().nullable(),
  fallbackTriggeredAt: timestamp.nullable(),
  fallbackNote: z.string().nullable(),
  /** What ops does by hand when the automation cannot (the scenario's). */
  fallbackDescription: z.string(),
  payload: automationPayloadSchema,
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type AutomationStep = z.infer<typeof automationStepSchema>;
export const automationStepsResponseSchema = z.object({ steps: z.array(automationStepSchema) });
export const automationStepsQuerySchema = z.object({
  status: automationStepStatusSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const shipmentParamsSchema = z.object({ id: z.uuid() });
export const automationStepParamsSchema = z.object({ id: z.uuid() });
/** `POST /automation-steps/:id/fallback`: ops did (or will do) the work by hand; the note says what. */
export const automationFallbackRequestSchema = z.object({ note: text(500) });

/** Which SKU triggers which scenarios, and each scenario's policy. */
export const automationRuleSchema = z.object({ sku: z.string(), scenarios: z.array(automationScenarioSchema) });
export const automationConfigSchema = z.object({
  scenarios: z.array(automationScenarioPolicySchema),
  rules: z.array(automationRuleSchema),
});
export const automationRuleParamsSchema = z.object({ sku: text(100) });
/** `PUT /automation-rules/:sku`: the scenarios a delivered unit of the SKU starts (empty: none). */
export const putAutomationRuleRequestSchema = z.object({
  scenarios: z.array(automationScenarioSchema).max(automationScenarioSchema.options.length).refine((list) => new Set(list).size === list.length, 'must not repeat a scenario'),
});

/**
 * What happens to the items of a source that refused or timed out while the rest of the order
 * goes on (docs/requirements.md#ful-05-mixed-sources): `refund` them, or `reroute` them to hub
 * stock or another supplier declared for the SKU (refund when none has them).
 */
export const supplierFailureModeSchema = z.enum(['refund', 'reroute']);
export type SupplierFailureMode = z.infer<typeof supplierFailureModeSchema>;
export const supplierFailurePolicyRequestSchema = z.object({ mode: supplierFailureModeSchema });
export const supplierFailurePolicySchema = z.object({
  mode: supplierFailureModeSchema,
  /** Null while the default applies (nobody set it). */
  updatedAt: timestamp.nullable(),
  updatedBy: z.string().nullable(),
});

export const skuParamsSchema = z.object({ sku: text(100) });
/** The suppliers that can also deliver a SKU, in the order they are tried when its source fails. */
export const skuSourcesRequestSchema = z.object({
  sources: z
    .array(z.enum(SUPPLIERS))
    .max(SUPPLIERS.length)
    .refine((sources) => new Set(sources).size === sources.length, 'must not repeat a supplier'),
});
export const skuSourcesSchema = z.object({
  sku: z.string(),
  sources: z.array(z.enum(SUPPLIERS)),
  updatedAt: timestamp.nullable(),
  updatedBy: z.string().nullable(),
});
