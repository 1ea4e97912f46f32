/**
 * The time every durable timer, schedule and quiet-hour rule reads. Production uses the
 * system clock; with `TEST_CLOCK_CONTROL=true` a service exposes `POST /_test/clock` and
 * tests move its clock forward instead of sleeping (a 24 h supplier timeout in a second).
 */
export interface Clock {
  now(): Date;
}

export class AdjustableClock implements Clock {
  private offsetMs = 0;
  private readonly listeners: Array<() => void> = [];

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  get offset(): number {
    return this.offsetMs;
  }

  /** Moves time forward (never back: timers already fired stay fired) and wakes whoever waits on time. */
  advance(ms: number): Date {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('the clock only moves forward');
    this.offsetMs += ms;
    for (const listener of this.listeners) listener();
    return this.now();
  }

  onAdvance(listener: () => void): void {
    this.listeners.push(listener);
  }
}
