import { z } from 'zod';
import {
  customerSchema,
  delayReasonSchema,
  deliveryPromiseSchema,
  deliveryTypeSchema,
  deliveryWindowSchema,
  orderItemSchema,
  orderSnapshotSchema,
  orderStatusSchema,
  orderTotalsSchema,
  priceSourceSchema,
  vendorSchema,
} from '../events/orders';
import { parcelSchema, shortStockPolicySchema, unitCountsSchema } from '../events/fulfillment';
import { addressSchema, countryCodeSchema, currencySchema, fulfillmentStatusSchema, minorUnitsSchema, text, timestamp } from '../primitives';

/** An item as a caller orders it: the published item (`events/orders.ts`) before pricing. */
export const orderItemInputSchema = orderItemSchema
  .pick({ sku: true, variantId: true, name: true, quantity: true, vendor: true, supplierSource: true, ageRestricted: true, imageUrl: true })
  .extend({
    /**
     * Only for items without a price book entry (BESPOKE), and only from ops/admin or internal
     * callers: a price book price always wins and a customer cannot name its own price.
     */
    unitPrice: minorUnitsSchema.optional(),
  });

/** Body of `POST /v1/orders`. Cross-field rules (age, window) live in the orders domain. */
export const createOrderRequestSchema = z.object({
  customer: customerSchema,
  shippingAddress: addressSchema,
  billingAddress: addressSchema.optional(),
  items: z.array(orderItemInputSchema).min(1).max(200),
  deliveryType: deliveryTypeSchema.default('standard'),
  deliveryWindow: deliveryWindowSchema.optional(),
  notes: text(2000, 0).optional(),
  ageVerified: z.boolean().default(false),
  currency: currencySchema,
  /** What to do with own-stock items that are short (FUL-03), over each SKU's policy set by ops. */
  shortStockPolicy: shortStockPolicySchema.optional(),
});
export type CreateOrderRequest = z.infer<typeof createOrderRequestSchema>;
export type CreateOrderInput = z.input<typeof createOrderRequestSchema>;

/**
 * An order as the orders service answers for it: today the order its events publish. To answer
 * with more, extend it here; the published shape itself is frozen per event version.
 */
export const orderSchema = orderSnapshotSchema;
export type Order = z.infer<typeof orderSchema>;

export const orderIdParamsSchema = z.object({ id: z.uuid() });

/** `Idempotency-Key` header (IETF draft-ietf-httpapi-idempotency-key-header): an opaque client token. */
export const idempotencyKeySchema = z.string().regex(/^[\x21-\x7e]{1,255}$/, 'must be 1 to 255 visible ASCII characters');


/** `If-Match: "<version>"` (a strong ETag holding the order version). */
export const ifMatchSchema = z.string().regex(/^"\d{1,10}"$/, 'must be the order version in quotes, e.g. "3"');

/** Body of `POST /orders/:id/cancel`. */
export const cancelOrderRequestSchema = z.object({ reason: text(500) });

/** Body of `PATCH /orders/:id`: only while pending/confirmed and before fulfillment starts. */
export const modifyOrderRequestSchema = z
  .object({
    /** Full replacement list, priced again like a new order. */
    items: z.array(orderItemInputSchema).min(1).max(200).optional(),
    shippingAddress: addressSchema.optional(),
    notes: text(2000, 0).nullable().optional(),
  })
  .refine((body) => body.items !== undefined || body.shippingAddress !== undefined || body.notes !== undefined, {
    message: 'name at least one of items, shippingAddress, notes',
  });
export type ModifyOrderRequest = z.infer<typeof modifyOrderRequestSchema>;

/** Body of `POST /orders/:id/status`: an ops/admin manual change, through the transition table (ORD-08). */
export const manualStatusChangeRequestSchema = z.object({ status: orderStatusSchema, reason: text(500) });

/** Digits an order number is padded to: `ORD-000042`; a longer sequence prints in full. */
export const ORDER_NUMBER_WIDTH = 6;

/** The human-facing number of the order with this sequence: `ORD-000042`. */
export function formatOrderNumber(sequence: number): string {
  return `ORD-${String(sequence).padStart(ORDER_NUMBER_WIDTH, '0')}`;
}

/** An order number, whole or its beginning: `ORD-000042`, `ORD-0000`, `000042` (the `ORD-` is optional, any case). */
export const orderNumberSearchSchema = z
  .string()
  .regex(/^(ORD-)?\d{1,10}$/i, 'an order number or its beginning, e.g. ORD-000042 or ORD-0000')
  .transform((value) => value.replace(/^ORD-/i, ''));

export const listOrdersQuerySchema = z.object({
  customerId: text(100).optional(),
  /** Orders whose number is this one or begins with it (ops search). */
  number: orderNumberSearchSchema.optional(),
  /** The customer's email at order time, any case, whole (ops search). */
  email: z.email().max(254).optional(),
  status: orderStatusSchema.optional(),
  /** true: only orders still in progress (not delivered, cancelled, refunded or returned). */
  active: z.enum(['true', 'false']).transform((value) => value === 'true').optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** Opaque, from the previous page's `nextCursor`. */
  cursor: z.string().max(200).optional(),
});
export const orderPageSchema = z.object({ items: z.array(orderSchema), nextCursor: z.string().nullable() });

