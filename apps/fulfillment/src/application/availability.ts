import { newEvent, recordEvent } from '@platform/runtime/outbox';
import { availabilityChanged, type ShortStockPolicy } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { selectAvailability } from '../adapters/stock-rows';
import { SERVICE } from './context';

/**
 * Records `fulfillment.availability.changed` for each SKU whose free units or policy the
 * transaction changed (docs/requirements.md#ful-03-inventory-and-short-stock), so orders can check
 * quotes and new orders. Call it after the changes: a per-SKU lock makes a concurrent change of
 * the same SKU wait for this commit and then report its own totals, so the last event of a SKU
 * is always its latest state.
 */
export async function announceAvailability(tx: Transaction, skus: Iterable<string>, now: Date): Promise<void> {
  const sorted = [...new Set(skus)].sort();
  if (sorted.length === 0) return;
  for (const sku of sorted) await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`availability:${sku}`}))`;
  // Read once every lock is held: what each event reports is what the commit leaves.
  const { stock, policies } = await selectAvailability(tx, sorted);
  const restocks = nextRestocks(stock, now);
  for (const sku of sorted) {
    const policy = policies.find((p) => p.sku === sku);
    await recordEvent(
      tx,
      newEvent(availabilityChanged, {
        aggregateId: sku,
        source: SERVICE,
        occurredAt: now,
        data: {
          sku,
          available: stock.reduce((sum, s) => sum + (s.sku === sku ? Math.max(0, s.onHand - s.reserved) : 0), 0),
          policy: (policy?.policy as ShortStockPolicy | null | undefined) ?? null,
          substituteSku: policy?.substituteSku ?? null,
          restockExpectedAt: restocks.get(sku)?.toISOString() ?? null,
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
