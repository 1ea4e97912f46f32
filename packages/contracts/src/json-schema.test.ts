import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { allEvents, eventKey, orderCancelled } from './events';
import { eventJsonSchema, eventSchemaFiles, schemaFileName, SCHEMAS_COMMAND } from './json-schema';

/**
 * A published event version is read by consumers and replayed from 90 days of stream history
 * and dead letters, so its shape never changes: a breaking change is a new version beside it.
 * The committed snapshots in `schemas/` are that promise, checked here.
 */
const dir = join(import.meta.dirname, '../schemas');

/** Field order is not shape: `required` lists follow it, so they are compared as sets. */
function shape(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(shape);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [key, key === 'required' && Array.isArray(value) ? [...value].sort() : shape(value)]),
  );
}

function committed(file: string): unknown {
  return shape(JSON.parse(readFileSync(join(dir, file), 'utf8')));
}

describe('event JSON Schema snapshots', () => {
  it.each(allEvents.map((definition) => [eventKey(definition.type, definition.version), definition] as const))(
    '%s has the shape of its committed snapshot',
    (key, definition) => {
      const file = schemaFileName(definition);
      expect(existsSync(join(dir, file)), `${key} has no snapshot: for a new event version run \`${SCHEMAS_COMMAND}\` and commit schemas/${file}`).toBe(true);
      expect(
        shape(eventJsonSchema(definition)),
        `${key} no longer has the shape of schemas/${file}. Messages of this version are in the streams and in consumers' code: ` +
          `for a breaking change add a v${definition.version + 1} beside it (defineEvent with version: ${definition.version + 1}, ` +
          `registered in events/index.ts) and keep v${definition.version}. Only a change every message already out still ` +
          `satisfies and old consumers ignore (a new optional field), or a version never published, may rewrite the snapshot: \`${SCHEMAS_COMMAND}\`.`,
      ).toEqual(committed(file));
    },
  );

  it('every snapshot belongs to a registered event version', () => {
    const registered = eventSchemaFiles();
    const removed = readdirSync(dir).filter((file) => file.endsWith('.json') && !registered.has(file));
    expect(
      removed,
      'these event versions are no longer registered, so consumers would dead-letter every such message still in a stream ' +
        'or in the dead letters: keep the definition registered (in events/index.ts). Once no stream can hold one, ' +
        `\`${SCHEMAS_COMMAND}\` deletes its snapshot.`,
    ).toEqual([]);
  });

  it('would catch a published payload that changed shape', () => {
    const changed = { ...orderCancelled, data: orderCancelled.data.extend({ refundMode: z.enum(['full', 'partial']) }) };
    expect(shape(eventJsonSchema(changed))).not.toEqual(committed(schemaFileName(orderCancelled)));
    expect(shape(eventJsonSchema(orderCancelled))).toEqual(committed(schemaFileName(orderCancelled)));
  });

  it('snapshots the envelope too, with the type and version fixed', () => {
    const schema = eventJsonSchema(orderCancelled) as { properties: Record<string, { const?: unknown }>; required: string[] };
    expect(schema.properties.type?.const).toBe('orders.order.cancelled');
    expect(schema.properties.version?.const).toBe(1);
    expect(schema.required).toEqual(expect.arrayContaining(['id', 'occurredAt', 'correlationId', 'causationId', 'data']));
  });

  it('field order is not a change of shape', () => {
    expect(shape({ required: ['b', 'a'], properties: { a: {}, b: {} } })).toEqual(shape({ properties: { b: {}, a: {} }, required: ['a', 'b'] }));
  });
});
