import { randomUUID } from 'node:crypto';
import type { Envelope, EventData, EventDefinition } from '@platform/contracts';
import { currentFlow } from './context';
import { crashpoint } from './crashpoint';
import { BackgroundLoop, type RoundResult } from './background-loop';
import { DomainError } from '@platform/contracts/errors';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import { type JetStreamClient, publishEnvelope } from './nats';
import { traceHeaders } from './telemetry';
import { writeDeferred } from './deferred-writes';
import type { DriverDatabase } from './driver-sql';
import { type DeferredEvent, deferEvents, driverDatabaseOf, driverSqlOf, noteWritten } from './transaction-scope';

/**
 * The slice of a Prisma client (or interactive transaction) the platform's shared SQL needs.
 * Every service schema maps `outbox_events` and `processed_events` the same way.
 */
export interface SqlClient {
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<number>;
  $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<T>;
}
export interface TransactionalSqlClient<Tx extends SqlClient = SqlClient> extends SqlClient {
  $transaction<R>(fn: (tx: Tx) => Promise<R>, options?: { timeout?: number; maxWait?: number }): Promise<R>;
}

/** Well under NATS' default 1 MiB max_payload, leaving room for headers. */
export const MAX_EVENT_BYTES = 512 * 1024;

/** Builds an envelope for `definition`, inheriting correlation and causation from the current flow. */
export function newEvent<D extends EventDefinition>(
  definition: D,
  input: { aggregateId: string; source: string; data: EventData<D>; occurredAt?: Date },
): Envelope<D['type'], EventData<D>> {
  const id = randomUUID();
  const flow = currentFlow();
  return {
    id,
    type: definition.type,
    version: definition.version,
    occurredAt: (input.occurredAt ?? new Date()).toISOString(),
    aggregateId: input.aggregateId,
    correlationId: flow?.correlationId ?? id,
    causationId: flow?.causationId ?? null,
    source: input.source,
    data: definition.data.parse(input.data) as EventData<D>,
  };
}

/**
 * Writes the event in the caller's transaction, beside the state change it describes.
 * Nothing is published here: the relay does that after commit (no dual write).
 */
export function recordEvent(tx: SqlClient, envelope: Envelope): Promise<void> {
  return recordEvents(tx, [envelope]);
}

/**
 * Writes events in the caller's transaction, in the given order (their outbox `seq` follows it).
 * In a transaction of a service's client (`createPrismaClient`) they wait for the statement that
 * writes all its events just before the commit: a use case or handler that records events in
 * several steps (a timeline entry, a status change, a sub-order's) pays one round trip. The size
 * check happens here, at the call.
 */
export async function recordEvents(tx: SqlClient, envelopes: readonly Envelope[]): Promise<void> {
  if (envelopes.length === 0) return;
  // Each keeps the trace context it was recorded in: the write happens later, outside the handler's span.
  const trace = JSON.stringify(traceHeaders());
  const events = envelopes.map((envelope): DeferredEvent => {
    const json = JSON.stringify(envelope);
    if (Buffer.byteLength(json) > MAX_EVENT_BYTES) {
      // Refused here, in the caller's transaction, rather than wedging the relay later.
      throw new DomainError('unprocessable', 'EVENT_TOO_LARGE', `${envelope.type} would exceed ${MAX_EVENT_BYTES} bytes`);
    }
    return { id: envelope.id, type: envelope.type, aggregateId: envelope.aggregateId, json, traceHeaders: trace };
  });
  if (!deferEvents(tx, events)) await writeDeferred(driverSqlOf(tx), events, []);
  noteWritten(tx, { events: true });
}

/** A relay read's row; the last read's step that lets the lock go adds one with no event. */
type OutboxRead = { id: string | null; envelope: string; trace_headers: string };

interface OutboxRow {
  id: string;
  envelope: Envelope;
  trace_headers: Record<string, string>;
}

export interface OutboxRelayOptions {
  /** A client of its own, of one connection (`createPrismaClient(…, { poolSize: 1 })`): the relay's lock is its session's. */
  db: TransactionalSqlClient;
  js: JetStreamClient;
  log: Logger;
  metrics: Metrics;
  batchSize?: number;
  /** Fallback poll when no local commit woke the relay (another replica wrote, or a wake-up was missed). */
  pollIntervalMs?: number;
  /** How long it keeps its lock and last batch for the next commit (default `LINGER_MS`). */
  lingerMs?: number;
}

/**
 * How long a relay with nothing more to do keeps its lock and its last batch's rows, for the next
 * commit's read to delete them; letting go at once costs a statement per batch whenever commits
 * come one by one (docs/performance.md, fourteenth round).
 */
const LINGER_MS = 50;

/** Advisory lock key of the relay (each service has its own database, so one key serves all). */
export const OUTBOX_RELAY_LOCK = 7_200_100_001n;

