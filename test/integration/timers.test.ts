import { randomUUID } from 'node:crypto';
import { AdjustableClock } from '@platform/runtime/clock';
import { createMetrics } from '@platform/runtime/metrics';
import { currentFlow, type FlowContext, runInFlow } from '@platform/runtime/context';
import { extractTraceContext, startTelemetry, traceHeaders } from '@platform/runtime/telemetry';
import { cancelTimer, type DueTimer, scheduleTimer, TimerWorker } from '@platform/runtime/timers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordEvent } from '@platform/runtime/outbox';
import { eventually } from '@platform/test-support/eventually';
import { quietLog as log, sampleEvent } from '@platform/test-support/messaging';
import type { DriverDatabase } from '@platform/runtime/driver-sql';
import { driverDatabaseOf, onCommit } from '@platform/runtime/transaction-scope';
import pg from 'pg';
import { countingCalls, type Db, outboxClientWith, outboxDatabaseAt, type Tx, withDriverDatabase } from './outbox-database';

/**
 * Durable timers (PLT-04) against real PostgreSQL: they fire once when the clock reaches
 * them, survive a new worker (a restarted process), never fire twice across workers, move
 * when rescheduled, retry with backoff when their handler fails, and run their handler in
 * the flow (correlation id, trace) that scheduled them.
 */

let db: Db;
let url: string;
const HOUR = 60 * 60 * 1000;

let telemetry: { shutdown(): Promise<void> };

beforeAll(async () => {
  // The billing schema carries the shared tables, timers included.
  ({ db, url } = await outboxDatabaseAt());
  // Trace context travels only with a propagator registered, as in a service.
  telemetry = startTelemetry('timers-test');
});

afterAll(async () => {
  await db?.$disconnect();
  await telemetry?.shutdown();
});

function worker(clock: AdjustableClock, handlers: Record<string, (timer: DueTimer, tx: Tx) => Promise<void>>, concurrency = 1) {
  // Not started: the tests call fireDue() themselves instead of the polling loop.
  return new TimerWorker<Tx>({ db, clock, log, handlers, concurrency });
}

/**
 * Tells `w` of the test client's commits, as a service tells its workers of its database's
 * (RuntimeService.attachDatabase); returns what stops it.
 */
function toldOfCommits(w: TimerWorker<Tx>): () => void {
  return onCommit(db, (written) => w.notify(written.timers));
}

/**
 * Handlers of `kind` whose timer keyed `slow` holds its lane until `releaseSlow()`; `fired` lists
 * the keys in the order their handlers ended, `slowRunning` resolves once the slow one started.
 */
function slowBesideOthers(kind: string) {
  const fired: string[] = [];
  let releaseSlow!: () => void;
  const slowReleased = new Promise<void>((resolve) => (releaseSlow = resolve));
  let slowStarted!: () => void;
  const slowRunning = new Promise<void>((resolve) => (slowStarted = resolve));
  const handlers = {
    [kind]: async (timer: DueTimer) => {
      if (timer.key === 'slow') {
        slowStarted();
        await slowReleased;
      }
      fired.push(timer.key);
    },
  };
  return { handlers, fired, slowRunning, releaseSlow };
}

/**
 * After `meanwhile`, the timer keyed `later` fires while the slow one still holds its lane; the
 * slow one once released. Stops the worker.
 */
async function laterFiresWhileSlowHolds(w: TimerWorker<Tx>, { fired, releaseSlow }: ReturnType<typeof slowBesideOthers>, meanwhile = async () => {}) {
  try {
    await meanwhile();
    await eventually(async () => [...fired], (seen) => seen.includes('later'), 30_000);
    expect(fired).toEqual(['later']);
  } finally {
    releaseSlow();
    await w.stop();
  }
  expect(fired).toEqual(['later', 'slow']);
}

/**
 * Two lanes on `on` (a client that holds some of the worker's statements back) fire three timers of
 * a new kind: 'flaky', due first, which `handle` fails, 'other' and 'third'. With more due than
 * lanes, the lane that fired 'other' picks again while 'flaky' fails. Returns the keys handled, once
 * the round has ended with the failed timer tried once and waiting for its backoff.
 */
