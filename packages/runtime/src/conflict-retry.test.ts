import { describe, expect, it } from 'vitest';
import { retryOnConflict } from './conflict-retry';

class Conflict extends Error {}
const isConflict = (error: unknown) => error instanceof Conflict;

describe('retryOnConflict', () => {
  it('runs the attempt again after a conflict and returns what the first successful one returns', async () => {
    let rounds = 0;
    const result = await retryOnConflict(isConflict, async () => {
      rounds += 1;
      if (rounds < 3) throw new Conflict('lost the race');
      return `won in round ${rounds}`;
    });
    expect(result).toBe('won in round 3');
  });

  it('throws any other error at once', async () => {
    let rounds = 0;
    const failing = retryOnConflict(isConflict, async () => {
      rounds += 1;
      throw new Error('not a conflict');
    });
    await expect(failing).rejects.toThrow('not a conflict');
    expect(rounds).toBe(1);
  });

  it('gives up after the last attempt with its conflict', async () => {
    let rounds = 0;
    const failing = retryOnConflict(
      isConflict,
      async () => {
        rounds += 1;
        throw new Conflict(`conflict ${rounds}`);
      },
      4,
    );
    await expect(failing).rejects.toThrow('conflict 4');
    expect(rounds).toBe(4);
  });
});