/**
 * Publishes committed outbox rows to JetStream in insertion order and deletes what JetStream
 * acknowledged: the stream keeps the event (90 days, for replay), so every row left in
 * `outbox_events` is still to be published. One replica relays at a time: each read takes the
 * relay's advisory lock on the relay's connection (the others find it taken), and the lock is let
 * go by a read that finds nothing left, `LINGER_MS` after its last batch when no commit of its
 * own came meanwhile (or, without a read, by a failure or the relay's stop). So a replica whose
 * read found the lock taken can mostly leave its events to the holder, whose last read comes
 * after that miss; it reads once more itself after `LINGER_MS`, for the holder's read that ran at
 * the very moment of the miss and could not see them, and the poll is left for the rest
 * (docs/performance.md, twenty-second round).
 *
 * A batch is no transaction: a crash between its publishes and its delete leaves the rows, and
 * the next read publishes them again with the same Nats-Msg-Id, which the stream drops within its
 * duplicate window (2 hours, packages/contracts/src/streams.ts), far longer than a restart takes.
 * So a busy relay waits for two turns of its service's event loop per batch (the read, which
 * also deletes the previous batch, and the publishes) where a batch in a transaction took five
 * (BEGIN, the read, the publishes, the delete, COMMIT; docs/performance.md, thirteenth round).
 */
export class OutboxRelay {
  private readonly loop = new BackgroundLoop((notified) => this.round(notified));
  private failures = 0;
  private lastLagReport = 0;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly lingerMs: number;
  /** Rows JetStream acknowledged and not deleted yet: the next read or `settle` deletes them. */
  private published: string[] = [];
  /**
   * The relay holds its lock and last batch, or its read found nothing or another replica's lock:
   * the next round reads even if no commit wakes it, and the `last` read lets go (`LINGER_MS`).
   */
  private lingering = false;

