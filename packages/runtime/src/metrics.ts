import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const HOUR = 3_600;
const DAY = 24 * HOUR;

/** Buckets for the business's lead times (paid → shipped, shipped → delivered): an hour to a month. */
export const LEAD_TIME_BUCKETS_SECONDS = [HOUR, 4 * HOUR, 12 * HOUR, DAY, 2 * DAY, 3 * DAY, 5 * DAY, 7 * DAY, 10 * DAY, 14 * DAY, 21 * DAY, 30 * DAY];

/** One registry per process: default Node metrics plus the platform's transport metrics. */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    httpRequestsShed: new Counter({
      name: 'http_requests_shed_total',
      help: 'HTTP requests refused with 503 for overload, by reason (queue_full, queue_timeout, database_busy)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    outboxPublished: new Counter({
      name: 'outbox_events_published_total',
      help: 'Events relayed from the outbox to JetStream',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    outboxPending: new Gauge({
      name: 'outbox_events_pending',
      help: 'Events written but not yet published (outbox lag in events)',
      registers: [registry],
    }),
    outboxOldestPendingSeconds: new Gauge({
      name: 'outbox_oldest_pending_seconds',
      help: 'Age of the oldest unpublished outbox event (outbox lag in time)',
      registers: [registry],
    }),
    timersDue: new Gauge({
      name: 'timers_due',
      help: 'Durable timers due and not fired yet (timer lag in timers)',
      registers: [registry],
    }),
    timersOldestDueSeconds: new Gauge({
      name: 'timers_oldest_due_seconds',
      help: 'How long the longest-waiting due timer has been due (timer lag in time)',
      registers: [registry],
    }),
    timerFireDelay: new Histogram({
      name: 'timer_fire_delay_seconds',
      help: 'How late a durable timer fired: from its due time to the fire, by kind',
      labelNames: ['kind'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    eventsConsumed: new Counter({
      name: 'events_consumed_total',
      help: 'Events handled by a consumer, by outcome (processed, duplicate, retried, dead_lettered, ignored)',
      labelNames: ['consumer', 'type', 'outcome'] as const,
      registers: [registry],
    }),
    eventHandleDuration: new Histogram({
      name: 'event_handle_duration_seconds',
      help: 'Time to handle one event, commit included',
      labelNames: ['consumer', 'type'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
    consumerLeaseHeld: new Gauge({
      name: 'consumer_lease_held',
      help: 'Whether this replica holds the consumer\'s lease and handles it (1) or stands by (0)',
      labelNames: ['consumer'] as const,
      registers: [registry],
    }),
    consumerPending: new Gauge({
      name: 'consumer_pending_messages',
      help: 'Messages in the stream not yet delivered to the consumer (consumer lag)',
      labelNames: ['consumer'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
