import { randomUUID } from 'node:crypto';
import type { Envelope, EventData, EventDefinition } from '@platform/contracts';
import { currentFlow } from './context';
import { crashpoint } from './crashpoint';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import { type JetStreamClient, publishEnvelope, traceHeaders } from './nats';

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
export async function recordEvent(tx: SqlClient, envelope: Envelope): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO outbox_events (id, type, aggregate_id, envelope, trace_headers)
    VALUES (${envelope.id}::uuid, ${envelope.type}, ${envelope.aggregateId}, ${JSON.stringify(envelope)}::jsonb,
            ${JSON.stringify(traceHeaders())}::jsonb)`;
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
  /** Published rows are kept this long for inspection, then deleted. */
  retentionMs?: number;
}

/**
 * Publishes committed outbox rows to JetStream in commit order. Rows are claimed with
 * `FOR UPDATE SKIP LOCKED`, so replicas share the work; a crash between publish and
 * marking re-publishes the same `Nats-Msg-Id`, which JetStream drops as a duplicate.
 */
export class OutboxRelay {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Set by notify(); a wake-up that arrives mid-batch is not lost. */
  private dirty = false;
  private lastHousekeeping = 0;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly retentionMs: number;

  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? 200;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.retentionMs = options.retentionMs ?? 24 * 60 * 60 * 1000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Call after committing a transaction that recorded events: publishes without waiting for the poll. */
  notify(): void {
    this.dirty = true;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Publishes one batch; returns how many rows it published. */
  async relayBatch(): Promise<number> {
    const { db, js, metrics } = this.options;
    return db.$transaction(
      async (tx) => {
        const rows = await tx.$queryRaw<OutboxRow[]>`
          SELECT id, envelope, trace_headers FROM outbox_events
          WHERE published_at IS NULL ORDER BY seq LIMIT ${this.batchSize}
          FOR UPDATE SKIP LOCKED`;
        if (rows.length === 0) return 0;
        // Pipelined on one connection: JetStream stores them in send order.
        await Promise.all(rows.map((row) => publishEnvelope(js, row.envelope, row.trace_headers)));
        crashpoint('outbox:after-publish');
        await tx.$executeRaw`
          UPDATE outbox_events SET published_at = now() WHERE id = ANY(${rows.map((r) => r.id)}::uuid[])`;
        for (const row of rows) metrics.outboxPublished.inc({ type: row.envelope.type });
        return rows.length;
      },
      { timeout: 30_000, maxWait: 10_000 },
    );
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        this.dirty = false;
        const published = await this.relayBatch();
        failures = 0;
        await this.housekeeping();
        if (published < this.batchSize && !this.dirty) await this.sleep(this.pollIntervalMs);
      } catch (error) {
        failures += 1;
        const delay = Math.min(250 * 2 ** failures, 10_000);
        this.options.log.warn({ err: error, retryInMs: delay }, 'outbox relay failed; will retry');
        await this.sleep(delay);
      }
    }
  }

  /** Lag metrics and the retention sweep, at most every few seconds. */
  private async housekeeping(): Promise<void> {
    const now = Date.now();
    if (now - this.lastHousekeeping < 5_000) return;
    this.lastHousekeeping = now;
    const { db, metrics } = this.options;
    const [lag] = await db.$queryRaw<{ pending: bigint; oldest: number | null }[]>`
      SELECT count(*) AS pending, extract(epoch FROM now() - min(created_at))::float8 AS oldest
      FROM outbox_events WHERE published_at IS NULL`;
    metrics.outboxPending.set(Number(lag?.pending ?? 0));
    metrics.outboxOldestPendingSeconds.set(lag?.oldest ?? 0);
    await db.$executeRaw`
      DELETE FROM outbox_events WHERE published_at < now() - make_interval(secs => ${this.retentionMs / 1000})`;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