  /** The relay's statements (driver-sql.ts). */
  private readonly sql: DriverDatabase;

  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? 200;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.lingerMs = options.lingerMs ?? LINGER_MS;
    this.sql = driverDatabaseOf(options.db);
    // Its lock is its session's: on a pool of several, a statement could let go of a lock another
    // connection holds, and leave it held.
    if (this.sql.connections !== 1) throw new Error(`The outbox relay needs a database client of one connection, not ${this.sql.connections}`);
  }

  start(): void {
    this.loop.start();
  }

  /** Call after committing a transaction that recorded events: publishes without waiting for the poll. */
  notify(): void {
    this.loop.notify();
  }

  /** Ends after the round in progress, deleting what it published. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await this.settle().catch((error) => this.options.log.warn({ err: error }, 'published outbox rows not deleted; they will be published again'));
  }

  /**
   * Publishes one batch, deletes what JetStream acknowledged and lets the lock go. A row that
   * failed stays and is retried with the next batch; it does not hold back the others.
   */
  async relayBatch(): Promise<{ published: number; failed: number }> {
    const { published, failed } = await this.publishBatch();
    await this.settle();
    return { published, failed };
  }

  /**
   * Reads a batch under the relay's lock, deleting the rows the previous batch published in the
   * same statement, and publishes it. What JetStream acknowledged is deleted by the next read or
   * by `settle`. The `last` read before the relay would go idle also lets the lock go when it
   * finds nothing.
   */
  private async publishBatch(last = false): Promise<{ published: number; failed: number; full: boolean }> {
    const { js, metrics, log } = this.options;
    const done = this.published;
    // One relay per database at a time: replicas publishing batches side by side could put a
    // later event of an order on the stream before an earlier one. The lock is taken in the
    // statement that reads (once: a CTE with a volatile function is evaluated once); without it,
    // no rows. It is a session lock, so it holds across the publishes and, while the relay goes
    // again at once, across batches; taken again by a session that holds it, it just counts up.
    // The delete's rows are still visible to the statement's own read, hence the exclusion.
    const read = last
      ? // Lets go of every hold when it finds nothing (the row of no event is that step's). The
        // batch is read once: a probe of the table besides it scanned the dead rows a burst leaves.
        await this.sql.query<OutboxRead>`
          WITH gone AS (DELETE FROM outbox_events WHERE id = ANY(${done}::uuid[])),
               relay AS (SELECT pg_try_advisory_lock(${OUTBOX_RELAY_LOCK}::bigint) AS locked),
               batch AS (SELECT o.seq, o.id, o.envelope, o.trace_headers FROM relay, outbox_events o
                         WHERE relay.locked AND o.id <> ALL(${done}::uuid[]) ORDER BY o.seq LIMIT ${this.batchSize}),
               released AS (SELECT pg_advisory_unlock_all() FROM relay WHERE NOT EXISTS (SELECT 1 FROM batch))
          (SELECT b.id::text, b.envelope::text, b.trace_headers::text FROM batch b ORDER BY b.seq)
          UNION ALL
          SELECT NULL, NULL, NULL FROM released`
      : await this.sql.query<OutboxRead>`
          WITH gone AS (DELETE FROM outbox_events WHERE id = ANY(${done}::uuid[])),
               relay AS (SELECT pg_try_advisory_lock(${OUTBOX_RELAY_LOCK}::bigint) AS locked)
          SELECT o.id::text, o.envelope::text, o.trace_headers::text FROM relay, outbox_events o
          WHERE relay.locked AND o.id <> ALL(${done}::uuid[]) ORDER BY o.seq LIMIT ${this.batchSize}`;
    this.published = [];
    const rows = read
      .filter((row) => row.id !== null)
      .map((row): OutboxRow => ({ id: row.id!, envelope: JSON.parse(row.envelope) as Envelope, trace_headers: JSON.parse(row.trace_headers) as Record<string, string> }));
    if (rows.length === 0) return { published: 0, failed: 0, full: false };
    // Pipelined on one connection: JetStream stores them in send order.
    const outcomes = await Promise.allSettled(rows.map((row) => publishEnvelope(js, row.envelope, row.trace_headers)));
    const sent = rows.filter((_, index) => outcomes[index]!.status === 'fulfilled');
    const failures = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failures.length > 0) {
      log.warn({ err: failures[0]!.reason, failed: failures.length, published: sent.length }, 'outbox events not published; will retry');
    }
    crashpoint('outbox:after-publish');
    this.published = sent.map((row) => row.id);
    for (const row of sent) metrics.outboxPublished.inc({ type: row.envelope.type });
    return { published: sent.length, failed: failures.length, full: rows.length === this.batchSize };
  }

  /** Deletes what was published and lets the lock go (every hold of it), so another replica may relay. */
  private async settle(): Promise<void> {
    const done = this.published;
    await this.sql.execute`WITH gone AS (DELETE FROM outbox_events WHERE id = ANY(${done}::uuid[])) SELECT pg_advisory_unlock_all()`;
    this.published = [];
  }

  /** One statement outside a transaction: whether any event is waiting. */
  private async anyPending(): Promise<boolean> {
    const [row] = await this.sql.query<{ pending: boolean }>`SELECT EXISTS (SELECT 1 FROM outbox_events) AS pending`;
    return row?.pending ?? false;
  }

  private async round(notified: boolean): Promise<RoundResult> {
    let full = false;
    const lingered = this.lingering;
    this.lingering = false;
    try {
      // A poll (nothing asked for a read) mostly finds nothing: one statement says so, without the lock.
      if (notified || lingered || this.failures > 0 || (await this.anyPending())) {
        // No commit came while the relay lingered: its last read, which lets the lock go unless
        // it finds more (another replica's events, committed while this one held the lock).
        const last = lingered && !notified;
        const batch = await this.publishBatch(last);
        full = batch.full;
        this.failures = batch.failed > 0 ? this.failures + 1 : 0;
        // After a batch the relay reads again, and that read deletes the batch: at once when it
        // was full or a commit came meanwhile, else after `LINGER_MS` (the lock and batch kept for
        // the next commit's read meanwhile). A read that found nothing may have found another
        // replica's lock: the holder's last read comes after it, but the one running at that very
        // moment could not see this replica's events, so the last read after `LINGER_MS` is its own
        // look again. A failed batch lets the lock go now.
        const letGo = last && batch.published === 0; // found nothing (and let go) or found the lock taken again
        if (batch.failed > 0) await this.settle();
        else if (!(full || this.loop.notifiedDuringRound || letGo)) this.lingering = true;
      }
    } catch (error) {
      this.failures += 1;
      this.options.log.warn({ err: error }, 'outbox relay failed; will retry');
      // Another replica may relay while this one backs off (a lost connection took the lock already).
      await this.settle().catch(() => undefined);
    }
    // Also while failing: that is when the lag metrics matter.
    await this.reportLag().catch((error) => this.options.log.warn({ err: error }, 'outbox lag not measured'));
    if (this.failures > 0) return { pauseMs: Math.min(250 * 2 ** this.failures, 10_000), backoff: true };
    // A full batch: more may be waiting, go again at once.
    return { pauseMs: full ? 0 : this.lingering ? this.lingerMs : this.pollIntervalMs };
  }

  /**
   * Events committed and not yet published, and how long the oldest has waited (0 when none): the
   * rows left but those this relay published and has yet to delete.
   */
  async lag(): Promise<{ pending: number; oldestPendingSeconds: number }> {
    const [lag] = await this.sql.query<{ pending: number; oldest: number | null }>`
      SELECT count(*)::int AS pending, extract(epoch FROM now() - min(created_at))::float8 AS oldest FROM outbox_events
      WHERE id <> ALL(${this.published}::uuid[])`;
    return { pending: lag?.pending ?? 0, oldestPendingSeconds: lag?.oldest ?? 0 };
  }

  /** The lag metrics, at most every few seconds. */
  private async reportLag(): Promise<void> {
    const now = Date.now();
    if (now - this.lastLagReport < 5_000) return;
    this.lastLagReport = now;
    const lag = await this.lag();
    this.options.metrics.outboxPending.set(lag.pending);
    this.options.metrics.outboxOldestPendingSeconds.set(lag.oldestPendingSeconds);
  }
}
