import { randomUUID } from 'node:crypto';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { DEAD_LETTER_HEADERS, EventConsumer, on, type Subscription } from '@platform/runtime/consumer';
import { DependencyUnavailableError } from '@platform/contracts/errors';
import { publishEnvelope } from '@platform/runtime/nats';
import { newEvent, OUTBOX_RELAY_LOCK, OutboxRelay, recordEvent, recordEvents } from '@platform/runtime/outbox';
import { deadLetterSubject, type Envelope, notificationFailed, notificationSent, opsTaskChanged, opsTaskChangedV1, streams, timelineEntryRecorded, timelineSubject } from '@platform/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@platform/test-support/eventually';
import { holdTransaction } from '@platform/test-support/held-transaction';
import { recordedEvents } from '@platform/test-support/recorded-events';
import { connectMessaging, quietLog as log, sampleEvent, testMetrics as metrics } from '@platform/test-support/messaging';
import { DeadLetterBox } from '@platform/runtime/dead-letters';
import { scheduleTimer } from '@platform/runtime/timers';
import { onCommit, type Written } from '@platform/runtime/transaction-scope';
import { countingCalls, type Db, outboxDatabaseAt, outboxInserts, outboxRelayClient, type Tx } from './outbox-database';

/**
 * The platform's transport guarantees, against real JetStream and PostgreSQL: events leave
 * only through the outbox after commit, duplicates are dropped, consumers apply each event
 * once, retry with backoff, and dead-letter what they cannot handle.
 */

let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
let db: Db;
/** The relays' client: one connection, as a service gives its relay. */
let relayDb: Db;
/** Told after each commit of `db` what it wrote (as the runtime's relay and timer wake-ups are). */
let committed: ((written: Written) => void) | undefined;

beforeAll(async () => {
  ({ nc, js, jsm } = await connectMessaging());
  let url: string;
  ({ db, url } = await outboxDatabaseAt());
  relayDb = outboxRelayClient(url);
  onCommit(db, (written) => committed?.(written));
});

afterAll(async () => {
  await db?.$disconnect();
  await relayDb?.$disconnect();
  await nc?.drain();
});

/** Which of these events JetStream stores, in stream order (their rows are gone: published, or never committed). */
async function storedIds(ids: readonly string[]): Promise<string[]> {
  return (await recordedEvents(db, { js, jsm }, notificationSent.type)).filter((event) => ids.includes(event.id)).map((event) => event.id);
}

/** Whether another session could take the relay's lock now (let go again in the same statement). */
async function relayLockFree(): Promise<boolean> {
  const [lock] = await db.$queryRaw<Array<{ free: boolean }>>`
    SELECT CASE WHEN pg_try_advisory_lock(${OUTBOX_RELAY_LOCK}) THEN pg_advisory_unlock(${OUTBOX_RELAY_LOCK}) ELSE false END AS free`;
  return lock!.free;
}

/** How many sample events JetStream acknowledged to the relays (storedIds counts the rows still waiting too). */
async function acknowledged(): Promise<number> {
  return (await metrics.outboxPublished.get()).values.find((value) => value.labels.type === notificationSent.type)?.value ?? 0;
}

/** Commits `count` events in one transaction; their ids, in outbox order. */
async function recordSampleEvents(count: number): Promise<string[]> {
  const events = Array.from({ length: count }, () => sampleEvent());
  await db.$transaction((tx) => recordEvents(tx, events));
  return events.map((event) => event.id);
}

