import { describe, expect, it } from 'vitest';
import { BackgroundLoop, type RoundResult } from './background-loop';

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

describe('BackgroundLoop', () => {
  it('pauses between rounds and starts the next one when notified', async () => {
    let rounds = 0;
    const loop = new BackgroundLoop(async () => (rounds++, { pauseMs: 60_000 }));
    loop.start();
    await tick();
    expect(rounds).toBe(1);
    loop.notify();
    await tick();
    expect(rounds).toBe(2);
    await loop.stop();
  });

  it('goes again at once after a notification that arrived during a round, unless backing off', async () => {
    const results: RoundResult[] = [{ pauseMs: 60_000 }, { pauseMs: 60_000, backoff: true }, { pauseMs: 60_000 }];
    let rounds = 0;
    const loop: BackgroundLoop = new BackgroundLoop(async () => {
      const result = results[Math.min(rounds, results.length - 1)]!;
      rounds += 1;
      if (rounds <= 2) loop.notify(); // a commit lands while the round runs
      return result;
    });
    loop.start();
    await tick(50);
    // Round 1 was notified mid-round: round 2 at once. Round 2 failed: it pauses despite its notification.
    expect(rounds).toBe(2);
    loop.notify();
    await tick();
    expect(rounds).toBe(3);
    await loop.stop();
  });

  it('tells each round whether a notification asked for it', async () => {
    const asked: boolean[] = [];
    const loop = new BackgroundLoop(async (notified) => (asked.push(notified), { pauseMs: 60_000 }));
    loop.start();
    await tick();
    loop.notify();
    await tick();
    await loop.stop();
    expect(asked).toEqual([false, true]);
  });

  it('stops after the round in progress', async () => {
    let rounds = 0;
    const loop = new BackgroundLoop(async () => (await tick(30), rounds++, { pauseMs: 0 }));
    loop.start();
    await tick(10);
    await loop.stop();
    const after = rounds;
    await tick(60);
    expect(rounds).toBe(after);
  });
});
