import { randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { BackgroundLoop, type RoundResult } from './background-loop';
import type { Clock } from './clock';
import { isTransient } from '@platform/contracts/errors';
import { currentFlow, type FlowContext, runInFlow } from './context';
import { crashpoint } from './crashpoint';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { SqlClient, TransactionalSqlClient } from './outbox';
import { extractTraceContext, inSpan, traceHeaders } from './telemetry';
import { writeDeferred } from './deferred-writes';
import type { DriverDatabase } from './driver-sql';
import { type DeferredTimer, deferTimer, driverDatabaseOf, driverSqlOf, noteWritten, type ScheduledTimer } from './transaction-scope';

/**
 * Durable timers (PLT-04): a row in the service's own `timers` table, scheduled in the
 * same transaction as the state change that needs it, fired once by whichever replica
 * locks it first, in a transaction that also marks it fired. A process that dies mid-fire
 * rolls back, and the timer fires again later: handlers are written to be idempotent.
 * The handler runs in the flow that scheduled the timer (its correlation id, and a span
 * continuing its trace), so a journey keeps one id across its delays and polls.
 *
 * Every service that uses timers has this table (same DDL in each service's migration):
 *   timers(id uuid pk, kind text, key text, payload jsonb, fire_at timestamptz(3),
 *          fired_at timestamptz(3) null, attempts int, last_error text null, created_at,
 *          correlation_id text null, trace_headers jsonb null)
 *   unique (kind, key); index (fired_at, fire_at)
 */
export interface TimerSpec {
  /** What fires: picks the handler (`fulfillment.supplier-timeout`). */
  kind: string;
  /** Which one: at most one pending timer per (kind, key); scheduling again moves it. */
  key: string;
  fireAt: Date;
  payload?: Record<string, unknown>;
}

export interface DueTimer {
  id: string;
  kind: string;
  key: string;
  payload: Record<string, unknown>;
  fireAt: Date;
  attempts: number;
}

export type TimerHandler<Tx> = (timer: DueTimer, tx: Tx, now: Date) => Promise<void>;

/**
 * Schedules (or moves) the pending timer for (kind, key), in the caller's transaction, written
 * with its events just before the commit (deferred-writes.ts). The current flow's correlation id
 * and trace context go with it (the last scheduler's, if moved).
 */
export async function scheduleTimer(tx: SqlClient, spec: TimerSpec): Promise<void> {
  const change: DeferredTimer = {
    kind: spec.kind,
    key: spec.key,
    schedule: {
      id: randomUUID(),
      payload: JSON.stringify(spec.payload ?? {}),
      fireAt: spec.fireAt,
      correlationId: currentFlow()?.correlationId ?? null,
      traceHeaders: JSON.stringify(traceHeaders()),
    },
  };
  if (deferTimer(tx, change)) return;
  await writeDeferred(driverSqlOf(tx), [], [change]);
  noteWritten(tx, { timers: [change] });
}

/** Cancels the pending timer for (kind, key), if any, as `scheduleTimer` schedules. Fired timers stay as history. */
export async function cancelTimer(tx: SqlClient, kind: string, key: string): Promise<void> {
  const change: DeferredTimer = { kind, key };
  if (!deferTimer(tx, change)) await writeDeferred(driverSqlOf(tx), [], [change]);
}

export interface TimerWorkerOptions<Tx extends SqlClient> {
  /** A client made by `createPrismaClient`: its transaction scope writes the handler's events and timers and wakes the relay. */
  db: TransactionalSqlClient<Tx>;
  clock: Clock;
  log: Logger;
  handlers: Record<string, TimerHandler<Tx>>;
  /**
   * The longest pause between looks for due timers (default 1 s). The worker wakes at the next
   * due time it knows of (read by a look, or of a timer this process committed: at once for one
   * due now); the poll finds those that another replica scheduled.
   */
  pollIntervalMs?: number;
  /**
   * Where the timer lag goes (`timers_due`, `timers_oldest_due_seconds`, at most every few
   * seconds) and how late each timer fired (`timer_fire_delay_seconds`).
   */
  metrics?: Pick<Metrics, 'timersDue' | 'timersOldestDueSeconds' | 'timerFireDelay'>;
  /** Fired timers are kept this long for inspection, then deleted. */
  retentionMs?: number;
  /**
   * Timers fired at once (default 1). Each holds a database connection for its transaction;
   * use more where handlers wait on a provider (sending a notification).
   */
  concurrency?: number;
}

interface TimerRow {
  id: string;
  kind: string;
  key: string;
  payload: Record<string, unknown>;
  fire_at: Date;
  attempts: number;
  correlation_id: string | null;
  trace_headers: Record<string, string> | null;
}

/** A due timer as the pick reads it (json as text, the due time in epoch milliseconds). */
type TimerRecord = Omit<TimerRow, 'payload' | 'fire_at' | 'trace_headers'> & { payload: string; fire_at_ms: number; trace_headers: string | null };

function timerRow({ payload, fire_at_ms, trace_headers, ...rest }: TimerRecord): TimerRow {
  return { ...rest, payload: JSON.parse(payload) as Record<string, unknown>, fire_at: new Date(fire_at_ms), trace_headers: trace_headers === null ? null : (JSON.parse(trace_headers) as Record<string, string>) };
}

/**
 * The flow a timer fires in: the correlation id of the flow that scheduled it (a timer
 * scheduled outside any flow, or before timers kept it, gets one of its own), caused by the
 * timer row, and named by `kind:key` in every line it logs.
 */
function timerFlow(row: TimerRow): FlowContext {
  const timer = `${row.kind}:${row.key}`;
  return { correlationId: row.correlation_id ?? `timer:${timer}`, causationId: row.id, timer };
}

/** The longest delay setTimeout takes (2^31 - 1 ms); a longer one fires at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** The most timers one round fires: then the worker does its housekeeping and looks again. */
const TIMERS_PER_ROUND = 100;

/** A pick that found a timer this worker must leave (see `failing`): it ends the pick's transaction with a rollback. */
class SkippedTimer extends Error {}

/**
 * Fires due timers, one transaction each; a failed handler is retried with backoff.
 *
 * Every due-timer query orders by `fired_at, fire_at`, the (fired_at, fire_at) index's own order.
 * Under `fired_at IS NULL` that is `fire_at` order, but PostgreSQL takes `IS NULL` for no equality,
 * so `ORDER BY fire_at` alone made it fetch and sort every due row for each pick: 54–91 ms per
 * timer with 2,500 due in fulfillment under `pnpm bench --rate 10`, a backlog that fed itself. In
 * the index's order the first due row is read at once (0.17 ms; EXPLAIN ANALYZE, generic plan).
 */
export class TimerWorker<Tx extends SqlClient = SqlClient> {
  private readonly loop = new BackgroundLoop((notified) => this.round(notified));
  private readonly pollIntervalMs: number;
  /** Set by stop(): a batch in progress ends after its current timer. */
  private stopping = false;
  private failures = 0;
  private lastHousekeeping = 0;
  private lastLagReport = 0;
  /** Set while `fireDue` runs: opens one more lane, if one is free, after the current turn of the event loop. */
  private addLane: (() => void) | undefined;
  /**
   * Timers whose handler failed, until the failure is recorded: the rollback unlocks the row while
   * it is still due, and another lane would fire it again at once instead of after the backoff.
   * A pick excludes them, and checks again once it has the row: a pick sent before the failure
   * can lock the row after the rollback, and the failure's record then waits for that lock, so
   * the timer is still here when the pick looks. Another replica could still fire it in that
   * millisecond; handlers are idempotent, so it costs an early retry, not a wrong state.
   */
  private readonly failing = new Set<string>();
  /**
   * Wakes the worker when the next pending timer it knows of is due (`notify`): a sleeping worker
   * starts a round, a running round opens a lane for it. Waiting for the next poll instead made
   * timers fire up to a second late, and more while one lane was busy with a slow handler:
   * fulfillment's payment-confirmed delays fired 150 ms late at the median, 1.8 s at p95
   * (`fired_at - fire_at`, pnpm bench --rate 4 --duration 90).
   */
  private wakeUp: NodeJS.Timeout | undefined;
  /** When `wakeUp` fires (epoch milliseconds). */
  private wakeUpAtMs = 0;
  /**
   * Set by `notify` (a commit of a timer due now, a wake-up, a moved clock) and cleared by a look:
   * something may be due that no look has seen yet. A lane that fired the last timer its round
   * counted looks again only then (see `fireRound`).
   */
  private noticed = false;
  /** The last round may have left due timers (or failed): the next one looks, whatever woke it. */
  private lookAgain = false;

  /** The worker's own statements, outside the handlers' transactions (driver-sql.ts). */
  private readonly sql: DriverDatabase;

  constructor(private readonly options: TimerWorkerOptions<Tx>) {
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.sql = driverDatabaseOf(options.db);
  }

  start(): void {
    this.loop.start();
  }

  /** The service's timers not yet fired, soonest first (the ops console's view). */
  async pending(limit: number): Promise<Array<{ id: string; kind: string; key: string; fireAt: string; firedAt: null; attempts: number; lastError: string | null }>> {
    const rows = await this.sql.query<{ id: string; kind: string; key: string; fire_at_ms: number; attempts: number; last_error: string | null }>`
      SELECT id::text, kind, key, (extract(epoch FROM fire_at) * 1000)::float8 AS fire_at_ms, attempts, last_error FROM timers WHERE fired_at IS NULL ORDER BY fired_at, fire_at LIMIT ${limit}`;
    return rows.map((row) => ({ id: row.id, kind: row.kind, key: row.key, fireAt: new Date(row.fire_at_ms).toISOString(), firedAt: null, attempts: row.attempts, lastError: row.last_error }));
  }

  /**
   * Look for due timers now (the clock moved, or a timer was scheduled for now). Told which timers
   * a commit scheduled, it looks only when one of its own kinds is due already; one due later only
   * brings the wake-up forward. Each look is a statement, and most timers are scheduled ahead (a
   * payment delay, the next supplier poll): looking for them at their commit found none due.
   */
  notify(scheduled?: ReadonlyArray<ScheduledTimer>): void {
    if (scheduled) {
      const mine = scheduled.filter((timer) => Object.hasOwn(this.options.handlers, timer.kind));
      if (mine.length === 0) return;
      const soonest = Math.min(...mine.map((timer) => timer.fireAt.getTime()));
      if (soonest > this.options.clock.now().getTime()) return this.wakeBy(soonest);
    }
    this.noticed = true;
    this.loop.notify();
    this.addLane?.();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.wakeUp);
    await this.loop.stop();
  }

  /**
   * Fires every timer due at the clock's now (up to `limit`), `concurrency` at a time; returns how
   * many fired. Each lane locks a different due timer (SKIP LOCKED). A timer committed while the
   * round runs (`notify`) gets a lane again if one is free: otherwise the lanes still busy when it
   * came fired a steady stream alone, down to one. At 4 orders/s, 10 % of notifications' sends
   * waited over 1.1 s to be picked that way (`fired_at - fire_at`, pnpm bench --rate 4 --duration 300).
   * A timer that comes due during the round (a handler's, due now) is looked for only when the
   * worker is told of it (`notify`): a service tells its workers of every commit.
   */
  async fireDue(limit = TIMERS_PER_ROUND): Promise<number> {
    return (await this.fireRound(limit)).fired;
  }

  /** `fireDue`, and whether the round may have left due timers behind (`moreMayBeDue`). */
  private async fireRound(limit: number): Promise<{ fired: number; moreMayBeDue: boolean }> {
    const concurrency = this.options.concurrency ?? 1;
    let fired = 0;
    let attempted = 0;
    // Picks known to find a timer: the ones counted due, or, when more are due than lanes, picks
    // until one finds none. Past them a lane looks with one statement before it picks again: a
    // lane that picked again after each fire ended every round with a pick that found none, a
    // transaction per lane (fulfillment: 16,764 picks for 8,729 fires, pnpm bench --rate 4
    // --duration 600).
    let counted = 0;
    let saturated = false;
    // A pick found none: the timers due were held elsewhere, and may be left due by a rollback.
    let foundNone = false;
    // Lanes holding a picked timer: the due ones counted include theirs.
    let holding = 0;
    const lanes = new Set<Promise<void>>();
    const lane = async (): Promise<void> => {
      while (attempted < limit && !this.stopping) {
        if (counted > 0) counted -= 1;
        // The count was exact and set the wake-up for the next timer: without a notice since, a
        // look here finds nothing (a look after every fire was half of a quiet worker's looks).
        else if (!this.noticed || !(await this.dueBeyond(holding))) return;
        attempted += 1;
        holding += 1;
        let outcome;
        try {
          outcome = await this.fireOne();
        } finally {
          holding -= 1;
        }
        if (outcome === 'fired') fired += 1;
        // Nothing due is left unlocked (another lane or replica holds the rest).
        if (outcome === 'none') {
          foundNone = true;
          return;
        }
      }
    };
    const start = (work: () => Promise<void>) => {
      const running: Promise<void> = work().finally(() => lanes.delete(running));
      // Its failure fails the round (awaited below); one added after the round already failed is dropped.
      running.catch(() => undefined);
      lanes.add(running);
    };
    // From before the count: a timer committed while it runs may be missing from it. Opened after
    // the current turn of the event loop: a notice from a lane's own commit comes while that lane
    // still counts as holding its timer, and a lane opened then would look for nothing; the lane
    // looks itself once it goes on (see `noticed`).
    let open = true;
    this.addLane = () =>
      setImmediate(() => {
        if (open && lanes.size < concurrency && attempted < limit && !this.stopping) start(lane);
      });
    try {
      // As many lanes as timers are due (up to `concurrency`): a lane that finds none has cost a
      // transaction, and with sends due one at a time most of notifications' eight lanes found
      // none (12,500 empty picks for 3,600 sends, pnpm bench --rate 4 --duration 300). Counted up
      // to one more than the lanes, so that a count within them is exact.
      this.noticed = false;
      const due = await this.dueState(concurrency + 1);
      saturated = due > concurrency;
      counted = saturated ? Number.POSITIVE_INFINITY : Math.max(0, due - holding);
      for (let i = Math.min(due, concurrency) - lanes.size; i > 0; i--) start(lane);
      while (lanes.size > 0) await Promise.all(lanes);
    } finally {
      open = false;
      this.addLane = undefined;
    }
    // More were due than lanes (the count then set no wake-up), a pick found the due ones held
    // elsewhere, or the limit cut the round short. Otherwise the round's count, or a lane's look
    // that found nothing more due, set the wake-up for the next.
    return { fired, moreMayBeDue: saturated || foundNone || attempted >= limit };
  }

  /**
   * Whether more timers are due than the `holding` lanes have picked: one statement, where a pick
   * that finds none is a transaction. When none is, it sets the wake-up for the next (`dueState`).
   */
  private async dueBeyond(holding: number): Promise<boolean> {
    // A lane still holding a timer may have committed it already (its commit's notice comes
    // before its lane goes on): the look no longer counts that timer but still subtracts its lane,
    // so a timer the notice told of may look taken. The notice stays for that lane to look.
    if (holding === 0) this.noticed = false;
    const due = await this.dueState(holding + 2);
    // More are due than the lane that looked picks: it looks again after its fire.
    if (due > holding + 1) this.noticed = true;
    return due > holding;
  }

  /**
   * How many of this worker's timers are due, counted up to `max`. The same pass reads the first
   * `max` pending timers in the index's order: when fewer are due, the next one to come due is
   * among them (or none is pending), and the wake-up is set for it.
   */
  private async dueState(max: number): Promise<number> {
    const { clock, handlers } = this.options;
    const now = clock.now();
    const [row] = await this.sql.query<{ due: number; next_ms: number | null }>`
      SELECT count(*) FILTER (WHERE fire_at <= ${now})::int AS due, (extract(epoch FROM min(fire_at) FILTER (WHERE fire_at > ${now})) * 1000)::float8 AS next_ms FROM (
        SELECT fire_at FROM timers WHERE fired_at IS NULL AND kind = ANY(${Object.keys(handlers)}::text[])
        ORDER BY fired_at, fire_at LIMIT ${max}) AS first_pending`;
    const due = row?.due ?? 0;
    if (due < max && row?.next_ms != null) this.wakeBy(row.next_ms);
    return due;
  }

  /**
   * Wakes the worker at `atMs` at the latest (epoch milliseconds): when the next pending timer is
   * due. A wake-up already set for earlier stays: it may be for a timer committed after a count's
   * snapshot (`notify`), and one for a timer since cancelled costs one look.
   */
  private wakeBy(atMs: number): void {
    if (this.stopping || (this.wakeUp && this.wakeUpAtMs <= atMs)) return;
    // Also when further off than the next poll: a round held open by a slow handler (an SMTP send)
    // does not poll, and a commit of a timer due later no longer looks. Capped at setTimeout's
    // range (about 24 days).
    const inMs = Math.min(Math.max(0, atMs - this.options.clock.now().getTime()), MAX_TIMEOUT_MS);
    clearTimeout(this.wakeUp);
    this.wakeUpAtMs = atMs;
    this.wakeUp = setTimeout(() => {
      this.wakeUp = undefined;
      // Early (past the cap, or by the event loop's cached time, which lags on a busy loop): wait
      // the rest, where a look would find nothing due.
      if (this.options.clock.now().getTime() < atMs) return this.wakeBy(atMs);
      this.notify();
    }, inMs);
    // A worker that is not started (a test calling fireDue) must not hold the process open.
    this.wakeUp.unref();
  }

  private async fireOne(): Promise<'fired' | 'failed' | 'none' | 'skipped'> {
    const { db, clock, handlers, log } = this.options;
    const now = clock.now();
    let picked: TimerRow | undefined;
    try {
      const result = await db.$transaction(
        async (tx) => {
          const sql = driverSqlOf(tx);
          // Picked and marked fired in one statement: the handler's work commits with the mark, and
          // a handler that fails rolls both back. A handler's rescheduling of its own (kind, key) is
          // written after this, at the commit (deferred-writes.ts): it stays pending, also when
          // moved to the very time it fired at.
          const [found] = await sql.query<TimerRecord>`
            WITH picked AS (
              SELECT id, kind, key, payload, fire_at, attempts, correlation_id, trace_headers FROM timers
              WHERE fired_at IS NULL AND fire_at <= ${now} AND kind = ANY(${Object.keys(handlers)}::text[]) AND id <> ALL(${[...this.failing]}::uuid[])
              ORDER BY fired_at, fire_at LIMIT 1 FOR UPDATE SKIP LOCKED
            ), fired AS (
              UPDATE timers t SET fired_at = ${now}, attempts = t.attempts + 1 FROM picked WHERE t.id = picked.id
            )
            SELECT id::text, kind, key, payload::text, (extract(epoch FROM fire_at) * 1000)::float8 AS fire_at_ms, attempts, correlation_id, trace_headers::text FROM picked`;
          if (!found) return 'none' as const;
          // Its handler failed in another lane a moment ago (see `failing`): not this lane's to
          // fire. Thrown, so that the rollback takes the mark back.
          if (this.failing.has(found.id)) throw new SkippedTimer();
          const row = timerRow(found);
          picked = row;
          const timer: DueTimer = { id: row.id, kind: row.kind, key: row.key, payload: row.payload, fireAt: row.fire_at, attempts: row.attempts };
          await runInFlow(timerFlow(row), () =>
            inSpan(
              `timer ${row.kind}`,
              {
                kind: SpanKind.INTERNAL,
                parent: extractTraceContext({ get: (key) => row.trace_headers?.[key], set: () => {} }),
                attributes: { 'platform.timer.kind': row.kind, 'platform.timer.key': row.key, 'platform.timer.id': row.id },
              },
              () => handlers[row.kind]!(timer, tx, now),
            ),
          ).catch((error: unknown) => {
            // Before the rollback releases the row (see `failing`).
            this.failing.add(row.id);
            throw error;
          });
          crashpoint(`timers:${row.kind}:before-commit`);
          return 'fired' as const;
        },
        { timeout: 60_000, maxWait: 10_000 },
      );
      if (result === 'fired') {
        this.options.metrics?.timerFireDelay.observe({ kind: picked!.kind }, Math.max(0, now.getTime() - picked!.fire_at.getTime()) / 1000);
        runInFlow(timerFlow(picked!), () => log.info('timer fired'));
      }
      return result;
    } catch (error) {
      if (error instanceof SkippedTimer) return 'skipped';
      if (!picked) throw error;
      this.failing.add(picked.id);
      try {
        return await this.recordFailure(picked, now, error);
      } finally {
        this.failing.delete(picked.id);
      }
    }
  }

  /** Counts the failed attempt and moves the timer to its backoff. */
  private async recordFailure(picked: TimerRow, now: Date, error: unknown): Promise<'failed'> {
    const { log } = this.options;
    const attempts = picked.attempts + 1;
    const retryAt = new Date(now.getTime() + Math.min(1_000 * 2 ** attempts, 5 * 60_000));
    runInFlow(timerFlow(picked), () => log.warn({ err: error, attempts, retryAt, transient: isTransient(error) }, 'timer failed; will retry'));
    await this.sql.execute`
      UPDATE timers SET attempts = ${attempts}, last_error = ${String((error as Error)?.message ?? error).slice(0, 2000)}, fire_at = ${retryAt}
      WHERE id = ${picked.id}::uuid AND fired_at IS NULL`;
    this.wakeBy(retryAt.getTime());
    return 'failed';
  }

  /** The timers due and not fired (this worker's kinds), and how long the longest-waiting one has been due (0 when none). */
  async lag(): Promise<{ due: number; oldestDueSeconds: number }> {
    const { clock, handlers } = this.options;
    const now = clock.now();
    const [lag] = await this.sql.query<{ due: number; oldest_ms: number | null }>`
      SELECT count(*)::int AS due, (extract(epoch FROM min(fire_at)) * 1000)::float8 AS oldest_ms FROM timers
      WHERE fired_at IS NULL AND fire_at <= ${now} AND kind = ANY(${Object.keys(handlers)}::text[])`;
    return { due: lag?.due ?? 0, oldestDueSeconds: lag?.oldest_ms != null ? Math.max(0, (now.getTime() - lag.oldest_ms) / 1000) : 0 };
  }

  private async reportLag(): Promise<void> {
    const { metrics } = this.options;
    const now = Date.now();
    if (!metrics || now - this.lastLagReport < 5_000) return;
    this.lastLagReport = now;
    const lag = await this.lag();
    metrics.timersDue.set(lag.due);
    metrics.timersOldestDueSeconds.set(lag.oldestDueSeconds);
  }

  private async round(notified: boolean): Promise<RoundResult> {
    let result: RoundResult;
    try {
      // Woken by notices that came during the last round, each answered there by a look after it
      // (which its lane then fired): a count now would find nothing due. The polls still look.
      const answered = notified && !this.noticed && !this.lookAgain;
      const { fired, moreMayBeDue } = answered ? { fired: 0, moreMayBeDue: false } : await this.fireRound(TIMERS_PER_ROUND);
      this.lookAgain = moreMayBeDue;
      await this.housekeeping();
      this.failures = 0;
      // Look again at once only when the round may have left due timers. Those committed
      // meanwhile notify the worker, and the next one to come due has its wake-up.
      result = { pauseMs: fired > 0 && moreMayBeDue ? 0 : this.pollIntervalMs };
    } catch (error) {
      this.failures += 1;
      this.lookAgain = true;
      this.options.log.warn({ err: error }, 'timer worker failed; will retry');
      result = { pauseMs: Math.min(250 * 2 ** this.failures, 10_000), backoff: true };
    }
    // Also while failing: that is when the lag matters.
    await this.reportLag().catch((error: unknown) => this.options.log.warn({ err: error }, 'timer lag not measured'));
    return result;
  }

  private async housekeeping(): Promise<void> {
    const now = Date.now();
    if (now - this.lastHousekeeping < 60_000) return;
    this.lastHousekeeping = now;
    const retentionMs = this.options.retentionMs ?? 30 * 24 * 60 * 60 * 1000;
    await this.sql.execute`
      DELETE FROM timers WHERE fired_at < now() - make_interval(secs => ${retentionMs / 1000})`;
  }
}
