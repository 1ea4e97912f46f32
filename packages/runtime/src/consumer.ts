import { setTimeout as sleep } from 'node:timers/promises';
import { SpanKind } from '@opentelemetry/api';
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { headers, type MsgHdrs } from '@nats-io/transport-node';
import { narrowestFilter } from '@platform/contracts/consumers';
import { deadLetterSubject, type Envelope, type EventDefinition, type EventOf, parseEvent, type ParseResult } from '@platform/contracts';
import { currentFlow, type FlowContext, runInFlow } from './context';
import { crashpoint } from './crashpoint';
import type { ConsumerLease } from './consumer-lease';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import { driverSqlOf } from './transaction-scope';
import { EVENT_HEADERS, isNotFound, type JetStreamClient, type JetStreamManager, provisionConsumer } from './nats';
import type { SqlClient, TransactionalSqlClient } from './outbox';
import { DomainError, isTransient } from '@platform/contracts/errors';
import { extractTraceContext, inSpan } from './telemetry';

/** Runs inside the transaction that also records the event as processed: effects and dedupe commit together. */
export type EventHandler<Tx> = (event: Envelope, tx: Tx) => Promise<void>;

export interface Subscription<Tx> {
  type: string;
  /** The version of the event its handler reads (its definition's): another version's data has another shape. */
  version: number;
  handle: EventHandler<Tx>;
  /** The aggregate version the event brings: an event older than one applied is skipped. */
  versionOf?: (event: Envelope) => number;
}

/**
 * Binds a handler to one event definition, typing the event it receives. `version`: for an
 * event carrying the aggregate's whole state at a version (`orders.order.modified`), that
 * version; the handler then runs only when it is newer than every version this consumer
 * applied for the aggregate, so an older one arriving late (a retry, another replica) changes
 * nothing and is acknowledged (outcome `stale`).
 */
export function on<D extends EventDefinition, Tx>(
  definition: D,
  handle: (event: EventOf<D>, tx: Tx) => Promise<void>,
  options: { version?: (event: EventOf<D>) => number } = {},
): Subscription<Tx> {
  return {
    type: definition.type,
    version: definition.version,
    handle: handle as EventHandler<Tx>,
    ...(options.version && { versionOf: options.version as (event: Envelope) => number }),
  };
}

export const DEAD_LETTER_HEADERS = {
  reason: 'Platform-Dead-Letter-Reason',
  consumer: 'Platform-Dead-Letter-Consumer',
  stream: 'Platform-Original-Stream',
  subject: 'Platform-Original-Subject',
  sequence: 'Platform-Original-Sequence',
  deliveries: 'Platform-Deliveries',
} as const;

export interface ConsumerOptions<Tx extends SqlClient> {
  /** Durable name, `<service>--<purpose>`. */
  name: string;
  stream: string;
  /**
   * What the server delivers; by default the narrowest subject covering the subscriptions'
   * events (`narrowestFilter`). A test reading its own stream's subjects names its own.
   */
  filterSubject?: string;
  /**
   * One per type and version handled. Events of other types are acknowledged and skipped; one of
   * a type handled but of a version without a subscription is dead-lettered.
   */
  subscriptions: Subscription<Tx>[];
  /** A client made by `createPrismaClient`: its transaction scope writes the handler's events and wakes the workers. */
  db: TransactionalSqlClient<Tx>;
  js: JetStreamClient;
  jsm: JetStreamManager;
  log: Logger;
  metrics: Metrics;
  maxDeliver?: number;
  ackWaitMs?: number;
  /** With replicas: only the lease holder pulls (one active consumer per durable, docs/ordering.md). */
  lease?: ConsumerLease;
  /** Delay before redelivery after the n-th failed attempt (last value repeats). */
  backoffMs?: readonly number[];
  /** How long a handler transaction may run. */
  transactionTimeoutMs?: number;
  /**
   * Messages handled at once (default 1: the whole stream in order). Above 1, events of one
   * aggregate (the same `aggregateId`, e.g. one order) are still handled one after another in
   * stream order; only different aggregates run side by side. One at a time, a consumer's pace
   * is one handler's latency and falls behind intake on a busy machine: the services' order
   * consumers use ORDERS_AT_ONCE.
   */
  concurrency?: number;
  /**
   * Events applied in one transaction when several are at hand (default 1): one BEGIN/COMMIT,
   * one statement for their `processed_events` claims, one outbox insert and one relay wake-up
   * for all. Only for handlers that write nothing but their own service's database and lock no
   * rows but their own aggregate's (a batch takes its aggregates in the order of their ids), or
   * shared rows only in one fixed order at the transaction's end: a batch that fails is rolled
   * back and its events applied one by one as usual (so a handler may run twice, the first time
   * rolled back).
   */
  batch?: number;
}

