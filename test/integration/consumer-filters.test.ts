import { randomUUID } from 'node:crypto';
import { durableConsumers, narrowestFilter } from '@platform/contracts/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMessaging, type Messaging } from '@platform/test-support/messaging';

/**
 * Each durable consumer reads its stream through one filter subject (NATS 2.9), the narrowest
 * that covers the events it declares (`narrowestFilter`). Whether a filter covers a subject is
 * NATS's own wildcard matching, so NATS is asked: a stream of its own (subjects under a prefix of
 * this run, so no platform stream overlaps) holds one message per declared event type, and the
 * stream's subjects matching each consumer's filter must include every event it declares.
 */

let messaging: Messaging | undefined;
const prefix = `filters${randomUUID().replaceAll('-', '').slice(0, 8)}`;
const stream = prefix.toUpperCase();

beforeAll(async () => {
  messaging = await connectMessaging();
  await messaging.jsm.streams.add({ name: stream, subjects: [`${prefix}.>`] });
  const types = new Set(durableConsumers.flatMap((consumer) => consumer.events.map((event) => event.type)));
  for (const type of types) await messaging.js.publish(`${prefix}.${type}`, new Uint8Array());
});

afterAll(async () => {
  await messaging?.jsm.streams.delete(stream).catch(() => undefined);
  await messaging?.nc.drain();
});

describe('the filter subject each durable consumer is given', () => {
  it.each(durableConsumers.map((consumer) => [consumer.name, consumer] as const))('%s: NATS matches every event it declares to it', async (_name, consumer) => {
    const filter = `${prefix}.${narrowestFilter(consumer.events.map((event) => event.type))}`;
    const { state } = await messaging!.jsm.streams.info(stream, { subjects_filter: filter });
    const matched = Object.keys(state.subjects ?? {}).map((subject) => subject.slice(prefix.length + 1));
    for (const event of consumer.events) expect(matched, `${event.type} outside ${filter}`).toContain(event.type);
  });
});
