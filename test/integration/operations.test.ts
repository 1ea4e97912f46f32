import { randomUUID } from 'node:crypto';
import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { DEAD_LETTER_HEADERS, EventConsumer, on } from '@platform/runtime/consumer';
import { eventHeaders } from '@platform/runtime/nats';
import { recordEvent } from '@platform/runtime/outbox';
import { type Envelope, notificationSent, streams } from '@platform/contracts';
import {
  type DeadLetter,
  getDeadLetter,
  listDeadLetters,
  OperationError,
  purgeDeadLetters,
  replayConsumer,
  retryDeadLetters,
} from '@platform/devstack/operations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, sleep } from '@platform/test-support/eventually';
import { connectMessaging, quietLog as log, sampleEvent, testMetrics as metrics } from '@platform/test-support/messaging';
import { type Db, outboxDatabase, type Tx } from './outbox-database';

/**
 * The operator commands (`pnpm dead-letters`, `pnpm replay`) against real JetStream and
 * PostgreSQL, driving real EventConsumers. The functions tested are the ones the CLIs call.
 * Each test publishes on its own subject under `notifications.>` and filters its consumers to
 * it, so other test files sharing the NOTIFICATIONS stream do not interfere.
 */

const STREAM = streams.NOTIFICATIONS.name;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
let db: Db;
/** Durable consumers created here, deleted at the end (with their dead letters). */
const created: string[] = [];

beforeAll(async () => {
  ({ nc, js, jsm } = await connectMessaging());
  db = await outboxDatabase();
});

afterAll(async () => {
  for (const name of created) {
    await jsm?.consumers.delete(STREAM, name).catch(() => false);
    await purgeDeadLetters({ js, jsm }, { all: true, consumer: name }).catch(() => []);
  }
  await db?.$disconnect();
  await nc?.drain();
});

function uniqueName(purpose: string): string {
  const name = `test--${purpose}-${randomUUID().slice(0, 8)}`;
  created.push(name);
  return name;
}

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** Publishes like the outbox relay does (msgID = event id, event headers), on the test's own subject. */
async function publish(subject: string, event: Envelope): Promise<number> {
  const ack = await js.publish(subject, JSON.stringify(event), { msgID: event.id, headers: eventHeaders(event, { traceparent: TRACEPARENT }) });
  return ack.seq;
}

/** Polls until `accept` holds; fails with the last value seen after `timeoutMs`. */
/**
 * An EventConsumer on `subject` whose handler writes an outbox row caused by the event (the
 * effect, rolled back with a failed attempt) and counts its calls per event id.
 */
function consumerOn(name: string, subject: string, handle: (event: Envelope) => void, maxDeliver = 8) {
  const calls = new Map<string, number>();
  const consumer = new EventConsumer<Tx>({
    name,
    stream: STREAM,
    filterSubject: subject,
    subscriptions: [
      on(notificationSent, async (event, tx: Tx) => {
        calls.set(event.id, (calls.get(event.id) ?? 0) + 1);
        await recordEvent(tx, { ...sampleEvent(), causationId: event.id });
        handle(event);
      }),
    ],
    db,
    js,
    jsm,
    log,
    metrics,
    maxDeliver,
    backoffMs: [50],
    // One at a time: these tests read dead letters in the order the events were published.
    concurrency: 1,
  });
  return { consumer, calls: (id: string) => calls.get(id) ?? 0 };
}

const processed = (consumer: string, eventId: string) => db.processedEvent.count({ where: { consumer, eventId } });
const effects = (eventId: string) => db.outboxEvent.count({ where: { envelope: { path: ['causationId'], equals: eventId } } });

/**
 * Waits until the durable has acknowledged everything on its subject. Only for consumers
 * without dead letters: NATS 2.9 ignores `term(reason)`, so a dead-lettered message stays
 * in num_ack_pending.
 */
async function drained(name: string, timeoutMs = 15_000) {
  return eventually(
    () => jsm.consumers.info(STREAM, name),
    (i) => i.num_pending === 0 && i.num_ack_pending === 0,
    timeoutMs,
  );
}

