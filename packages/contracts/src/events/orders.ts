import { z } from 'zod';
import { defineEvent } from '../envelope';
import {
  addressSchema,
  fulfillmentStatusSchema,
  currencySchema,
  localeSchema,
  minorUnitsSchema,
  text,
  timestamp,
  timeZoneSchema,
  trackingRefSchema,
} from '../primitives';
import { shortStockPolicySchema, supplierSchema } from './fulfillment';

/*
 * The order as the orders service publishes it. These are the events' own schemas: the HTTP
 * API (`api/orders.ts`) builds on them, never the other way round, and a published version's
 * shape is frozen by its JSON Schema snapshot (`schemas/`).
 */

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

export { fulfillmentStatusSchema };

/** Who the order is for, as given when it was placed. */
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

export const deliveryTypeSchema = z.enum(['standard', 'express', 'scheduled']);

export const deliveryWindowSchema = z.object({
  start: timestamp,
  end: timestamp,
});

/** Where an item's unit price came from (ORD-02), most specific first. */
export const priceSourceSchema = z.enum(['PRICE_AGREEMENT', 'PRICEBOOK_REGIONAL', 'PRICEBOOK_GLOBAL', 'BESPOKE']);
export type PriceSource = z.infer<typeof priceSourceSchema>;

/** The price an item was sold at, fixed when the item was priced and never changed afterwards. */
export const priceSnapshotSchema = z.object({
  unitPrice: minorUnitsSchema,
  source: priceSourceSchema,
  priceBookEntryId: z.uuid().nullable(),
  resolvedAt: timestamp,
});
export type PriceSnapshot = z.infer<typeof priceSnapshotSchema>;

/**
 * What the short-stock policy did to an item when the order was placed (FUL-03): the customer
 * sees it on the order. `substitute`: this line is the configured equivalent of `substitutedFor`;
 * `partial`: `shortQuantity` units will be refunded if still short when stock is reserved;
 * `backorder`: they ship after the restock expected at `expectedAt`.
 */
export const shortStockOutcomeSchema = z.object({
  policy: shortStockPolicySchema,
  shortQuantity: z.number().int().positive(),
  substitutedFor: z.string().nullable(),
  expectedAt: timestamp.nullable(),
});
export type ShortStockOutcome = z.infer<typeof shortStockOutcomeSchema>;

export const orderItemSchema = z.object({
  sku: text(100),
  variantId: text(100),
  name: text(300),
  quantity: z.number().int().positive().max(10_000),
  unitPrice: minorUnitsSchema,
  vendor: vendorSchema,
  supplierSource: supplierSchema.default('own_stock'),
  ageRestricted: z.boolean().default(false),
  imageUrl: z.url().max(2048).optional(),
  id: z.uuid(),
  lineTotal: minorUnitsSchema,
  /** Optional only so events recorded before price snapshots existed still parse. */
  priceSource: priceSourceSchema.optional(),
  priceSnapshot: priceSnapshotSchema.optional(),
  /** Set when stock was short at ordering and a policy accepted the line anyway (optional: added later). */
  shortStock: shortStockOutcomeSchema.nullable().optional(),
});

export const orderTotalsSchema = z.object({
  subtotal: minorUnitsSchema,
  shipping: minorUnitsSchema,
  tax: minorUnitsSchema,
  discount: minorUnitsSchema,
  total: minorUnitsSchema,
});

