import type { EventDefinition } from '../envelope';
import { notificationEvents } from './notifications';
import { orderEvents } from './orders';

export * from './notifications';
export * from './orders';

/** Every event the platform knows, by `type@version`. Consumers reject anything not in here. */
export const allEvents: readonly EventDefinition[] = [...orderEvents, ...notificationEvents];

const byKey = new Map(allEvents.map((d) => [eventKey(d.type, d.version), d]));

export function eventKey(type: string, version: number): string {
  return `${type}@v${version}`;
}

export function findEventDefinition(type: string, version: number): EventDefinition | undefined {
  return byKey.get(eventKey(type, version));
}
