/**
 * Operator actions on JetStream behind `pnpm dead-letters` and `pnpm replay`, as functions so the
 * integration tests run exactly what the commands run. Server 2.9 features only (single
 * `filter_subject`, no consumer reset API).
 *
 * - Dead letters: `EventConsumer` copies a message it gave up on to `deadletter.<consumer>` on
 *   DEAD_LETTERS with the original headers (minus `Nats-Msg-Id`) plus `DEAD_LETTER_HEADERS`.
 *   A retry republishes the original data to the original subject with a new msgID
 *   `retry:<dead-letter seq>`, then deletes the dead letter.
 * - Replay: a durable consumer is deleted and re-created with the same config but
 *   `by_start_sequence` / `by_start_time`, so it redelivers from that point.
 */
import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerInfo,
  DeliverPolicy,
  jetstream,
  type JetStreamClient,
  JetStreamApiError,
  type JetStreamManager,
  jetstreamManager,
  type StoredMsg,
} from '@nats-io/jetstream';
import { connect, headers, type MsgHdrs, nanos, type NatsConnection } from '@nats-io/transport-node';
import { DEAD_LETTER_HEADERS } from '@platform/runtime/consumer';
import { type DeadLetter, fromJsMsg, toDeadLetter } from '@platform/runtime/dead-letters';

export type { DeadLetter } from '@platform/runtime/dead-letters';
import { type NatsClientEnv, natsConnectionOptions } from '@platform/runtime/nats';
import { deadLetterSubject, streams } from '@platform/contracts';

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
export const DEAD_LETTER_STREAM = streams.DEAD_LETTERS.name;

/** A failure the operator can act on: the CLIs print its message (no stack) and exit 1. */
export class OperationError extends Error {
  override readonly name = 'OperationError';
}

export interface JetStreamHandles {
  js: JetStreamClient;
  jsm: JetStreamManager;
}

export interface OperationsConnection extends JetStreamHandles {
  nc: NatsConnection;
  close(): Promise<void>;
}

/**
 * Connects once (no reconnect loop: an operator command should fail fast) as `settings`' user
 * (the operator: `cliNatsSettings`) and checks JetStream is on.
 */
export async function connectOperations(settings: NatsClientEnv, name: string): Promise<OperationsConnection> {
  const url = settings.NATS_URL;
  let nc: NatsConnection;
  try {
    nc = await connect({ ...natsConnectionOptions(settings, name), timeout: 5_000, maxReconnectAttempts: 0 });
  } catch (error) {
    throw new OperationError(
      `cannot reach NATS at ${url} as ${settings.NATS_USER ?? 'nobody'}: ${(error as Error).message}. ` +
        'Is the platform running (pnpm start)? Set --nats-url or NATS_URL, and NATS_USER/NATS_PASSWORD (the operator).',
    );
  }
  try {
    const jsm = await jetstreamManager(nc, { timeout: 5_000 });
    return { nc, js: jetstream(nc, { timeout: 5_000 }), jsm, close: () => nc.drain() };
  } catch (error) {
    await nc.close();
    throw new OperationError(`NATS at ${url} has no usable JetStream: ${(error as Error).message}`);
  }
}

function isApiError(error: unknown, status: number): boolean {
  return error instanceof JetStreamApiError && error.status === status;
}

/** A consumer name is one subject token: it becomes `deadletter.<consumer>`. */
export function validateConsumerName(name: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new OperationError(`invalid consumer name ${JSON.stringify(name)}: letters, digits, '-' and '_' only (durable names are <service>--<purpose>)`);
  }
  return name;
}

// ---------------------------------------------------------------------------------------------
// Dead letters

function fromStored(m: StoredMsg): DeadLetter {
  return toDeadLetter({ seq: m.seq, time: m.time, subject: m.subject, headers: m.header, data: m.data });
}

function deadLetterFilter(consumer: string | undefined): string {
  return consumer ? deadLetterSubject(validateConsumerName(consumer)) : deadLetterSubject('>');
}

export interface ListDeadLettersOptions {
  consumer?: string;
  /** Oldest first, at most this many (default: all). */
  limit?: number;
}

export interface DeadLetterList {
  /** How many dead letters match, including those beyond `limit`. */
  total: number;
  letters: DeadLetter[];
}

