import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { z } from 'zod';
import { DomainError, type ErrorKind, statusOf } from '@platform/contracts/errors';
import type { Logger } from './logger';
import type { Metrics } from './metrics';

/** First key of the consumers' advisory locks (the outbox relay's bigint key has 1 as its first half). */
const LEASE_NAMESPACE = 720_010;

/** First key of the replicas' presence locks (shared, one key per service). */
const PRESENCE_NAMESPACE = 720_011;

/** How often a standby replica asks for a lease, and a replica recounts its service's replicas. */
const STANDBY_POLL_MS = 2_000;

/**
 * The most leases one replica keeps: every consumer can be held when each replica keeps its
 * share, and none keeps more than an even spread needs. A replica above it hands the surplus
 * back, one below it takes free leases: no lease moves once the spread is even.
 */
export function leaseShare(consumers: number, replicas: number): number {
  return Math.ceil(consumers / Math.max(1, replicas));
}

type LeaseState = 'standby' | 'taking' | 'held' | 'handing-back';

/**
 * How long `ask` waits for the holder's answer: under the gateway's 5 s upstream timeout, so an
 * operator hears 503 (no holder answered: the lease is moving) rather than a gateway timeout.
 */
const ASK_TIMEOUT_MS = 4_000;

/** A request to the holder, on the lease's notification channel. */
const askedSchema = z.object({ replyTo: z.string().startsWith('reply:'), request: z.string() });
/** The holder's answer, on the asker's reply channel: a DomainError keeps its kind and code. */
const answerSchema = z.union([
  z.object({ ok: z.literal(true), answer: z.string() }),
  z.object({ ok: z.literal(false), kind: z.string().optional(), code: z.string().optional(), message: z.string() }),
]);

/**
 * This replica among its service's replicas: each holds a shared advisory lock on the service's
 * key while it runs, so counting that lock's holders in `pg_locks` counts the live replicas
 * (a replica that dies drops out with its connection). From that count it keeps its share of
 * the service's consumer leases (`leaseShare`): it hands back a surplus and lets its standbys
 * take free leases only while under the share. The count only spreads the leases; that two
 * replicas never handle one consumer rests on the leases' exclusive locks alone.
 */
export class LeaseBalancer {
  private readonly leases: ConsumerLease[] = [];
  private client: pg.Client | undefined;
  private replicas = 1;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> = Promise.resolve();

  constructor(
    private readonly databaseUrl: string,
    private readonly service: string,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  /** A lease of one of this service's consumers, kept to this replica's share. */
  lease(consumer: string): ConsumerLease {
    const lease = new ConsumerLease(this.databaseUrl, consumer, this.log, this);
    this.leases.push(lease);
    return lease;
  }

  /** Announces this replica, counts its service's replicas, then keeps counting and handing back surplus. */
  async start(): Promise<void> {
    this.running = true;
    await this.rebalance();
    this.schedule();
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.pass = this.rebalance().finally(() => {
        if (this.running) this.schedule();
      });
    }, STANDBY_POLL_MS);
  }

  /** After the consumers stopped (their leases released): leaves the count. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.pass;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private get held(): ConsumerLease[] {
    return this.leases.filter((lease) => lease.state !== 'standby');
  }

  private get share(): number {
    return leaseShare(this.leases.length, this.replicas);
  }

  /**
   * Whether a standby may try for its lease now: only while this replica is under its share.
   * Synchronous, so two standbys of this replica never both pass on the last place.
   */
  mayTake(): boolean {
    return this.held.length < this.share;
  }

  /** Reports which consumers this replica handles (`consumer_lease_held`). */
  changed(lease: ConsumerLease): void {
    this.metrics.consumerLeaseHeld.set({ consumer: lease.consumer }, lease.state === 'held' ? 1 : 0);
  }

  private async rebalance(): Promise<void> {
    try {
      this.replicas = Math.max(1, await this.countReplicas());
    } catch (error) {
      // Keeps the last count: the leases stay safe, only the spread waits for the database.
      this.log.warn({ err: error }, 'lease balance: could not count the replicas; trying again');
      const client = this.client;
      this.client = undefined;
      await client?.end().catch(() => undefined);
      return;
    }
    const keeping = this.held.filter((lease) => lease.state !== 'handing-back');
    const surplus = keeping.length - this.share;
    if (surplus <= 0) return;
    // In the order the service declares its consumers, so which replica handles what is predictable:
    // its first (main) consumer moves to the replica that came. One still being taken stays.
    const giving = keeping.filter((lease) => lease.state === 'held').slice(0, surplus);
    this.log.info({ replicas: this.replicas, share: this.share, consumers: giving.map((lease) => lease.consumer) }, 'more replicas: handing consumer leases back');
    for (const lease of giving) lease.handBack();
  }

  private async countReplicas(): Promise<number> {
    if (!this.client) {
      const client = new pg.Client({ connectionString: this.databaseUrl, application_name: `replica ${this.service}` });
      client.on('error', (error) => this.log.warn({ err: error }, 'replica presence connection failed'));
      await client.connect();
      // Shared: every replica of the service holds it at once.
      await client.query('SELECT pg_advisory_lock_shared($1, hashtext($2))', [PRESENCE_NAMESPACE, this.service]);
      this.client = client;
    }
    // Locks are listed per database; a two-key advisory lock shows its keys as classid and objid.
    const { rows } = await this.client.query<{ replicas: number }>(
      `SELECT count(*)::int AS replicas FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND objsubid = 2
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND classid = $1::int::oid AND objid = (hashtext($2)::bigint & 4294967295)::oid`,
      [PRESENCE_NAMESPACE, this.service],
    );
    return rows[0]?.replicas ?? 1;
  }
}

