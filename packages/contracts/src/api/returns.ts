import { z } from 'zod';
import { returnChanged, returnConditionSchema, returnStatusSchema } from '../events/returns';
import { text, timestamp } from '../primitives';

/** Schemas of fulfillment's returns API (docs/returns.md); the gateway imports them for its OpenAPI document. */

export const returnParamsSchema = z.object({ returnId: z.uuid() });

/** `POST /orders/:orderId/returns`: delivered units to send back, and why. */
export const createReturnRequestSchema = z.object({
  items: z
    .array(z.object({ sku: text(100), variantId: text(100).optional(), quantity: z.number().int().positive().max(10_000) }))
    .min(1)
    .max(200),
  reason: text(1000).refine((reason) => reason.trim().length > 0, 'must not be blank'),
});
export type CreateReturnRequest = z.infer<typeof createReturnRequestSchema>;

/** A return as the API shows it: what the last `fulfillment.return.changed` said, with its times. */
export const returnSchema = returnChanged.data.omit({ previousStatus: true, actor: true, at: true }).extend({
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type ReturnView = z.infer<typeof returnSchema>;

export const orderReturnsResponseSchema = z.object({ orderId: z.uuid(), returns: z.array(returnSchema) });

/** `GET /ops/returns`: newest first, optionally by status; `cursor` is the `nextCursor` of the page before. */
export const returnsQuerySchema = z
  .object({
    status: returnStatusSchema.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
    cursor: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, 'must be the nextCursor of an earlier page').optional(),
  })
  .strict();
export const returnsResponseSchema = z.object({ returns: z.array(returnSchema), nextCursor: z.string().nullable() });

export const refuseReturnRequestSchema = z.object({ reason: text(1000).refine((reason) => reason.trim().length > 0, 'must not be blank') });

/** `POST /ops/returns/:returnId/inspect`: the condition of every returned line. */
export const inspectReturnRequestSchema = z.object({
  items: z
    .array(z.object({ sku: text(100), variantId: text(100), condition: returnConditionSchema }))
    .min(1)
    .max(200),
});
export type InspectReturnRequest = z.infer<typeof inspectReturnRequestSchema>;

/** The return policy ops set: how long after delivery a return may be opened, and the restocking fee per condition (basis points). */
export const returnPolicyRequestSchema = z.object({
  windowDays: z.number().int().min(0).max(365),
  restockingFeeBps: z.object({ resellable: z.number().int().min(0).max(10_000), damaged: z.number().int().min(0).max(10_000) }),
});
export type ReturnPolicyValue = z.infer<typeof returnPolicyRequestSchema>;
export const returnPolicySchema = returnPolicyRequestSchema.extend({
  /** Null while the default applies (nobody set it). */
  updatedAt: timestamp.nullable(),
  updatedBy: z.string().nullable(),
});
export type ReturnPolicy = z.infer<typeof returnPolicySchema>;
