import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from './logger';
import { type NatsClientEnv, natsConnectionOptions } from './nats';

/**
 * A NATS connection made in the background, for a process that serves without NATS (the
 * gateway: its live streams and shared rate limits use NATS, nothing else does). It tries
 * again every second until it connects; then the client reconnects by itself. `connection`
 * is undefined whenever NATS cannot be reached right now, so callers fail fast instead of
 * queueing behind a reconnect.
 */
export class BackgroundNats {
  private nc: NatsConnection | undefined;
  private connected = false;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly env: NatsClientEnv,
    private readonly name: string,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.closed) return;
    connect({ ...natsConnectionOptions(this.env, this.name), maxReconnectAttempts: -1, reconnectTimeWait: 250 })
      .then((nc) => {
        if (this.closed) return void nc.close();
        this.nc = nc;
        this.connected = true;
        void this.watch(nc);
      })
      .catch((error: unknown) => {
        this.log.warn({ err: error }, 'NATS not reachable; trying again');
        this.retry = setTimeout(() => this.start(), 1_000);
        this.retry.unref();
      });
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnecting') this.connected = false;
      else if (status.type === 'reconnect') this.connected = true;
    }
  }

  /** The connection while it is up. */
  get connection(): NatsConnection | undefined {
    return this.connected && this.nc && !this.nc.isClosed() ? this.nc : undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    await this.nc?.close();
  }
}
