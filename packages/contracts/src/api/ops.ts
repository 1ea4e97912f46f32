import { z } from 'zod';
import { timestamp } from '../primitives';
import { timerSchema } from './fulfillment';

/**
 * Schemas of the operators' endpoints every service with consumers answers (`/ops/dead-letters`,
 * `/ops/lag`) and of the gateway's views over all of them (`/v1/ops/...`, docs/console.md).
 */

/** Durable names are `<service>--<purpose>`: one subject token. */
export const consumerNameSchema = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'letters, digits, - and _ only');

export const deadLetterParamsSchema = z.object({ consumer: consumerNameSchema, seq: z.coerce.number().int().positive() });

export const deadLetterViewSchema = z.object({
  /** Sequence on DEAD_LETTERS: what retry and purge name. */
  seq: z.number().int(),
  time: timestamp,
  consumer: z.string(),
  reason: z.string(),
  originalStream: z.string(),
  originalSubject: z.string(),
  originalSequence: z.number().int().nullable(),
  deliveries: z.number().int().nullable(),
  eventType: z.string().nullable(),
  eventId: z.string().nullable(),
  /** The event's aggregate (an order id for order events). */
  aggregateId: z.string().nullable(),
});
export type DeadLetterView = z.infer<typeof deadLetterViewSchema>;

export const consumerDeadLettersSchema = z.object({
  consumer: z.string(),
  /** All of the consumer's dead letters, including those beyond the ones listed. */
  total: z.number().int(),
  letters: z.array(deadLetterViewSchema),
});

/** `GET /ops/dead-letters` of one service: its own consumers'. */
export const serviceDeadLettersSchema = z.object({ consumers: z.array(consumerDeadLettersSchema) });

export const deadLetterOutcomeSchema = z.object({
  seq: z.number().int(),
  consumer: z.string(),
  /** processed: applied now; duplicate: had been applied (e.g. by a redelivery); stale: older than the version applied. */
  outcome: z.enum(['processed', 'duplicate', 'stale', 'purged']),
});

export const consumerLagSchema = z.object({
  consumer: z.string(),
  stream: z.string(),
  /** Messages of its filter not yet delivered. */
  pending: z.number().int(),
  /** Delivered, not yet acknowledged. */
  ackPending: z.number().int(),
  /** Redelivered at least once and still unacknowledged. */
  redelivered: z.number().int(),
});

/** `GET /ops/lag` of one service. */
export const serviceLagSchema = z.object({
  consumers: z.array(consumerLagSchema),
  /** Null for a service without an outbox. */
  outbox: z.object({ pending: z.number().int(), oldestPendingSeconds: z.number() }).nullable(),
});
export type ServiceLag = z.infer<typeof serviceLagSchema>;

/** `GET /ops/timers` of one service: its pending durable timers, soonest first. */
export const serviceTimersSchema = z.object({ timers: z.array(timerSchema) });

const serviceNameSchema = z.enum(['orders', 'billing', 'fulfillment', 'tracking', 'notifications']);

/** A service that did not answer one of the gateway's views: the view shows the others. */
const unavailableSchema = z.object({ service: serviceNameSchema, available: z.literal(false), error: z.string() });

/** `GET /v1/ops/lag`: every service's. */
export const platformLagSchema = z.object({
  services: z.array(z.union([serviceLagSchema.extend({ service: serviceNameSchema, available: z.literal(true) }), unavailableSchema])),
});

/** `GET /v1/ops/dead-letters`: every service's. */
export const platformDeadLettersSchema = z.object({
  services: z.array(z.union([serviceDeadLettersSchema.extend({ service: serviceNameSchema, available: z.literal(true) }), unavailableSchema])),
});

/** `GET /v1/ops/timers`: every service's. */
export const platformTimersSchema = z.object({
  services: z.array(z.union([serviceTimersSchema.extend({ service: serviceNameSchema, available: z.literal(true) }), unavailableSchema])),
});

/**
 * The business metrics (docs/metrics.md) as the services export them, for `GET /v1/ops/metrics`:
 * each name lists its series, labelled as exported less `service`.
 */
export const BUSINESS_METRICS = [
  'orders_placed_total',
  'orders_delivery_promises_total',
  'billing_checkout_sessions_opened_total',
  'billing_payments_total',
  'fulfillment_lead_time_seconds',
  'fulfillment_exceptions_open',
  'tracking_delivery_time_seconds',
  'notifications_outcomes_total',
] as const;

const seriesSchema = z.object({ labels: z.record(z.string(), z.string()), value: z.number() });

/**
 * `GET /v1/ops/metrics`: the business metrics now, each series summed over the services that
 * export it (a histogram as its `_bucket`, `_sum` and `_count` series); a service that did not
 * answer is listed, and its series are missing.
 */
export const platformMetricsSchema = z.object({
  at: timestamp,
  services: z.array(z.union([z.object({ service: serviceNameSchema, available: z.literal(true) }), unavailableSchema])),
  series: z.record(z.string(), z.array(seriesSchema)),
});
export type PlatformMetrics = z.infer<typeof platformMetricsSchema>;
