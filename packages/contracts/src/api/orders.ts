import { z } from 'zod';

/** ISO 4217 code, upper case. */
export const currencySchema = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR');
/**
 * Integer minor units (cents). Money never travels as a float. Capped at the 32-bit integer
 * range the databases store.
 */
export const MAX_MINOR_UNITS = 2_147_483_647;
export const minorUnitsSchema = z.number().int().nonnegative().max(MAX_MINOR_UNITS);

/** Free text: trimmed, bounded, and without NUL characters (which PostgreSQL text refuses). */
export function text(max: number, min = 1) {
  return z.string().trim().min(min).max(max).regex(/^[^\u0000]*$/, 'must not contain NUL characters');
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

export const customerSchema = z.object({
  id: text(100),
  email: z.email(),
  name: text(200),
  phone: text(40, 0).optional(),
  locale: localeSchema.default('en'),
  timezone: text(64).default('UTC'),
});

export const vendorSchema = z.object({
  id: text(100),
  type: z.enum(['brand', 'distributor']),
});

export const supplierSourceSchema = z.enum(['aliexpress', 'cj', 'spocket', 'own_stock']);

export const orderItemInputSchema = z.object({
  sku: text(100),
  variantId: text(100),
  name: text(300),
  quantity: z.number().int().positive().max(10_000),
  unitPrice: minorUnitsSchema,
  vendor: vendorSchema,
  supplierSource: supplierSourceSchema.default('own_stock'),
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

export const orderItemSchema = orderItemInputSchema.extend({
  id: z.uuid(),
  lineTotal: minorUnitsSchema,
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
  version: z.number().int().nonnegative(),
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
});
export type Order = z.infer<typeof orderSchema>;

export const orderIdParamsSchema = z.object({ id: z.uuid() });

/** `Idempotency-Key` header (IETF draft-ietf-httpapi-idempotency-key-header): an opaque client token. */
export const idempotencyKeySchema = z.string().regex(/^[\x21-\x7e]{1,255}$/, 'must be 1 to 255 visible ASCII characters');
