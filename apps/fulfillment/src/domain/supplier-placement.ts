import type { OrderLine } from './order-workflow';

export type SupplierSource = Exclude<OrderLine['supplierSource'], 'own_stock'>;

/** Items bought from suppliers, one group per supplier (one supplier order each). */
export function groupBySupplier(items: OrderLine[]): Array<{ supplier: SupplierSource; items: OrderLine[] }> {
  const groups = new Map<SupplierSource, OrderLine[]>();
  for (const item of items) {
    if (item.supplierSource === 'own_stock') continue;
    groups.set(item.supplierSource, [...(groups.get(item.supplierSource) ?? []), item]);
  }
  return [...groups].map(([supplier, grouped]) => ({ supplier, items: grouped }));
}

export const RETRY_BASE_DELAY_MS = 5 * 60_000;

/** Automatic retry after a refusal: 5 min, 10 min, 20 min (retryCount 0, 1, 2). */
export function retryDelayMs(retryCount: number): number {
  return RETRY_BASE_DELAY_MS * 2 ** retryCount;
}
