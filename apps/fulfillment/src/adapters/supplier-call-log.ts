import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Clock } from '@platform/runtime/clock';
import type { Logger } from '@platform/runtime/logger';
import type { Database } from './database';
import type { RecordSupplierCall } from './suppliers/supplier-client';

const callScope = new AsyncLocalStorage<{ orderId: string }>();

/** Runs supplier calls on behalf of `orderId`: their log rows carry it. */
export function onBehalfOf<T>(orderId: string, call: () => Promise<T>): Promise<T> {
  return callScope.run({ orderId }, call);
}

/**
 * The supplier call log (FUL-05). Written on the root client, outside the business
 * transaction: a placement that rolls back (supplier unavailable) still leaves its calls logged.
 * Stamped with the service clock, like every timer the calls are made from.
 *
 * It never fails the call it logs: the supplier's answer outweighs its row. A failed write
 * used to throw the answer away, and for CJ's access token that cost every CJ call for five
 * minutes (CJ issues one token per 5 minutes; docs/providers/cj.md). A row that cannot be
 * written (PostgreSQL down) goes to the service log instead.
 */
export function supplierCallLog(db: Database, clock: Clock, log: Logger): RecordSupplierCall {
  // Raw: one row per supplier call (placement, every poll), where the model API cost three times the insert.
  return async (call) => {
    const orderId = callScope.getStore()?.orderId ?? null;
    const response = call.response === undefined || call.response === null ? null : JSON.stringify(call.response);
    try {
      await db.$executeRaw`
        INSERT INTO supplier_calls (id, order_id, supplier, operation, reference, request, response, http_status, duration_ms, outcome, error, created_at)
        VALUES (${randomUUID()}::uuid, ${orderId}::uuid, ${call.supplier}, ${call.operation}, ${call.reference},
                ${JSON.stringify(call.request ?? {})}::jsonb, ${response}::jsonb, ${call.httpStatus}, ${Math.round(call.durationMs)}, ${call.outcome},
                ${call.error}, ${clock.now()})`;
    } catch (error) {
      log.warn({ err: error, orderId, call }, 'supplier call not written to the call log');
    }
  };
}
