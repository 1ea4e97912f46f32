import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { allEvents, type Envelope, parseEvent, streams } from '@platform/contracts';
import type { SqlClient } from '@platform/runtime/outbox';

/**
 * The events of `type` a service with a running relay recorded, in the order it recorded them:
 * those already published, read back from their stream (the relay deleted their rows), then the
 * rows still waiting. The rows are read first: a row gone by then was on the stream before it went.
 * For events published on their type (every one but the timeline's); on a NATS shared with other
 * tests, filter the result by what this test's events carry (their order, a tracking number).
 */
export async function recordedEvents(db: SqlClient, messaging: { js: JetStreamClient; jsm: JetStreamManager }, type: string): Promise<Envelope[]> {
  const waiting = (await db.$queryRaw<Array<{ envelope: Envelope }>>`SELECT envelope FROM outbox_events WHERE type = ${type} ORDER BY seq`).map((row) => row.envelope);
  const definition = allEvents.find((candidate) => candidate.type === type);
  if (!definition) throw new Error(`no event definition for ${type}`);
  const stream = streams[definition.stream].name;
  const info = await messaging.jsm.streams.info(stream, { subjects_filter: type });
  const stored = Object.values(info.state.subjects ?? {}).reduce((sum, count) => sum + count, 0);
  const published: Envelope[] = [];
  if (stored > 0) {
    const consumer = await messaging.js.consumers.get(stream, { filter_subjects: type }); // ordered, ephemeral
    let read = 0;
    while (read < stored) {
      const before = read;
      for await (const message of await consumer.fetch({ max_messages: stored - read, expires: 5_000 })) {
        read += 1;
        // Other tests on a shared NATS publish malformed or unknown messages on these subjects.
        const event = parseEvent(message.data);
        if (event.ok && event.event.type === type) published.push(event.event);
      }
      if (read === before) throw new Error(`${stream} holds ${stored} ${type} messages; read ${before}`);
    }
  }
  const seen = new Set(published.map((event) => event.id));
  return [...published, ...waiting.filter((event) => !seen.has(event.id))];
}