async function fireFlakyBesideOther(on: Db, handle: (key: string) => Promise<void>): Promise<string[]> {
  const kind = `test.${randomUUID()}`;
  const clock = new AdjustableClock();
  const calls: string[] = [];
  const handlers = {
    [kind]: async (timer: DueTimer) => {
      calls.push(timer.key);
      await handle(timer.key);
    },
  };
  const w = new TimerWorker<Tx>({ db: on, clock, log, handlers, concurrency: 2 });
  await db.$transaction((tx) => scheduleTimer(tx, { kind, key: 'flaky', fireAt: new Date(clock.now().getTime() - 1_000) }));
  await db.$transaction((tx) => scheduleTimer(tx, { kind, key: 'other', fireAt: new Date(clock.now().getTime() - 500) }));
  await db.$transaction((tx) => scheduleTimer(tx, { kind, key: 'third', fireAt: clock.now() }));
  expect(await w.fireDue()).toBe(2);
  const [failed] = await db.$queryRaw<{ attempts: number; fire_at: Date; fired_at: Date | null }[]>`
    SELECT attempts, fire_at, fired_at FROM timers WHERE kind = ${kind} AND key = 'flaky'`;
  expect(failed).toMatchObject({ attempts: 1, fired_at: null });
  expect(failed!.fire_at.getTime()).toBeGreaterThan(clock.now().getTime() + 1_000);
  return calls.sort();
}

