import { newEvent, recordEvent } from '@platform/runtime/outbox';
import { availabilityChanged, type ShortStockPolicy } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { SERVICE } from './context';

/**
 * Records `fulfillment.availability.changed` for each SKU whose free units or policy the
 * transaction changed (docs/requirements.md#ful-03-inventory-and-short-stock), so orders can check
 * quotes and new orders. Call it after the changes: a per-SKU lock makes a concurrent change of
 * the same SKU wait for this commit and then report its own totals, so the last event of a SKU
 * is always its latest state.
 */
export async function announceAvailability(tx: Transaction, skus: Iterable<string>, now: Date): Promise<void> {
  for (const sku of [...new Set(skus)].sort()) {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`availability:${sku}`}))`;
    const [stock, policy] = await Promise.all([
      tx.hubStock.findMany({ where: { sku, hub: { active: true } } }),
      tx.stockPolicy.findUnique({ where: { sku } }),
    ]);
    await recordEvent(
      tx,
      newEvent(availabilityChanged, {
        aggregateId: sku,
        source: SERVICE,
        occurredAt: now,
        data: {
          sku,
          available: stock.reduce((sum, s) => sum + Math.max(0, s.onHand - s.reserved), 0),
          policy: (policy?.policy as ShortStockPolicy | null | undefined) ?? null,
          substituteSku: policy?.substituteSku ?? null,
          restockExpectedAt: nextRestocks(stock, now).get(sku)?.toISOString() ?? null,
          at: now.toISOString(),
        },
      }),
    );
  }
}

/** The next restock expected per SKU over the active hubs (the date a backorder is promised). */
export function nextRestocks(stock: ReadonlyArray<{ sku: string; restockExpectedAt: Date | null }>, now: Date): Map<string, Date> {
  const next = new Map<string, Date>();
  for (const s of stock) {
    if (!s.restockExpectedAt || s.restockExpectedAt < now) continue;
    const seen = next.get(s.sku);
    if (!seen || s.restockExpectedAt < seen) next.set(s.sku, s.restockExpectedAt);
  }
  return next;
}
