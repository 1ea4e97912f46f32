import { describe, expect, it } from 'vitest';
import { describeExit, RestartBackoff } from './services';

describe('RestartBackoff', () => {
  it('waits 0.5 s, doubling to 30 s, while a service keeps dying soon after it starts', () => {
    const backoff = new RestartBackoff();
    const delays = Array.from({ length: 9 }, () => backoff.next(1_000).delayMs);
    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('starts over after a service stayed up for a while, and keeps counting restarts', () => {
    const backoff = new RestartBackoff({ initialDelayMs: 500, maxDelayMs: 30_000, resetAfterMs: 60_000 });
    backoff.next(0);
    backoff.next(0);
    expect(backoff.next(59_999)).toEqual({ delayMs: 2_000, restart: 3 });
    expect(backoff.next(60_000)).toEqual({ delayMs: 500, restart: 4 });
  });

  it('names how a process ended', () => {
    expect(describeExit({ code: null, signal: 'SIGKILL' })).toBe('signal SIGKILL');
    expect(describeExit({ code: 3, signal: null })).toBe('code 3');
  });
});
