import { AckPolicy, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import { z } from 'zod';
import { deadLetterSubject, streams } from '@platform/contracts';
import type { DeadLetterView } from '@platform/contracts/api/ops';
import { DomainError } from '@platform/contracts/errors';
import type { Actor } from './actor';
import { DEAD_LETTER_HEADERS, type EventConsumer } from './consumer';
import type { Logger } from './logger';
import { isNotFound, type JetStreamClient, type JetStreamManager } from './nats';

const DEAD_LETTER_STREAM = streams.DEAD_LETTERS.name;

/** What the ops endpoints use of a consumer (whatever its transaction type). */
export type OperatedConsumer = Pick<EventConsumer, 'durable' | 'redeliver' | 'lease'>;

/** A retry as one replica asks it of the consumer's lease holder, and the holder's answer. */
const retryRequestSchema = z.object({ seq: z.number().int().positive() });
const retryAnswerSchema = z.object({ outcome: z.enum(['processed', 'duplicate', 'stale']) });
type RetryOutcome = z.infer<typeof retryAnswerSchema>['outcome'];

export interface DeadLetter {
  /** Sequence on DEAD_LETTERS: what retry and purge select. */
  seq: number;
  /** When it was dead-lettered. */
  time: Date;
  /** `deadletter.<consumer>` */
  subject: string;
  consumer: string;
  reason: string;
  originalStream: string;
  originalSubject: string;
  originalSequence: number | undefined;
  deliveries: number | undefined;
  headers: MsgHdrs | undefined;
  data: Uint8Array;
}

function header(h: MsgHdrs | undefined, key: string): string {
  return h?.get(key) ?? '';
}

function optionalNumber(value: string): number | undefined {
  const n = Number(value);
  return value !== '' && Number.isFinite(n) ? n : undefined;
}

/** A message of DEAD_LETTERS with what `EventConsumer` wrote in its headers. */
export function toDeadLetter(message: { seq: number; time: Date; subject: string; headers: MsgHdrs | undefined; data: Uint8Array }): DeadLetter {
  const h = message.headers;
  return {
    seq: message.seq,
    time: message.time,
    subject: message.subject,
    consumer: header(h, DEAD_LETTER_HEADERS.consumer) || message.subject.replace(/^deadletter\./, ''),
    reason: header(h, DEAD_LETTER_HEADERS.reason),
    originalStream: header(h, DEAD_LETTER_HEADERS.stream),
    originalSubject: header(h, DEAD_LETTER_HEADERS.subject),
    originalSequence: optionalNumber(header(h, DEAD_LETTER_HEADERS.sequence)),
    deliveries: optionalNumber(header(h, DEAD_LETTER_HEADERS.deliveries)),
    headers: h,
    data: message.data,
  };
}

export function fromJsMsg(m: JsMsg): DeadLetter {
  return toDeadLetter({ seq: m.seq, time: m.time, subject: m.subject, headers: m.headers, data: m.data });
}

/** What the console shows of a dead letter: the event's type, id and order, not its whole body. */
function view(letter: DeadLetter): DeadLetterView {
  let event: { type?: unknown; id?: unknown; aggregateId?: unknown } = {};
  try {
    event = JSON.parse(new TextDecoder().decode(letter.data)) as typeof event;
  } catch {
    // Not JSON: the reason says so; the view shows no event.
  }
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  return {
    seq: letter.seq,
    time: letter.time.toISOString(),
    consumer: letter.consumer,
    reason: letter.reason,
    originalStream: letter.originalStream,
    originalSubject: letter.originalSubject,
    originalSequence: letter.originalSequence ?? null,
    deliveries: letter.deliveries ?? null,
    eventType: text(event.type),
    eventId: text(event.id),
    aggregateId: text(event.aggregateId),
  };
}

/** Most dead letters one list reads per consumer (oldest first); the count says how many there are. */
const READ_LIMIT = 500;

/**
 * A service's dead letters, of its own consumers only (docs/console.md). Each is read through a
 * consumer on DEAD_LETTERS named like the durable and filtered on its `deadletter.<consumer>`
 * subject, the only reads its NATS user may make there; a retry hands the event to the durable's
 * own `EventConsumer` (same transaction, same dedupe) in the replica running it, then deletes the
 * letter. With replicas the request may reach any of them: it is passed to the lease holder, so
 * the retry runs in order with the aggregate's live events, never beside them.
 */
export class DeadLetterBox {
  /** The reads so far: each waits for the one before (a reader's name is its consumer's). */
  private reading: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly consumers: ReadonlyMap<string, OperatedConsumer>,
    private readonly nats: { js: JetStreamClient; jsm: JetStreamManager },
    private readonly log: Logger,
  ) {
    for (const [name, consumer] of consumers) {
      consumer.lease?.serve(async (request) => {
        const { seq } = retryRequestSchema.parse(JSON.parse(request));
        return JSON.stringify({ outcome: await this.retryHere(name, seq) });
      });
    }
  }

  private read(consumer: string, options: { startSeq?: number; limit: number }): Promise<{ total: number; letters: DeadLetter[] }> {
    const next = this.reading.then(() => this.readNow(consumer, options));
    this.reading = next.catch(() => {});
    return next;
  }

  /** One consumer's dead letters from `startSeq` on, oldest first, through a short-lived reader. */
  private async readNow(consumer: string, options: { startSeq?: number; limit: number }): Promise<{ total: number; letters: DeadLetter[] }> {
    const { js, jsm } = this.nats;
    const filter = deadLetterSubject(consumer);
    const info = await jsm.streams.info(DEAD_LETTER_STREAM, { subjects_filter: filter });
    const total = info.state.subjects?.[filter] ?? 0;
    if (total === 0) return { total, letters: [] };
    await jsm.consumers.add(DEAD_LETTER_STREAM, {
      name: consumer,
      filter_subject: filter,
      ack_policy: AckPolicy.None,
      mem_storage: true,
      // Removed by the server if this process dies before deleting it.
      inactive_threshold: 60_000_000_000,
      ...(options.startSeq === undefined ? { deliver_policy: DeliverPolicy.All } : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: options.startSeq }),
    });
    const letters: DeadLetter[] = [];
    try {
      const reader = await js.consumers.get(DEAD_LETTER_STREAM, consumer);
      const wanted = Math.min(total, options.limit);
      const batch = await reader.fetch({ max_messages: wanted, expires: 2_000 });
      for await (const msg of batch) {
        letters.push(fromJsMsg(msg));
        if (letters.length >= wanted || msg.info.pending === 0) break;
      }
    } finally {
      await jsm.consumers.delete(DEAD_LETTER_STREAM, consumer).catch(() => false);
    }
    return { total, letters };
  }

  async list(): Promise<{ consumers: Array<{ consumer: string; total: number; letters: DeadLetterView[] }> }> {
    const consumers = [];
    for (const consumer of this.consumers.keys()) {
      const { total, letters } = await this.read(consumer, { limit: READ_LIMIT });
      consumers.push({ consumer, total, letters: letters.map(view) });
    }
    return { consumers };
  }

  private operated(consumer: string): OperatedConsumer {
    const operated = this.consumers.get(consumer);
    if (!operated) throw new DomainError('not_found', 'CONSUMER_NOT_FOUND', `This service has no consumer ${consumer}`);
    return operated;
  }

  /** The letter `seq` of `consumer`, or 404. */
  private async find(consumer: string, seq: number): Promise<DeadLetter> {
    this.operated(consumer);
    const [letter] = (await this.read(consumer, { startSeq: seq, limit: 1 })).letters;
    if (!letter || letter.seq !== seq) throw new DomainError('not_found', 'DEAD_LETTER_NOT_FOUND', `Consumer ${consumer} has no dead letter ${seq}`);
    return letter;
  }

  private async delete(seq: number): Promise<void> {
    try {
      await this.nats.jsm.streams.deleteMessage(DEAD_LETTER_STREAM, seq);
    } catch (error) {
      // Deleted meanwhile (another retry, another replica): the outcome the caller wanted.
      if (!isNotFound(error)) throw error;
    }
  }

  /** Hands the event to its consumer again, in the replica running it; the letter is deleted once applied (or found applied). */
  async retry(consumer: string, seq: number, actor: Actor): Promise<{ seq: number; consumer: string; outcome: RetryOutcome }> {
    const lease = this.operated(consumer).lease;
    const outcome = lease
      ? retryAnswerSchema.parse(JSON.parse(await lease.ask(JSON.stringify({ seq })))).outcome
      : await this.retryHere(consumer, seq);
    this.log.info({ audit: 'dead-letter.retried', actor: actor.name, consumer, seq, outcome }, 'dead letter retried');
    return { seq, consumer, outcome };
  }

  /** The retry in the replica running the consumer (the lease holder). */
  private async retryHere(consumer: string, seq: number): Promise<RetryOutcome> {
    const letter = await this.find(consumer, seq);
    const outcome = await this.operated(consumer).redeliver(letter.data, letter.headers, letter.originalSubject || letter.subject);
    await this.delete(seq);
    this.log.info({ consumer, seq, outcome, originalSubject: letter.originalSubject }, 'dead letter applied');
    return outcome;
  }

  async purge(consumer: string, seq: number, actor: Actor): Promise<{ seq: number; consumer: string; outcome: 'purged' }> {
    const letter = await this.find(consumer, seq);
    await this.delete(letter.seq);
    this.log.info({ audit: 'dead-letter.purged', actor: actor.name, consumer, seq, reason: letter.reason, originalSubject: letter.originalSubject }, 'dead letter purged');
    return { seq, consumer, outcome: 'purged' };
  }
}