/**
 * Records `version` as the newest applied for the aggregate, unless one as new or newer is
 * there: false means the event is stale. The row's lock also makes a second replica handling
 * the same aggregate at once wait for the first's commit, then compare.
 */
async function claimVersion(tx: SqlClient, consumer: string, aggregateId: string, version: number): Promise<boolean> {
  const claimed = await driverSqlOf(tx).execute`
    INSERT INTO applied_versions (consumer, aggregate_id, version) VALUES (${consumer}, ${aggregateId}, ${version})
    ON CONFLICT (consumer, aggregate_id) DO UPDATE SET version = EXCLUDED.version, applied_at = now()
    WHERE applied_versions.version < EXCLUDED.version`;
  return claimed > 0;
}

/** The versions of a type a consumer reads, for messages: `v1, v2`. */
const readVersions = (versions: ReadonlyMap<number, unknown>) => [...versions.keys()].sort((a, b) => a - b).map((version) => `v${version}`).join(', ');

/** What applying a delivered event came to. */
type Outcome = 'processed' | 'duplicate' | 'stale';

/** A delivered event this consumer handles. */
interface Applicable<Tx> {
  msg: JsMsg;
  event: Envelope;
  subscription: Subscription<Tx>;
}

/** How long one pull request waits on the server (see `run`). */
const PULL_EXPIRES_MS = 5_000;

/**
 * Orders a service's order consumers handle side by side (each order's events still in stream
 * order). On a busy machine a handling spends most of its time waiting for round trips: at 4,
 * notifications' consumers kept 0.93x of 10 orders/s on 2 cores; at 8, 1.00x (docs/performance.md).
 */
export const ORDERS_AT_ONCE = 8;

/** Events a batching consumer (`batch`) applies in one transaction at most. */
export const EVENTS_PER_TRANSACTION = 8;

/**
 * A durable pull consumer with explicit acks, exactly-once effects through a
 * `processed_events` row committed with the handler's writes, bounded redelivery with
 * backoff, and a dead letter (never a crash) for poison messages.
 */
export class EventConsumer<Tx extends SqlClient = SqlClient> {
  private running = false;
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private readonly maxDeliver: number;
  /**
   * The handler's own failures per message still being retried (by stream sequence). Kept in
   * memory: after a restart a message gets `maxDeliver` fresh tries, never fewer.
   */
  private readonly failures = new Map<number, number>();
  private readonly backoffMs: readonly number[];
  /** By event type, then version: a type's versions differ in shape, so each has its own handler or none. */
  private readonly handlers = new Map<string, Map<number, Subscription<Tx>>>();
  private readonly concurrency: number;
  /** Handlings not yet settled: deliveries and operators' retries alike. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Per aggregate, the last handling started: the next one of that aggregate waits for it. */
  private readonly lastOf = new Map<string, Promise<void>>();
  private readonly batchSize: number;
  /** Handled events at hand, applied together once the deliveries already received are in (`batch`). */
  private readonly gathered: Applicable<Tx>[] = [];
  private gathering: NodeJS.Immediate | undefined;

  constructor(private readonly options: ConsumerOptions<Tx>) {
    for (const subscription of options.subscriptions) {
      const versions = this.handlers.get(subscription.type) ?? new Map<number, Subscription<Tx>>();
      if (versions.has(subscription.version)) throw new Error(`consumer ${options.name} subscribes twice to ${subscription.type} v${subscription.version}`);
      versions.set(subscription.version, subscription);
      this.handlers.set(subscription.type, versions);
    }
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.batchSize = Math.max(1, options.batch ?? 1);
    this.maxDeliver = options.maxDeliver ?? 8;
    this.backoffMs = options.backoffMs ?? [1_000, 5_000, 15_000, 30_000, 60_000];
  }

