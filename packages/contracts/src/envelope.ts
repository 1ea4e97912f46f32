import { z } from 'zod';
import { timestamp } from './primitives';

/**
 * Every message on a stream is one envelope. `type` is also the NATS subject; `version`
 * picks the data schema, so a breaking change adds a new version beside the old one.
 */
export const envelopeSchema = z.object({
  id: z.uuid(),
  type: z.string().min(1),
  version: z.number().int().positive(),
  occurredAt: timestamp,
  aggregateId: z.string().min(1),
  correlationId: z.string().min(1),
  causationId: z.string().min(1).nullable(),
  source: z.string().min(1),
  data: z.unknown(),
});

export type Envelope<TType extends string = string, TData = unknown> = Omit<
  z.infer<typeof envelopeSchema>,
  'type' | 'data'
> & { type: TType; data: TData };

export interface EventDefinition<TType extends string = string, TData extends z.ZodType = z.ZodType> {
  readonly type: TType;
  readonly version: number;
  readonly stream: StreamName;
  readonly description: string;
  readonly data: TData;
  /** The subject it is published on, when not its type (the TIMELINE stream: one subject per order). */
  subject?(data: z.output<TData>): string;
}

export type StreamName = 'ORDERS' | 'FULFILLMENT' | 'TRACKING' | 'NOTIFICATIONS' | 'BILLING' | 'TIMELINE';

export function defineEvent<const TType extends string, TData extends z.ZodType>(
  definition: EventDefinition<TType, TData>,
): EventDefinition<TType, TData> {
  return Object.freeze(definition);
}

export type EventData<D extends EventDefinition> = z.infer<D['data']>;
export type EventOf<D extends EventDefinition> = Envelope<D['type'], EventData<D>>;
