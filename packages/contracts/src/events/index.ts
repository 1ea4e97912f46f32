import type { Envelope, EventDefinition } from '../envelope';
import { billingEvents } from './billing';
import { fulfillmentEvents } from './fulfillment';
import { notificationEvents } from './notifications';
import { orderEvents } from './orders';
import { returnEvents } from './returns';
import { timelineEvents } from './timeline';
import { trackingEvents } from './tracking';

export * from './billing';
export * from './fulfillment';
export * from './notifications';
export * from './orders';
export * from './returns';
export * from './timeline';
export * from './tracking';

/** Every event the platform knows, by `type@version`. Consumers reject anything not in here. */
export const allEvents: readonly EventDefinition[] = [
  ...orderEvents,
  ...billingEvents,
  ...fulfillmentEvents,
  ...returnEvents,
  ...trackingEvents,
  ...notificationEvents,
  ...timelineEvents,
];

const byKey = new Map(allEvents.map((d) => [eventKey(d.type, d.version), d]));

export function eventKey(type: string, version: number): string {
  return `${type}@v${version}`;
}

export function findEventDefinition(type: string, version: number): EventDefinition | undefined {
  return byKey.get(eventKey(type, version));
}

/** The subject an event is published on: its type, unless its definition names another (`subject`). */
export function subjectOf(envelope: Envelope): string {
  return findEventDefinition(envelope.type, envelope.version)?.subject?.(envelope.data) ?? envelope.type;
}
