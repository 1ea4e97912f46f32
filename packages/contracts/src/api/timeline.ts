import { z } from 'zod';
import { timelineEntrySchema } from '../events/timeline';

/**
 * One order's story, as `GET /v1/orders/:orderId/timeline` answers it and as the live streams
 * (`GET /v1/orders/:orderId/live`, `GET /v1/customers/:customerId/live`, server-sent events)
 * carry it: the same entry shape in both (defined with the event that publishes it,
 * `events/timeline.ts`), so a page renders history and live updates alike
 * (docs/requirements.md#gw-03-live-updates). `audience: 'customer'` entries are what a customer
 * may see (no supplier names, error codes or internal ids); ops see every entry.
 */
export { type TimelineEntry, timelineEntrySchema } from '../events/timeline';

/**
 * The orders service's `GET /orders/:id/timeline?audience=customer`: only what a customer may
 * see. A customer's key always gets that; the gateway asks for it for a signed order link.
 */
export const timelineQuerySchema = z.object({ audience: z.literal('customer').optional() });

export const timelineResponseSchema = z.object({ orderId: z.uuid(), entries: z.array(timelineEntrySchema) });
export type TimelineResponse = z.infer<typeof timelineResponseSchema>;
