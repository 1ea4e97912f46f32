import { z } from 'zod';
import { defineEvent } from '../envelope';
import { timestamp } from '../primitives';

/**
 * A return (RMA) of delivered units (docs/requirements.md#returns): fulfillment owns it.
 *
 * `requested → approved | refused`; `approved → in_transit → received → inspected → refunded`.
 * `approved` carries the return label (carrier, tracking number, label URL) bought from the
 * carrier side; the return parcel is tracked like any other; `received` is the parcel at the
 * hub (the carrier's delivered scan, or ops recording it); `inspected` fixes, per line, the
 * condition and the restocking fee the return policy charges; billing refunds from that
 * (`billing.refund.succeeded` with `returnId`), and the return becomes `refunded`.
 */
export const returnStatusSchema = z.enum(['requested', 'approved', 'refused', 'in_transit', 'received', 'inspected', 'refunded']);
export type ReturnStatus = z.infer<typeof returnStatusSchema>;

/** How a returned unit came back: resellable units go back to the hub's stock. */
export const returnConditionSchema = z.enum(['resellable', 'damaged']);
export type ReturnCondition = z.infer<typeof returnConditionSchema>;

export const returnLineSchema = z.object({
  sku: z.string(),
  variantId: z.string(),
  vendorId: z.string(),
  quantity: z.number().int().positive(),
  /** Set at inspection, null before. */
  condition: returnConditionSchema.nullable(),
  /**
   * Set at inspection by the return policy, null before: the share of the line's price kept,
   * in basis points (1500 = 15 %). Billing refunds `unit price × quantity × (1 − bps / 10000)`.
   */
  restockingFeeBps: z.number().int().min(0).max(10_000).nullable(),
});
export type ReturnLine = z.infer<typeof returnLineSchema>;

export const returnLabelSchema = z.object({
  carrier: z.string(),
  trackingNumber: z.string(),
  labelUrl: z.string(),
});

/**
 * A return moved (one event per step, with the whole return so no consumer reads back):
 * orders (timeline, the order's `returned` status), billing (refund at `inspected`),
 * notifications (the customer is told at each step).
 */
export const returnChanged = defineEvent({
  type: 'fulfillment.return.changed',
  version: 1,
  stream: 'FULFILLMENT',
  description: 'A return (RMA) of delivered units moved: requested, approved with its label, refused, in transit, received at the hub, inspected, refunded.',
  data: z.object({
    returnId: z.uuid(),
    orderId: z.uuid(),
    /** What the customer and ops see ("RMA-…"). */
    number: z.string(),
    status: returnStatusSchema,
    previousStatus: returnStatusSchema.nullable(),
    /** The customer's reason for returning. */
    reason: z.string(),
    items: z.array(returnLineSchema).min(1),
    /** Set from `approved` on. */
    label: returnLabelSchema.nullable(),
    /** Where the parcel goes back to (a hub id), set from `approved` on. */
    hubId: z.string().nullable(),
    /** Why ops refused, when `refused`. */
    refusalReason: z.string().nullable(),
    /** Who moved it: `system`, the customer, or the ops key. */
    actor: z.string(),
    at: timestamp,
  }),
});

export const returnEvents = [returnChanged] as const;
