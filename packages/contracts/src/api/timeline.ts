import { z } from 'zod';
import { currencySchema, timestamp } from '../primitives';

/**
 * One order's story, as `GET /v1/orders/:orderId/timeline` answers it and as the live streams
 * (`GET /v1/orders/:orderId/live`, `GET /v1/customers/:customerId/live`, server-sent events)
 * carry it: the same entry shape in both, so a page renders history and live updates alike
 * (docs/requirements.md#gw-03-live-updates). `audience: 'customer'` entries are what a customer
 * may see (no supplier names, error codes or internal ids); ops see every entry.
 */

const money = z.object({ amount: z.number().int().nonnegative(), currency: currencySchema });

const entryBase = {
  /** Stable: the same fact gives the same id in the timeline and on the live stream. */
  id: z.string().min(1),
  orderId: z.uuid(),
  at: timestamp,
  audience: z.enum(['customer', 'ops']),
};

export const timelineEntrySchema = z.discriminatedUnion('kind', [
  z.object({ ...entryBase, kind: z.literal('status'), status: z.string(), previousStatus: z.string().nullable(), reason: z.string().nullable() }),
  z.object({ ...entryBase, kind: z.literal('workflow'), from: z.string(), to: z.string(), event: z.string().nullable() }),
  z.object({ ...entryBase, kind: z.literal('payment'), outcome: z.enum(['succeeded', 'failed']), amount: money.nullable(), reason: z.string().nullable() }),
  z.object({ ...entryBase, kind: z.literal('refund'), outcome: z.enum(['succeeded', 'failed']), amount: money, reason: z.string().nullable() }),
  z.object({
    ...entryBase,
    kind: z.literal('carrier_scan'),
    trackingNumber: z.string(),
    carrier: z.string().nullable(),
    status: z.string(),
    location: z.string().nullable(),
    description: z.string().nullable(),
  }),
  z.object({
    ...entryBase,
    kind: z.literal('notification'),
    notice: z.string(),
    channel: z.string(),
    outcome: z.enum(['sent', 'deferred', 'suppressed', 'failed']),
    /** Why it was deferred (quiet hours, until `until`), suppressed (preference, no address) or failed. */
    reason: z.string().nullable(),
    until: timestamp.nullable(),
  }),
]);
export type TimelineEntry = z.infer<typeof timelineEntrySchema>;

export const timelineResponseSchema = z.object({ orderId: z.uuid(), entries: z.array(timelineEntrySchema) });
export type TimelineResponse = z.infer<typeof timelineResponseSchema>;
