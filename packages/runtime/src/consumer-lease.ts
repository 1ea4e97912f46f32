import pg from 'pg';
import type { Logger } from './logger';

/** First key of the consumers' advisory locks (the outbox relay's bigint key has 1 as its first half). */
const LEASE_NAMESPACE = 720_010;

/** How often a standby replica asks for the lease. */
const STANDBY_POLL_MS = 2_000;

/**
 * Which replica of a service runs one durable consumer: the holder of a PostgreSQL session
 * advisory lock named after the consumer, on a connection of its own to the service's
 * database. Only the holder pulls, so a consumer's events are handled by one process, in stream
 * order per aggregate, however many replicas run (docs/ordering.md). The lock goes with its
 * connection: a replica that dies or loses the database loses the lease, and a standby takes it
 * within a poll.
 */
export class ConsumerLease {
  private client: pg.Client | undefined;
  private onLost: (() => void) | undefined;

  constructor(
    private readonly databaseUrl: string,
    private readonly consumer: string,
    private readonly log: Logger,
  ) {}

  /**
   * Resolves true once this process holds the lease, false when `wanted()` turned false first.
   * `lost` is called if the lease goes later (its connection failed).
   */
  async acquire(wanted: () => boolean, lost: () => void): Promise<boolean> {
    let announced = false;
    while (wanted()) {
      try {
        const client = await this.connection();
        const { rows } = await client.query<{ held: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS held', [LEASE_NAMESPACE, this.consumer]);
        if (rows[0]?.held) {
          this.onLost = lost;
          this.log.info({ consumer: this.consumer }, 'consumer lease taken: this replica handles the consumer');
          return true;
        }
        if (!announced) this.log.info({ consumer: this.consumer }, 'consumer lease held by another replica: standing by');
        announced = true;
      } catch (error) {
        this.log.warn({ err: error, consumer: this.consumer }, 'consumer lease: database unreachable; trying again');
        await this.drop();
      }
      await new Promise((resolve) => setTimeout(resolve, STANDBY_POLL_MS));
    }
    return false;
  }

  private async connection(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: `lease ${this.consumer}` });
    // A broken connection has lost the lock with it: the holder stops pulling.
    client.on('error', (error) => {
      this.log.warn({ err: error, consumer: this.consumer }, 'consumer lease connection failed: lease lost');
      void this.drop();
    });
    await client.connect();
    this.client = client;
    return client;
  }

  private async drop(): Promise<void> {
    const [client, lost] = [this.client, this.onLost];
    this.client = undefined;
    this.onLost = undefined;
    lost?.();
    await client?.end().catch(() => undefined);
  }

  /** Gives the lease up (at shutdown): ending the session releases the lock. */
  async release(): Promise<void> {
    this.onLost = undefined;
    await this.drop();
  }
}
