import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { afterCommit } from '@platform/runtime/commit-hooks';
import { type Db, outboxDatabase } from './outbox-database';

let db: Db;
beforeAll(async () => {
  db = await outboxDatabase();
});
afterAll(async () => {
  await db?.$disconnect();
});

const rowsOf = async (id: string) => Number((await db.$queryRaw<Array<{ n: bigint }>>`SELECT count(*) AS n FROM processed_events WHERE consumer = ${id}`)[0]!.n);

describe('afterCommit', () => {
  it('runs the effects once committed, in the order registered', async () => {
    const seen: string[] = [];
    const result = await db.$transaction(async (tx) => {
      await tx.$executeRaw`INSERT INTO processed_events (consumer, event_id) VALUES ('hooks-commit', gen_random_uuid())`;
      afterCommit(tx, () => seen.push('first'));
      afterCommit(tx, () => seen.push('second'));
      expect(seen).toEqual([]);
      return 'done';
    });
    expect(result).toBe('done');
    expect(seen).toEqual(['first', 'second']);
    expect(await rowsOf('hooks-commit')).toBe(1);
  });

  it('never runs them when the transaction rolls back', async () => {
    let ran = false;
    await expect(
      db.$transaction(async (tx) => {
        await tx.$executeRaw`INSERT INTO processed_events (consumer, event_id) VALUES ('hooks-rollback', gen_random_uuid())`;
        afterCommit(tx, () => (ran = true));
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(ran).toBe(false);
    expect(await rowsOf('hooks-rollback')).toBe(0);
  });

  it('keeps each transaction\'s effects to itself', async () => {
    const seen: string[] = [];
    await Promise.allSettled([
      db.$transaction(async (tx) => {
        afterCommit(tx, () => seen.push('committed'));
      }),
      db.$transaction(async (tx) => {
        afterCommit(tx, () => seen.push('rolled back'));
        throw new Error('refused');
      }),
    ]);
    expect(seen).toEqual(['committed']);
  });

  it('runs at once for the client itself (no transaction) and refuses anything else', async () => {
    let ran = false;
    afterCommit(db, () => (ran = true));
    expect(ran).toBe(true);
    expect(() => afterCommit({}, () => {})).toThrow(/withCommitHooks/);
  });

  it('leaves the batch form of $transaction working', async () => {
    const [one] = await db.$transaction([db.$queryRaw<Array<{ one: number }>>`SELECT 1 AS one`]);
    expect(one).toEqual([{ one: 1 }]);
  });
});
