import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type Envelope, parseEvent } from '@platform/contracts';
import type { BackgroundNats } from './background-nats';
import type { Logger } from './logger';

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
 * streams, GW-03): over a background NATS connection (a process that does not need it for
 * anything else starts and answers without it) and, per reader, a JetStream ordered consumer on
 * the reader's subject filter. Nothing is kept in memory between readers: resuming is asking
 * the stream again from a sequence, so any replica serves any reader.
 */
export class StreamFollower {
  constructor(
    private readonly nats: BackgroundNats,
    private readonly log: Logger,
  ) {}

  /** Whether a reader can start now. */
  get available(): boolean {
    return this.nats.connection !== undefined;
  }

  /**
   * Delivers the stream's messages on `filter` from `from`, in stream order, to `deliver`, until
   * stopped. A message that is not a known event is skipped (logged): a reader is never stuck.
   * `onFailure` hears when reading stops on its own (the reader's owner ends, so its client
   * reconnects). Rejects when the stream cannot be read (NATS away, no such stream).
   */
  async follow(stream: string, filter: string, from: FollowFrom, deliver: (message: FollowedEvent) => void, onFailure: (error: unknown) => void): Promise<Following> {
    const nc = this.nats.connection;
    if (!nc) throw new Error('NATS is not connected');
    // 'new' starts after the stream's current last sequence, named, so the caller can hand it out
    // as a cursor: a client that reconnects before its first message misses nothing in between.
    const startedAfter = from === 'all' ? 0 : from === 'new' ? (await (await jetstreamManager(nc)).streams.info(stream)).state.last_seq : from.afterSequence;
    const start = from === 'all' ? { deliver_policy: DeliverPolicy.All } : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: startedAfter + 1 };
    const consumer = await jetstream(nc).consumers.get(stream, { filter_subjects: filter, ...start });
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
}
