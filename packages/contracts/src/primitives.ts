import { z } from 'zod';
import { unstorableTextReason } from './api/text';

/**
 * Values both the HTTP API (`api/`) and the events (`events/`) are made of. Either may build
 * on these; an event never builds on an HTTP schema, so changing an endpoint cannot change
 * an event's shape.
 */

/** An instant with its offset (ISO 8601, `2025-03-01T10:00:00Z`). */
export const timestamp = z.iso.datetime({ offset: true });

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

/** The languages customer-facing text is written in. */
export const localeSchema = z.enum(['en', 'es', 'ro', 'ru']);

const knownTimeZones = new Set<string>();

/**
 * Whether the runtime knows the zone. Building an Intl.DateTimeFormat to find out costs far
 * more than the rest of an order's validation, and every event carrying a customer is validated
 * again by each consumer: zones found valid are remembered (a bounded set).
 */
function isTimeZone(zone: string): boolean {
  if (knownTimeZones.has(zone)) return true;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    return false;
  }
  if (knownTimeZones.size < 10_000) knownTimeZones.add(zone);
  return true;
}

/** An IANA time zone the runtime knows (`Europe/Madrid`): quiet hours are computed in it. */
export const timeZoneSchema = text(64).refine(isTimeZone, 'must be an IANA time zone such as Europe/Madrid');

/** ISO 3166-1 alpha-2, upper case. */
export const countryCodeSchema = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as ES');

export const addressSchema = z.object({
  name: text(200),
  line1: text(200),
  line2: text(200, 0).optional(),
  city: text(100),
  state: text(100, 0).optional(),
  postalCode: text(20),
  country: countryCodeSchema,
  phone: text(40, 0).optional(),
});
export type Address = z.infer<typeof addressSchema>;

/** A parcel's tracking number and, once known, its carrier. */
export const trackingRefSchema = z.object({ number: z.string(), carrier: z.string().nullable() });

/**
 * Where an order's units are (ORD-03), for the whole order, a vendor's sub-order or a parcel
 * set: decided by fulfillment from the quantities ordered, shipped, delivered, returned and
 * cancelled (`fulfillment.progress.changed`), never from the order status alone.
 */
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
export type FulfillmentStatus = z.infer<typeof fulfillmentStatusSchema>;