describe('pnpm dead-letters', () => {
  it('lists a poison event with its reason; retry after the fix applies it exactly once, and only there', async () => {
    const subject = `notifications.ops-test.${randomUUID().slice(0, 8)}`;
    const name = uniqueName('dl-retry');
    const bystanderName = uniqueName('dl-bystander');
    const first = sampleEvent();
    const second = sampleEvent();
    let broken = true;
    const { consumer, calls } = consumerOn(
      name,
      subject,
      (event) => {
        if (broken && (event.id === first.id || event.id === second.id)) throw new Error('downstream unavailable');
      },
      2,
    );
    // Another consumer of the same subject that applies everything at once.
    const bystander = consumerOn(bystanderName, subject, () => {});
    await consumer.start();
    await bystander.consumer.start();
    try {
      const firstSeq = await publish(subject, first);
      const secondSeq = await publish(subject, second);

      // Dead-lettered after maxDeliver = 2, listed with reason and origin.
      const listed = await eventually(
        () => listDeadLetters({ js, jsm }, { consumer: name }),
        (l) => l.total === 2,
      );
      expect(listed.total).toBe(2);
      expect(listed.letters.map((l) => l.originalSequence)).toEqual([firstSeq, secondSeq]);
      const letter = listed.letters[0]!;
      expect(letter).toMatchObject({
        consumer: name,
        subject: `deadletter.${name}`,
        reason: 'handler failed 2 times: downstream unavailable',
        originalStream: STREAM,
        originalSubject: subject,
        originalSequence: firstSeq,
        deliveries: 2,
      } satisfies Partial<DeadLetter>);
      expect(JSON.parse(new TextDecoder().decode(letter.data)).id).toBe(first.id);
      await drained(bystanderName);
      expect(calls(first.id)).toBe(2);
      expect(await processed(name, first.id)).toBe(0);
      expect(await effects(first.id)).toBe(1); // the bystander's only
      // --limit and the unfiltered listing
      expect((await listDeadLetters({ js, jsm }, { consumer: name, limit: 1 })).letters.map((l) => l.seq)).toEqual([letter.seq]);
      expect((await listDeadLetters({ js, jsm })).letters.map((l) => l.seq)).toEqual(expect.arrayContaining(listed.letters.map((l) => l.seq)));
      expect(bystander.calls(first.id)).toBe(1);

      // The cause is fixed; retry one by seq.
      broken = false;
      const [outcome, ...others] = await retryDeadLetters({ js, jsm }, { seq: letter.seq, consumer: name });
      expect(others).toEqual([]);
      expect(outcome).toMatchObject({ action: 'retried', republished: { stream: STREAM, duplicate: false } });
      const republished = await jsm.streams.getMessage(STREAM, { seq: outcome!.republished!.seq });
      expect(republished!.subject).toBe(subject);
      expect(republished!.header.get('Nats-Msg-Id')).toBe(`retry:${letter.seq}`);
      expect(republished!.header.get('Platform-Event-Type')).toBe(notificationSent.type);
      expect(republished!.header.get('traceparent')).toBe(TRACEPARENT);
      expect(republished!.header.has(DEAD_LETTER_HEADERS.reason)).toBe(false);
      expect(republished!.header.has(DEAD_LETTER_HEADERS.subject)).toBe(false);
      expect(republished!.header.has(DEAD_LETTER_HEADERS.deliveries)).toBe(false);

      await eventually(() => processed(name, first.id), (n) => n === 1);
      expect(await processed(name, first.id)).toBe(1);
      expect(await getDeadLetter({ js, jsm }, letter.seq)).toBeUndefined();
      expect((await listDeadLetters({ js, jsm }, { consumer: name })).letters.map((l) => l.originalSequence)).toEqual([secondSeq]);
      // A second retry of the same seq finds nothing.
      await expect(retryDeadLetters({ js, jsm }, { seq: letter.seq })).rejects.toThrow(OperationError);

      // Retry the rest with --all --consumer.
      const rest = await retryDeadLetters({ js, jsm }, { all: true, consumer: name });
      expect(rest.map((o) => [o.action, o.letter.originalSequence])).toEqual([['retried', secondSeq]]);
      await eventually(() => processed(name, second.id), (n) => n === 1);
      await eventually(() => jsm.consumers.info(STREAM, name), (i) => i.num_pending === 0);
      await drained(bystanderName);
      await sleep(500); // room for a wrong second application to show up

      // Exactly once for the failing consumer; the bystander saw both copies but applied each once.
      expect(await processed(name, first.id)).toBe(1);
      expect(await processed(name, second.id)).toBe(1);
      expect(calls(first.id)).toBe(3); // 2 failed attempts + the retry
      expect(await effects(first.id)).toBe(2); // one per consumer: failed attempts rolled back, the bystander skipped the copy
      expect(await effects(second.id)).toBe(2);
      expect(bystander.calls(first.id)).toBe(1);
      expect(bystander.calls(second.id)).toBe(1);
      expect((await jsm.consumers.info(STREAM, bystanderName)).delivered.stream_seq).toBeGreaterThanOrEqual(outcome!.republished!.seq);
      expect((await listDeadLetters({ js, jsm }, { consumer: name })).total).toBe(0);
    } finally {
      await consumer.stop();
      await bystander.consumer.stop();
    }
  });

  it('purges dead letters by seq and by consumer without retrying them', async () => {
    const subject = `notifications.ops-test.${randomUUID().slice(0, 8)}`;
    const name = uniqueName('dl-purge');
    const poison = [sampleEvent(), sampleEvent(), sampleEvent()];
    const { consumer, calls } = consumerOn(
      name,
      subject,
      () => {
        throw new Error('always fails');
      },
      2,
    );
    await consumer.start();
    try {
      for (const event of poison) await publish(subject, event);
      const listed = await eventually(
        () => listDeadLetters({ js, jsm }, { consumer: name }),
        (l) => l.total === 3,
      );
      expect(listed.letters.map((l) => JSON.parse(new TextDecoder().decode(l.data)).id)).toEqual(poison.map((e) => e.id));
      const [a, b, c] = listed.letters;

      // --seq with another consumer's name is refused and deletes nothing.
      await expect(purgeDeadLetters({ js, jsm }, { seq: a!.seq, consumer: 'someone--else' })).rejects.toThrow(/belongs to consumer/);

      const purged = await purgeDeadLetters({ js, jsm }, { seq: a!.seq });
      expect(purged.map((o) => [o.action, o.letter.seq])).toEqual([['purged', a!.seq]]);
      expect(await getDeadLetter({ js, jsm }, a!.seq)).toBeUndefined();
      expect((await listDeadLetters({ js, jsm }, { consumer: name })).letters.map((l) => l.seq)).toEqual([b!.seq, c!.seq]);

      const rest = await purgeDeadLetters({ js, jsm }, { all: true, consumer: name });
      expect(rest.map((o) => o.letter.seq)).toEqual([b!.seq, c!.seq]);
      expect((await listDeadLetters({ js, jsm }, { consumer: name })).total).toBe(0);

      // Nothing was republished: no further attempts, nothing applied.
      await sleep(1_000);
      for (const event of poison) {
        expect(calls(event.id)).toBe(2);
        expect(await processed(name, event.id)).toBe(0);
      }
      expect((await jsm.streams.info(STREAM, { subjects_filter: subject })).state.subjects?.[subject]).toBe(3);
    } finally {
      await consumer.stop();
    }
  });
});

