import { randomUUID } from 'node:crypto';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { type Envelope, notificationSent, streams } from '@platform/contracts';
import { EventConsumer, on } from '@platform/runtime/consumer';
import { LeaseBalancer } from '@platform/runtime/consumer-lease';
import { DeadLetterBox, type OperatedConsumer } from '@platform/runtime/dead-letters';
import { publishEnvelope } from '@platform/runtime/nats';
import { eventually } from '@platform/test-support/eventually';
import { connectMessaging, quietLog as log, sampleEvent, testMetrics as metrics } from '@platform/test-support/messaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, outboxDatabaseAt, type Tx } from './outbox-database';

/**
 * An operator's dead-letter retry with two replicas of a service: the ops request may reach the
 * replica that does not run the consumer, and the retry must still run in the one that does (its
 * lease holder), after the aggregate's live events in hand, never beside them (docs/ordering.md).
 */

let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
let db: Db;
let url: string;

beforeAll(async () => {
  ({ nc, js, jsm } = await connectMessaging());
  ({ db, url } = await outboxDatabaseAt());
});

afterAll(async () => {
  await db?.$disconnect();
  await nc?.drain();
});

const actor = { name: 'ops:desk', role: 'ops' as const, customerId: null, vendorId: null };

interface Replica {
  consumer: EventConsumer<Tx>;
  box: DeadLetterBox;
  balancer: LeaseBalancer;
}

/** One replica of the service `service`: its lease balance, the durable `name` and its ops box. */
async function replica(service: string, name: string, handle: (event: Envelope) => Promise<void>, wrap: (consumer: EventConsumer<Tx>) => OperatedConsumer = (c) => c): Promise<Replica> {
  const balancer = new LeaseBalancer(url, service, log, metrics);
  const consumer = new EventConsumer<Tx>({
    name,
    stream: streams.NOTIFICATIONS.name,
    subscriptions: [on(notificationSent, (event) => handle(event))],
    db,
    js,
    jsm,
    log,
    metrics,
    maxDeliver: 1,
    lease: balancer.lease(name),
  });
  await balancer.start();
  await consumer.start();
  return { consumer, balancer, box: new DeadLetterBox(new Map([[name, wrap(consumer)]]), { js, jsm }, log) };
}

async function stop(replica: Replica): Promise<void> {
  await replica.consumer.stop();
  await replica.balancer.stop();
}

describe('a dead-letter retry with two replicas', () => {
  it('runs in the replica holding the consumer, after the live event of its order in hand there, whichever replica was asked', async () => {
    const service = `test-${randomUUID().slice(0, 8)}`;
    const name = `test--replicas-${randomUUID().slice(0, 8)}`;
    const orderId = randomUUID();
    const poison = sampleEvent(orderId);
    const live = sampleEvent(orderId);
    let fixed = false;
    /** What each replica applied of this order, in order. */
    const applied: string[] = [];
    let releaseLive: () => void = () => {};
    const liveHeld = new Promise<void>((resolve) => (releaseLive = resolve));
    let liveStarted = false;
    /** Retries that reached the holder's consumer. */
    let redeliveries = 0;

    const handler = (label: string) => async (event: Envelope) => {
      if (event.aggregateId !== orderId) return;
      if (event.id === poison.id && !fixed) throw new Error('not yet');
      if (event.id === live.id) {
        liveStarted = true;
        await liveHeld;
      }
      applied.push(`${label}:${event.id === poison.id ? 'retry' : 'live'}`);
    };
    // The first replica takes the lease; it shows when the retry reaches its consumer.
    const holder = await replica(service, name, handler('holder'), (consumer) => ({
      durable: consumer.durable,
      lease: consumer.lease,
      redeliver: (...args) => {
        redeliveries += 1;
        return consumer.redeliver(...args);
      },
    }));
    await eventually(async () => holder.consumer.lease?.state, (state) => state === 'held');
    const other = await replica(service, name, handler('other'));
    try {
      await publishEnvelope(js, poison);
      // The stream holds other tests' events, some of them poison to every consumer: this one is found by its event.
      const letterOf = async () => (await other.box.list()).consumers[0]!.letters.find((letter) => letter.eventId === poison.id);
      const { seq } = (await eventually(letterOf, (letter) => letter !== undefined))!;
      expect(other.consumer.lease?.state).toBe('standby');

      // Still broken: the holder's handler error comes back to the replica that was asked.
      await expect(other.box.retry(name, seq, actor)).rejects.toThrow('not yet');
      fixed = true;

      // The order's next event is in hand at the holder when the operator retries through the other
      // replica, and stays in hand until the retry's answer is settled: queued behind it, the retry
      // cannot apply, so the asker hears that no holder answered in time (it may still apply).
      await publishEnvelope(js, live);
      await eventually(async () => liveStarted, (started) => started);
      const retried = other.box.retry(name, seq, actor);
      await eventually(async () => redeliveries, (n) => n === 2);
      await expect(retried).rejects.toMatchObject({ code: 'CONSUMER_HOLDER_UNAVAILABLE', message: expect.stringContaining('it may still apply') });
      expect(applied).toEqual([]);
      // The live event done, the retry waiting behind it applies there, once, and its letter goes.
      releaseLive();
      await eventually(async () => applied.length, (n) => n === 2);
      expect(applied).toEqual(['holder:live', 'holder:retry']);
      await eventually(letterOf, (letter) => letter === undefined);
      expect(await db.processedEvent.count({ where: { consumer: name, eventId: poison.id } })).toBe(1);
    } finally {
      releaseLive();
      await stop(other);
      await stop(holder);
    }
  });
});
