import { z } from 'zod';
import { type Envelope, envelopeSchema } from './envelope';
import { findEventDefinition } from './events';

export type ParseResult =
  | { ok: true; event: Envelope }
  | { ok: false; reason: string };

/**
 * Decodes raw message bytes into a known, valid event. Never throws: a consumer turns a
 * failure into a dead letter carrying `reason`.
 */
export function parseEvent(bytes: Uint8Array): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return { ok: false, reason: 'malformed: body is not JSON' };
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) return { ok: false, reason: `malformed envelope: ${z.prettifyError(envelope.error)}` };
  const { type, version } = envelope.data;
  const definition = findEventDefinition(type, version);
  if (!definition) return { ok: false, reason: `unknown event: ${type} v${version}` };
  const data = definition.data.safeParse(envelope.data.data);
  if (!data.success) return { ok: false, reason: `invalid ${type} v${version} data: ${z.prettifyError(data.error)}` };
  return { ok: true, event: { ...envelope.data, data: data.data } };
}
