import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { NatsClientEnv } from '@platform/config/env';
import { type Envelope, parseEvent } from '@platform/contracts';
import type { Logger } from './logger';
import { natsConnectionOptions } from './nats';

/** Where following starts: just after a stream sequence the reader has (resume), its whole history, or what comes next. */
export type FollowFrom = { afterSequence: number } | 'all' | 'new';

export interface FollowedEvent {
  /** The message's stream sequence: a cursor to resume after. */
  sequence: number;
  event: Envelope;
}

export interface Following {
  /** The sequence reading started after: a cursor to resume from before any message came. */
  startedAfter: number;
  /** Stops reading and deletes the server-side consumer (idempotent). */
  stop(): Promise<void>;
}

/**
 * Reads a stream for a process that neither publishes nor consumes durably (the gateway's live
 * streams, GW-03): a NATS connection made in the background (a process that does not need it
 * for anything else starts and answers without it) and, per reader, a JetStream ordered
 * consumer on the reader's subject filter. Nothing is kept in memory between readers: resuming
 * is asking the stream again from a sequence, so any replica serves any reader.
 */
export class StreamFollower {
  private nc: NatsConnection | undefined;
  private connected = false;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly env: NatsClientEnv,
    private readonly name: string,
    private readonly log: Logger,
  ) {}

  /** Connects in the background, trying again every second until it can; then the client reconnects by itself. */
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
        this.log.warn({ err: error }, 'NATS not reachable for stream readers; trying again');
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

  /** Whether a reader can start now. */
  get available(): boolean {
    return this.connected && this.nc !== undefined && !this.nc.isClosed();
  }

  /**
   * Delivers the stream's messages on `filter` from `from`, in stream order, to `deliver`, until
   * stopped. A message that is not a known event is skipped (logged): a reader is never stuck.
   * `onFailure` hears when reading stops on its own (the reader's owner ends, so its client
   * reconnects). Rejects when the stream cannot be read (NATS away, no such stream).
   */
  async follow(stream: string, filter: string, from: FollowFrom, deliver: (message: FollowedEvent) => void, onFailure: (error: unknown) => void): Promise<Following> {
    if (!this.nc || !this.available) throw new Error('NATS is not connected');
    // 'new' starts after the stream's current last sequence, named, so the caller can hand it out
    // as a cursor: a client that reconnects before its first message misses nothing in between.
    const startedAfter = from === 'all' ? 0 : from === 'new' ? (await (await jetstreamManager(this.nc)).streams.info(stream)).state.last_seq : from.afterSequence;
    const start = from === 'all' ? { deliver_policy: DeliverPolicy.All } : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: startedAfter + 1 };
    const consumer = await jetstream(this.nc).consumers.get(stream, { filter_subjects: filter, ...start });
    const messages = await consumer.consume();
    let stopped: Promise<void> | undefined;
    void (async () => {
      for await (const message of messages) {
        const parsed = parseEvent(message.data);
        if (parsed.ok) deliver({ sequence: message.seq, event: parsed.event });
        else this.log.warn({ stream, sequence: message.seq, reason: parsed.reason }, 'unreadable message skipped by a stream reader');
      }
    })().then(
      () => stopped ?? failed(new Error('the stream reader ended')),
      (error: unknown) => stopped ?? failed(error),
    );
    const failed = (error: unknown) => {
      this.log.warn({ err: error, stream, filter }, 'stream reader stopped');
      onFailure(error);
    };
    return {
      startedAfter,
      stop: () =>
        (stopped ??= (async () => {
          await messages.close();
          await consumer.delete().catch(() => undefined);
        })()),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    await this.nc?.close();
  }
}