  /** The durable's name and stream. */
  get durable(): { name: string; stream: string } {
    return { name: this.options.name, stream: this.options.stream };
  }

  /** With replicas, the lease that picks the one replica running this consumer. */
  get lease(): ConsumerLease | undefined {
    return this.options.lease;
  }

  async start(): Promise<void> {
    await this.provision();
    this.running = true;
    this.loop = this.run();
  }

  private async provision(): Promise<void> {
    const { jsm, stream, name, filterSubject, subscriptions } = this.options;
    await provisionConsumer(jsm, {
      stream,
      durable: name,
      // An existing durable's filter is updated in place (NATS 2.9 allows it): its position stays.
      filterSubject: filterSubject ?? narrowestFilter(subscriptions.map((subscription) => subscription.type)),
      ackWaitMs: this.options.ackWaitMs ?? 30_000,
      // Unlimited on the server: this runner decides when to dead-letter, so a message is never
      // dropped silently because its last delivery died before reaching the dead-letter publish.
      maxDeliver: -1,
    });
  }

  /** Stops pulling, lets the message in hand finish (and ack), then returns; gives the lease up. */
  async stop(): Promise<void> {
    this.running = false;
    await this.messages?.close();
    await this.loop;
    await this.options.lease?.release();
  }

  /** Whether to take messages: running and, with a lease, neither losing it nor handing it back. */
  private get pulling(): boolean {
    return this.running && (this.options.lease?.keep ?? true);
  }

  private async run(): Promise<void> {
    const { js, stream, name, log, metrics } = this.options;
    while (this.running) {
      // A lease lost mid-way (its database connection failed) or asked back (more replicas) stops
      // this pull; the loop then waits for it again. One asked back is unlocked by `acquire`, after
      // this iteration settled its messages: the next holder never runs beside this one.
      const close = () => void this.messages?.close();
      if (this.options.lease && !(await this.options.lease.acquire(() => this.running, { lost: close, handBack: close }))) break;
      try {
        const consumer = await js.consumers.get(stream, name);
        // A small prefetch: a buffered message's ack wait is already running.
        // Pulls that expire after 5 s (heartbeats every 2.5 s), not the client's default 30 s: on a
        // cluster whose node holding this consumer's leader dies, the pull waiting there is lost,
        // and the next one reaches the new leader within seconds instead of half a minute.
        const messages = await consumer.consume({ max_messages: this.concurrency * this.batchSize + 1, expires: PULL_EXPIRES_MS });
        this.messages = messages;
        if (!this.pulling) {
          // stop() or a hand-back came while this iteration was subscribing: the loop ends or waits for the lease.
          await messages.close();
          continue;
        }
        const lag = setInterval(() => {
          consumer
            .info()
            .then((info) => metrics.consumerPending.set({ consumer: name }, info.num_pending + info.num_ack_pending))
            .catch(() => {});
        }, 5_000);
        // The client keeps pulling a deleted consumer until heartbeats are missed (~30 s); a
        // deleted consumer (e.g. re-created by `pnpm replay`) ends this iteration at once instead.
        void (async () => {
          for await (const status of messages.status()) {
            if (status.type === 'consumer_deleted' || status.type === 'consumer_not_found') {
              await messages.close();
              break;
            }
          }
        })().catch(() => {});
        // The last delivery this iteration received (the consumer's delivery sequence).
        let received = 0;
        try {
          for await (const msg of messages) {
            received = Math.max(received, msg.info.deliverySequence);
            if (!this.pulling) {
              msg.nak(); // stopping or handing back: another replica (or this one, restarted) takes it now
              continue;
            }
            // Events inside the filter this consumer does not handle (the server filters by one
            // subject only): their type header settles them without parsing the body.
            const type = msg.headers?.get(EVENT_HEADERS.type);
            if (type && !this.handlers.has(type)) {
              msg.ack();
              metrics.eventsConsumed.inc({ consumer: name, type, outcome: 'ignored' });
              continue;
            }
            const parsed = parseEvent(msg.data);
            const subscription = parsed.ok ? this.handlers.get(parsed.event.type)?.get(parsed.event.version) : undefined;
            if (this.batchSize > 1 && parsed.ok && subscription) this.gather({ msg, event: parsed.event, subscription });
            else void this.inOrder(parsed.ok ? [parsed.event.aggregateId] : [], () => this.handle(msg, parsed));
            // Batching, the next batch fills while the handlings in flight run: wait only once it is full too.
            const waiting = this.batchSize === 1 || this.gathered.length >= this.batchSize;
            if (this.inFlight.size >= this.concurrency && waiting) await Promise.race(this.inFlight);
          }
        } finally {
          clearImmediate(this.gathering);
          this.gathering = undefined;
          while (this.gathered.length > 0) this.applyGathered();
          await Promise.all(this.inFlight);
          clearInterval(lag);
        }
        if (this.running && this.options.lease?.state === 'handing-back') await this.awaitLostDeliveries(received);
      } catch (error) {
        if (!this.running) break;
        log.warn({ err: error, consumer: name }, 'consumer loop failed; resubscribing');
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        if (isNotFound(error)) await this.recreateIfStillMissing();
      }
    }
  }