describe('pnpm replay', () => {
  it('makes a running consumer re-apply events whose processed_events rows were deleted, and only those', async () => {
    const subject = `notifications.ops-test.${randomUUID().slice(0, 8)}`;
    const name = uniqueName('replay');
    const events = [sampleEvent(), sampleEvent(), sampleEvent(), sampleEvent(), sampleEvent()];
    const { consumer, calls } = consumerOn(name, subject, () => {});
    await consumer.start();
    try {
      const seqs: number[] = [];
      for (const event of events) seqs.push(await publish(subject, event));
      await eventually(
        () => db.processedEvent.count({ where: { consumer: name, eventId: { in: events.map((e) => e.id) } } }),
        (n) => n === 5,
      );
      await drained(name);
      expect(events.map((e) => calls(e.id))).toEqual([1, 1, 1, 1, 1]);

      // Forget the first three (as when rebuilding a read model), keep the last two.
      const forgotten = events.slice(0, 3).map((e) => e.id);
      expect(await db.processedEvent.deleteMany({ where: { consumer: name, eventId: { in: forgotten } } })).toMatchObject({ count: 3 });

      const { before, after } = await replayConsumer({ js, jsm }, { stream: STREAM, consumer: name, from: { seq: seqs[0]! } });
      expect(before.num_pending).toBe(0);
      expect(before.config.deliver_policy).toBe(DeliverPolicy.All);
      expect(after.num_pending).toBe(5);
      expect(after.config).toMatchObject({
        durable_name: name,
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: seqs[0],
        filter_subject: subject,
        ack_policy: AckPolicy.Explicit,
        max_deliver: before.config.max_deliver,
        ack_wait: before.config.ack_wait,
      });

      // The running consumer sees its durable deleted and resumes on the re-created one.
      await eventually(
        () => db.processedEvent.count({ where: { consumer: name, eventId: { in: forgotten } } }),
        (n) => n === 3,
        15_000,
      );
      await drained(name);
      expect(await db.processedEvent.count({ where: { consumer: name, eventId: { in: events.map((e) => e.id) } } })).toBe(5);
      expect(events.map((e) => calls(e.id))).toEqual([2, 2, 2, 1, 1]);
      expect(await effects(events[0]!.id)).toBe(2);
      expect(await effects(events[4]!.id)).toBe(1);
    } finally {
      await consumer.stop();
    }
  });

  it('refuses a missing consumer, and moving forward past messages not yet delivered unless forced; --since by time', async () => {
    const subject = `notifications.ops-test.${randomUUID().slice(0, 8)}`;
    const name = uniqueName('replay-guard');
    await expect(replayConsumer({ js, jsm }, { stream: STREAM, consumer: `test--missing-${randomUUID().slice(0, 8)}`, from: { seq: 1 } })).rejects.toThrow(
      `nats consumer ls ${STREAM}`,
    );
    await expect(replayConsumer({ js, jsm }, { stream: 'NO_SUCH_STREAM', consumer: name, from: { seq: 1 } })).rejects.toThrow(/does not exist/);

    const seqs = [await publish(subject, sampleEvent())];
    await sleep(50);
    const between = new Date();
    await sleep(50);
    seqs.push(await publish(subject, sampleEvent()), await publish(subject, sampleEvent()));
    // A durable that has not acknowledged anything yet (its service is not running).
    await jsm.consumers.add(STREAM, {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: subject,
      max_deliver: 4,
      ack_wait: nanos(10_000),
    });

    const refused = replayConsumer({ js, jsm }, { stream: STREAM, consumer: name, from: { seq: seqs[2]! } });
    await expect(refused).rejects.toThrow(OperationError);
    await expect(refused).rejects.toThrow(/past 2 message\(s\) that .* has not been delivered yet/);
    expect((await jsm.consumers.info(STREAM, name)).config.deliver_policy).toBe(DeliverPolicy.All); // untouched

    const bySince = await replayConsumer({ js, jsm }, { stream: STREAM, consumer: name, from: { time: new Date(Date.now() - 60_000) } });
    expect(bySince.after.config.deliver_policy).toBe(DeliverPolicy.StartTime);
    expect(bySince.after.num_pending).toBe(3);
    await expect(replayConsumer({ js, jsm }, { stream: STREAM, consumer: name, from: { time: between } })).rejects.toThrow(/past 1 message/);

    const forced = await replayConsumer({ js, jsm }, { stream: STREAM, consumer: name, from: { time: between }, force: true });
    expect(forced.after.num_pending).toBe(2);
    expect(forced.warnings).toEqual([expect.stringMatching(/skipped \(--force\)/)]);
    expect(forced.after.config).toMatchObject({ max_deliver: 4, filter_subject: subject, deliver_policy: DeliverPolicy.StartTime });
    // The server formats the time its own way (RFC 3339, trailing zeros trimmed).
    expect(new Date(forced.after.config.opt_start_time!).getTime()).toBe(between.getTime());
    expect(forced.after.config.opt_start_seq).toBeUndefined();

    // A consumer that dead-lettered the first message (term with a reason, as EventConsumer
    // does) and acknowledged the rest can be moved anywhere it has been delivered to.
    const reader = uniqueName('replay-guard-term');
    await jsm.consumers.add(STREAM, { durable_name: reader, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, filter_subject: subject });
    const batch = await (await js.consumers.get(STREAM, reader)).fetch({ max_messages: 3, expires: 2_000 });
    for await (const msg of batch) {
      if (msg.seq === seqs[0]) msg.term('handler failed');
      else await msg.ackAck();
    }
    const moved = await replayConsumer({ js, jsm }, { stream: STREAM, consumer: reader, from: { seq: seqs[2]! } });
    expect(moved.after.num_pending).toBe(1);
    expect(moved.after.num_ack_pending).toBe(0);
  });
});