/** `GET /orders/:id/history`: the order's status changes as recorded (the timeline, `api/timeline.ts`, is what callers read). */
export const statusHistoryEntrySchema = z.object({
  status: orderStatusSchema,
  previousStatus: orderStatusSchema.nullable(),
  details: z.string().nullable(),
  actor: z.string(),
  at: timestamp,
});
export const orderHistorySchema = z.object({ orderId: z.uuid(), entries: z.array(statusHistoryEntrySchema) });

export const orderOverviewSchema = z.object({
  total: z.number().int().nonnegative(),
  byStatus: z.record(orderStatusSchema, z.number().int().nonnegative()),
});

/** A price book row: a price for a SKU (or one variant of it), globally, for a country, or for one customer. */
export const priceBookEntryInputSchema = z
  .object({
    /** Given: replaces that entry; absent: a new entry. */
    id: z.uuid().optional(),
    sku: text(100),
    /** Narrows the entry to one variant of the SKU. */
    variantId: text(100).nullable().default(null),
    source: z.enum(['PRICEBOOK_GLOBAL', 'PRICEBOOK_REGIONAL', 'PRICE_AGREEMENT']),
    /** ISO 3166-1 alpha-2 shipping country, for PRICEBOOK_REGIONAL. */
    region: countryCodeSchema.nullable().default(null),
    /** The customer a PRICE_AGREEMENT is for. */
    customerId: text(100).nullable().default(null),
    currency: currencySchema,
    unitPrice: minorUnitsSchema,
    validFrom: timestamp.nullable().default(null),
    validTo: timestamp.nullable().default(null),
  })
  .superRefine((entry, context) => {
    const problem = (path: string, message: string) => context.addIssue({ code: 'custom', path: [path], message });
    if (entry.source === 'PRICEBOOK_REGIONAL' && !entry.region) problem('region', 'required for PRICEBOOK_REGIONAL');
    if (entry.source !== 'PRICEBOOK_REGIONAL' && entry.region) problem('region', 'only for PRICEBOOK_REGIONAL');
    if (entry.source === 'PRICE_AGREEMENT' && !entry.customerId) problem('customerId', 'required for PRICE_AGREEMENT');
    if (entry.source !== 'PRICE_AGREEMENT' && entry.customerId) problem('customerId', 'only for PRICE_AGREEMENT');
    if (entry.validFrom && entry.validTo && Date.parse(entry.validTo) <= Date.parse(entry.validFrom)) {
      problem('validTo', 'must be after validFrom');
    }
  });
export type PriceBookEntryInput = z.infer<typeof priceBookEntryInputSchema>;

export const priceBookEntrySchema = z.object({
  id: z.uuid(),
  sku: z.string(),
  variantId: z.string().nullable(),
  source: z.enum(['PRICEBOOK_GLOBAL', 'PRICEBOOK_REGIONAL', 'PRICE_AGREEMENT']),
  region: z.string().nullable(),
  customerId: z.string().nullable(),
  currency: z.string(),
  unitPrice: minorUnitsSchema,
  validFrom: timestamp.nullable(),
  validTo: timestamp.nullable(),
  updatedAt: timestamp,
});
export type PriceBookEntry = z.infer<typeof priceBookEntrySchema>;

export const putPriceBookEntriesRequestSchema = z.object({ entries: z.array(priceBookEntryInputSchema).min(1).max(500) });
export const priceBookQuerySchema = z.object({ sku: text(100).optional(), currency: currencySchema.optional() });
export const priceBookSchema = z.object({ entries: z.array(priceBookEntrySchema) });

/** Body of `POST /quotes`: what these items would cost, without ordering. */
export const quoteRequestSchema = z.object({
  customerId: text(100).optional(),
  country: countryCodeSchema,
  currency: currencySchema,
  deliveryType: deliveryTypeSchema.default('standard'),
  items: z
    .array(z.object({ sku: text(100), variantId: text(100), quantity: z.number().int().positive().max(10_000) }))
    .min(1)
    .max(200),
  /** As on `POST /orders`: the answer to short stock the quote should assume. */
  shortStockPolicy: shortStockPolicySchema.optional(),
});
export type QuoteRequest = z.infer<typeof quoteRequestSchema>;

/**
 * Whether our hubs have a line's units (FUL-03), as fulfillment last reported them.
 * `not_tracked`: a SKU no hub stocks (a supplier's), not checked. For a short line, `resolution`
 * says what the policy will do; null: nothing, so ordering it is refused.
 */
export const lineAvailabilitySchema = z.object({
  status: z.enum(['available', 'short', 'not_tracked']),
  available: z.number().int().nonnegative().nullable(),
  shortQuantity: z.number().int().nonnegative(),
  resolution: z
    .object({ policy: shortStockPolicySchema, substituteSku: z.string().nullable(), expectedAt: timestamp.nullable() })
    .nullable(),
});
export type LineAvailability = z.infer<typeof lineAvailabilitySchema>;

