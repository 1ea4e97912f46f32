import { z } from 'zod';
import { trackingStatusSchema } from '../events/tracking';
import { timestamp } from '../primitives';

/**
 * Tracking service HTTP inputs and answers: provider webhook bodies (docs/providers/17track.md, docs/providers/aftership.md),
 * which also describe the providers' poll answers, and the query endpoints (TRK-04).
 */

const optionalText = z.string().nullish();

// ---- 17TRACK v2.2 ----

export const seventeenTrackEventSchema = z.looseObject({
  time_iso: optionalText,
  time_utc: optionalText,
  description: optionalText,
  location: optionalText,
  stage: optionalText,
  sub_status: optionalText,
});

/** `track_info` of gettrackinfo answers and TRACKING_UPDATED webhooks (only what tracking reads is checked). */
export const seventeenTrackInfoSchema = z.looseObject({
  latest_status: z.looseObject({ status: optionalText, sub_status: optionalText, sub_status_descr: optionalText }).nullish(),
  latest_event: seventeenTrackEventSchema.nullish(),
  time_metrics: z.looseObject({ estimated_delivery_date: z.looseObject({ source: optionalText, from: optionalText, to: optionalText }).nullish() }).nullish(),
  tracking: z.looseObject({ providers: z.array(z.looseObject({ events: z.array(seventeenTrackEventSchema).nullish() })).nullish() }).nullish(),
});
export type SeventeenTrackInfo = z.infer<typeof seventeenTrackInfoSchema>;

/** `POST /webhooks/17track` body; header `sign` = hex(SHA-256(rawBody + "/" + apiKey)). */
export const seventeenTrackWebhookSchema = z.object({
  event: z.string().min(1),
  data: z.looseObject({
    number: z.string().min(1).max(64),
    carrier: z.number().int().nullish(),
    tag: optionalText,
    track_info: seventeenTrackInfoSchema.nullish(),
  }),
});
export type SeventeenTrackWebhook = z.infer<typeof seventeenTrackWebhookSchema>;

// ---- AfterShip Tracking 2025-01 ----

export const aftershipCheckpointSchema = z.looseObject({
  checkpoint_time: optionalText,
  created_at: optionalText,
  message: optionalText,
  tag: optionalText,
  subtag: optionalText,
  location: optionalText,
  city: optionalText,
  state: optionalText,
  country_iso3: optionalText,
});

const estimateSchema = z.looseObject({ estimated_delivery_date: optionalText }).nullish();

/** A Tracking object (GET /trackings/:id `data`, webhook `msg`). */
export const aftershipTrackingSchema = z.looseObject({
  id: optionalText,
  tracking_number: z.string().min(1).max(64),
  slug: optionalText,
  tag: optionalText,
  subtag: optionalText,
  checkpoints: z.array(aftershipCheckpointSchema).nullish(),
  expected_delivery: optionalText,
  courier_estimated_delivery_date: estimateSchema,
  aftership_estimated_delivery_date: estimateSchema,
});
export type AftershipTracking = z.infer<typeof aftershipTrackingSchema>;

/** `POST /webhooks/aftership` body; header `aftership-hmac-sha256` = base64(HMAC-SHA256(secret, rawBody)). */
export const aftershipWebhookSchema = z.looseObject({
  event: z.string().min(1),
  event_id: z.string().min(1).max(128),
  is_tracking_first_tag: z.boolean().nullish(),
  msg: aftershipTrackingSchema,
  ts: z.number().nullish(),
});
export type AftershipWebhook = z.infer<typeof aftershipWebhookSchema>;

export const webhookAnswerSchema = z.object({
  outcome: z.enum(['applied', 'unchanged', 'stale', 'duplicate', 'ignored']),
  status: trackingStatusSchema.nullable(),
});

// ---- Queries ----

export const trackingNumberParamsSchema = z.object({ number: z.string().trim().min(4).max(64).regex(/^[A-Za-z0-9 -]+$/, 'letters, digits, spaces and dashes only') });
export const orderTrackingParamsSchema = z.object({ orderId: z.uuid() });
export const detectCarrierQuerySchema = z.object({
  number: trackingNumberParamsSchema.shape.number,
  hint: z.string().trim().max(100).optional(),
});

export const trackingEventSchema = z.object({
  time: timestamp,
  status: trackingStatusSchema.nullable(),
  location: z.string().nullable(),
  description: z.string(),
});

export const carrierSchema = z.object({
  code: z.string(),
  name: z.string(),
  seventeenTrackCode: z.number().int().nullable(),
  aftershipSlug: z.string(),
  trackingUrlTemplate: z.string(),
});
export const carrierListSchema = z.object({ carriers: z.array(carrierSchema) });

export const carrierDetectionSchema = z.object({
  number: z.string(),
  carrier: carrierSchema.nullable(),
  candidates: z.array(z.string()),
  hinted: z.string().nullable(),
  reason: z.enum(['format', 'format+hint', 'hint', 'ambiguous', 'unknown', 'invalid']),
  trackingUrl: z.string().nullable(),
});

/** `GET /tracking/:number`: public, so no order or customer data. */
export const publicTrackingSchema = z.object({
  trackingNumber: z.string(),
  carrier: z.object({ code: z.string(), name: z.string() }).nullable(),
  status: trackingStatusSchema,
  estimatedDelivery: timestamp.nullable(),
  trackingUrl: z.string().nullable(),
  lastUpdate: timestamp.nullable(),
  events: z.array(trackingEventSchema),
});

export const shipmentTrackingSchema = publicTrackingSchema.extend({
  shipmentId: z.uuid(),
  provider: z.enum(['17track', 'aftership']).nullable(),
  registeredAt: timestamp.nullable(),
  shippedAt: timestamp,
  /** Failed delivery attempts (delivery_failed / AttemptFail scans). */
  deliveryAttempts: z.number().int().nonnegative(),
});

export const orderTrackingSchema = z.object({ orderId: z.uuid(), shipments: z.array(shipmentTrackingSchema) });

export const providerStateSchema = z.object({
  name: z.enum(['17track', 'aftership']),
  role: z.enum(['primary', 'fallback']),
  breaker: z.enum(['closed', 'open', 'half_open', 'isolated']),
});
export const providerListSchema = z.object({ providers: z.array(providerStateSchema) });

/**
 * A provider credential in the tracking service's environment (API key, webhook secret).
 * Here because the tracking app has no direct zod dependency of its own.
 */
export const providerCredentialSchema = z.string().trim().min(1).max(512);
export type OrderTracking = z.infer<typeof orderTrackingSchema>;
