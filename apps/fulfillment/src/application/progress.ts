import { randomUUID } from 'node:crypto';
import { newEvent, recordEvent } from '@platform/runtime/outbox';
import { itemsCancelled, type EventOf } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { type Fulfillment, SERVICE } from './context';

type Cancellation = Omit<EventOf<typeof itemsCancelled>['data'], 'cancellationId' | 'at'>;

/**
 * Units of the order that will not ship: `fulfillment.items.cancelled`, so billing refunds
 * exactly these and the rest goes on (the parcels work owns this module; this is its signature).
 */
export async function cancelItems(tx: Transaction, fulfillment: Fulfillment, cancellation: Cancellation): Promise<void> {
  const now = fulfillment.clock.now();
  await recordEvent(
    tx,
    newEvent(itemsCancelled, {
      aggregateId: cancellation.orderId,
      source: SERVICE,
      occurredAt: now,
      data: { ...cancellation, cancellationId: randomUUID(), at: now.toISOString() },
    }),
  );
}