export const quoteLineSchema = z.object({
  sku: z.string(),
  variantId: z.string(),
  quantity: z.number().int(),
  /** Null when the line has no price (see `error`). */
  unitPrice: minorUnitsSchema.nullable(),
  lineTotal: minorUnitsSchema.nullable(),
  source: priceSourceSchema.nullable(),
  priceBookEntryId: z.uuid().nullable(),
  error: z.object({ code: z.string(), pointer: z.string(), detail: z.string() }).nullable(),
  availability: lineAvailabilitySchema,
});
export const quoteSchema = z.object({
  currency: z.string(),
  country: z.string(),
  /** False when some line has no price: the totals then cover the priced lines only. */
  complete: z.boolean(),
  lines: z.array(quoteLineSchema),
  totals: orderTotalsSchema,
  resolvedAt: timestamp,
});
export type Quote = z.infer<typeof quoteSchema>;

/**
 * A vendor's part of an order (ORD-05, docs/requirements.md#ord-05-vendor-split): its items,
 * its own status and fulfillment status, and the parcels carrying its items (each listing only
 * this vendor's items). Numbered from the parent: `ORD-000123-1`.
 */
export const subOrderSchema = z.object({
  id: z.uuid(),
  number: z.string(),
  orderId: z.uuid(),
  orderNumber: z.string(),
  vendor: vendorSchema,
  items: z.array(orderItemSchema.pick({ id: true, sku: true, variantId: true, name: true, quantity: true, unitPrice: true, lineTotal: true })),
  subtotal: minorUnitsSchema,
  currency: z.string(),
  status: orderStatusSchema,
  fulfillmentStatus: fulfillmentStatusSchema,
  units: unitCountsSchema,
  parcels: z.array(parcelSchema),
  version: z.number().int().nonnegative(),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type SubOrder = z.infer<typeof subOrderSchema>;

export const subOrderHistoryEntrySchema = z.object({
  status: orderStatusSchema,
  previousStatus: orderStatusSchema.nullable(),
  fulfillmentStatus: fulfillmentStatusSchema,
  details: z.string().nullable(),
  actor: z.string(),
  at: timestamp,
});

/** `GET /sub-orders/:number`: the sub-order with its history. */
export const subOrderDetailSchema = subOrderSchema.extend({ history: z.array(subOrderHistoryEntrySchema) });

/**
 * The delivery promise as the order shows it (docs/delivery-promise.md): the promised window, the
 * carrier's latest estimate, whether and why the order was flagged late, and once delivered
 * whether the promise was met.
 */
export const orderPromiseSchema = deliveryPromiseSchema.extend({
  estimatedDelivery: timestamp.nullable(),
  delayedAt: timestamp.nullable(),
  delayReason: delayReasonSchema.nullable(),
  /** Null until the order is delivered. */
  promiseMet: z.boolean().nullable(),
});
export type OrderPromise = z.infer<typeof orderPromiseSchema>;

/** `GET /orders/:id`: the order with its vendors' parts (the customer sees one order with its parts) and its delivery promise. */
export const orderWithPartsSchema = orderSchema.extend({
  subOrders: z.array(subOrderSchema),
  /** Null for an order placed before promises were made. */
  deliveryPromise: orderPromiseSchema.nullable(),
});
export type OrderWithParts = z.infer<typeof orderWithPartsSchema>;

export const orderSubOrdersSchema = z.object({ orderId: z.uuid(), items: z.array(subOrderSchema) });

export const subOrderNumberParamsSchema = z.object({
  number: z.string().regex(/^ORD-\d{6,10}-\d{1,4}$/, 'must be a sub-order number, e.g. ORD-000123-1'),
});

/** `GET /vendor/sub-orders`: a vendor key lists its own; ops name the vendor. Newest first. */
export const listSubOrdersQuerySchema = z.object({
  vendorId: text(100).optional(),
  status: orderStatusSchema.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});
export const subOrderPageSchema = z.object({ items: z.array(subOrderSchema), nextCursor: z.string().nullable() });

/** `GET /ops/orders/delayed`: orders flagged late and not yet delivered, cancelled or returned; longest late first. */
export const delayedOrdersQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** Opaque, from the previous page's `nextCursor`. */
  cursor: z.string().max(200).optional(),
});
export const delayedOrderSchema = z.object({
  orderId: z.uuid(),
  number: z.string(),
  status: orderStatusSchema,
  customerId: z.string(),
  tracking: z.object({ number: z.string(), carrier: z.string().nullable() }).nullable(),
  deliveryPromise: orderPromiseSchema,
});
export const delayedOrdersPageSchema = z.object({ items: z.array(delayedOrderSchema), nextCursor: z.string().nullable() });
export type DelayedOrdersPage = z.infer<typeof delayedOrdersPageSchema>;
