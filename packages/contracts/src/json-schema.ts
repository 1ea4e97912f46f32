import { z } from 'zod';
import { envelopeSchema, type EventDefinition } from './envelope';
import { allEvents } from './events';

/**
 * Every event version as JSON Schema, envelope included: the shape a consumer accepts from
 * the wire. `schemas/<type>.v<version>.json` holds the published ones; `src/json-schema.test.ts`
 * fails when a registered version no longer matches its file, and
 * `pnpm --filter @platform/contracts run schemas` writes them.
 */
export const SCHEMAS_COMMAND = 'pnpm --filter @platform/contracts run schemas';

export function schemaFileName(definition: Pick<EventDefinition, 'type' | 'version'>): string {
  return `${definition.type}.v${definition.version}.json`;
}

/** One event version's whole message: the envelope with its `type`, `version` and `data` fixed. */
export function eventJsonSchema(definition: EventDefinition): Record<string, unknown> {
  const message = envelopeSchema.extend({
    type: z.literal(definition.type),
    version: z.literal(definition.version),
    data: definition.data,
  });
  return z.toJSONSchema(message, { io: 'input' });
}

/** File name → file text, for every registered event version. */
export function eventSchemaFiles(definitions: readonly EventDefinition[] = allEvents): Map<string, string> {
  return new Map(definitions.map((definition) => [schemaFileName(definition), `${JSON.stringify(eventJsonSchema(definition), null, 2)}\n`]));
}
