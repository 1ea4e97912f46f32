import { z } from 'zod';
import { supplierSchema } from '../events/fulfillment';
import { unstorableTextReason } from './text';

/** ISO 4217 code, upper case. */
export const currencySchema = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR');
/**
 * Integer minor units (cents). Money never travels as a float. Capped at the 32-bit integer
 * range the databases store.
 */
export const MAX_MINOR_UNITS = 2_147_483_647;
export const minorUnitsSchema = z.number().int().nonnegative().max(MAX_MINOR_UNITS);

/** Free text: trimmed, bounded, and storable (see `unstorableTextReason`). */
export function text(max: number, min = 1) {
  return z
    .string()
    .trim()
    .min(min)
    .max(max)
    .superRefine((value, context) => {
      const reason = unstorableTextReason(value);
      if (reason) context.addIssue({ code: 'custom', message: reason });
    });
}
export const localeSchema = z.enum(['en', 'es', 'ro', 'ru']);

export const addressSchema = z.object({
  name: text(200),
  line1: text(200),
  line2: text(200, 0).optional(),
  city: text(100),
  state: text(100, 0).optional(),
  postalCode: text(20),
  country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as ES'),
  phone: text(40, 0).optional(),
});

export type Address = z.infer<typeof addressSchema>;

/** An IANA time zone the runtime knows (`Europe/Madrid`): quiet hours are computed in it. */
export const timeZoneSchema = text(64).refine((zone) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as Europe/Madrid');

export const customerSchema = z.object({
  id: text(100),
  email: z.email(),
  name: text(200),
  phone: text(40, 0).optional(),
  locale: localeSchema.default('en'),
  timezone: timeZoneSchema.default('UTC'),
});

export const vendorSchema = z.object({
  id: text(100),
  type: z.enum(['brand', 'distributor']),
});

export const orderItemInputSchema = z.object({
  sku: text(100),
  variantId: text(100),
  name: text(300),
  quantity: z.number().int().positive().max(10_000),
  /**
   * Only for items without a price book entry (BESPOKE), and only from ops/admin or internal
   * callers: a price book price always wins and a customer cannot name its own price.
   */
  unitPrice: minorUnitsSchema.optional(),
  vendor: vendorSchema,
  supplierSource: supplierSchema.default('own_stock'),
  ageRestricted: z.boolean().default(false),
  imageUrl: z.url().max(2048).optional(),
});

export const deliveryTypeSchema = z.enum(['standard', 'express', 'scheduled']);

export const deliveryWindowSchema = z.object({
  start: z.iso.datetime({ offset: true }),
  end: z.iso.datetime({ offset: true }),
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
});
export type CreateOrderRequest = z.infer<typeof createOrderRequestSchema>;
export type CreateOrderInput = z.input<typeof createOrderRequestSchema>;

export const orderStatusSchema = z.enum([
  'pending',
  'confirmed',
  'processing',
  'packed',
  'shipped',
  'out_for_delivery',
  'delivered',
  'delayed',
  'exception',
  'cancelled',
  'refunded',
  'returned',
]);

export const fulfillmentStatusSchema = z.enum([
  'not_fulfilled',
  'partially_fulfilled',
  'fulfilled',
  'partially_shipped',
  'shipped',
  'partially_returned',
  'returned',
  'cancelled',
]);

export const orderTotalsSchema = z.object({
  subtotal: minorUnitsSchema,
  shipping: minorUnitsSchema,
  tax: minorUnitsSchema,
  discount: minorUnitsSchema,
  total: minorUnitsSchema,
});

/** Where an item's unit price came from (ORD-02), most specific first. */
export const priceSourceSchema = z.enum(['PRICE_AGREEMENT', 'PRICEBOOK_REGIONAL', 'PRICEBOOK_GLOBAL', 'BESPOKE']);
export type PriceSource = z.infer<typeof priceSourceSchema>;

/** The price an item was sold at, fixed when the item was priced and never changed afterwards. */
export const priceSnapshotSchema = z.object({
  unitPrice: minorUnitsSchema,
  source: priceSourceSchema,
  priceBookEntryId: z.uuid().nullable(),
  resolvedAt: z.iso.datetime({ offset: true }),
});
export type PriceSnapshot = z.infer<typeof priceSnapshotSchema>;

export const trackingRefSchema = z.object({ number: z.string(), carrier: z.string().nullable() });

export const orderItemSchema = orderItemInputSchema.extend({
  id: z.uuid(),
  unitPrice: minorUnitsSchema,
  lineTotal: minorUnitsSchema,
  /** Optional only so events recorded before price snapshots existed still parse. */
  priceSource: priceSourceSchema.optional(),
  priceSnapshot: priceSnapshotSchema.optional(),
});

/** An order as the orders service returns it and as `orders.order.created` carries it. */
export const orderSchema = z.object({
  id: z.uuid(),
  number: z.string(),
  status: orderStatusSchema,
  fulfillmentStatus: fulfillmentStatusSchema,
  customer: customerSchema,
  shippingAddress: addressSchema,
  billingAddress: addressSchema,
  items: z.array(orderItemSchema).min(1),
  deliveryType: deliveryTypeSchema,
  deliveryWindow: deliveryWindowSchema.nullable(),
  notes: z.string().nullable(),
  ageVerified: z.boolean(),
  currency: currencySchema,
  totals: orderTotalsSchema,
  /** Set once the order shipped (optional: older events lack it). */
  tracking: trackingRefSchema.nullable().optional(),
  /** True once the fulfillment workflow reached processing: the order can no longer be modified. */
  fulfillmentStarted: z.boolean().optional(),
  version: z.number().int().nonnegative(),
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
});
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

export const listOrdersQuerySchema = z.object({
  customerId: text(100).optional(),
  status: orderStatusSchema.optional(),
  /** true: only orders still in progress (not delivered, cancelled, refunded or returned). */
  active: z.enum(['true', 'false']).transform((value) => value === 'true').optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** Opaque, from the previous page's `nextCursor`. */
  cursor: z.string().max(200).optional(),
});
export const orderPageSchema = z.object({ items: z.array(orderSchema), nextCursor: z.string().nullable() });

export const timelineEntrySchema = z.object({
  status: orderStatusSchema,
  previousStatus: orderStatusSchema.nullable(),
  details: z.string().nullable(),
  actor: z.string(),
  at: z.iso.datetime({ offset: true }),
});
export const orderTimelineSchema = z.object({ orderId: z.uuid(), entries: z.array(timelineEntrySchema) });

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
    region: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as ES').nullable().default(null),
    /** The customer a PRICE_AGREEMENT is for. */
    customerId: text(100).nullable().default(null),
    currency: currencySchema,
    unitPrice: minorUnitsSchema,
    validFrom: z.iso.datetime({ offset: true }).nullable().default(null),
    validTo: z.iso.datetime({ offset: true }).nullable().default(null),
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
  validFrom: z.iso.datetime({ offset: true }).nullable(),
  validTo: z.iso.datetime({ offset: true }).nullable(),
  updatedAt: z.iso.datetime({ offset: true }),
});
export type PriceBookEntry = z.infer<typeof priceBookEntrySchema>;

export const putPriceBookEntriesRequestSchema = z.object({ entries: z.array(priceBookEntryInputSchema).min(1).max(500) });
export const priceBookQuerySchema = z.object({ sku: text(100).optional(), currency: currencySchema.optional() });
export const priceBookSchema = z.object({ entries: z.array(priceBookEntrySchema) });

/** Body of `POST /quotes`: what these items would cost, without ordering. */
export const quoteRequestSchema = z.object({
  customerId: text(100).optional(),
  country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as ES'),
  currency: currencySchema,
  deliveryType: deliveryTypeSchema.default('standard'),
  items: z
    .array(z.object({ sku: text(100), variantId: text(100), quantity: z.number().int().positive().max(10_000) }))
    .min(1)
    .max(200),
});
export type QuoteRequest = z.infer<typeof quoteRequestSchema>;

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
});
export const quoteSchema = z.object({
  currency: z.string(),
  country: z.string(),
  /** False when some line has no price: the totals then cover the priced lines only. */
  complete: z.boolean(),
  lines: z.array(quoteLineSchema),
  totals: orderTotalsSchema,
  resolvedAt: z.iso.datetime({ offset: true }),
});
export type Quote = z.infer<typeof quoteSchema>;
