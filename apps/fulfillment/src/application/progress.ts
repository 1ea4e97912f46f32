import { randomUUID } from 'node:crypto';
import { newEvent, recordEvent } from '@platform/runtime/outbox';
import { type EventData, itemsCancelled } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { type Fulfillment, SERVICE } from './context';

/**
 * Units of the order that will not ship and are to be refunded: `fulfillment.items.cancelled`
 * (billing refunds them with a credit line).
 */
export async function cancelItems(
  tx: Transaction,
  fulfillment: Fulfillment,
  input: Omit<EventData<typeof itemsCancelled>, 'cancellationId' | 'at'>,
): Promise<void> {
  const now = fulfillment.clock.now();
  await recordEvent(
    tx,
    newEvent(itemsCancelled, {
      aggregateId: input.orderId,
      source: SERVICE,
      occurredAt: now,
      data: { ...input, cancellationId: randomUUID(), at: now.toISOString() },
    }),
  );
}
