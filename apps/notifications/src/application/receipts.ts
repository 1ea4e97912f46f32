import type { Clock } from '@platform/runtime/clock';
import type { Database } from '../adapters/database';
import { applyReceipt } from '../adapters/notification-store';

export interface ReceiptDeps {
  db: Database;
  clock: Clock;
}

/**
 * A provider's delivery receipt for one notification (an SMS status callback): `delivered` or
 * `failed`, applied only forwards, so a late or repeated receipt changes nothing. True when it
 * changed the notification.
 */
export function recordDeliveryReceipt(deps: ReceiptDeps, notificationId: string, receipt: { outcome: 'delivered' | 'failed'; detail: string | null }): Promise<boolean> {
  return applyReceipt(deps.db, notificationId, { ...receipt, now: deps.clock.now() });
}
