import { EVENTS_PER_TRANSACTION, on } from '@platform/runtime/consumer';
import type { ServiceRuntime } from '@platform/runtime/service';
import { availabilityChanged } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { recordAvailability } from '../application/availability';
import type { OrdersDeps } from '../application/dependencies';

/** `orders--availability`: fulfillment's stock reports feed the read model quotes and new orders are checked against (FUL-03). */
export function registerAvailabilityConsumer(runtime: ServiceRuntime, db: OrdersDeps['db']): void {
  runtime.addConsumer<Transaction>({
    name: 'orders--availability',
    // A burst of stock reports commits together: each writes its SKU's row only, and this consumer is its only writer.
    batch: EVENTS_PER_TRANSACTION,
    stream: 'FULFILLMENT',
    db,
    subscriptions: [on(availabilityChanged, (event, tx: Transaction) => recordAvailability(tx, event.data))],
  });
}
