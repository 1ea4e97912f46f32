import { describe, expect, it } from 'vitest';
import { lateCutoff, lateSince, pacing } from './campaigns';

describe('campaign pacing', () => {
  it('plans one message per interval when slow and a batch per second when fast, never above the rate nor more than once a second', () => {
    expect(pacing(2)).toEqual({ batch: 1, intervalMs: 30_000 });
    expect(pacing(60)).toEqual({ batch: 1, intervalMs: 1_000 });
    expect(pacing(120)).toEqual({ batch: 2, intervalMs: 1_000 });
    expect(pacing(600)).toEqual({ batch: 10, intervalMs: 1_000 });
    for (const perMinute of [1, 7, 59, 61, 90, 1000]) {
      const { batch, intervalMs } = pacing(perMinute);
      expect((batch * 60_000) / intervalMs).toBeLessThanOrEqual(perMinute);
      expect(intervalMs).toBeGreaterThanOrEqual(1_000);
    }
  });
});

describe('delayed orders segment', () => {
  it("counts an order late from its promise's last moment, or from when it was flagged without one", () => {
    const flagged = new Date('2026-12-01T08:00:00Z');
    expect(lateSince({ deliveryType: 'standard', earliest: '2026-11-25T00:00:00.000Z', latest: '2026-11-28T23:59:59.999Z' }, flagged)).toEqual(
      new Date('2026-11-28T23:59:59.999Z'),
    );
    expect(lateSince(null, flagged)).toEqual(flagged);
    expect(lateCutoff({ kind: 'delayed_orders', minDaysLate: 2 }, new Date('2026-12-04T12:00:00Z'))).toEqual(new Date('2026-12-02T12:00:00Z'));
  });
});
