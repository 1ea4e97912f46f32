import { z } from 'zod';
import { defineEvent } from '../envelope';
import { currencySchema, timestamp } from '../primitives';
import { returnStatusSchema } from './returns';

/**
 * One order's story (docs/requirements.md#gw-03-live-updates): the entry shape the orders
 * service records in its timeline read model, publishes on the TIMELINE stream, and answers at
 * `GET /orders/:id/timeline` (`api/timeline.ts` re-exports it for HTTP). `audience: 'customer'`
 * entries are what a customer may see (no supplier names, error codes or internal ids); ops see
 * every entry.
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
  /** A step of a return (RMA): the customer reads it by its number and status; `reason` is ops' refusal reason, for the customer too. */
  z.object({ ...entryBase, kind: z.literal('return'), number: z.string(), status: returnStatusSchema, reason: z.string().nullable() }),
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

/**
 * `timeline.<customer token>.<orderId>`: one subject per order under its customer, so a live
 * stream filters one order (`timeline.*.<orderId>`) or one customer (`timeline.<token>.>`) and
 * carries nothing else by construction. Customer ids are free text; the token is their
 * base64url form, which never holds a subject's separators or wildcards.
 */
export function timelineSubject(customerId: string, orderId: string): string {
  return `timeline.${customerToken(customerId)}.${orderId}`;
}
export const orderTimelineFilter = (orderId: string) => `timeline.*.${orderId}`;
export const customerTimelineFilter = (customerId: string) => `timeline.${customerToken(customerId)}.>`;
const customerToken = (customerId: string) => Buffer.from(customerId, 'utf8').toString('base64url');

/** An entry joined an order's timeline; published on the order's subject under its customer. */
export const timelineEntryRecorded = defineEvent({
  type: 'timeline.entry.recorded',
  version: 1,
  stream: 'TIMELINE',
  description: "An entry joined an order's timeline (status, workflow step, payment, refund, carrier scan, return step, notification); subject `timeline.<customer>.<order>`.",
  data: z.object({ customerId: z.string().min(1), entry: timelineEntrySchema }),
  subject: (data) => timelineSubject(data.customerId, data.entry.orderId),
});

export const timelineEvents = [timelineEntryRecorded] as const;