/** The whole order, as `orders.order.created` and `orders.order.modified` carry it. */
export const orderSnapshotSchema = z.object({
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
  /** The customer's answer to short stock (FUL-03), over each SKU's policy; null: the SKUs' own (optional: added later). */
  shortStockPolicy: shortStockPolicySchema.nullable().optional(),
  version: z.number().int().nonnegative(),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type OrderSnapshot = z.infer<typeof orderSnapshotSchema>;

/** An order was accepted: priced, validated and stored. Carries the whole order so consumers need no read-back. */
export const orderCreated = defineEvent({
  type: 'orders.order.created',
  version: 1,
  stream: 'ORDERS',
  description: 'An order was accepted (priced, validated, stored); carries the whole order.',
  data: orderSnapshotSchema,
});

/**
 * The order's customer-facing status moved (ORD-03). Self-contained for notifications:
 * carries who to tell (customer snapshot) and what to show (number, tracking).
 */
export const orderStatusChanged = defineEvent({
  type: 'orders.order.status_changed',
  version: 1,
  stream: 'ORDERS',
  description: 'The order status changed; one per history entry, carrying the customer and tracking so notifications need no read-back.',
  data: z.object({
    orderId: z.uuid(),
    number: z.string(),
    status: orderStatusSchema,
    previousStatus: orderStatusSchema.nullable(),
    /** Why, in words an operator or customer can read ("Supplier rejected the order: out of stock"). */
    details: z.string().nullable(),
    /** `customer:<id>`, `ops:<key id>`, or the service that caused it (`billing`, `fulfillment`). */
    actor: z.string(),
    customer: customerSchema,
    total: z.number().int().nonnegative(),
    currency: z.string(),
    tracking: trackingRefSchema.nullable(),
    /** The order's version after the change (optimistic lock). */
    version: z.number().int().nonnegative(),
    changedAt: timestamp,
  }),
});

/** The order was cancelled (ORD-04): fulfillment stops and releases, billing refunds or voids. */
export const orderCancelled = defineEvent({
  type: 'orders.order.cancelled',
  version: 1,
  stream: 'ORDERS',
  description: 'The order was cancelled; downstream services undo their part (refund or void, cancel at suppliers, release stock).',
  data: z.object({
    orderId: z.uuid(),
    reason: z.string(),
    actor: z.string(),
    previousStatus: orderStatusSchema,
    cancelledAt: timestamp,
  }),
});

/**
 * The order was modified before fulfillment (ORD-04): items, quantities or address changed
 * and totals were recalculated. Carries the whole order after the change.
 */
export const orderModified = defineEvent({
  type: 'orders.order.modified',
  version: 1,
  stream: 'ORDERS',
  description: 'Items, quantities or the address changed before fulfillment; totals recalculated.',
  data: z.object({
    order: orderSnapshotSchema,
    previousTotal: z.number().int().nonnegative(),
    changes: z.array(z.string()).min(1),
    actor: z.string(),
  }),
});

/**
 * The order version a snapshot event brings (`orders.order.created`, `orders.order.modified`): a
 * consumer keeping the order's state skips one older than what it applied (docs/ordering.md).
 */
export const orderSnapshotVersion = (event: { data: OrderSnapshot | { order: OrderSnapshot } }): number =>
  'order' in event.data ? event.data.order.version : event.data.version;

/**
 * A vendor's part of an order (ORD-05) was created or changed status or fulfillment status:
 * one per sub-order history entry (`previousStatus` null when the split created it).
 */
export const subOrderStatusChanged = defineEvent({
  type: 'orders.sub_order.status_changed',
  version: 1,
  stream: 'ORDERS',
  description: 'A vendor\'s sub-order was created by the split or changed status or fulfillment status; one per sub-order history entry.',
  data: z.object({
    subOrderId: z.uuid(),
    number: z.string(),
    orderId: z.uuid(),
    vendor: vendorSchema,
    status: orderStatusSchema,
    previousStatus: orderStatusSchema.nullable(),
    fulfillmentStatus: fulfillmentStatusSchema,
    subtotal: z.number().int().nonnegative(),
    currency: z.string(),
    details: z.string().nullable(),
    actor: z.string(),
    version: z.number().int().nonnegative(),
    changedAt: timestamp,
  }),
});

/** The sales channels orders are taken from besides our own API (ORD-06); one adapter each in apps/orders. */
export const SALES_CHANNELS = ['tiktok_shop'] as const;
export const salesChannelSchema = z.enum(SALES_CHANNELS);
export type SalesChannel = z.infer<typeof salesChannelSchema>;

/**
 * An order placed and paid on a sales channel was accepted (ORD-06). Recorded just before its
 * `orders.order.created` (same transaction, so the same order on the stream): billing records the
 * payment as made by the channel instead of opening a checkout, and fulfillment starts as usual.
 * A new event rather than a field of `orders.order.created` v1, whose shape is published.
 */
export const orderPaidByChannel = defineEvent({
  type: 'orders.order.paid_by_channel',
  version: 1,
  stream: 'ORDERS',
  description: 'An order placed and paid on a sales channel (TikTok Shop) was accepted; billing records the channel\'s payment, no checkout.',
  data: z.object({
    orderId: z.uuid(),
    channel: salesChannelSchema,
    /** The channel's own order id (unique per channel). */
    externalOrderId: z.string().min(1),
    shopId: z.string(),
    /** What the buyer paid the channel, in minor units of `currency`: the order's total. */
    amount: minorUnitsSchema,
    currency: currencySchema,
    paidAt: timestamp,
    order: orderSnapshotSchema,
    /** Where each item's price came from: the channel's line items it was made of, at their sale and list prices. */
    items: z.array(
      z.object({
        itemId: z.uuid(),
        channelLineItemIds: z.array(z.string()).min(1),
        salePrice: minorUnitsSchema,
        originalPrice: minorUnitsSchema,
      }),
    ),
  }),
});

/**
 * When the order should arrive (docs/delivery-promise.md): a window of days,
 * `earliest` the start of its first day and `latest` the end of its last (UTC); for a scheduled
 * delivery, the window the customer chose.
 */
export const deliveryPromiseSchema = z.object({
  deliveryType: deliveryTypeSchema,
  earliest: timestamp,
  latest: timestamp,
});
export type DeliveryPromise = z.infer<typeof deliveryPromiseSchema>;

/**
 * The order's delivery promise was made (when it was placed) or remade (a modification changed
 * where it goes or what it holds). Beside `orders.order.created`, whose published shape has no promise.
 */
export const orderPromised = defineEvent({
  type: 'orders.order.promised',
  version: 1,
  stream: 'ORDERS',
  description: 'The delivery promise (date window) was computed when the order was placed, or again after a modification changed it.',
  data: z.object({
    orderId: z.uuid(),
    number: z.string(),
    promise: deliveryPromiseSchema,
    promisedAt: timestamp,
  }),
});

/** Why an order was flagged late. */
export const delayReasonSchema = z.enum([
  /**
   * The order is expected after the promise: the carrier's estimated delivery is past it, or the
   * promise's last moment passed with the order still not delivered (then the estimate, if any, is stale).
   */
  'late_estimate',
  /** A parcel has had no carrier scan for `NO_SCAN_ALERT_MS`. */
  'no_scan',
  /** The carrier itself reported the parcel delayed, with an estimate past the promise (or none, once it passed). */
  'carrier_delay',
  /** An operator set the order delayed. */
  'manual',
]);
export type DelayReason = z.infer<typeof delayReasonSchema>;

/**
 * The order was flagged delayed, once per order: the first time it became `delayed`, whatever
 * the reason. Self-contained for notifications (the customer, the promise, the new estimate).
 */
export const orderDelayed = defineEvent({
  type: 'orders.order.delayed',
  version: 1,
  stream: 'ORDERS',
  description:
    'The order was flagged delayed (estimate past the promise or the promise passed, no scan, a carrier delay past the promise, or ops); once per order, with the new estimate.',
  data: z.object({
    orderId: z.uuid(),
    number: z.string(),
    reason: delayReasonSchema,
    /** Null for an order placed before promises were made. */
    promise: deliveryPromiseSchema.nullable(),
    /** The carrier's latest estimate, when one is known. */
    estimatedDelivery: timestamp.nullable(),
    tracking: trackingRefSchema.nullable(),
    customer: customerSchema,
    flaggedAt: timestamp,
  }),
});

export const orderEvents = [
  orderCreated,
  orderStatusChanged,
  orderCancelled,
  orderModified,
  subOrderStatusChanged,
  orderPaidByChannel,
  orderPromised,
  orderDelayed,
] as const;
