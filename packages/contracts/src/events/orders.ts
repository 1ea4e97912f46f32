import { z } from 'zod';
import { customerSchema, orderSchema, orderStatusSchema } from '../api/orders';
import { defineEvent } from '../envelope';

const timestamp = z.iso.datetime({ offset: true });

/** An order was accepted: priced, validated and stored. Carries the whole order so consumers need no read-back. */
export const orderCreated = defineEvent({
  type: 'orders.order.created',
  version: 1,
  stream: 'ORDERS',
  description: 'An order was accepted (priced, validated, stored).',
  data: orderSchema,
});

/**
 * The order's customer-facing status moved (ORD-03). Self-contained for notifications:
 * carries who to tell (customer snapshot) and what to show (number, tracking).
 */
export const orderStatusChanged = defineEvent({
  type: 'orders.order.status_changed',
  version: 1,
  stream: 'ORDERS',
  description: 'The order status changed; one event per history entry.',
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
    tracking: z.object({ number: z.string(), carrier: z.string().nullable() }).nullable(),
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
  description: 'The order was cancelled; downstream services undo their part.',
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
    order: orderSchema,
    previousTotal: z.number().int().nonnegative(),
    changes: z.array(z.string()).min(1),
    actor: z.string(),
  }),
});

export const orderEvents = [orderCreated, orderStatusChanged, orderCancelled, orderModified] as const;