async function requireStream(jsm: JetStreamManager, stream: string, filter?: string) {
  try {
    return await jsm.streams.info(stream, filter ? { subjects_filter: filter } : undefined);
  } catch (error) {
    if (isApiError(error, 404)) {
      throw new OperationError(`stream ${stream} does not exist (services create the streams when they start; list them with: nats stream ls)`);
    }
    throw error;
  }
}

/** Dead letters on DEAD_LETTERS, oldest first, optionally of one consumer (`deadletter.<consumer>`). */
export async function listDeadLetters({ js, jsm }: JetStreamHandles, options: ListDeadLettersOptions = {}): Promise<DeadLetterList> {
  const filter = deadLetterFilter(options.consumer);
  const info = await requireStream(jsm, DEAD_LETTER_STREAM, filter);
  const total = Object.values(info.state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
  const wanted = Math.min(total, options.limit ?? total);
  const letters: DeadLetter[] = [];
  if (wanted === 0) return { total, letters };
  // An ordered (ephemeral, unacknowledged) consumer reads the stream without touching any durable.
  const reader = await js.consumers.get(DEAD_LETTER_STREAM, { filter_subjects: filter });
  try {
    let exhausted = false;
    while (!exhausted && letters.length < wanted) {
      const batch = await reader.fetch({ max_messages: Math.min(wanted - letters.length, 256), expires: 2_000 });
      let received = 0;
      for await (const msg of batch) {
        received += 1;
        letters.push(fromJsMsg(msg));
        if (msg.info.pending === 0) exhausted = true;
        if (exhausted || letters.length >= wanted) break;
      }
      // Nothing arrived: letters were deleted since the count was taken.
      if (received === 0) exhausted = true;
    }
  } finally {
    await reader.delete().catch(() => false);
  }
  return { total, letters };
}

/** One dead letter by its DEAD_LETTERS sequence, or undefined. */
export async function getDeadLetter({ jsm }: JetStreamHandles, seq: number): Promise<DeadLetter | undefined> {
  await requireStream(jsm, DEAD_LETTER_STREAM);
  try {
    const stored = await jsm.streams.getMessage(DEAD_LETTER_STREAM, { seq });
    if (!stored || !stored.subject.startsWith('deadletter.')) return undefined;
    return fromStored(stored);
  } catch (error) {
    if (isApiError(error, 404)) return undefined;
    throw error;
  }
}

/** `--seq N` or `--all`, optionally restricted to one consumer. */
export type DeadLetterSelection = { seq: number; consumer?: string } | { all: true; consumer?: string };

async function selectDeadLetters(handles: JetStreamHandles, selection: DeadLetterSelection): Promise<DeadLetter[]> {
  if ('seq' in selection) {
    const letter = await getDeadLetter(handles, selection.seq);
    if (!letter) throw new OperationError(`no dead letter with seq ${selection.seq} on ${DEAD_LETTER_STREAM} (see: pnpm dead-letters list)`);
    if (selection.consumer && letter.consumer !== validateConsumerName(selection.consumer)) {
      throw new OperationError(`dead letter ${selection.seq} belongs to consumer ${letter.consumer}, not ${selection.consumer}`);
    }
    return [letter];
  }
  return (await listDeadLetters(handles, { consumer: selection.consumer })).letters;
}

/** Headers that describe the dead-lettering, or that JetStream would interpret on publish. */
function isDeadLetterOrServerHeader(key: string): boolean {
  const k = key.toLowerCase();
  return (
    k.startsWith('platform-dead-letter-') ||
    k.startsWith('platform-original-') ||
    k.startsWith('nats-') ||
    Object.values(DEAD_LETTER_HEADERS).some((h) => h.toLowerCase() === k)
  );
}

/** The original headers (event type, version, correlation id, traceparent …) without the dead-letter ones. */
export function originalHeaders(letter: DeadLetter): MsgHdrs {
  const h = headers();
  for (const [key, values] of letter.headers ?? []) {
    if (isDeadLetterOrServerHeader(key)) continue;
    for (const value of values) h.append(key, value);
  }
  return h;
}

export interface DeadLetterOutcome {
  letter: DeadLetter;
  action: 'retried' | 'purged' | 'failed';
  /** For a retry: where the event landed again. */
  republished?: { stream: string; seq: number; duplicate: boolean };
  error?: string;
}

/**
 * Republishes each selected dead letter's original data to its original subject with its
 * original headers and msgID `retry:<dead-letter seq>` (the original id would fall in the
 * duplicate window), then deletes the dead letter. A failure on one does not stop the others.
 */
export async function retryDeadLetters(handles: JetStreamHandles, selection: DeadLetterSelection): Promise<DeadLetterOutcome[]> {
  const outcomes: DeadLetterOutcome[] = [];
  for (const letter of await selectDeadLetters(handles, selection)) {
    try {
      if (!letter.originalSubject || !letter.originalStream) {
        throw new Error(`it has no ${DEAD_LETTER_HEADERS.subject}/${DEAD_LETTER_HEADERS.stream} header: not written by EventConsumer; purge it instead`);
      }
      const ack = await handles.js.publish(letter.originalSubject, letter.data, {
        headers: originalHeaders(letter),
        msgID: `retry:${letter.seq}`,
        // Lands in the stream it came from, or fails (e.g. the subject moved to another stream).
        expect: { streamName: letter.originalStream },
      });
      // A duplicate means an earlier retry of this letter published but did not get to delete it.
      await handles.jsm.streams.deleteMessage(DEAD_LETTER_STREAM, letter.seq);
      outcomes.push({ letter, action: 'retried', republished: { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate } });
    } catch (error) {
      outcomes.push({ letter, action: 'failed', error: (error as Error).message });
    }
  }
  return outcomes;
}

/** Deletes the selected dead letters without retrying them. */
export async function purgeDeadLetters(handles: JetStreamHandles, selection: DeadLetterSelection): Promise<DeadLetterOutcome[]> {
  const outcomes: DeadLetterOutcome[] = [];
  for (const letter of await selectDeadLetters(handles, selection)) {
    try {
      await handles.jsm.streams.deleteMessage(DEAD_LETTER_STREAM, letter.seq);
      outcomes.push({ letter, action: 'purged' });
    } catch (error) {
      outcomes.push({ letter, action: 'failed', error: (error as Error).message });
    }
  }
  return outcomes;
}

/** One line: seq, time, consumer, original subject/stream/seq, deliveries, reason. */
export function formatDeadLetter(letter: DeadLetter): string {
  const original = `${letter.originalSubject || '?'} (${letter.originalStream || '?'} #${letter.originalSequence ?? '?'})`;
  return [
    `seq=${letter.seq}`,
    letter.time.toISOString(),
    `consumer=${letter.consumer}`,
    `original=${original}`,
    `deliveries=${letter.deliveries ?? '?'}`,
    `reason=${JSON.stringify(letter.reason)}`,
  ].join('  ');
}

export function formatOutcome(outcome: DeadLetterOutcome): string {
  const { letter } = outcome;
  const what = `dead letter seq=${letter.seq} (consumer ${letter.consumer}, ${letter.originalSubject || '?'} ${letter.originalStream || '?'} #${letter.originalSequence ?? '?'})`;
  switch (outcome.action) {
    case 'retried': {
      const r = outcome.republished!;
      const note = r.duplicate ? ' (already republished by an earlier retry; JetStream kept the first copy)' : '';
      return `retried ${what}: republished to ${letter.originalSubject} as ${r.stream} #${r.seq} with msgID retry:${letter.seq}${note}; dead letter deleted`;
    }
    case 'purged':
      return `purged ${what}`;
    case 'failed':
      return `FAILED ${what}: ${outcome.error}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Replay

export type ReplayStart = { seq: number } | { time: Date };

export interface ReplayOptions {
  stream: string;
  consumer: string;
  from: ReplayStart;
  /** Allow moving the consumer forward past messages it has not received yet. */
  force?: boolean;
}

export interface ReplayResult {
  before: ConsumerInfo;
  after: ConsumerInfo;
  /** Things the operator should know (printed by the CLI). */
  warnings: string[];
}

function startConfig(from: ReplayStart): Pick<ConsumerConfig, 'deliver_policy' | 'opt_start_seq' | 'opt_start_time'> {
  return 'seq' in from
    ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from.seq }
    : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: from.time.toISOString() };
}

/**
 * How many messages matching `filter` a consumer starting at `from` would be delivered,
 * measured with a throwaway ephemeral consumer (no acks, in memory, deleted at once).
 */
async function pendingFrom(jsm: JetStreamManager, stream: string, filter: string | undefined, from: ReplayStart): Promise<number> {
  const info = await jsm.consumers.add(stream, {
    ack_policy: AckPolicy.None,
    ...startConfig(from),
    ...(filter && { filter_subject: filter }),
    inactive_threshold: nanos(60_000),
    mem_storage: true,
    num_replicas: 1,
  });
  await jsm.consumers.delete(stream, info.name).catch(() => false);
  return info.num_pending;
}

/**
 * Moves a durable consumer to `from`: reads its config, deletes it, re-creates it with the same
 * config and `by_start_sequence` / `by_start_time`. Everything from there is redelivered; a
 * running service's pull resumes on the re-created consumer (same name) by itself.
 *
 * Refuses (unless `force`) to move a consumer forward past messages it has not been delivered
 * yet: they would never reach it. The guard uses the delivery point, not the ack floor: on
 * NATS 2.9 a dead-lettered message (`term` with a reason) stays unacknowledged for good.
 */
export async function replayConsumer({ jsm }: JetStreamHandles, options: ReplayOptions): Promise<ReplayResult> {
  const { stream, consumer, from } = options;
  validateConsumerName(consumer);
  if ('seq' in from && (!Number.isSafeInteger(from.seq) || from.seq < 1)) throw new OperationError(`--from-seq must be a positive integer`);
  if ('time' in from && Number.isNaN(from.time.getTime())) throw new OperationError(`--since is not a valid time`);
  await requireStream(jsm, stream);
  let before: ConsumerInfo;
  try {
    before = await jsm.consumers.info(stream, consumer);
  } catch (error) {
    if (isApiError(error, 404)) {
      throw new OperationError(`consumer ${consumer} does not exist on stream ${stream}; replay only moves an existing durable consumer (list them with: nats consumer ls ${stream})`);
    }
    throw error;
  }
  if (!before.config.durable_name) throw new OperationError(`consumer ${consumer} on ${stream} is ephemeral; only durable consumers can be replayed`);

  const filter = before.config.filter_subject;
  const warnings: string[] = [];
  const target = await pendingFrom(jsm, stream, filter, from);
  const delivered = before.delivered.stream_seq;
  const undelivered = (await pendingFrom(jsm, stream, filter, { seq: delivered + 1 })) - target;
  if (undelivered > 0) {
    const message = `the start point is past ${undelivered} message(s) that ${consumer} has not been delivered yet (it has been delivered up to stream seq ${delivered})`;
    if (!options.force) {
      throw new OperationError(`${message}; they would be skipped for good. Replay moves a consumer back: start at or before stream seq ${delivered + 1}, or pass --force to skip them.`);
    }
    warnings.push(`${message}: skipped (--force)`);
  }
  if (before.num_ack_pending > 0) {
    warnings.push(
      `${before.num_ack_pending} message(s) had been delivered but not acknowledged (in flight, waiting for a retry, or dead-lettered); ` +
        `any of them before the start point will not be redelivered (dead letters stay on ${DEAD_LETTER_STREAM}).`,
    );
  }

  const config: Partial<ConsumerConfig> = { ...before.config, ...startConfig(from) };
  if ('seq' in from) delete config.opt_start_time;
  else delete config.opt_start_seq;

  await jsm.consumers.delete(stream, consumer);
  let after: ConsumerInfo;
  try {
    after = await jsm.consumers.add(stream, config);
  } catch (error) {
    // Put it back where it was, as near as JetStream allows: just past its ack floor.
    const floor = before.ack_floor.stream_seq;
    const restore: Partial<ConsumerConfig> = { ...before.config, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: floor + 1 };
    delete restore.opt_start_time;
    const restored = await jsm.consumers.add(stream, restore).then(
      () => `it was re-created from stream seq ${floor + 1} (just past its ack floor)`,
      (restoreError: Error) => `restoring it also failed (${restoreError.message}); the owning service re-creates it from the start of the stream when it restarts`,
    );
    throw new OperationError(`re-creating ${consumer} failed: ${(error as Error).message}; ${restored}`);
  }
  return { before, after, warnings };
}

export function formatConsumerState(info: ConsumerInfo): string {
  const c = info.config;
  const start =
    c.deliver_policy === DeliverPolicy.StartSequence
      ? `by_start_sequence ${c.opt_start_seq}`
      : c.deliver_policy === DeliverPolicy.StartTime
        ? `by_start_time ${c.opt_start_time}`
        : c.deliver_policy;
  return [
    `num_pending=${info.num_pending}`,
    `num_ack_pending=${info.num_ack_pending}`,
    `delivered_stream_seq=${info.delivered.stream_seq}`,
    `ack_floor_stream_seq=${info.ack_floor.stream_seq}`,
    `deliver_policy=${start}`,
    `filter=${c.filter_subject ?? '(all)'}`,
  ].join('  ');
}
