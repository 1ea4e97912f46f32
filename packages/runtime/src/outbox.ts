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
  noteWritten(tx, 'events');
}

interface OutboxRow {
  id: string;
  envelope: Envelope;
  trace_headers: Record<string, string>;
}

export interface OutboxRelayOptions {
  db: TransactionalSqlClient;
  js: JetStreamClient;
  log: Logger;
  metrics: Metrics;
  batchSize?: number;
  /** Fallback poll when no local commit woke the relay (another replica wrote, or a wake-up was missed). */
  pollIntervalMs?: number;
}

/** Advisory lock key of the relay (each service has its own database, so one key serves all). */
export const OUTBOX_RELAY_LOCK = 7_200_100_001n;

/**
 * Publishes committed outbox rows to JetStream in insertion order and deletes what JetStream
 * acknowledged: the stream keeps the event (90 days, for replay), so every row left in
 * `outbox_events` is still to be published. One replica relays at a time (a transaction-scoped
 * advisory lock; the others find it taken and wait for the next round).
 */
export class OutboxRelay {
  private readonly loop = new BackgroundLoop((notified) => this.round(notified));
  private failures = 0;
  private lastLagReport = 0;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;

  /** The relay's statements and transactions (driver-sql.ts). */
  private readonly sql: DriverDatabase;

  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? 200;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.sql = driverDatabaseOf(options.db);
  }

  start(): void {
    this.loop.start();
  }

  /** Call after committing a transaction that recorded events: publishes without waiting for the poll. */
  notify(): void {
    this.loop.notify();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /**
   * Publishes one batch and deletes what JetStream acknowledged. A row that failed stays and is
   * retried with the next batch; it does not hold back the others.
   */
  async relayBatch(): Promise<{ published: number; failed: number }> {
    const { js, metrics, log } = this.options;
    const { sent, failed } = await this.sql.transaction(async (tx) => {
      // One relay per database at a time: replicas publishing batches side by side could
      // put a later event of an order on the stream before an earlier one. The lock is taken
      // in the statement that reads the batch (once: a CTE with a volatile function is
      // evaluated once); without it, no rows.
      const rows = (
        await tx.query<{ id: string; envelope: string; trace_headers: string }>`
          WITH relay AS (SELECT pg_try_advisory_xact_lock(${OUTBOX_RELAY_LOCK}::bigint) AS locked)
          SELECT o.id::text, o.envelope::text, o.trace_headers::text FROM relay, outbox_events o
          WHERE relay.locked ORDER BY o.seq LIMIT ${this.batchSize}`
      ).map((row): OutboxRow => ({ id: row.id, envelope: JSON.parse(row.envelope) as Envelope, trace_headers: JSON.parse(row.trace_headers) as Record<string, string> }));
      if (rows.length === 0) return { sent: [], failed: 0 };
      // Pipelined on one connection: JetStream stores them in send order.
      const outcomes = await Promise.allSettled(rows.map((row) => publishEnvelope(js, row.envelope, row.trace_headers)));
      const sent = rows.filter((_, index) => outcomes[index]!.status === 'fulfilled');
      const failures = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      if (failures.length > 0) {
        log.warn({ err: failures[0]!.reason, failed: failures.length, published: sent.length }, 'outbox events not published; will retry');
      }
      crashpoint('outbox:after-publish');
      // A crash before this commits leaves the rows, and the next round publishes them again
      // with the same Nats-Msg-Id: the stream drops a repeat within its duplicate window
      // (2 hours, packages/contracts/src/streams.ts), far longer than a restart takes.
      if (sent.length > 0) {
        await tx.execute`DELETE FROM outbox_events WHERE id = ANY(${sent.map((r) => r.id)}::uuid[])`;
      }
      return { sent, failed: failures.length };
    });
    for (const row of sent) metrics.outboxPublished.inc({ type: row.envelope.type });
    return { published: sent.length, failed };
  }

  /** One statement outside a transaction: whether any event is waiting. */
  private async anyPending(): Promise<boolean> {
    const [row] = await this.sql.query<{ pending: boolean }>`SELECT EXISTS (SELECT 1 FROM outbox_events) AS pending`;
    return row?.pending ?? false;
  }

  private async round(notified: boolean): Promise<RoundResult> {
    let published = 0;
    try {
      // A poll (no commit of this process woke it) mostly finds nothing: one statement says so,
      // where the batch's transaction costs three round trips and a pooled connection held for them.
      if (notified || this.failures > 0 || (await this.anyPending())) {
        const batch = await this.relayBatch();
        published = batch.published;
        this.failures = batch.failed > 0 ? this.failures + 1 : 0;
      }
    } catch (error) {
      this.failures += 1;
      this.options.log.warn({ err: error }, 'outbox relay failed; will retry');
    }
    // Also while failing: that is when the lag metrics matter.
    await this.reportLag().catch((error) => this.options.log.warn({ err: error }, 'outbox lag not measured'));
    if (this.failures > 0) return { pauseMs: Math.min(250 * 2 ** this.failures, 10_000), backoff: true };
    // A full batch: more may be waiting, go again at once.
    return { pauseMs: published < this.batchSize ? this.pollIntervalMs : 0 };
  }

  /** Events committed and not yet published (every row left), and how long the oldest has waited (0 when none). */
  async lag(): Promise<{ pending: number; oldestPendingSeconds: number }> {
    const [lag] = await this.sql.query<{ pending: number; oldest: number | null }>`
      SELECT count(*)::int AS pending, extract(epoch FROM now() - min(created_at))::float8 AS oldest FROM outbox_events`;
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
