import { recordEvent, recordEvents } from '@platform/runtime/outbox';
import { cancelTimer, scheduleTimer } from '@platform/runtime/timers';
import { randomUUID } from 'node:crypto';
import { afterCommit, beforeCommit, driverSqlOf, onCommit, TransactionState, type Written } from '@platform/runtime/transaction-scope';
import { sampleEvent } from '@platform/test-support/messaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, outboxDatabase, outboxInserts } from './outbox-database';

/**
 * The scope every transaction of a service's client gets (`createPrismaClient`), whoever runs
 * it: a request's use case, a consumer, a timer. Consumers and timers are covered in their own
 * tests; here the transactions are an HTTP use case's, straight on the client.
 */

let db: Db;
/** What each commit of `db` wrote, in commit order. */
const commits: Written[] = [];
beforeAll(async () => {
  db = await outboxDatabase();
  onCommit(db, (written) => commits.push(written));
});
afterAll(async () => {
  await db?.$disconnect();
});

const rowsOf = async (id: string) => Number((await db.$queryRaw<Array<{ n: bigint }>>`SELECT count(*) AS n FROM processed_events WHERE consumer = ${id}`)[0]!.n);

describe('a transaction of a service client', () => {
  it('writes the events a use case records in several steps in one insert before its commit, in the order recorded', async () => {
    const events = [sampleEvent(), sampleEvent(), sampleEvent(), sampleEvent()];
    await db.$transaction(async (tx) => {
      await recordEvent(tx, events[0]!);
      await tx.$executeRaw`INSERT INTO processed_events (consumer, event_id) VALUES ('scope-steps', gen_random_uuid())`;
      await recordEvents(tx, events.slice(1, 3));
      await recordEvent(tx, events[3]!);
      // Not written yet: the insert waits for the end of the work.
      expect(await tx.outboxEvent.count({ where: { id: { in: events.map((e) => e.id) } } })).toBe(0);
    });
    const rows = await db.outboxEvent.findMany({ where: { id: { in: events.map((e) => e.id) } }, orderBy: { seq: 'asc' }, select: { id: true } });
    expect(rows.map((row) => row.id)).toEqual(events.map((e) => e.id));
    expect(await outboxInserts(db, events.map((e) => e.id))).toBe(1);
  });

  it('runs the final steps after the work and before the events are written, which they may revise', async () => {
    const event = sampleEvent();
    const seen: string[] = [];
    await db.$transaction(async (tx) => {
      beforeCommit(tx, async (events) => {
        seen.push('final');
        for (const pending of events) pending.json = JSON.stringify({ ...JSON.parse(pending.json), source: 'revised-last' });
      });
      await recordEvent(tx, event);
      seen.push('work');
    });
    expect(seen).toEqual(['work', 'final']);
    const row = await db.outboxEvent.findUniqueOrThrow({ where: { id: event.id } });
    expect((row.envelope as { source: string }).source).toBe('revised-last');
  });

  it('still refuses an oversized event at the call, in the use case', async () => {
    const event = sampleEvent();
    const huge = { ...event, data: { ...(event.data as object), recipient: 'x'.repeat(600 * 1024) } };
    await expect(db.$transaction((tx) => recordEvent(tx, huge))).rejects.toMatchObject({ code: 'EVENT_TOO_LARGE' });
  });

  it('tells the client after each commit what it wrote: events, a timer, nothing; a rollback tells nothing and writes nothing', async () => {
    commits.length = 0;
    await db.$transaction((tx) => recordEvent(tx, sampleEvent()));
    const fireAt = new Date();
    await db.$transaction(async (tx) => {
      // Told as the transaction left it: the last change of each timer, a cancel telling nothing.
      await scheduleTimer(tx, { kind: 'test.scope', key: 'k', fireAt: new Date(fireAt.getTime() + 60_000) });
      await scheduleTimer(tx, { kind: 'test.scope', key: 'k', fireAt });
      await scheduleTimer(tx, { kind: 'test.scope', key: 'cancelled', fireAt });
      await cancelTimer(tx, 'test.scope', 'cancelled');
    });
    await db.$transaction(async (tx) => void (await tx.$executeRaw`SELECT 1`));
    const rolledBack = sampleEvent();
    await expect(
      db.$transaction(async (tx) => {
        await recordEvent(tx, rolledBack);
        await scheduleTimer(tx, { kind: 'test.scope', key: 'rolled-back', fireAt: new Date() });
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(commits).toEqual([
      { events: true, timers: [] },
      { events: false, timers: [{ kind: 'test.scope', fireAt }] },
      { events: false, timers: [] },
    ]);
    expect(await db.outboxEvent.count({ where: { id: rolledBack.id } })).toBe(0);
    expect(await db.timer.count({ where: { kind: 'test.scope', key: 'rolled-back' } })).toBe(0);
  });

  it('tells at once of a write straight on the client (no transaction): an event, a timer', async () => {
    commits.length = 0;
    const event = sampleEvent();
    await recordEvent(db, event);
    const fireAt = new Date();
    await scheduleTimer(db, { kind: 'test.scope', key: 'on-the-client', fireAt });
    expect(commits).toEqual([
      { events: true, timers: [] },
      { events: false, timers: [{ kind: 'test.scope', fireAt }] },
    ]);
    expect(await db.outboxEvent.count({ where: { id: event.id } })).toBe(1);
    expect(await db.timer.count({ where: { kind: 'test.scope', key: 'on-the-client', firedAt: null } })).toBe(1);
  });

  it('stops telling a listener once it is let go, the others still hear', async () => {
    commits.length = 0;
    const heard: Written[] = [];
    const stop = onCommit(db, (written) => heard.push(written));
    await recordEvent(db, sampleEvent());
    stop();
    await recordEvent(db, sampleEvent());
    expect(heard).toEqual([{ events: true, timers: [] }]);
    expect(commits).toHaveLength(2);
  });
});

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

  it('keeps each transaction\'s effects and events to itself', async () => {
    const seen: string[] = [];
    const [kept, dropped] = [sampleEvent(), sampleEvent()];
    await Promise.allSettled([
      db.$transaction(async (tx) => {
        await recordEvent(tx, kept);
        afterCommit(tx, () => seen.push('committed'));
      }),
      db.$transaction(async (tx) => {
        await recordEvent(tx, dropped);
        afterCommit(tx, () => seen.push('rolled back'));
        throw new Error('refused');
      }),
    ]);
    expect(seen).toEqual(['committed']);
    expect(await db.outboxEvent.count({ where: { id: { in: [kept.id, dropped.id] } } })).toBe(1);
  });

  it('runs at once for the client itself (no transaction) and refuses anything else', async () => {
    let ran = false;
    afterCommit(db, () => (ran = true));
    expect(ran).toBe(true);
    expect(() => afterCommit({}, () => {})).toThrow(/createPrismaClient/);
  });

  it('carries named state per transaction: made on first use (its final step registered then), shared within, never across', async () => {
    /** Each transaction's notes, written into its events by one final step (as billing's numbering does). */
    let made = 0;
    const notes = new TransactionState('test notes', (tx) => {
      made += 1;
      const list: string[] = [];
      beforeCommit(tx, async (events) => {
        for (const pending of events) pending.json = JSON.stringify({ ...JSON.parse(pending.json), source: list.join('+') });
      });
      return list;
    });
    const [first, second] = [sampleEvent(), sampleEvent()];
    await Promise.all(
      [first, second].map((event, n) =>
        db.$transaction(async (tx) => {
          expect(notes.peek(tx)).toBeUndefined();
          notes.of(tx).push(`a${n}`);
          await recordEvent(tx, event);
          notes.of(tx).push(`b${n}`);
          expect(notes.peek(tx)).toEqual([`a${n}`, `b${n}`]);
        }),
      ),
    );
    expect(made).toBe(2);
    const sources = await db.outboxEvent.findMany({ where: { id: { in: [first.id, second.id] } }, select: { id: true, envelope: true } });
    expect(Object.fromEntries(sources.map((row) => [row.id, (row.envelope as { source: string }).source]))).toEqual({ [first.id]: 'a0+b0', [second.id]: 'a1+b1' });
    // Each later transaction starts without it, also after one that rolled back.
    await expect(
      db.$transaction(async (tx) => {
        expect(notes.peek(tx)).toBeUndefined();
        notes.of(tx).push('rolled back');
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    await db.$transaction(async (tx) => void expect(notes.peek(tx)).toBeUndefined());
    // Outside a scoped transaction there is nothing to carry it.
    expect(notes.peek(db)).toBeUndefined();
    expect(() => notes.of(db)).toThrow(/test notes needs a transaction of a client made by createPrismaClient/);
  });

  it('leaves the batch form of $transaction working', async () => {
    const [one] = await db.$transaction([db.$queryRaw<Array<{ one: number }>>`SELECT 1 AS one`]);
    expect(one).toEqual([{ one: 1 }]);
  });
});

describe("the runtime's own statements (driver-sql.ts)", () => {
  it('run in the transaction they are given, also with many transactions at once', async () => {
    const sessions = await Promise.all(
      Array.from({ length: 16 }, () =>
        db.$transaction(async (tx) => {
          const [viaPrisma] = await tx.$queryRaw<Array<{ xid: string }>>`SELECT pg_current_xact_id()::text AS xid`;
          const [viaDriver] = await driverSqlOf(tx).query<{ xid: string }>`SELECT pg_current_xact_id()::text AS xid`;
          return { viaPrisma: viaPrisma!.xid, viaDriver: viaDriver!.xid };
        }),
      ),
    );
    for (const { viaPrisma, viaDriver } of sessions) expect(viaDriver).toBe(viaPrisma);
    expect(new Set(sessions.map((s) => s.viaPrisma)).size).toBe(16);
  });

  it('roll back with the transaction: a claim written through the driver is gone when the use case fails', async () => {
    const consumer = `scope-driver-${randomUUID()}`;
    await expect(
      db.$transaction(async (tx) => {
        await driverSqlOf(tx).execute`INSERT INTO processed_events (consumer, event_id) VALUES (${consumer}, gen_random_uuid())`;
        throw new Error('use case failed');
      }),
    ).rejects.toThrow('use case failed');
    expect(await rowsOf(consumer)).toBe(0);
  });

  it('refuse to run once Prisma ended the transaction (its timeout): the events are not written on their own', async () => {
    const event = sampleEvent();
    await expect(
      db.$transaction(
        async (tx) => {
          // Past the timeout: Prisma rolls back and hands the connection back to the pool.
          await new Promise((resolve) => setTimeout(resolve, 300));
          await recordEvent(tx, event);
        },
        { timeout: 100 },
      ),
    ).rejects.toThrow();
    expect(await db.outboxEvent.count({ where: { id: event.id } })).toBe(0);
    const sql = driverSqlOf(db);
    expect(await sql.query<{ n: number }>`SELECT count(*)::int AS n FROM outbox_events WHERE id = ${event.id}::uuid`).toEqual([{ n: 0 }]);
  });
});
