import type { StreamName } from './envelope';

export interface StreamDefinition {
  readonly name: StreamName | 'DEAD_LETTERS';
  readonly subjects: readonly string[];
  readonly description: string;
  /** File storage survives server restarts; every stream here is on disk. */
  readonly storage: 'file' | 'memory';
  /** Limits: messages stay until max age, whoever has read them (history for replay). */
  readonly retention: 'limits' | 'interest' | 'workqueue';
  /** Window in which JetStream drops a repeated `Nats-Msg-Id`: covers outbox re-publishes after a relay crash. */
  readonly duplicateWindowMs: number;
  /** How long history is kept for replay (PLT-08). */
  readonly maxAgeMs: number;
  /** The service that publishes on it, when its name does not say (`TIMELINE`: orders). */
  readonly publisher?: string;
}

const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;

function domainStream(name: StreamName, domain: string, description: string): StreamDefinition {
  return { name, subjects: [`${domain}.>`], description, storage: 'file', retention: 'limits', duplicateWindowMs: 2 * HOUR, maxAgeMs: 90 * DAY };
}

export const streams = {
  ORDERS: domainStream('ORDERS', 'orders', 'Order lifecycle facts published by the orders service'),
  FULFILLMENT: domainStream('FULFILLMENT', 'fulfillment', 'Workflow, routing, supplier and shipment facts'),
  TRACKING: domainStream('TRACKING', 'tracking', 'Normalized carrier tracking updates'),
  NOTIFICATIONS: domainStream('NOTIFICATIONS', 'notifications', 'Customer notification outcomes'),
  BILLING: domainStream('BILLING', 'billing', 'Payments, invoices and refunds'),
  /** Every order's timeline entries on `timeline.<customer>.<order>`: what the gateway's live streams read (GW-03). */
  TIMELINE: { ...domainStream('TIMELINE', 'timeline', "Orders' timeline entries, one subject per order under its customer"), publisher: 'orders' },
  DEAD_LETTERS: {
    name: 'DEAD_LETTERS',
    subjects: ['deadletter.>'],
    description: 'Messages a consumer gave up on, with the reason in headers; retried with `pnpm dead-letters retry`',
    storage: 'file',
    retention: 'limits',
    duplicateWindowMs: 2 * HOUR,
    maxAgeMs: 30 * DAY,
  },
} as const satisfies Record<string, StreamDefinition>;

/** A JetStream key-value bucket a service keeps its working state in (the stream behind it: `KV_<name>`). */
export interface KeyValueBucketDefinition {
  readonly name: string;
  /** The only service that reads and writes it. */
  readonly service: string;
  readonly description: string;
  readonly storage: 'file' | 'memory';
  /** Values kept per key. */
  readonly history: number;
  /** How long a key nobody wrote lately is kept. */
  readonly maxAgeMs: number;
}

export const keyValueBuckets = {
  /**
   * The gateway's rate-limit counters, one per key and window, shared by every replica. Kept
   * longer than any window (the limits use one minute); the bucket's max age deletes old keys
   * (nats-server 2.9 has no per-key TTL). In memory: losing counts at a restart only resets windows.
   */
  GATEWAY_RATE_LIMITS: {
    name: 'gateway_rate_limits',
    service: 'gateway',
    description: 'Gateway rate-limit counters, one per key (apps/gateway/src/adapters/rate-limit-store.ts)',
    storage: 'memory',
    history: 1,
    maxAgeMs: 5 * 60 * 1000,
  },
} as const satisfies Record<string, KeyValueBucketDefinition>;

/** `deadletter.<consumer>`: one subject per consumer, so ops can list and retry one consumer's failures. */
export function deadLetterSubject(consumer: string): string {
  return `deadletter.${consumer}`;
}