/**
 * Which replica of a service runs one durable consumer: the holder of a PostgreSQL session
 * advisory lock named after the consumer, on a connection of its own to the service's
 * database. Only the holder pulls, so a consumer's events are handled by one process, in stream
 * order per aggregate, however many replicas run (docs/ordering.md). The lock goes with its
 * connection: a replica that dies or loses the database loses the lease, and a standby takes it
 * within a poll. Its `LeaseBalancer` asks for it back when the replica holds more than its
 * share; it is unlocked only after the consumer stopped pulling and its messages in hand settled.
 */
export class ConsumerLease {
  private client: pg.Client | undefined;
  private onLost: (() => void) | undefined;
  private onHandBack: (() => void) | undefined;
  private serving: ((request: string) => Promise<string>) | undefined;
  state: LeaseState = 'standby';

  constructor(
    private readonly databaseUrl: string,
    readonly consumer: string,
    private readonly log: Logger,
    private readonly balancer: LeaseBalancer,
  ) {}

  /** Whether the consumer should go on pulling: false once the lease is being handed back. */
  get keep(): boolean {
    return this.state === 'held';
  }

  /**
   * Resolves true once this process holds the lease, false when `wanted()` turned false first.
   * Called again after the consumer's pull ended: a lease being handed back is unlocked then.
   * `lost` is called if the lease goes later (its connection failed), `handBack` when the
   * balancer wants it back (stop pulling, settle what is in hand, then call `acquire` again).
   */
  async acquire(wanted: () => boolean, on: { lost: () => void; handBack: () => void }): Promise<boolean> {
    if (this.state === 'held') return true;
    if (this.state === 'handing-back') await this.unlock();
    let announced = false;
    while (wanted()) {
      if (this.balancer.mayTake()) {
        this.setState('taking');
        try {
          const client = await this.connection();
          const { rows } = await client.query<{ held: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS held', [LEASE_NAMESPACE, this.consumer]);
          if (rows[0]?.held && this.state === 'taking') {
            await client.query(`LISTEN ${client.escapeIdentifier(this.channel)}`);
            [this.onLost, this.onHandBack] = [on.lost, on.handBack];
            this.setState('held');
            this.log.info({ consumer: this.consumer }, 'consumer lease taken: this replica handles the consumer');
            return true;
          }
          this.setState('standby');
          if (!announced) this.log.info({ consumer: this.consumer }, 'consumer lease held by another replica: standing by');
          announced = true;
        } catch (error) {
          this.log.warn({ err: error, consumer: this.consumer }, 'consumer lease: database unreachable; trying again');
          await this.drop();
        }
      }
      await sleep(STANDBY_POLL_MS);
    }
    return false;
  }

  /** Where the holder hears requests (`ask`); only the holder listens. */
  private get channel(): string {
    return `lease:${this.consumer}`;
  }

  /** What this replica does with a request (`ask`) while it holds the lease. */
  serve(handler: (request: string) => Promise<string>): void {
    this.serving = handler;
  }

  /**
   * Runs `request` in the replica holding the lease, through its `serve` handler: here when this
   * replica holds it, else sent to the holder through the service's database (NOTIFY on the
   * lease's channel, on which only the holder listens) with the answer coming back the same way.
   * So work that must not run beside the consumer's own (an operator's retry) reaches the one
   * process running it. Throws what the handler threw (a `DomainError` keeps its kind and code),
   * or 503 when no holder answered in time.
   */
  async ask(request: string): Promise<string> {
    if (this.state === 'held') return this.answer(request);
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: `ask ${this.consumer}` });
    client.on('error', () => undefined); // the query in progress fails with it
    await client.connect();
    try {
      const replyTo = `reply:${randomUUID()}`;
      let settle: ((payload: string) => void) | undefined;
      const reply = new Promise<string>((resolve) => (settle = resolve));
      client.on('notification', (message) => {
        if (message.channel === replyTo) settle?.(message.payload ?? '');
      });
      await client.query(`LISTEN ${client.escapeIdentifier(replyTo)}`);
      await client.query('SELECT pg_notify($1, $2)', [this.channel, JSON.stringify({ replyTo, request })]);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ASK_TIMEOUT_MS)));
      const payload = await Promise.race([reply, timeout]).finally(() => clearTimeout(timer));
      if (payload === undefined) {
        throw new DomainError('unavailable', 'CONSUMER_HOLDER_UNAVAILABLE', `No replica holding ${this.consumer} answered in time (its lease may be moving); it may still apply: list again before retrying`);
      }
      const answer = answerSchema.parse(JSON.parse(payload));
      if (answer.ok) return answer.answer;
      const kind = answer.kind as ErrorKind | undefined;
      throw kind && statusOf(kind) && answer.code ? new DomainError(kind, answer.code, answer.message) : new Error(answer.message);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private answer(request: string): Promise<string> {
    if (!this.serving) throw new Error(`consumer lease ${this.consumer}: nothing serves requests`);
    return this.serving(request);
  }

  /** A request another replica sent the holder: answered on its reply channel, also when it failed. */
  private async answerAsked(payload: string | undefined): Promise<void> {
    let asked: z.infer<typeof askedSchema>;
    try {
      asked = askedSchema.parse(JSON.parse(payload ?? ''));
    } catch {
      return; // not a request (nothing to answer to)
    }
    let answer: z.infer<typeof answerSchema>;
    try {
      // Handing back: the next holder may already be starting; the asker hears 503 and tries again.
      if (this.state !== 'held') throw new DomainError('unavailable', 'CONSUMER_HOLDER_UNAVAILABLE', `${this.consumer} is moving to another replica; try again`);
      answer = { ok: true, answer: await this.answer(asked.request) };
    } catch (error) {
      const { kind, code, message } = error as { kind?: string; code?: string; message?: string };
      answer = { ok: false, kind, code, message: String(message ?? error).slice(0, 2_000) };
    }
    await this.client?.query('SELECT pg_notify($1, $2)', [asked.replyTo, JSON.stringify(answer)]).catch((error: unknown) => {
      this.log.warn({ err: error, consumer: this.consumer }, 'consumer lease: could not answer a request');
    });
  }

  /** The balancer's request: the consumer stops pulling and comes back to `acquire`. */
  handBack(): void {
    if (this.state !== 'held') return;
    this.setState('handing-back');
    this.onHandBack?.();
  }

  private setState(state: LeaseState): void {
    this.state = state;
    this.balancer.changed(this);
  }

  /** Unlocks on the same session; a failure ends the session, which unlocks too. */
  private async unlock(): Promise<void> {
    try {
      // No more requests first: the next holder answers them.
      await this.client?.query('UNLISTEN *');
      await this.client?.query('SELECT pg_advisory_unlock_all()');
      [this.onLost, this.onHandBack] = [undefined, undefined];
      this.setState('standby');
      this.log.info({ consumer: this.consumer }, 'consumer lease handed back: another replica takes the consumer');
    } catch {
      await this.drop();
    }
  }

  private async connection(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: `lease ${this.consumer}` });
    // A broken connection has lost the lock with it: the holder stops pulling.
    client.on('error', (error) => {
      this.log.warn({ err: error, consumer: this.consumer }, 'consumer lease connection failed: lease lost');
      void this.drop();
    });
    client.on('notification', (message) => {
      if (message.channel === this.channel) void this.answerAsked(message.payload);
    });
    await client.connect();
    this.client = client;
    return client;
  }

  private async drop(): Promise<void> {
    const [client, lost] = [this.client, this.onLost];
    this.client = undefined;
    [this.onLost, this.onHandBack] = [undefined, undefined];
    this.setState('standby');
    lost?.();
    await client?.end().catch(() => undefined);
  }

  /** Gives the lease up (at shutdown): ending the session releases the lock. */
  async release(): Promise<void> {
    this.onLost = undefined;
    await this.drop();
  }
}
