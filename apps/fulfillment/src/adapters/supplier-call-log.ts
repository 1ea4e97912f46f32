import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Clock } from '@platform/runtime/clock';
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
 */
export function supplierCallLog(db: Database, clock: Clock): RecordSupplierCall {
  return async (call) => {
    await db.supplierCall.create({
      data: {
        id: randomUUID(),
        orderId: callScope.getStore()?.orderId ?? null,
        supplier: call.supplier,
        operation: call.operation,
        reference: call.reference,
        request: (call.request ?? {}) as object,
        response: call.response === undefined || call.response === null ? undefined : (call.response as object),
        httpStatus: call.httpStatus,
        durationMs: Math.round(call.durationMs),
        outcome: call.outcome,
        error: call.error,
        createdAt: clock.now(),
      },
    });
  };
}
