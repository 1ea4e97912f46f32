import type { ShortStockPolicy } from '@platform/contracts';
import type { LineAvailability } from '@platform/contracts/api/orders';

/**
 * Availability of a basket at quote and order time (docs/requirements.md#ful-03-inventory-and-short-stock),
 * from what fulfillment last reported per SKU. A SKU fulfillment never reported is stocked by no
 * hub (a supplier's): not checked. Lines of one SKU share its free units in basket order.
 */

export interface SkuAvailability {
  sku: string;
  available: number;
  policy: ShortStockPolicy | null;
  substituteSku: string | null;
  restockExpectedAt: Date | null;
}

export function checkAvailability(
  lines: ReadonlyArray<{ sku: string; quantity: number }>,
  known: ReadonlyMap<string, SkuAvailability>,
  orderPolicy: ShortStockPolicy | null,
): LineAvailability[] {
  const left = new Map([...known].map(([sku, a]) => [sku, a.available]));
  return lines.map((line) => {
    const stock = known.get(line.sku);
    if (!stock) return { status: 'not_tracked', available: null, shortQuantity: 0, resolution: null };
    const free = left.get(line.sku)!;
    left.set(line.sku, Math.max(0, free - line.quantity));
    const shortQuantity = Math.max(0, line.quantity - free);
    if (shortQuantity === 0) return { status: 'available', available: free, shortQuantity, resolution: null };
    const resolution = resolve(stock, orderPolicy, line.quantity, left, known);
    // A substituted line takes none of its own SKU's units.
    if (resolution?.policy === 'substitute') left.set(line.sku, free);
    return { status: 'short', available: free, shortQuantity, resolution };
  });
}

/** What the policy will do with a short line, or null when nothing can (no policy, or no equivalent with the units). */
function resolve(
  stock: SkuAvailability,
  orderPolicy: ShortStockPolicy | null,
  quantity: number,
  left: Map<string, number>,
  known: ReadonlyMap<string, SkuAvailability>,
): LineAvailability['resolution'] {
  const policy = orderPolicy ?? stock.policy;
  if (policy === 'partial') return { policy, substituteSku: null, expectedAt: null };
  if (policy === 'backorder') return { policy, substituteSku: null, expectedAt: stock.restockExpectedAt?.toISOString() ?? null };
  if (policy === 'substitute' && stock.substituteSku) {
    // The whole line becomes the equivalent: it must have the units (when a hub stocks it at all).
    if (!known.has(stock.substituteSku)) return { policy, substituteSku: stock.substituteSku, expectedAt: null };
    const free = left.get(stock.substituteSku)!;
    if (free < quantity) return null;
    left.set(stock.substituteSku, free - quantity);
    return { policy, substituteSku: stock.substituteSku, expectedAt: null };
  }
  return null;
}
