import { DomainError } from '@platform/contracts/errors';
import type { Database, Transaction } from '../adapters/database';
import type { ProviderName, TrackingUpdate } from '../domain/provider-payloads';
import type { TrackingStatus } from '../domain/status';
import { type ApplyOutcome, applyUpdate, lockShipment, type TrackingDeps } from './shipments';

export type WebhookOutcome = ApplyOutcome | 'duplicate' | 'ignored';

/**
 * Applies one verified webhook: the shipment must exist (404 SHIPMENT_NOT_FOUND otherwise,
 * nothing stored), the receipt key must be new (a replay answers `duplicate` and changes
 * nothing), then the update is applied like a poll answer (stale and backward updates ignored).
 */
export async function receiveWebhook(
  db: Database,
  deps: TrackingDeps,
  provider: ProviderName,
  receiptKey: string,
  update: TrackingUpdate,
): Promise<{ outcome: WebhookOutcome; status: TrackingStatus | null }> {
  return db.$transaction(async (tx: Transaction) => {
    const shipment = await lockShipment(tx, { trackingNumber: update.number });
    if (!shipment) throw new DomainError('not_found', 'SHIPMENT_NOT_FOUND', `No shipment with tracking number ${update.number}`);
    const now = deps.clock.now();
    const claimed = await tx.$executeRaw`
      INSERT INTO webhook_receipts (provider, receipt_key, shipment_id, outcome, received_at)
      VALUES (${provider}, ${receiptKey}, ${shipment.id}::uuid, 'received', ${now})
      ON CONFLICT DO NOTHING`;
    if (claimed === 0) return { outcome: 'duplicate' as const, status: shipment.status as TrackingStatus };
    const result = await applyUpdate(tx, shipment, update, deps);
    await tx.webhookReceipt.update({ where: { provider_receiptKey: { provider, receiptKey } }, data: { outcome: result.outcome } });
    return result;
  });
}
