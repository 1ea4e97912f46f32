/**
 * Back-pressure for a service's HTTP requests: at most `maxInFlight` handled at once, up to
 * `maxQueue` more waiting at most `maxWaitMs` for a turn, the rest refused at once. Sized to the
 * database pool, a burst is answered "come back later" instead of piling up in memory and
 * failing inside the database driver (see ARCHITECTURE.md, cross-cutting concerns).
 */
export interface AdmissionLimits {
  maxInFlight: number;
  maxQueue: number;
  maxWaitMs: number;
}

/** Why a request was refused: the queue was full, or its wait ran out. */
export type ShedReason = 'queue_full' | 'queue_timeout';

/** The seconds a refused caller is told to wait (`Retry-After`). */
export const RETRY_AFTER_SECONDS = 1;

/** The limits for a pool of `poolSize` connections: one request per connection, twice as many waiting. */
export function admissionLimitsFor(poolSize: number, overrides: Partial<AdmissionLimits> = {}): AdmissionLimits {
  const maxInFlight = overrides.maxInFlight ?? poolSize;
  return { maxInFlight, maxQueue: overrides.maxQueue ?? maxInFlight * 2, maxWaitMs: overrides.maxWaitMs ?? 1_000 };
}

interface Waiter {
  admit(release: () => void): void;
}

export class AdmissionLimiter {
  private inFlight = 0;
  private readonly queue: Waiter[] = [];

  constructor(readonly limits: AdmissionLimits) {}

  get active(): number {
    return this.inFlight;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Resolves with the function that gives the turn back (idempotent), or with why the request is refused. */
  async acquire(): Promise<{ release: () => void } | { shed: ShedReason }> {
    if (this.inFlight < this.limits.maxInFlight) return { release: this.admit() };
    if (this.queue.length >= this.limits.maxQueue) return { shed: 'queue_full' };
    return new Promise((resolve) => {
      const waiter: Waiter = {
        admit: (release) => {
          clearTimeout(timer);
          resolve({ release });
        },
      };
      const timer = setTimeout(() => {
        this.queue.splice(this.queue.indexOf(waiter), 1);
        resolve({ shed: 'queue_timeout' });
      }, this.limits.maxWaitMs);
      this.queue.push(waiter);
    });
  }

  private admit(): () => void {
    this.inFlight += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight -= 1;
      // The turn passes straight to the longest waiter.
      const next = this.queue.shift();
      if (next) next.admit(this.admit());
    };
  }
}
