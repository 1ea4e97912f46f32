import type { SupplierName } from '@platform/contracts';
import type { OrderLine } from './order-workflow';

/** Items bought from suppliers, one group per supplier (one supplier order each). */
export function groupBySupplier(items: OrderLine[]): Array<{ supplier: SupplierName; items: OrderLine[] }> {
  const groups = new Map<SupplierName, OrderLine[]>();
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

/** How a live supplier order is polled: first after `baseMs`, then twice as long each time nothing changed, at most `maxMs`. */
export interface PollSchedule {
  baseMs: number;
  maxMs: number;
}

/**
 * The wait before the next status poll: back to the base after a change (the supplier is
 * moving, shipping may follow soon), otherwise double the last wait up to the cap, so a
 * supplier that stays silent is asked ~25 times a day instead of every base interval.
 */
export function nextPollIntervalMs(schedule: PollSchedule, previousMs: number | null, changed: boolean): number {
  if (changed || previousMs === null) return schedule.baseMs;
  return Math.max(schedule.baseMs, Math.min(previousMs * 2, schedule.maxMs));
}
