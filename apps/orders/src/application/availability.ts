import type { EventOf, availabilityChanged, ShortStockPolicy } from '@platform/contracts';
import type { CreateOrderRequest } from '@platform/contracts/api/orders';
import { DomainError } from '@platform/contracts/errors';
import { upsertAvailability } from '../adapters/availability-repository';
import type { Transaction } from '../adapters/database';
import { checkAvailability, type SkuAvailability } from '../domain/availability';

/**
 * Orders' read model of fulfillment's stock (FUL-03): `orders--availability` keeps the latest
 * report per SKU; quotes and new orders are checked against it without calling fulfillment.
 */

/** `fulfillment.availability.changed`: an older report (redelivered late) never replaces a newer one. */
export async function recordAvailability(tx: Transaction, report: EventOf<typeof availabilityChanged>['data']): Promise<void> {
  await upsertAvailability(tx, {
    sku: report.sku,
    available: report.available,
    policy: report.policy,
    substituteSku: report.substituteSku,
    restockExpectedAt: report.restockExpectedAt ? new Date(report.restockExpectedAt) : null,
    reportedAt: new Date(report.at),
  });
}

export const isOwnStock = (item: { supplierSource: string }) => item.supplierSource === 'own_stock';

/**
 * The order's items as the short-stock policy accepts them, before pricing: a substituted line
 * becomes its equivalent SKU, a partial or backordered one says how many units are short (and
 * when they are expected). A short own-stock line no policy answers refuses the order (409,
 * naming the line). Only own-stock lines are checked (`stock` holds their SKUs' reports):
 * suppliers' stock is theirs.
 */
export function applyShortStockPolicy<Item extends CreateOrderRequest['items'][number]>(
  items: readonly Item[],
  orderPolicy: ShortStockPolicy | null,
  stock: ReadonlyMap<string, SkuAvailability>,
) {
  const own = items.flatMap((item, index) => (isOwnStock(item) ? [{ item, index }] : []));
  const checks = checkAvailability(
    own.map(({ item }) => item),
    stock,
    orderPolicy,
  );
  const byIndex = new Map(own.map(({ index }, i) => [index, checks[i]!]));
  const refused = [...byIndex].filter(([, check]) => check.status === 'short' && check.resolution === null);
  if (refused.length > 0) {
    throw new DomainError(
      'conflict',
      'INSUFFICIENT_STOCK',
      'Some items are short in stock and no short-stock policy applies',
      refused.map(([index, check]) => ({ pointer: `/items/${index}`, detail: `only ${check.available} of ${items[index]!.sku} available (${check.shortQuantity} short)` })),
    );
  }
  return items.map((item, index) => {
    const check = byIndex.get(index);
    if (check?.status !== 'short' || !check.resolution) return { ...item, shortStock: null };
    const { policy, substituteSku, expectedAt } = check.resolution;
    const shortStock = { policy, shortQuantity: check.shortQuantity, substitutedFor: substituteSku ? item.sku : null, expectedAt };
    return substituteSku ? { ...item, sku: substituteSku, variantId: substituteSku, shortStock } : { ...item, shortStock };
  });
}
