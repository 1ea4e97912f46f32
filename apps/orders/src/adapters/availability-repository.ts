import type { SkuAvailability } from '../domain/availability';
import type { Transaction } from './database';

/**
 * Stores a SKU's latest availability report in one statement: inserted when new, replaced
 * unless the stored report is newer (an older one redelivered late never wins).
 */
export async function upsertAvailability(tx: Transaction, report: SkuAvailability & { reportedAt: Date }): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO stock_availability AS a (sku, available, policy, substitute_sku, restock_expected_at, reported_at)
    VALUES (${report.sku}, ${report.available}, ${report.policy}::text, ${report.substituteSku}::text,
            ${report.restockExpectedAt}::timestamptz, ${report.reportedAt}::timestamptz)
    ON CONFLICT (sku) DO UPDATE
    SET available = excluded.available, policy = excluded.policy, substitute_sku = excluded.substitute_sku,
        restock_expected_at = excluded.restock_expected_at, reported_at = excluded.reported_at
    WHERE a.reported_at <= excluded.reported_at`;
}
