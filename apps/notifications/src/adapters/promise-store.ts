import type { DeliveryPromise } from '@platform/contracts';
import type { Transaction } from './database';

/** Keeps the newest promise per order (a redelivered older one changes nothing). */
export async function savePromise(tx: Transaction, orderId: string, promise: DeliveryPromise, promisedAt: Date): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO order_promises (order_id, delivery_type, earliest, latest, promised_at)
    VALUES (${orderId}::uuid, ${promise.deliveryType}, ${new Date(promise.earliest)}::timestamptz, ${new Date(promise.latest)}::timestamptz, ${promisedAt}::timestamptz)
    ON CONFLICT (order_id) DO UPDATE SET
      delivery_type = EXCLUDED.delivery_type, earliest = EXCLUDED.earliest, latest = EXCLUDED.latest, promised_at = EXCLUDED.promised_at
    WHERE order_promises.promised_at <= EXCLUDED.promised_at`;
}