describe('outbox relay', () => {
  it('refuses a database client of several connections: its lock belongs to one', () => {
    expect(() => new OutboxRelay({ db, js, log, metrics })).toThrow('one connection');
  });

  it('lets one relay publish at a time, so replicas cannot reorder the events of an order', async () => {
    const event = sampleEvent();
    await db.$transaction((tx) => recordEvent(tx, event));
    const pending = () => db.outboxEvent.count({ where: { id: event.id } });
    const relay = new OutboxRelay({ db: relayDb, js, log, metrics, pollIntervalMs: 10 });
    // Another replica mid-batch holds the relay lock.
    await db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${OUTBOX_RELAY_LOCK})`;
      expect(await relay.relayBatch()).toEqual({ published: 0, failed: 0 });
    });
    expect(await pending()).toBe(1);
    expect(await relay.relayBatch()).toMatchObject({ failed: 0 });
    expect(await pending()).toBe(0);
  });

  it('publishes an event on the subject its definition names: a timeline entry under its customer and order', async () => {
    const orderId = randomUUID();
    const customerId = 'cust.with dots *';
    const entry = { id: `status:${randomUUID()}`, orderId, at: new Date().toISOString(), audience: 'customer', kind: 'status', status: 'pending', previousStatus: null, reason: null } as const;
    const event = newEvent(timelineEntryRecorded, { aggregateId: orderId, source: 'test', data: { customerId, entry } });
    await db.$transaction((tx) => recordEvent(tx, event));
    await new OutboxRelay({ db: relayDb, js, log, metrics }).relayBatch();
    const stored = await jsm.streams.getMessage(streams.TIMELINE.name, { last_by_subj: timelineSubject(customerId, orderId) });
    expect(stored?.json<Envelope>().id).toBe(event.id);
  });

  it('publishes committed events once, with Nats-Msg-Id = event id, and never rolled-back ones', async () => {
    const committed = sampleEvent();
    const rolledBack = sampleEvent();
    await db.$transaction(async (tx) => recordEvent(tx, committed));
    await expect(
      db.$transaction(async (tx) => {
        await recordEvent(tx, rolledBack);
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');

    const rows = () => db.outboxEvent.findMany({ where: { id: { in: [committed.id, rolledBack.id] } } });
    expect((await rows()).map((r) => r.id)).toEqual([committed.id]);

    const relay = new OutboxRelay({ db: relayDb, js, log, metrics, pollIntervalMs: 50 });
    relay.start();
    try {
      await eventually(rows, (r) => r.length === 0);
    } finally {
      await relay.stop();
    }

    // A relay that died after publishing but before deleting the row publishes again: JetStream drops it.
    const ack = await js.publish(committed.type, JSON.stringify(committed), { msgID: committed.id });
    expect(ack.duplicate).toBe(true);
    expect(await storedIds([committed.id, rolledBack.id])).toEqual([committed.id]);
  });

  it('deletes the rows JetStream acknowledged and keeps the one it refused, which the lag counts', async () => {
    const [first, second] = [sampleEvent(), sampleEvent()];
    // No stream takes this subject, so JetStream refuses it.
    const refused: Envelope = { ...sampleEvent(), id: randomUUID(), type: `test.unstreamed.${randomUUID()}` };
    const ids = [first.id, refused.id, second.id];
    await db.$transaction((tx) => recordEvents(tx, [first, refused, second]));
    const relay = new OutboxRelay({ db: relayDb, js, log, metrics });
    try {
      expect(await relay.relayBatch()).toEqual({ published: 2, failed: 1 });
      expect(await db.outboxEvent.findMany({ where: { id: { in: ids } }, select: { id: true } })).toEqual([{ id: refused.id }]);
      expect(await relay.lag()).toMatchObject({ pending: 1 });
      expect(await storedIds(ids)).toEqual([first.id, second.id]);
    } finally {
      await db.outboxEvent.deleteMany({ where: { id: refused.id } });
    }
  });

  it('polls with one statement while nothing waits, and relays an event without a transaction', async () => {
    const { db: counted, calls } = countingCalls(relayDb, ['driver.transaction', 'driver.query', 'driver.execute']);
    const relay = new OutboxRelay({ db: counted, js, log, metrics, pollIntervalMs: 10 });
    relay.start();
    try {
      await eventually(async () => calls['driver.query'], (n) => n >= 5);
      expect(calls['driver.execute']).toBe(0);
      // Committed by another client (another replica): no wake-up, the poll finds it.
      const event = sampleEvent();
      await db.$transaction((tx) => recordEvent(tx, event));
      await eventually(() => db.outboxEvent.count({ where: { id: event.id } }), (n) => n === 0);
      // The read, then the read at the linger's end that deletes it, finds nothing and lets the lock go.
      expect(calls['driver.execute']).toBe(0);
      expect(calls['driver.transaction']).toBe(0);
      expect(await relayLockFree()).toBe(true);
      expect(await storedIds([event.id])).toEqual([event.id]);
    } finally {
      await relay.stop();
    }
  });

  it('deletes a batch with the next read while it goes again at once, and lets the lock go after its linger', async () => {
    const ids = await recordSampleEvents(5);
    const { db: counted, calls } = countingCalls(relayDb, ['driver.query', 'driver.execute']);
    const relay = new OutboxRelay({ db: counted, js, log, metrics, batchSize: 2, pollIntervalMs: 60_000 });
    relay.start();
    try {
      await eventually(() => db.outboxEvent.count({ where: { id: { in: ids } } }), (n) => n === 0);
      // Three reads (2, 2 and 1 rows), each deleting the batch before it; once no commit came for
      // the linger, a fourth deleted the last, found nothing and let the lock go: no statement of its own.
      expect(calls['driver.execute']).toBe(0);
      expect(await storedIds(ids)).toEqual(ids);
      expect(await relayLockFree()).toBe(true);
    } finally {
      await relay.stop();
    }
  });

  it('keeps its lock and last batch while commits come, counted as published: the next read deletes the batch, and the stop lets go', async () => {
    const { db: counted, calls } = countingCalls(relayDb, ['driver.query', 'driver.execute']);
    const relay = new OutboxRelay({ db: counted, js, log, metrics, pollIntervalMs: 60_000, lingerMs: 60_000 });
    const before = await acknowledged();
    const [first] = await recordSampleEvents(1);
    let second: string | undefined;
    relay.start();
    try {
      await eventually(acknowledged, (n) => n === before + 1);
      // Published, and kept with the lock for the next commit: no other session can take it.
      expect(await db.outboxEvent.count({ where: { id: first } })).toBe(1);
      expect(await relayLockFree()).toBe(false);
      // Its lag counts the row no more: the event is on the stream.
      expect((await relay.lag()).pending).toBe(await db.outboxEvent.count({ where: { id: { not: first } } }));
      [second] = await recordSampleEvents(1);
      relay.notify();
      await eventually(acknowledged, (n) => n === before + 2);
      // The second read deleted the first batch, with no statement of its own, and keeps the second.
      expect(await db.outboxEvent.count({ where: { id: first } })).toBe(0);
      expect(await db.outboxEvent.count({ where: { id: second } })).toBe(1);
      expect(calls['driver.execute']).toBe(0);
    } finally {
      await relay.stop();
    }
    expect(calls['driver.execute']).toBe(1);
    expect(await db.outboxEvent.count({ where: { id: second } })).toBe(0);
    expect(await storedIds([first!, second!])).toEqual([first, second]);
    expect(await relayLockFree()).toBe(true);
  });

  it("publishes another replica's events committed while it kept the lock: the read at its linger's end finds them, and only an empty read lets go", async () => {
    // A linger long enough for the second commit to come within it on a busy machine.
    const relay = new OutboxRelay({ db: relayDb, js, log, metrics, pollIntervalMs: 60_000, lingerMs: 1_000 });
    const before = await acknowledged();
    const [first] = await recordSampleEvents(1);
    relay.start();
    try {
      await eventually(acknowledged, (n) => n === before + 1);
      expect(await relayLockFree()).toBe(false);
      // Committed by another replica, whose relay found the lock taken: nothing wakes this one.
      const [second] = await recordSampleEvents(1);
      await eventually(() => db.outboxEvent.count({ where: { id: { in: [first!, second!] } } }), (n) => n === 0);
      expect(await storedIds([first!, second!])).toEqual([first, second]);
      expect(await relayLockFree()).toBe(true);
    } finally {
      await relay.stop();
    }
  });

  it('reads once more after its linger when its read found the lock taken by another replica', async () => {
    const { db: counted, calls } = countingCalls(relayDb, ['driver.query']);
    const relay = new OutboxRelay({ db: counted, js, log, metrics, pollIntervalMs: 60_000, lingerMs: 500 });
    const [id] = await recordSampleEvents(1);
    // Another replica holds the relay lock until told to let go.
    const holder = await holdTransaction(db, (tx) => tx.$executeRaw`SELECT pg_advisory_xact_lock(${OUTBOX_RELAY_LOCK})`, 30_000);
    relay.start();
    try {
      // The first round: the poll, the read that finds the lock taken, then the lag metrics' count.
      await eventually(async () => calls['driver.query'], (n) => n >= 3);
      await holder.release();
      await eventually(() => db.outboxEvent.count({ where: { id } }), (n) => n === 0);
      expect(await storedIds([id!])).toEqual([id]);
    } finally {
      await holder.release();
      await relay.stop();
    }
  });

  it('deletes what it published when it stops between batches', async () => {
    const ids = await recordSampleEvents(2);
    // The publishes wait until the relay is told to stop.
    let publishing!: () => void;
    const publishStarted = new Promise<void>((resolve) => (publishing = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const heldJs = new Proxy(js, {
      get: (target, property, receiver) =>
        property === 'publish'
          ? async (...args: Parameters<JetStreamClient['publish']>) => {
              publishing();
              await released;
              return target.publish(...args);
            }
          : Reflect.get(target, property, receiver),
    });
    // A full batch: its rows wait for the next read, which the stop comes before.
    const relay = new OutboxRelay({ db: relayDb, js: heldJs, log, metrics, batchSize: 2, pollIntervalMs: 60_000 });
    relay.start();
    await publishStarted;
    const stopped = relay.stop();
    release();
    await stopped;
    expect(await storedIds(ids)).toEqual(ids);
    expect(await db.outboxEvent.count({ where: { id: { in: ids } } })).toBe(0);
  });
});

describe('event consumer', () => {
  function startConsumer(
    name: string,
    handle: (event: Envelope, tx: Tx) => Promise<void>,
    extra: { maxDeliver?: number; concurrency?: number; batch?: number } = {},
  ) {
    const consumer = new EventConsumer<Tx>({
      name,
      stream: streams.NOTIFICATIONS.name,
      subscriptions: [on(notificationSent, handle)],
      db,
      js,
      jsm,
      log,
      metrics,
      backoffMs: [50],
      ...extra,
    });
    return consumer;
  }

  it('applies a re-published event once', async () => {
    const name = `test--once-${randomUUID().slice(0, 8)}`;
    const event = sampleEvent();
    const seen: string[] = [];
    const consumer = startConsumer(name, async (e, tx) => {
      seen.push(e.id);
      await recordEvent(tx, { ...sampleEvent(e.aggregateId), causationId: e.id });
    });
    await consumer.start();
    try {
      await publishEnvelope(js, event);
      // The same event again under another message id: JetStream keeps both, the consumer must not.
      await js.publish(event.type, JSON.stringify(event), { msgID: `${event.id}-again` });
      await eventually(async () => db.processedEvent.count({ where: { consumer: name, eventId: event.id } }), (n) => n === 1);
      await new Promise((r) => setTimeout(r, 500));
      expect(seen.filter((id) => id === event.id)).toHaveLength(1);
      expect(await db.outboxEvent.count({ where: { envelope: { path: ['causationId'], equals: event.id } } })).toBe(1);
    } finally {
      await consumer.stop();
    }
  });

  it('tells after each commit what it wrote: only a commit that recorded events wakes the relay, only one that scheduled a timer tells the timers which (kind, due time)', async () => {
    const name = `test--effects-${randomUUID().slice(0, 8)}`;
    const [writesEvent, schedules, writesNothing] = [sampleEvent(), sampleEvent(), sampleEvent()];
    const written = new Map<string, Written>();
    const fireAt = new Date();
    let current = '';
    // One at a time (concurrency 1): each commit belongs to the last event handled.
    committed = (effects) => written.set(current, effects);
    const consumer = startConsumer(name, async (e, tx) => {
      current = e.id;
      if (e.id === writesEvent.id) await recordEvent(tx, { ...sampleEvent(e.aggregateId), causationId: e.id });
      if (e.id === schedules.id) await scheduleTimer(tx, { kind: 'test.effects', key: e.id, fireAt });
    });
    for (const event of [writesEvent, schedules, writesNothing]) await publishEnvelope(js, event);
    await consumer.start();
    try {
      // The stream holds other tests' events too: this consumer reads it from the start.
      await eventually(async () => [writesEvent, schedules, writesNothing].every((e) => written.has(e.id)), (all) => all, 20_000);
      expect(written.get(writesEvent.id)).toEqual({ events: true, timers: [] });
      expect(written.get(schedules.id)).toEqual({ events: false, timers: [{ kind: 'test.effects', fireAt }] });
      expect(written.get(writesNothing.id)).toEqual({ events: false, timers: [] });
    } finally {
      await consumer.stop();
      committed = undefined;
      await db.$executeRaw`DELETE FROM timers WHERE kind = 'test.effects'`;
    }
  });

  it('writes the events a handler records in several steps in one statement before its commit, in the order recorded', async () => {
    const name = `test--batched-${randomUUID().slice(0, 8)}`;
    const trigger = sampleEvent();
    const recorded = [sampleEvent(trigger.aggregateId), sampleEvent(trigger.aggregateId), sampleEvent(trigger.aggregateId)];
    const consumer = startConsumer(name, async (e, tx) => {
      if (e.id !== trigger.id) return;
      for (const event of recorded) await recordEvent(tx, event);
    });
    await publishEnvelope(js, trigger);
    await consumer.start();
    try {
      const ids = recorded.map((e) => e.id);
      const rows = await eventually(
        async () => db.outboxEvent.findMany({ where: { id: { in: ids } }, orderBy: { seq: 'asc' }, select: { id: true } }),
        (found) => found.length === 3,
      );
      expect(rows.map((row) => row.id)).toEqual(ids);
      expect(await outboxInserts(db, ids)).toBe(1);
    } finally {
      await consumer.stop();
    }
  });

  it('with concurrency, handles different orders side by side and each order\'s events in stream order', async () => {
    const name = `test--ordered-${randomUUID().slice(0, 8)}`;
    const orders = [randomUUID(), randomUUID(), randomUUID()];
    const events = Array.from({ length: 5 }, () => orders.map((orderId) => sampleEvent(orderId))).flat(); // interleaved
    const seen = new Map<string, string[]>(orders.map((o) => [o, []]));
    let running = 0;
    let mostAtOnce = 0;
    const consumer = startConsumer(
      name,
      async (e) => {
        if (!seen.has(e.aggregateId)) return;
        running += 1;
        mostAtOnce = Math.max(mostAtOnce, running);
        // Later events finish faster: without per-order ordering they would overtake earlier ones.
        await new Promise((r) => setTimeout(r, 60 - 10 * seen.get(e.aggregateId)!.length));
        seen.get(e.aggregateId)!.push(e.id);
        running -= 1;
      },
      { concurrency: 4 },
    );
    for (const event of events) await publishEnvelope(js, event);
    await consumer.start();
    try {
      await eventually(async () => [...seen.values()].every((ids) => ids.length === 5), (done) => done, 20_000);
      for (const orderId of orders) {
        expect(seen.get(orderId)).toEqual(events.filter((e) => e.aggregateId === orderId).map((e) => e.id));
      }
      expect(mostAtOnce).toBeGreaterThan(1);
    } finally {
      await consumer.stop();
    }
  });

  it('with a batch, applies the events at hand in few transactions, each once and each order\'s in stream order; a failed batch is applied again one by one', async () => {
    const name = `test--batch-${randomUUID().slice(0, 8)}`;
    const orders = [randomUUID(), randomUUID(), randomUUID()];
    const events = Array.from({ length: 5 }, () => orders.map((orderId) => sampleEvent(orderId))).flat(); // interleaved
    const poison = events[7]!;
    let running = 0;
    let mostAtOnce = 0;
    const consumer = startConsumer(
      name,
      async (e, tx) => {
        running += 1;
        mostAtOnce = Math.max(mostAtOnce, running);
        try {
          await new Promise((resolve) => setTimeout(resolve, 5));
          if (e.id === poison.id) throw new Error('cannot handle this one');
          await recordEvent(tx, { ...sampleEvent(e.aggregateId), causationId: e.id });
        } finally {
          running -= 1;
        }
      },
      { batch: 8, concurrency: 2, maxDeliver: 2 },
    );
    await consumer.start();
    try {
      // One at a time while it runs: batches form from what arrives while others are in flight.
      for (const event of events) await publishEnvelope(js, event);
      const healthy = events.filter((e) => e.id !== poison.id);
      const effects = () =>
        db.$queryRaw<{ cause: string; tx: string; seq: bigint }[]>`
          SELECT envelope->>'causationId' AS cause, xmin::text AS tx, seq FROM outbox_events
          WHERE envelope->>'causationId' = ANY(${healthy.map((e) => e.id)}::text[]) ORDER BY seq`;
      const rows = await eventually(effects, (r) => r.length >= healthy.length, 20_000);
      await eventually(() => jsm.streams.getMessage(streams.DEAD_LETTERS.name, { last_by_subj: deadLetterSubject(name) }).catch(() => null), (m) => m !== null);
      // Each applied once, in as many transactions as batches (fewer than events)...
      expect(rows.map((row) => row.cause).sort()).toEqual(healthy.map((e) => e.id).sort());
      expect(new Set(rows.map((row) => row.tx)).size).toBeLessThan(healthy.length);
      // ...never more batches at once than the consumer's concurrency...
      expect(mostAtOnce).toBeLessThanOrEqual(2);
      // ...each order's effects in its events' stream order...
      for (const orderId of orders) {
        const mine = healthy.filter((e) => e.aggregateId === orderId).map((e) => e.id);
        expect(rows.map((row) => row.cause).filter((cause) => mine.includes(cause))).toEqual(mine);
      }
      // ...and the poison, rolled back with its batch, failed on its own and was dead-lettered.
      expect(await db.processedEvent.count({ where: { consumer: name, eventId: poison.id } })).toBe(0);
      expect(await db.processedEvent.count({ where: { consumer: name, eventId: { in: healthy.map((e) => e.id) } } })).toBe(healthy.length);
    } finally {
      await consumer.stop();
    }
  });

  it('with a batch, skips an event applied before (its claim committed, its ack lost) and a second copy of one in the same batch', async () => {
    const name = `test--batch-claims-${randomUUID().slice(0, 8)}`;
    const orderId = randomUUID();
    const [appliedBefore, copied, fresh] = [sampleEvent(orderId), sampleEvent(orderId), sampleEvent(orderId)];
    const ours = new Set([appliedBefore.id, copied.id, fresh.id]);
    const handled: string[] = [];
    await db.processedEvent.create({ data: { consumer: name, eventId: appliedBefore.id } });
    const consumer = startConsumer(
      name,
      async (e) => {
        if (ours.has(e.id)) handled.push(e.id);
      },
      { batch: 8 },
    );
    // All in the stream before the consumer starts: they arrive together and form one batch.
    await publishEnvelope(js, appliedBefore);
    await publishEnvelope(js, copied);
    await js.publish(copied.type, JSON.stringify(copied), { msgID: `${copied.id}-again` });
    await publishEnvelope(js, fresh);
    await consumer.start();
    try {
      await eventually(async () => db.processedEvent.count({ where: { consumer: name, eventId: fresh.id } }), (n) => n === 1, 20_000);
      expect(handled).toEqual([copied.id, fresh.id]);
      expect(await db.processedEvent.count({ where: { consumer: name, eventId: { in: [...ours] } } })).toBe(3);
    } finally {
      await consumer.stop();
    }
  });

  it('with a batch, applies its orders in the order of their ids (each order\'s events in stream order), so two batches never take the same rows in opposite orders', async () => {
    const name = `test--batch-sorted-${randomUUID().slice(0, 8)}`;
    const orders = [randomUUID(), randomUUID(), randomUUID()].sort().reverse();
    const events = Array.from({ length: 2 }, () => orders.map((orderId) => sampleEvent(orderId))).flat(); // interleaved, highest id first
    const ours = new Set(events.map((e) => e.id));
    const applied: Array<{ orderId: string; eventId: string; tx: string }> = [];
    const consumer = startConsumer(
      name,
      async (e, tx) => {
        if (!ours.has(e.id)) return;
        const [{ id }] = await tx.$queryRaw<[{ id: string }]>`SELECT txid_current()::text AS id`;
        applied.push({ orderId: e.aggregateId, eventId: e.id, tx: id });
      },
      { batch: 8 },
    );
    // All in the stream before the consumer starts: they arrive together and form batches.
    for (const event of events) await publishEnvelope(js, event);
    await consumer.start();
    try {
      await eventually(async () => db.processedEvent.count({ where: { consumer: name, eventId: { in: [...ours] } } }), (n) => n === events.length, 20_000);
      const batches = [...new Set(applied.map((a) => a.tx))].map((tx) => applied.filter((a) => a.tx === tx).map((a) => a.orderId));
      for (const orderIds of batches) expect(orderIds).toEqual([...orderIds].sort());
      expect(Math.max(...batches.map((orderIds) => new Set(orderIds).size))).toBeGreaterThan(1);
      for (const orderId of orders) {
        expect(applied.filter((a) => a.orderId === orderId).map((a) => a.eventId)).toEqual(events.filter((e) => e.aggregateId === orderId).map((e) => e.id));
      }
    } finally {
      await consumer.stop();
    }
  });

  it('rolls back a failed attempt with its effects, retries with backoff, then succeeds', async () => {
    const name = `test--retry-${randomUUID().slice(0, 8)}`;
    const event = sampleEvent();
    let attempts = 0;
    const consumer = startConsumer(name, async (e, tx) => {
      if (e.id !== event.id) return;
      attempts += 1;
      await recordEvent(tx, { ...sampleEvent(e.aggregateId), causationId: `${e.id}` });
      if (attempts < 3) throw new Error(`transient failure ${attempts}`);
    });
    await consumer.start();
    try {
      await publishEnvelope(js, event);
      await eventually(async () => attempts, (n) => n >= 3);
      await eventually(async () => db.processedEvent.count({ where: { consumer: name, eventId: event.id } }), (n) => n === 1);
      expect(attempts).toBe(3);
      // Only the successful attempt's write survived.
      expect(await db.outboxEvent.count({ where: { envelope: { path: ['causationId'], equals: event.id } } })).toBe(1);
    } finally {
      await consumer.stop();
    }
  });

  it('dead-letters an event after max deliveries, with the reason, and moves on', async () => {
    const name = `test--poison-${randomUUID().slice(0, 8)}`;
    const poison = sampleEvent();
    const healthy = sampleEvent();
    const consumer = startConsumer(
      name,
      async (e) => {
        if (e.id === poison.id) throw new Error('cannot handle this one');
      },
      { maxDeliver: 3 },
    );
    await consumer.start();
    try {
      await publishEnvelope(js, poison);
      await publishEnvelope(js, healthy);
      await eventually(async () => db.processedEvent.count({ where: { consumer: name, eventId: healthy.id } }), (n) => n === 1);
      const letter = await eventually(
        () => jsm.streams.getMessage(streams.DEAD_LETTERS.name, { last_by_subj: deadLetterSubject(name) }).catch(() => null),
        (m) => m !== null,
      );
      expect(letter).not.toBeNull();
      expect(letter!.json<Envelope>().id).toBe(poison.id);
      expect(letter!.header.get(DEAD_LETTER_HEADERS.reason)).toMatch(/handler failed 3 times: cannot handle this one/);
      expect(letter!.header.get(DEAD_LETTER_HEADERS.subject)).toBe(poison.type);
      expect(await db.processedEvent.count({ where: { consumer: name, eventId: poison.id } })).toBe(0);
      // Terminated, not left pending: it will not be redelivered nor hold up the consumer.
      const info = await eventually(() => jsm.consumers.info(streams.NOTIFICATIONS.name, name), (i) => i.num_ack_pending === 0);
      expect(info.num_ack_pending).toBe(0);
    } finally {
      await consumer.stop();
    }
  });

  it("retries a dead letter through its own consumer once the cause is fixed: applied once, then the letter is gone", async () => {
    const name = `test--retry-${randomUUID().slice(0, 8)}`;
    const poison = sampleEvent();
    let fixed = false;
    let applied = 0;
    const consumer = startConsumer(
      name,
      async (e) => {
        if (e.id !== poison.id) return;
        if (!fixed) throw new Error('not yet');
        applied += 1;
      },
      { maxDeliver: 1 },
    );
    await consumer.start();
    const box = new DeadLetterBox(new Map([[name, consumer]]), { js, jsm }, log);
    const actor = { name: 'ops:desk', role: 'ops' as const, customerId: null, vendorId: null };
    try {
      await publishEnvelope(js, poison);
      const listed = await eventually(async () => (await box.list()).consumers[0]!, (c) => c.total === 1);
      const letter = listed.letters[0]!;
      expect(letter).toMatchObject({ consumer: name, eventId: poison.id, eventType: poison.type, originalSubject: poison.type, deliveries: 1 });
      expect(letter.reason).toMatch(/handler failed 1 times: not yet/);
      // Still broken: the handler's error is the answer, and the letter stays.
      await expect(box.retry(name, letter.seq, actor)).rejects.toThrow('not yet');
      expect((await box.list()).consumers[0]!.total).toBe(1);

      fixed = true;
      expect(await box.retry(name, letter.seq, actor)).toEqual({ seq: letter.seq, consumer: name, outcome: 'processed' });
      expect(applied).toBe(1);
      expect(await db.processedEvent.count({ where: { consumer: name, eventId: poison.id } })).toBe(1);
      expect((await box.list()).consumers[0]).toEqual({ consumer: name, total: 0, letters: [] });
      await expect(box.retry(name, letter.seq, actor)).rejects.toMatchObject({ code: 'DEAD_LETTER_NOT_FOUND' });
      await expect(box.purge('test--someone-else', letter.seq, actor)).rejects.toMatchObject({ code: 'CONSUMER_NOT_FOUND' });
    } finally {
      await consumer.stop();
    }
  });

  it('counts only the handler\'s own failures towards dead-lettering, not retries while a dependency was down', async () => {
    const name = `test--outage-${randomUUID().slice(0, 8)}`;
    const event = sampleEvent();
    let attempts = 0;
    const consumer = startConsumer(
      name,
      async (e) => {
        if (e.id !== event.id) return;
        attempts += 1;
        // Four deliveries during an outage, then one failure of its own, then it goes through.
        if (attempts <= 4) throw new DependencyUnavailableError('database unreachable');
        if (attempts === 5) throw new Error('order not known yet');
      },
      { maxDeliver: 3 },
    );
    await consumer.start();
    try {
      await publishEnvelope(js, event);
      await eventually(async () => db.processedEvent.count({ where: { consumer: name, eventId: event.id } }), (n) => n === 1);
      expect(attempts).toBe(6);
      const letter = await jsm.streams.getMessage(streams.DEAD_LETTERS.name, { last_by_subj: deadLetterSubject(name) }).catch(() => null);
      expect(letter).toBeNull();
    } finally {
      await consumer.stop();
    }
  });

  it('is delivered only the subjects its handlers cover: the server filters, the consumer skips nothing', async () => {
    const name = `test--filtered-${randomUUID().slice(0, 8)}`;
    const handled: string[] = [];
    const consumer = startConsumer(name, async (e) => void handled.push(e.id));
    await consumer.start();
    try {
      const orderId = randomUUID();
      const other = newEvent(notificationFailed, {
        aggregateId: orderId,
        source: 'test',
        data: { notificationId: randomUUID(), orderId, template: 'order-confirmation', channel: 'email', reason: 'bounced', attempts: 3, failedAt: new Date().toISOString() },
      });
      await publishEnvelope(js, other);
      const sent = sampleEvent();
      await publishEnvelope(js, sent);
      await eventually(async () => handled, (h) => h.includes(sent.id));
      expect((await jsm.consumers.info(streams.NOTIFICATIONS.name, name)).config.filter_subject).toBe(notificationSent.type);
      const ignored = (await metrics.eventsConsumed.get()).values.filter((v) => v.labels.consumer === name && v.labels.outcome === 'ignored');
      expect(ignored).toEqual([]);
      expect(handled).not.toContain(other.id);
    } finally {
      await consumer.stop();
    }
  });

  it('re-creates its durable consumer when it was deleted, and keeps consuming', async () => {
    const name = `test--recreate-${randomUUID().slice(0, 8)}`;
    const handled: string[] = [];
    const consumer = startConsumer(name, async (e) => void handled.push(e.id));
    await consumer.start();
    try {
      const before = sampleEvent();
      await publishEnvelope(js, before);
      await eventually(async () => handled, (h) => h.includes(before.id));
      await jsm.consumers.delete(streams.NOTIFICATIONS.name, name);
      const after = sampleEvent();
      await publishEnvelope(js, after);
      await eventually(async () => handled, (h) => h.includes(after.id), 20_000);
      expect(await jsm.consumers.info(streams.NOTIFICATIONS.name, name)).toBeTruthy();
      // Re-created from the stream's start: what it had applied is skipped, not applied again.
      expect(handled.filter((id) => id === before.id)).toHaveLength(1);
    } finally {
      await consumer.stop();
    }
  });

  it('dead-letters malformed and unknown messages at once instead of crashing', async () => {
    const name = `test--malformed-${randomUUID().slice(0, 8)}`;
    const handled: string[] = [];
    const consumer = startConsumer(name, async (e) => void handled.push(e.id));
    await consumer.start();
    try {
      await js.publish('notifications.notification.sent', '{not json', { msgID: randomUUID() });
      // On the subject it reads: the server delivers it nothing else (its filter).
      const unknown = { ...sampleEvent(), type: 'notifications.notification.teleported' };
      await js.publish('notifications.notification.sent', JSON.stringify(unknown), { msgID: unknown.id });
      const after = sampleEvent();
      await publishEnvelope(js, after);
      await eventually(async () => handled, (h) => h.includes(after.id));
      // A new durable starts at the beginning of the stream, so earlier tests' events arrive too.
      expect(handled).toContain(after.id);
      const reasons: string[] = [];
      const info = await jsm.streams.info(streams.DEAD_LETTERS.name, { subjects_filter: deadLetterSubject(name) });
      expect(info.state.subjects?.[deadLetterSubject(name)]).toBe(2);
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const m = await jsm.streams.getMessage(streams.DEAD_LETTERS.name, { seq }).catch(() => null);
        if (m?.subject === deadLetterSubject(name)) reasons.push(m.header.get(DEAD_LETTER_HEADERS.reason));
      }
      expect(reasons).toEqual([expect.stringMatching(/not JSON/), expect.stringMatching(/unknown event: notifications.notification.teleported v1/)]);
    } finally {
      await consumer.stop();
    }
  });

  it("hands an event to its own version's handler only: a version the consumer does not read is dead-lettered, not given to another's", async () => {
    const task = <K extends 'supplier_cancellation' | 'supplier_overdue'>(kind: K) => ({
      taskId: randomUUID(),
      orderId: randomUUID(),
      kind,
      status: 'open' as const,
      supplier: 'cj' as const,
      supplierOrderId: randomUUID(),
      reason: 'test',
      outcome: null,
      resolvedBy: null,
      at: new Date().toISOString(),
    });
    const v1 = newEvent(opsTaskChangedV1, { aggregateId: randomUUID(), source: 'test', data: task('supplier_cancellation') });
    const v2 = newEvent(opsTaskChanged, { aggregateId: randomUUID(), source: 'test', data: task('supplier_overdue') });
    const consume = (name: string, subscriptions: Array<Subscription<Tx>>, batch?: number) =>
      new EventConsumer<Tx>({ name, stream: streams.FULFILLMENT.name, subscriptions, db, js, jsm, log, metrics, backoffMs: [50], batch });
    type Seen = { handler: number; id: string; version: number; kind: string };
    // Each record names the handler that ran (its version), beside the version of the event it got.
    const seen = (handled: Seen[], handler: number) => async (event: Envelope) =>
      void handled.push({ handler, id: event.id, version: event.version, kind: (event.data as { kind: string }).kind });
    const ours = (handled: Seen[]) => handled.filter((h) => h.id === v1.id || h.id === v2.id);

    const v1Only: Seen[] = [];
    const both: Seen[] = [];
    const v1ReaderName = `test--v1-reader-${randomUUID().slice(0, 8)}`;
    // Batching, as most services' consumers do: an event of an unread version is not gathered into a batch.
    const v1Reader = consume(v1ReaderName, [on(opsTaskChangedV1, seen(v1Only, 1))], 8);
    const bothReader = consume(`test--both-reader-${randomUUID().slice(0, 8)}`, [on(opsTaskChangedV1, seen(both, 1)), on(opsTaskChanged, seen(both, 2))]);
    await v1Reader.start();
    await bothReader.start();
    try {
      await publishEnvelope(js, v2);
      await publishEnvelope(js, v1);
      await eventually(async () => ({ v1: ours(v1Only).length, all: ours(both).length }), (n) => n.v1 >= 1 && n.all >= 2);
      expect(ours(v1Only)).toEqual([{ handler: 1, id: v1.id, version: 1, kind: 'supplier_cancellation' }]);
      expect(ours(both)).toEqual([
        { handler: 2, id: v2.id, version: 2, kind: 'supplier_overdue' },
        { handler: 1, id: v1.id, version: 1, kind: 'supplier_cancellation' },
      ]);
      // The v1 reader's dead letters hold v2 alone, with the reason; the message is settled, not pending.
      const letters = () => jsm.streams.info(streams.DEAD_LETTERS.name, { subjects_filter: deadLetterSubject(v1ReaderName) }).then((info) => info.state.subjects?.[deadLetterSubject(v1ReaderName)] ?? 0);
      expect(await eventually(letters, (count) => count > 0)).toBe(1);
      const letter = (await jsm.streams.getMessage(streams.DEAD_LETTERS.name, { last_by_subj: deadLetterSubject(v1ReaderName) }))!;
      expect(letter.json<Envelope>().id).toBe(v2.id);
      expect(letter.header.get(DEAD_LETTER_HEADERS.reason)).toBe('no handler for fulfillment.ops_task.changed v2: this consumer reads v1');
      expect(await eventually(() => jsm.consumers.info(streams.FULFILLMENT.name, v1ReaderName).then((info) => info.num_ack_pending), (pending) => pending === 0)).toBe(0);
      // An operator's retry is refused, and the letter kept, until the consumer reads v2.
      await expect(v1Reader.redeliver(letter.data, letter.header, letter.subject)).rejects.toMatchObject({
        code: 'DEAD_LETTER_UNUSABLE',
        message: expect.stringMatching(/reads fulfillment.ops_task.changed v1, not v2/),
      });
      expect(ours(v1Only).map((h) => h.id)).not.toContain(v2.id);
    } finally {
      await v1Reader.stop();
      await bothReader.stop();
    }
  });
});