  /**
   * Runs `work` once the handlings of its aggregates started before it in this process settled,
   * and counts it in flight until it settles (a hand-back waits for it).
   */
  private inOrder<T>(keys: readonly string[], work: () => Promise<T>): Promise<T> {
    const previous = keys.flatMap((key) => this.lastOf.get(key) ?? []);
    const result = previous.length > 0 ? Promise.all(previous).then(work) : work();
    const settled: Promise<void> = result
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        this.inFlight.delete(settled);
        for (const key of keys) if (this.lastOf.get(key) === settled) this.lastOf.delete(key);
        this.applyGatheredIfFree();
      });
    for (const key of keys) this.lastOf.set(key, settled);
    this.inFlight.add(settled);
    return result;
  }

  /**
   * Keeps a handled event for the next batch. The batch is applied once the deliveries already
   * received have been read (the next turn of the event loop) or when it is full.
   */
  private gather(item: Applicable<Tx>): void {
    this.gathered.push(item);
    if (this.gathered.length >= this.batchSize) this.applyGatheredIfFree();
    else
      this.gathering ??= setImmediate(() => {
        this.gathering = undefined;
        this.applyGatheredIfFree();
      });
  }

  /** Starts the next batch if fewer than `concurrency` handlings run; else the first to settle starts it. */
  private applyGatheredIfFree(): void {
    if (this.gathered.length > 0 && this.inFlight.size < this.concurrency) this.applyGathered();
  }

  private applyGathered(): void {
    // By aggregate (stable: an aggregate's events keep their stream order): every batch takes its
    // aggregates' row locks in the same order, so two batches, of this consumer or another, never
    // wait on each other's locks in a circle.
    const batch = this.gathered.splice(0, this.batchSize).sort((a, b) => (a.event.aggregateId < b.event.aggregateId ? -1 : a.event.aggregateId > b.event.aggregateId ? 1 : 0));
    if (batch.length === 0) return;
    void this.inOrder([...new Set(batch.map((item) => item.event.aggregateId))], () => this.handleBatch(batch));
  }

  /** Never rejects, as `handle`. A batch that fails is applied again one event at a time, each with its own retries. */
  private async handleBatch(batch: Applicable<Tx>[]): Promise<void> {
    if (batch.length === 1) return this.handle(batch[0]!.msg, { ok: true, event: batch[0]!.event });
    const { name, db, log, metrics } = this.options;
    const timers = batch.map(({ event }) => metrics.eventHandleDuration.startTimer({ consumer: name, type: event.type }));
    // Each event's flow with its span: its log line after the commit carries its trace.
    const flows: Array<FlowContext | undefined> = [];
    let outcomes: Outcome[];
    try {
      outcomes = await db.$transaction(
        async (tx) => {
          const claimed = await this.claimAll(tx, batch.map(({ event }) => event.id));
          const applied: Outcome[] = [];
          for (const { event, subscription, msg } of batch) {
            // Deleted once used: a second copy of an event in the batch is a duplicate. (PostgreSQL
            // returns a uuid in lower case.)
            const first = claimed.delete(event.id.toLowerCase());
            const outcome = await this.inEventContext(event, msg.subject, msg.headers, () => {
              flows.push(currentFlow());
              return this.handleClaimed(tx, event, subscription, first);
            });
            applied.push(outcome);
          }
          crashpoint(`${name}:before-commit`);
          return applied;
        },
        { timeout: this.options.transactionTimeoutMs ?? 30_000, maxWait: 10_000 },
      );
    } catch (error) {
      // Not timed as handlings: each event is timed again as it is applied on its own.
      log.warn({ err: error, consumer: name, events: batch.length }, 'batch rolled back; applying its events one by one');
      for (const item of batch) await this.handle(item.msg, { ok: true, event: item.event });
      return;
    }
    for (const done of timers) done();
    crashpoint(`${name}:before-ack`);
    for (const [index, { msg, event, subscription }] of batch.entries()) {
      msg.ack();
      this.failures.delete(msg.info.streamSequence);
      metrics.eventsConsumed.inc({ consumer: name, type: event.type, outcome: outcomes[index]! });
      runInFlow(flows[index] ?? { correlationId: event.correlationId, causationId: event.id }, () => this.logOutcome(event, subscription, outcomes[index]!));
    }
  }

  /**
   * Before a lease is handed back. Closing the pull drops a message the server sent just before
   * it: unseen here, it is redelivered only after the ack wait, and the next holder would apply
   * the aggregate's later events first. Only the holder pulls, so the server having delivered
   * past what this iteration received means such a message exists: the lease is kept through
   * the ack wait, after which the server redelivers it ahead of newer messages.
   */
  private async awaitLostDeliveries(received: number): Promise<void> {
    const { js, stream, name, log } = this.options;
    const info = await (await js.consumers.get(stream, name)).info();
    if (info.delivered.consumer_seq <= received) return;
    const waitMs = (this.options.ackWaitMs ?? 30_000) + 1_000;
    log.info({ consumer: name, lost: info.delivered.consumer_seq - received, waitMs }, 'handing back: waiting for deliveries dropped at close to be redeliverable');
    await sleep(waitMs);
  }

  /**
   * The durable was deleted behind the service's back (an operator, a lost stream). Replay
   * deletes and re-creates it within milliseconds, so only a consumer still missing a moment
   * later is re-created, from the start of the stream (applied events are skipped as duplicates).
   */
  private async recreateIfStillMissing(): Promise<void> {
    const { jsm, stream, name, log } = this.options;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    try {
      await jsm.consumers.info(stream, name);
    } catch (error) {
      if (!isNotFound(error) || !this.running) return;
      log.warn({ consumer: name, stream }, 'durable consumer was missing; re-creating it');
      await this.provision().catch((cause) => log.error({ err: cause, consumer: name }, 'could not re-create the consumer'));
    }
  }

  /** Never rejects: a failure to even dead-letter leaves the message unacked for redelivery. */
  private async handle(msg: JsMsg, parsed: ParseResult): Promise<void> {
    try {
      await this.process(msg, parsed);
    } catch (error) {
      this.options.log.error({ err: error, subject: msg.subject, sequence: msg.info.streamSequence }, 'could not settle message');
      msg.nak(this.backoffMs[0]);
    }
  }

  private async process(msg: JsMsg, parsed: ParseResult): Promise<void> {
    const { name, log, metrics } = this.options;
    if (!parsed.ok) {
      await this.deadLetter(msg, parsed.reason);
      metrics.eventsConsumed.inc({ consumer: name, type: msg.subject, outcome: 'dead_lettered' });
      return;
    }
    const event = parsed.event;
    const versions = this.handlers.get(event.type);
    if (!versions) {
      msg.ack();
      metrics.eventsConsumed.inc({ consumer: name, type: event.type, outcome: 'ignored' });
      return;
    }
    const subscription = versions.get(event.version);
    if (!subscription) {
      // Kept, not skipped: once the consumer reads this version, an operator retries the letter.
      await this.deadLetter(msg, `no handler for ${event.type} v${event.version}: this consumer reads ${readVersions(versions)}`);
      metrics.eventsConsumed.inc({ consumer: name, type: event.type, outcome: 'dead_lettered' });
      return;
    }
    const timer = metrics.eventHandleDuration.startTimer({ consumer: name, type: event.type });
    try {
      const outcome = await this.apply(event, subscription, msg.subject, msg.headers);
      crashpoint(`${name}:before-ack`);
      msg.ack();
      this.failures.delete(msg.info.streamSequence);
      metrics.eventsConsumed.inc({ consumer: name, type: event.type, outcome });
    } catch (error) {
      const deliveries = msg.info.deliveryCount;
      if (isTransient(error)) {
        // The database or a provider is unreachable: not the message's fault, so it never
        // counts towards dead-lettering. Retried until the dependency is back.
        const delay = this.backoffMs[Math.min(deliveries - 1, this.backoffMs.length - 1)] ?? 1_000;
        log.warn({ err: error, eventId: event.id, type: event.type, deliveries, retryInMs: delay }, 'dependency unavailable; will retry');
        msg.nak(delay);
        metrics.eventsConsumed.inc({ consumer: name, type: event.type, outcome: 'retried' });
        return;
      }
      // The server's delivery count also counts outages and ack-wait expiries (a paused or
      // killed process): only the handler's own failures count towards dead-lettering.
      const sequence = msg.info.streamSequence;
      const failures = (this.failures.get(sequence) ?? 0) + 1;
      if (failures >= this.maxDeliver) {
        this.failures.delete(sequence);
        await this.deadLetter(msg, `handler failed ${failures} times: ${(error as Error).message}`);
        metrics.eventsConsumed.inc({ consumer: name, type: event.type, outcome: 'dead_lettered' });
        return;
      }
      this.failures.set(sequence, failures);
      const delay = this.backoffMs[Math.min(failures - 1, this.backoffMs.length - 1)] ?? 1_000;
      log.warn({ err: error, eventId: event.id, type: event.type, deliveries, failures, retryInMs: delay }, 'event handler failed');
      msg.nak(delay);
      metrics.eventsConsumed.inc({ consumer: name, type: event.type, outcome: 'retried' });
    } finally {
      timer();
    }
  }

  /**
   * Applies `event` in one transaction with its `processed_events` row: effects and dedupe commit
   * together (a duplicate or stale event changes nothing). The client's transaction scope writes
   * the handler's events before the commit and wakes the relay and timers after it.
   */
  private apply(event: Envelope, subscription: Subscription<Tx>, subject: string, msgHeaders: MsgHdrs | undefined): Promise<Outcome> {
    const { name, db } = this.options;
    return this.inEventContext(event, subject, msgHeaders, async () => {
      const outcome = await db.$transaction(
        async (tx) => {
          const applied = await this.claimAndHandle(tx, event, subscription);
          crashpoint(`${name}:before-commit`);
          return applied;
        },
        { timeout: this.options.transactionTimeoutMs ?? 30_000, maxWait: 10_000 },
      );
      // Inside the flow and span: the line carries the correlation and trace ids.
      this.logOutcome(event, subscription, outcome);
      return outcome;
    });
  }

  /** Runs `work` in the event's flow (correlation, causation) and a consumer span continuing the publisher's trace. */
  private inEventContext<T>(event: Envelope, subject: string, msgHeaders: MsgHdrs | undefined, work: () => Promise<T>): Promise<T> {
    const { name } = this.options;
    const parent = msgHeaders ? extractTraceContext({ get: (k) => msgHeaders.get(k), set: () => {} }) : undefined;
    const flow = { correlationId: event.correlationId, causationId: event.id };
    return runInFlow(flow, () =>
      inSpan(
        `${event.type} process`,
        {
          kind: SpanKind.CONSUMER,
          parent,
          attributes: { 'messaging.system': 'nats', 'messaging.destination.name': subject, 'messaging.consumer.group.name': name, 'messaging.message.id': event.id },
        },
        work,
      ),
    );
  }

  /** In the caller's transaction: the `processed_events` claim, the version check, then the handler. */
  private async claimAndHandle(tx: Tx, event: Envelope, subscription: Subscription<Tx>): Promise<Outcome> {
    const claimed = await this.claimAll(tx, [event.id]);
    return this.handleClaimed(tx, event, subscription, claimed.has(event.id.toLowerCase()));
  }

  /** The claims of one event or a batch, in one statement: the ids not applied before (lower case, as PostgreSQL returns a uuid). */
  private async claimAll(tx: Tx, eventIds: readonly string[]): Promise<Set<string>> {
    const rows = await driverSqlOf(tx).query<{ event_id: string }>`
      INSERT INTO processed_events (consumer, event_id) SELECT ${this.options.name}, id FROM unnest(${eventIds}::uuid[]) AS id
      ON CONFLICT DO NOTHING RETURNING event_id::text`;
    return new Set(rows.map((row) => row.event_id));
  }

  /** After the claim (`claimed`: this event was not applied before), the version check, then the handler. */
  private async handleClaimed(tx: Tx, event: Envelope, subscription: Subscription<Tx>, claimed: boolean): Promise<Outcome> {
    const { name } = this.options;
    if (!claimed) return 'duplicate';
    if (subscription.versionOf && !(await claimVersion(tx, name, event.aggregateId, subscription.versionOf(event)))) return 'stale';
    await subscription.handle(event, tx);
    return 'processed';
  }

  private logOutcome(event: Envelope, subscription: Subscription<Tx>, outcome: Outcome): void {
    const { name, log } = this.options;
    if (outcome === 'stale') {
      log.warn({ consumer: name, type: event.type, eventId: event.id, aggregateId: event.aggregateId, version: subscription.versionOf?.(event), outcome }, 'event older than a version already applied: skipped');
    } else {
      log.info({ consumer: name, type: event.type, eventId: event.id, outcome }, 'event handled');
    }
  }

  /**
   * The operator's retry of one of this consumer's dead letters: its event goes through the same
   * transaction as a delivery (so it applies once, or is found already applied), after the
   * aggregate's events in hand, never beside them. With a lease only the holder may run it (the
   * ops endpoints reach it through `ConsumerLease.ask`). Throws what the handler throws, or a
   * `DomainError` when the letter holds no event this consumer handles; the caller then keeps the
   * dead letter.
   */
  async redeliver(data: Uint8Array, msgHeaders: MsgHdrs | undefined, subject: string): Promise<Outcome> {
    const parsed = parseEvent(data);
    if (!parsed.ok) throw new DomainError('conflict', 'DEAD_LETTER_UNUSABLE', `The dead letter holds no usable event (${parsed.reason}); purge it instead`);
    const versions = this.handlers.get(parsed.event.type);
    if (!versions) throw new DomainError('conflict', 'DEAD_LETTER_UNUSABLE', `Consumer ${this.options.name} does not handle ${parsed.event.type}; purge it instead`);
    const subscription = versions.get(parsed.event.version);
    if (!subscription) {
      throw new DomainError('conflict', 'DEAD_LETTER_UNUSABLE', `Consumer ${this.options.name} reads ${parsed.event.type} ${readVersions(versions)}, not v${parsed.event.version}; keep it until it does, or purge it`);
    }
    if (this.options.lease && !this.pulling) throw new DomainError('unavailable', 'CONSUMER_HOLDER_UNAVAILABLE', `This replica does not run ${this.options.name} now; try again`);
    const event = parsed.event;
    const outcome = await this.inOrder([event.aggregateId], () => this.apply(event, subscription, subject, msgHeaders));
    this.options.metrics.eventsConsumed.inc({ consumer: this.options.name, type: event.type, outcome });
    return outcome;
  }

  /** Copies the message to `deadletter.<consumer>` with the reason, then stops its redelivery. */
  private async deadLetter(msg: JsMsg, reason: string): Promise<void> {
    const { js, name, stream, log } = this.options;
    const h = headers();
    for (const [key, values] of msg.headers ?? []) for (const value of values) h.append(key, value);
    h.set(DEAD_LETTER_HEADERS.reason, reason.slice(0, 1024).replaceAll(/[\r\n]+/g, ' '));
    h.set(DEAD_LETTER_HEADERS.consumer, name);
    h.set(DEAD_LETTER_HEADERS.stream, stream);
    h.set(DEAD_LETTER_HEADERS.subject, msg.subject);
    h.set(DEAD_LETTER_HEADERS.sequence, String(msg.info.streamSequence));
    h.set(DEAD_LETTER_HEADERS.deliveries, String(msg.info.deliveryCount));
    // No msgID: a replayed message that fails again must be dead-lettered again, not dropped as a duplicate.
    h.delete('Nats-Msg-Id');
    await js.publish(deadLetterSubject(name), msg.data, { headers: h });
    log.error({ consumer: name, subject: msg.subject, sequence: msg.info.streamSequence, reason }, 'message dead-lettered');
    // Without a reason: NATS 2.9 ignores a TERM that carries one, and the message would stay pending.
    msg.term();
  }
}

