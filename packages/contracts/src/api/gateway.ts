import { z } from 'zod';
import { orderBillingSchema } from './billing';
import { orderFulfillmentSchema } from './fulfillment';
import { orderNotificationsResponseSchema } from './notifications';
import { orderWithPartsSchema } from './orders';
import { orderTrackingSchema } from './tracking';

/** Shapes the gateway itself defines: API roles, the composed order detail, the checkout landing page. */

/**
 * Who an API key speaks for: a `customer` (its own orders), a `vendor` (its own sub-orders and
 * payouts), `ops` and `admin` (everyone's). Customer and vendor keys name their party
 * (`customerId`, `vendorId`); the gateway passes it on as `x-actor: <role>:<id>`.
 */
export const apiRoleSchema = z.enum(['customer', 'vendor', 'ops', 'admin']);
export type ApiRole = z.infer<typeof apiRoleSchema>;

export const composedServiceSchema = z.enum(['fulfillment', 'billing', 'tracking', 'notifications']);
export type ComposedService = z.infer<typeof composedServiceSchema>;

export const unavailablePartSchema = z.object({
  service: composedServiceSchema,
  /** Why the part is missing: `timeout`, `unavailable`, or `HTTP <status>`. */
  reason: z.string(),
});
export type UnavailablePart = z.infer<typeof unavailablePartSchema>;

/**
 * `GET /v1/orders/:id`: the order with every service's view of it. A part whose service failed
 * is null and listed in `unavailable` (`partial: true`); a part the service does not know yet
 * (404) is null without making the answer partial.
 */
export const orderDetailSchema = z.object({
  /** The order with its vendors' parts (`subOrders`). */
  order: orderWithPartsSchema,
  /** Each part is the service's own answer, passed on as it came. */
  fulfillment: orderFulfillmentSchema.nullable(),
  billing: orderBillingSchema.nullable(),
  tracking: orderTrackingSchema.nullable(),
  notifications: orderNotificationsResponseSchema.nullable(),
  partial: z.boolean(),
  unavailable: z.array(unavailablePartSchema),
});
export type OrderDetail = z.infer<typeof orderDetailSchema>;