describe('durable timers', () => {
  it('fire once when the clock reaches them, also from a worker started after the scheduling one', async () => {
    const kind = `test.${randomUUID()}`;
    const clock = new AdjustableClock();
    const fired: string[] = [];
    await db.$transaction((tx) => scheduleTimer(tx, { kind, key: 'order-1', fireAt: new Date(clock.now().getTime() + 24 * HOUR), payload: { n: 1 } }));

    const first = worker(clock, { [kind]: async (timer) => void fired.push(`${timer.key}:${timer.payload.n}`) });
    expect(await first.fireDue()).toBe(0);

    // "Restart": a new worker and a clock 24 h later.
    const later = new AdjustableClock();
    later.advance(24 * HOUR + 1_000);
    const second = worker(later, { [kind]: async (timer) => void fired.push(`${timer.key}:${timer.payload.n}`) });
    expect(await second.fireDue()).toBe(1);
    expect(await second.fireDue()).toBe(0);
    expect(fired).toEqual(['order-1:1']);
  });

  it('never fire twice when two workers race for the same due timers', async () => {
    const kind = `test.${randomUUID()}`;
    const clock = new AdjustableClock();
    await db.$transaction(async (tx) => {
      for (let i = 0; i < 20; i++) await scheduleTimer(tx, { kind, key: `k${i}`, fireAt: clock.now() });
    });
    const fired: string[] = [];
    const handler = async (timer: DueTimer) => {
      await new Promise((r) => setTimeout(r, 5));
      fired.push(timer.key);
    };
    // Two replicas, one of them firing four at a time.
    const [a, b] = await Promise.all([worker(clock, { [kind]: handler }).fireDue(), worker(clock, { [kind]: handler }, 4).fireDue()]);
    expect(a + b).toBe(20);
    expect(new Set(fired).size).toBe(20);
    expect(fired).toHaveLength(20);
  });

  it('count the due ones of their kinds and how long the oldest has waited (the timer lag), and fire them in due order', async () => {
    const kind = `test.${randomUUID()}`;
    const clock = new AdjustableClock();
    const at = (ms: number) => new Date(clock.now().getTime() + ms);
    await db.$transaction(async (tx) => {
      await scheduleTimer(tx, { kind, key: 'later', fireAt: at(-60_000) });
      await scheduleTimer(tx, { kind, key: 'oldest', fireAt: at(-90_000) });
      await scheduleTimer(tx, { kind, key: 'not-yet', fireAt: at(HOUR) });
    });
    const fired: string[] = [];
    const timers = worker(clock, { [kind]: async (timer) => void fired.push(timer.key) });
    const lag = await timers.lag();
    expect(lag.due).toBe(2);
    // The clock runs on between the scheduling and the count.
    expect(lag.oldestDueSeconds).toBeGreaterThanOrEqual(90);
    expect(lag.oldestDueSeconds).toBeLessThan(100);
    expect(await timers.fireDue()).toBe(2);
    expect(fired).toEqual(['oldest', 'later']);
    expect(await timers.lag()).toEqual({ due: 0, oldestDueSeconds: 0 });
  });

  it('move when rescheduled, vanish when cancelled, and stay pending when the handler reschedules itself', async () => {
    const kind = `test.${randomUUID()}`;
    const clock = new AdjustableClock();
    const at = (ms: number) => new Date(clock.now().getTime() + ms);
    await db.$transaction((tx) => scheduleTimer(tx, { kind, key: 'poll', fireAt: at(HOUR) }));
    await db.$transaction((tx) => scheduleTimer(tx, { kind, key: 'poll', fireAt: at(6 * HOUR) }));
    await db.$transaction((tx) => scheduleTimer(tx, { kind, key: 'gone', fireAt: at(HOUR) }));
    await db.$transaction((tx) => cancelTimer(tx, kind, 'gone'));

    let polls = 0;
    const w = worker(clock, {
      [kind]: async (timer, tx) => {
        polls += 1;
        await scheduleTimer(tx, { kind, key: timer.key, fireAt: new Date(clock.now().getTime() + 6 * HOUR) });
      },
    });
    clock.advance(2 * HOUR);
    expect(await w.fireDue()).toBe(0);
    clock.advance(5 * HOUR);
    expect(await w.fireDue()).toBe(1);
    clock.advance(6 * HOUR);
    expect(await w.fireDue()).toBe(1);
    expect(polls).toBe(2);
    const rows = await db.$queryRaw<{ key: string; fired_at: Date | null }[]>`SELECT key, fired_at FROM timers WHERE kind = ${kind}`;
    expect(rows).toEqual([{ key: 'poll', fired_at: null }]);
  });

  it('are written with the transaction\'s events when it ends, each timer as its last change in the transaction left it', async () => {
    const kind = `test.${randomUUID()}`;
    const start = Date.now();
    const at = (ms: number) => new Date(start + ms);
    await db.$transaction((tx) => scheduleTimer(tx, { kind, key: 'cancelled-then-scheduled', fireAt: at(HOUR) }));
    await db.$transaction((tx) => scheduleTimer(tx, { kind, key: 'scheduled-then-cancelled', fireAt: at(HOUR) }));
    const event = sampleEvent();
    const inside = await db.$transaction(async (tx) => {
      await scheduleTimer(tx, { kind, key: 'moved-twice', fireAt: at(HOUR), payload: { n: 1 } });
      await scheduleTimer(tx, { kind, key: 'moved-twice', fireAt: at(2 * HOUR), payload: { n: 2 } });
      await cancelTimer(tx, kind, 'cancelled-then-scheduled');
      await scheduleTimer(tx, { kind, key: 'cancelled-then-scheduled', fireAt: at(3 * HOUR) });
      await scheduleTimer(tx, { kind, key: 'scheduled-then-cancelled', fireAt: at(4 * HOUR) });
      await cancelTimer(tx, kind, 'scheduled-then-cancelled');
      await recordEvent(tx, event);
      // Nothing is written yet: the changes and the event wait for the transaction's last statement.
      return tx.$queryRaw<{ key: string; fire_at: Date }[]>`SELECT key, fire_at FROM timers WHERE kind = ${kind} ORDER BY key`;
    });
    expect(inside.map((row) => [row.key, row.fire_at.getTime()])).toEqual([
      ['cancelled-then-scheduled', at(HOUR).getTime()],
      ['scheduled-then-cancelled', at(HOUR).getTime()],
    ]);
    const rows = await db.$queryRaw<{ key: string; fire_at: Date; payload: unknown }[]>`SELECT key, fire_at, payload FROM timers WHERE kind = ${kind} ORDER BY key`;
    expect(rows.map((row) => [row.key, row.fire_at.getTime(), row.payload])).toEqual([
      ['cancelled-then-scheduled', at(3 * HOUR).getTime(), {}],
      ['moved-twice', at(2 * HOUR).getTime(), { n: 2 }],
    ]);
    expect(await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM outbox_events WHERE id = ${event.id}::uuid`).toEqual([{ n: 1 }]);
  });

  it('give a timer committed during a round a free lane: it fires while the one lane still busy waits, not after it', async () => {
    const kind = `test.${randomUUID()}`;
    const clock = new AdjustableClock();
    const { handlers, fired: order, slowRunning, releaseSlow } = slowBesideOthers(kind);
    const w = worker(clock, handlers, 2);
    await db.$transaction((tx) => scheduleTimer(tx, { kind, key: 'slow', fireAt: clock.now() }));
    // One timer due, one lane: it takes the slow timer; the second lane opens for the quick one.
    const round = w.fireDue();
    await slowRunning;
    await db.$transaction((tx) => scheduleTimer(tx, { kind, key: 'quick', fireAt: clock.now() }));
    w.notify();
    await eventually(async () => [...order], (seen) => seen.includes('quick'), 10_000);
    expect(order).toEqual(['quick']);
    releaseSlow();
    expect(await round).toBe(2);
    expect(order).toEqual(['quick', 'slow']);
  });

  it('open as many lanes as timers are due, each firing one: a due timer costs the one transaction that fires it, not one per lane nor a pick that finds none', async () => {
    const kind = `test.${randomUUID()}`;
    const clock = new AdjustableClock();
    const { db: counted, calls } = countingCalls(db, ['$transaction']);
    const fired: string[] = [];
    const w = new TimerWorker<Tx>({ db: counted, clock, log, handlers: { [kind]: async (timer) => void fired.push(timer.key) }, concurrency: 8 });
    await db.$transaction((tx) => scheduleTimer(tx, { kind, key: 'one', fireAt: clock.now() }));
    expect(await w.fireDue()).toBe(1);
    expect(fired).toEqual(['one']);
    expect(calls.$transaction).toBe(1);

    // Three due: three lanes, each firing one.
    for (const key of ['a', 'b', 'c']) await db.$transaction((tx) => scheduleTimer(tx, { kind, key, fireAt: clock.now() }));
    calls.$transaction = 0;
    expect(await w.fireDue()).toBe(3);
    expect(fired.slice(1).sort()).toEqual(['a', 'b', 'c']);
    expect(calls.$transaction).toBe(3);

    // More due than lanes: the lanes pick until one finds none (one empty pick per lane at most).
    for (let i = 0; i < 10; i++) await db.$transaction((tx) => scheduleTimer(tx, { kind, key: `many-${i}`, fireAt: clock.now() }));
    calls.$transaction = 0;
    expect(await w.fireDue()).toBe(10);
    expect(fired).toHaveLength(14);
    expect(calls.$transaction).toBeGreaterThanOrEqual(10);
    expect(calls.$transaction).toBeLessThanOrEqual(18);
    // None due: one statement, no transaction.
    calls.$transaction = 0;
    expect(await w.fireDue()).toBe(0);
    expect(calls.$transaction).toBe(0);
  });

  it('look once for a timer that comes due alone: the look that found it due sets the wake-up for the next, and none follows its fire', async () => {
    const kind = `test.${randomUUID()}`;
    const clock = new AdjustableClock();
    const { db: counted, calls } = countingCalls(db, ['driver.query', '$transaction']);
    const fired: string[] = [];
    const handlers = { [kind]: async (timer: DueTimer) => void fired.push(timer.key) };
    // A poll far longer than the test: every look after the first is a wake-up's.
    const w = new TimerWorker<Tx>({ db: counted, clock, log, handlers, concurrency: 8, pollIntervalMs: 10 * 60_000 });
    await db.$transaction(async (tx) => {
      await scheduleTimer(tx, { kind, key: 'first', fireAt: new Date(clock.now().getTime() + 1_000) });
      await scheduleTimer(tx, { kind, key: 'second', fireAt: new Date(clock.now().getTime() + 1_500) });
    });
    w.start();
    try {
      await eventually(async () => [...fired], (seen) => seen.length === 2, 30_000);
    } finally {
      await w.stop();
    }
    expect(fired).toEqual(['first', 'second']);
    expect(calls.$transaction).toBe(2);
    // The first round's look (none due yet, unless it came that late), then one at each wake-up:
    // three at most, where a look after each fire made four or five (the last one cut by the stop).
    expect(calls['driver.query']).toBeLessThanOrEqual(3);
  });

  it('look once for each timer of a chain whose handlers schedule the next one due now: the look after a commit\'s notice, and no count of a round the notices woke', async () => {
    const kind = `test.${randomUUID()}`;
    const clock = new AdjustableClock();
    const { db: counted, calls } = countingCalls(db, ['driver.query', '$transaction']);
    const fired: string[] = [];
    const chain = ['first', 'second', 'third'];
    const handlers = {
      [kind]: async (timer: DueTimer, tx: Tx) => {
        fired.push(timer.key);
        const next = chain[chain.indexOf(timer.key) + 1];
        if (next) await scheduleTimer(tx, { kind, key: next, fireAt: clock.now() });
      },
    };
    const w = new TimerWorker<Tx>({ db: counted, clock, log, handlers, concurrency: 2, pollIntervalMs: 10 * 60_000 });
    const stopTelling = toldOfCommits(w);
    await db.$transaction((tx) => scheduleTimer(tx, { kind, key: 'first', fireAt: clock.now() }));
    w.start();
    try {
      await eventually(async () => [...fired], (seen) => seen.length === 3, 30_000);
      // Time for the round the notices woke to run.
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      stopTelling();
      await w.stop();
    }
    expect(fired).toEqual(chain);
    expect(calls.$transaction).toBe(3);
    // The first round's count, then a look after each notice: three, where a look after every
    // fire, one by each lane opened for a notice and a count of the round the notices woke made seven.
    expect(calls['driver.query']).toBe(3);
  });

  it('fire at their due time, not at the next poll: a worker that found none due sleeps until the first one is', async () => {
    const kind = `test.${randomUUID()}`;
    const clock = new AdjustableClock();
    const fired: Array<{ key: string; lateMs: number }> = [];
    // A poll far longer than the wait: only waking at the due time fires it within the test.
    const metrics = createMetrics('timers-test');
    const handlers = { [kind]: async (timer: DueTimer) => void fired.push({ key: timer.key, lateMs: clock.now().getTime() - timer.fireAt.getTime() }) };
    const w = new TimerWorker<Tx>({ db, clock, log, handlers, metrics, pollIntervalMs: 10 * 60_000 });
    await db.$transaction((tx) => scheduleTimer(tx, { kind, key: 'soon', fireAt: new Date(clock.now().getTime() + 300) }));
    w.start();
    try {
      // How late it fired is on record, by kind, once its transaction committed.
      const firedCount = async () => (await metrics.timerFireDelay.get()).values.find((v) => v.metricName === 'timer_fire_delay_seconds_count' && v.labels.kind === kind)?.value;
      await eventually(firedCount, (count) => count !== undefined, 30_000);
      expect(await firedCount()).toBe(1);
      expect(fired.map(({ key }) => key)).toEqual(['soon']);
      expect(fired[0]!.lateMs).toBeGreaterThanOrEqual(0);
    } finally {
      await w.stop();
    }
  });

  it('look for a timer scheduled ahead at its due time, not at its commit: told of it, or of another kind\'s, the worker asks nothing until then', async () => {
    const kind = `test.${randomUUID()}`;
    const clock = new AdjustableClock();
    const { db: counted, calls } = countingCalls(db, ['driver.query']);
    const fired: string[] = [];
    const handlers = { [kind]: async (timer: DueTimer) => void fired.push(timer.key) };
    const w = new TimerWorker<Tx>({ db: counted, clock, log, handlers, pollIntervalMs: 10 * 60_000 });
    w.start();
    try {
      // The first round's look: nothing due, nothing pending.
      await eventually(async () => calls['driver.query'], (n) => n >= 1, 10_000);
      const looksBefore = calls['driver.query'];
      // Far enough ahead to be told of before it is due, also on a busy machine.
      const fireAt = new Date(clock.now().getTime() + 1_000);
      await db.$transaction((tx) => scheduleTimer(tx, { kind, key: 'ahead', fireAt }));
      expect(clock.now().getTime()).toBeLessThan(fireAt.getTime());
      // As the service tells it after that commit, and after another service's timer due now.
      w.notify([{ kind, fireAt }]);
      w.notify([{ kind: `test.${randomUUID()}`, fireAt: clock.now() }]);
      // Until shortly before its due time the worker asks nothing (a look at the notices would have).
      await new Promise((resolve) => setTimeout(resolve, fireAt.getTime() - 200 - clock.now().getTime()));
      expect(calls['driver.query']).toBe(looksBefore);
      await eventually(async () => [...fired], (seen) => seen.length > 0, 30_000);
      expect(fired).toEqual(['ahead']);
    } finally {
      await w.stop();
    }
  });

  it('wake at a due time further off than the poll: a round held open by a slow handler still fires a timer that comes due meanwhile', async () => {
    const kind = `test.${randomUUID()}`;
    const clock = new AdjustableClock();
    const slow = slowBesideOthers(kind);
    // A poll of 100 ms: the timer below is told of ten polls ahead, while the round cannot poll.
    const w = new TimerWorker<Tx>({ db, clock, log, handlers: slow.handlers, concurrency: 2, pollIntervalMs: 100 });
    await db.$transaction((tx) => scheduleTimer(tx, { kind, key: 'slow', fireAt: clock.now() }));
    w.start();
    await laterFiresWhileSlowHolds(w, slow, async () => {
      await slow.slowRunning;
      const fireAt = new Date(clock.now().getTime() + 1_000);
      await db.$transaction((tx) => scheduleTimer(tx, { kind, key: 'later', fireAt }));
      w.notify([{ kind, fireAt }]);
    });
  });

  it('open a lane for a timer that comes due while another lane is still busy, at its due time', async () => {
    const kind = `test.${randomUUID()}`;
    const clock = new AdjustableClock();
    const slow = slowBesideOthers(kind);
    const w = new TimerWorker<Tx>({ db, clock, log, handlers: slow.handlers, concurrency: 2, pollIntervalMs: 10 * 60_000 });
    await db.$transaction(async (tx) => {
      await scheduleTimer(tx, { kind, key: 'slow', fireAt: clock.now() });
      await scheduleTimer(tx, { kind, key: 'later', fireAt: new Date(clock.now().getTime() + 300) });
    });
    w.start();
    // The round started with one timer due, so with one lane; the other comes due while it waits.
    await laterFiresWhileSlowHolds(w, slow);
  });

  it('stay pending when the handler reschedules itself to the very time it fired at, and fire again', async () => {
    const kind = `test.${randomUUID()}`;
    const clock = new AdjustableClock();
    await db.$transaction((tx) => scheduleTimer(tx, { kind, key: 'pull', fireAt: new Date(clock.now().getTime() + HOUR), payload: { page: 1 } }));
    const pages: unknown[] = [];
    const w = worker(clock, {
      [kind]: async (timer, tx) => {
        pages.push(timer.payload.page);
        // A capped pull continues at once: the same fire time, the next page.
        if (timer.payload.page === 1) await scheduleTimer(tx, { kind, key: timer.key, fireAt: timer.fireAt, payload: { page: 2 } });
      },
    });
    const stopTelling = toldOfCommits(w);
    clock.advance(2 * HOUR);
    try {
      expect(await w.fireDue()).toBe(2);
    } finally {
      stopTelling();
    }
    expect(pages).toEqual([1, 2]);
    const rows = await db.$queryRaw<{ payload: unknown; fired: boolean }[]>`SELECT payload, fired_at IS NOT NULL AS fired FROM timers WHERE kind = ${kind}`;
    expect(rows).toEqual([{ payload: { page: 2 }, fired: true }]);
  });

  it('roll back a failed handler and retry it later with backoff, keeping the error', async () => {
    const kind = `test.${randomUUID()}`;
    const clock = new AdjustableClock();
    await db.$transaction((tx) => scheduleTimer(tx, { kind, key: 'flaky', fireAt: clock.now() }));
    let calls = 0;
    const w = worker(clock, {
      [kind]: async (_timer, tx) => {
        calls += 1;
        await tx.$executeRaw`SELECT 1`;
        if (calls === 1) throw new Error('supplier unavailable');
      },
    });
    expect(await w.fireDue()).toBe(0);
    const [failed] = await db.$queryRaw<{ attempts: number; last_error: string; fire_at: Date; fired_at: Date | null }[]>`
      SELECT attempts, last_error, fire_at, fired_at FROM timers WHERE kind = ${kind}`;
    expect(failed).toMatchObject({ attempts: 1, last_error: 'supplier unavailable', fired_at: null });
    expect(failed!.fire_at.getTime()).toBeGreaterThan(clock.now().getTime());
    expect(await w.fireDue()).toBe(0);
    clock.advance(60_000);
    expect(await w.fireDue()).toBe(1);
    expect(calls).toBe(2);
  });

  it('keep a failed timer from another lane until its failure is recorded: the retry waits for its backoff', async () => {
    // The failure is recorded by the one statement outside a transaction; the first is held until
    // the other lane has looked for due timers again, in the moment the rollback has unlocked the row.
    let recording!: () => void;
    let recorded = 0;
    const failureRecording = new Promise<void>((resolve) => (recording = resolve));
    let nextPick: Promise<unknown> | undefined;
    const driver = driverDatabaseOf(db);
    const heldDriver: DriverDatabase = {
      ...driver,
      execute: async (...args) => {
        if ((recorded += 1) > 1) return driver.execute(...args);
        recording();
        await eventually(async () => nextPick, (pick) => pick !== undefined, 10_000);
        await nextPick!.catch(() => undefined);
        return driver.execute(...args);
      },
    };
    const held = new Proxy(withDriverDatabase(db, heldDriver), {
      get: (target, property, receiver) => {
        if (property === '$transaction')
          return (...args: Parameters<Db['$transaction']>) => {
            const running = target.$transaction(...args);
            if (afterFailure) nextPick ??= running;
            return running;
          };
        return Reflect.get(target, property, receiver);
      },
    });
    let afterFailure = false;
    void failureRecording.then(() => (afterFailure = true));
    const calls = await fireFlakyBesideOther(held, async (key) => {
      if (key === 'flaky') throw new Error('supplier unavailable');
      // The other lane ends its timer once the failed one is rolled back, and picks again.
      await failureRecording;
    });
    expect(nextPick).toBeDefined();
    expect(calls).toEqual(['flaky', 'other', 'third']);
    expect(recorded).toBe(1);
  });

  it('leave a timer that failed in another lane to its backoff, also when a pick sent before the failure gets its row after the rollback', async () => {
    // Held at the connection: the other lane's next pick, sent while the failing handler still runs
    // (so it does not exclude that timer), until the failure's record is sent, which follows the
    // rollback; and that record until the pick has run. The pick then finds the failed timer unlocked and still due.
    const deferred = <T = void>() => {
      let resolve!: (value: T) => void;
      const promise = new Promise<T>((r) => (resolve = r));
      return { promise, resolve };
    };
    const pickHeld = deferred();
    const failureRecordSent = deferred();
    const pickRan = deferred<unknown[][]>();
    let holdNextPick = false;
    let recordHeld = false;
    const hold = async (text: string, run: () => Promise<{ rows: unknown[][] }>) => {
      if (holdNextPick && text.includes('FOR UPDATE SKIP LOCKED')) {
        holdNextPick = false;
        pickHeld.resolve();
        await failureRecordSent.promise;
        const result = await run();
        pickRan.resolve(result.rows);
        return result;
      }
      if (!recordHeld && text.includes('last_error =')) {
        recordHeld = true;
        failureRecordSent.resolve();
        await pickRan.promise;
      }
      return run();
    };
    type Query = string | { text: string };
    type Callback = (error: Error | undefined, result?: unknown) => void;
    class HoldingClient extends pg.Client {
      constructor() {
        super({ connectionString: url });
        const query = this.query.bind(this) as (config: Query, values?: unknown[]) => Promise<{ rows: unknown[][] }>;
        // The adapter's transactions call query(config); the pool's own query, query(text, values, callback).
        const holding = (config: Query, values?: unknown[] | Callback, callback?: Callback) => {
          if (typeof values === 'function') [values, callback] = [undefined, values];
          const running = hold(typeof config === 'string' ? config : config.text, () => query(config, values));
          if (!callback) return running;
          running.then((result) => callback(undefined, result), (error: Error) => callback(error));
          return undefined;
        };
        Object.assign(this, { query: holding });
      }
    }
    const held = outboxClientWith(url, HoldingClient);
    try {
      const calls = await fireFlakyBesideOther(held, async (key) => {
        if (key === 'other') holdNextPick = true;
        else if (key === 'flaky') {
          await pickHeld.promise;
          throw new Error('supplier unavailable');
        }
      });
      expect(calls).toEqual(['flaky', 'other', 'third']);
    } finally {
      await held.$disconnect();
    }
    // The held pick did get the failed timer (its key is the third column), and left it.
    expect((await pickRan.promise).map((row) => row[2])).toEqual(['flaky']);
  });

  it('fire in the flow that scheduled them: its correlation id and trace, with the timer named apart, and so do the events they record', async () => {
    const kind = `test.${randomUUID()}`;
    const recorded = sampleEvent();
    const clock = new AdjustableClock();
    const traceId = randomUUID().replaceAll('-', '');
    const journey: FlowContext = {
      correlationId: 'order-journey',
      causationId: 'event-1',
      trace: extractTraceContext({ get: (key) => (key === 'traceparent' ? `00-${traceId}-${'1'.repeat(16)}-01` : undefined), set: () => {} }),
    };
    await runInFlow(journey, () => db.$transaction((tx) => scheduleTimer(tx, { kind, key: 'order-1', fireAt: clock.now() })));
    // Scheduled outside any flow: the timer's own id stands in.
    await db.$transaction((tx) => scheduleTimer(tx, { kind, key: 'order-2', fireAt: clock.now() }));

    const seen = new Map<string, { flow: FlowContext | undefined; traceparent: string | undefined }>();
    const w = worker(clock, {
      [kind]: async (timer, tx) => {
        seen.set(timer.key, { flow: currentFlow(), traceparent: traceHeaders().traceparent });
        // What the handler schedules stays in the journey: the next poll, the next step.
        if (timer.key === 'order-1') await scheduleTimer(tx, { kind, key: 'order-1-next', fireAt: new Date(clock.now().getTime() + HOUR) });
        if (timer.key === 'order-1') await recordEvent(tx, recorded);
      },
    });
    expect(await w.fireDue()).toBe(2);
    const [row] = await db.$queryRaw<{ id: string }[]>`SELECT id FROM timers WHERE kind = ${kind} AND key = 'order-1'`;
    const first = seen.get('order-1')!;
    expect(first.flow).toMatchObject({ correlationId: 'order-journey', causationId: row!.id, timer: `${kind}:order-1` });
    // A span of the timer's own, in the scheduler's trace.
    expect(first.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(first.traceparent).not.toContain('1'.repeat(16));
    // Written at the commit, after the handler's span ended: still with the span's trace context.
    const outbox = await db.outboxEvent.findUniqueOrThrow({ where: { id: recorded.id } });
    expect(outbox.traceHeaders).toMatchObject({ traceparent: first.traceparent });
    expect(seen.get('order-2')!.flow).toMatchObject({ correlationId: `timer:${kind}:order-2`, timer: `${kind}:order-2` });

    clock.advance(HOUR);
    expect(await w.fireDue()).toBe(1);
    expect(seen.get('order-1-next')!.flow).toMatchObject({ correlationId: 'order-journey', timer: `${kind}:order-1-next` });
    expect(seen.get('order-1-next')!.traceparent).toContain(traceId);
  });
});
