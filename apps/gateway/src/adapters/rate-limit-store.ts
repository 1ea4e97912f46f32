import { jetstream } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { keyValueBuckets } from '@platform/contracts';
import type { BackgroundNats } from '@platform/runtime/background-nats';
import type { Logger } from '@platform/runtime/logger';
import type { Counter } from 'prom-client';

/** The bucket every gateway replica counts in, made by the provisioning step (contracts' `keyValueBuckets`). */
const BUCKET = keyValueBuckets.GATEWAY_RATE_LIMITS;

/** How long one KV call may take before the request goes ahead uncounted. */
const KV_TIMEOUT_MS = 1_000;

/** Compare-and-set attempts per increment: only another replica counting the same key at once makes one fail. */
const MAX_ATTEMPTS = 20;

interface Waiter {
  windowMs: number;
  resolve(result: { current: number; ttl: number }): void;
  reject(error: unknown): void;
}

export interface SharedCounterOptions {
  nats: Pick<BackgroundNats, 'connection'>;
  log: Logger;
  /** Counts increments that could not be made (the request went ahead uncounted). */
  failures: Counter<'reason'>;
}

/** KV keys allow `[-/_=.a-zA-Z0-9]`: an IPv6 address or a route's path are written in base64url. */
const keyPart = (text: string) => Buffer.from(text).toString('base64url');

/**
 * Window counters in a NATS KV bucket that every replica sees. A key's entry holds its count and
 * when its window started (the first request's time, as the plugin's own stores count); a write
 * is a compare-and-set on the entry's revision (create when absent, update at the revision
 * read), retried when another replica wrote in between. A window that has ended starts over.
 *
 * Within one process a key has one write in flight: the requests that come meanwhile wait and
 * are added by the next write all at once, each given its own count in arrival order, so every
 * request is still counted once and answered as if counted alone. One client sending 16 at once
 * queued each request behind the two NATS round trips of every request before it.
 */
export class SharedCounter {
  private bucket: Promise<KV> | undefined;
  /** Per key: the requests waiting for the next write. A key is present while its write is in flight. */
  private readonly waiting = new Map<string, Waiter[]>();
  private lastWarning = 0;

  constructor(private readonly options: SharedCounterOptions) {}

  /** The bucket, bound once (nothing is asked of the server until a key is read: a bucket not provisioned fails that read). */
  private open(): Promise<KV> {
    const nc = this.options.nats.connection;
    if (!nc) return Promise.reject(new Error('NATS is not connected'));
    this.bucket ??= new Kvm(jetstream(nc, { timeout: KV_TIMEOUT_MS }))
      .open(BUCKET.name)
      .catch((error: unknown) => {
        this.bucket = undefined;
        throw error;
      });
    return this.bucket;
  }

  /** Adds one to `key`'s window: the count so far and the milliseconds left in the window. */
  increment(key: string, windowMs: number): Promise<{ current: number; ttl: number }> {
    if (windowMs > BUCKET.maxAgeMs) return Promise.reject(new Error(`a ${windowMs} ms window outlives the bucket's max age`));
    return new Promise((resolve, reject) => {
      const waiters = this.waiting.get(key);
      if (waiters) waiters.push({ windowMs, resolve, reject });
      else {
        this.waiting.set(key, []);
        this.write(key, [{ windowMs, resolve, reject }]);
      }
    });
  }

  /** Adds `batch` to `key` in one write, then writes whatever came meanwhile. */
  private write(key: string, batch: Waiter[]): void {
    this.add(key, batch[0]!.windowMs, batch.length).then(
      ({ first, ttl }) => batch.forEach((waiter, index) => waiter.resolve({ current: first + index, ttl })),
      (error: unknown) => batch.forEach((waiter) => waiter.reject(error)),
    ).finally(() => {
      const next = this.waiting.get(key) ?? [];
      if (next.length === 0) this.waiting.delete(key);
      else {
        this.waiting.set(key, []);
        this.write(key, next);
      }
    });
  }

  /** Adds `count` requests to `key`'s window: the first one's count, and the milliseconds left. */
  private async add(key: string, windowMs: number, count: number): Promise<{ first: number; ttl: number }> {
    const kv = await this.open();
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const found = await kv.get(key);
      const now = Date.now();
      const [counted = 0, start = 0] = found?.operation === 'PUT' ? found.string().split(' ').map(Number) : [];
      const window = start + windowMs <= now ? { before: 0, start: now } : { before: counted, start };
      try {
        const value = `${window.before + count} ${window.start}`;
        if (found?.operation === 'PUT') await kv.update(key, value, found.revision);
        else await kv.create(key, value);
        return { first: window.before + 1, ttl: window.start + windowMs - now };
      } catch (error) {
        // Another replica wrote first (wrong last sequence): read again.
        if (!isRevisionConflict(error)) throw error;
      }
    }
    throw new Error(`rate-limit counter ${key} kept changing under ${MAX_ATTEMPTS} attempts`);
  }

  /**
   * An increment that failed lets the request through (fail open): a limiter outage must not
   * become an API outage. Counted every time, logged at most every 30 s.
   */
  recordFailure(error: unknown): void {
    const reason = this.options.nats.connection ? 'store_error' : 'nats_unavailable';
    this.options.failures.inc({ reason });
    const now = Date.now();
    if (now - this.lastWarning < 30_000) return;
    this.lastWarning = now;
    this.options.log.warn({ err: error, reason }, 'rate limits not counted (shared store unavailable); requests pass unlimited until it is back');
  }
}

function isRevisionConflict(error: unknown): boolean {
  return error instanceof Error && /wrong last sequence|key exists/i.test(error.message);
}

/**
 * A `@fastify/rate-limit` store over a `SharedCounter`; each route with its own limit gets a
 * child keyed by method and path (as the plugin's own stores do).
 */
export function sharedRateLimitStore(counter: SharedCounter, prefix = 'all') {
  return class SharedRateLimitStore {
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      counter.increment(`${prefix}.${keyPart(key)}`, timeWindow).then(
        (result) => callback(null, result),
        (error: unknown) => {
          counter.recordFailure(error);
          callback(error as Error);
        },
      );
    }

    child(routeOptions: object): SharedRateLimitStore {
      // The plugin passes the route's merged settings with the route itself as `routeInfo` (its typings omit it).
      const { routeInfo } = routeOptions as { routeInfo: { method?: string; url?: string } };
      return new (sharedRateLimitStore(counter, keyPart(`${routeInfo.method} ${routeInfo.url}`)))();
    }
  };
}
