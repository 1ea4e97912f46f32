import type { SupplierName, SupplierSource } from '@platform/contracts';
import type { OrderLine, PartFailure, PartMove, WorkflowContext } from './order-workflow';

/** Items bought from suppliers, one group per supplier (one supplier order each). */
export function groupBySupplier(items: OrderLine[]): Array<{ supplier: SupplierName; items: OrderLine[] }> {
  const groups = new Map<SupplierName, OrderLine[]>();
  for (const item of items) {
    if (item.supplierSource === 'own_stock') continue;
    groups.set(item.supplierSource, [...(groups.get(item.supplierSource) ?? []), item]);
  }
  return [...groups].map(([supplier, grouped]) => ({ supplier, items: grouped }));
}

/**
 * What a placement places: the order's lines after the parts that failed alone
 * (docs/requirements.md#ful-05-mixed-sources): refunded units are gone, re-routed units come
 * from their new source. Without failures, the order's lines as they are.
 */
export function placementLines(items: OrderLine[], failures: PartFailure[]): OrderLine[] {
  let lines = items.map((line) => ({ ...line }));
  for (const failure of failures) {
    const moved: OrderLine[] = [];
    for (const move of failure.moves) {
      let left = move.quantity;
      for (const line of lines) {
        if (left === 0) break;
        if (line.sku !== move.sku || line.variantId !== move.variantId || line.supplierSource !== failure.source) continue;
        const take = Math.min(left, line.quantity);
        line.quantity -= take;
        left -= take;
        if (move.to) moved.push({ ...line, quantity: take, supplierSource: move.to });
      }
    }
    lines = [...lines.filter((line) => line.quantity > 0), ...moved];
  }
  return lines;
}

/**
 * Whether the attempt has a part at a supplier (its placement lines, `placementLines`): only such
 * an attempt has supplier orders to poll. Hub stock alone has none.
 */
export function placesAtSuppliers(context: Pick<WorkflowContext, 'order' | 'failedParts'>): boolean {
  return placementLines(context.order.items, context.failedParts).some((line) => line.supplierSource !== 'own_stock');
}

/** What a re-route can use: units free at the hubs by SKU, and the suppliers ops declared for each SKU, in order. */
export interface RerouteOptions {
  freeAtHubs: Record<string, number>;
  alternatives: Record<string, SupplierName[]>;
}

/**
 * Where a failed part's lines go under the re-route policy: hub stock first when the hubs have
 * all of a line (our own stock ships soonest), else the first supplier declared for the SKU that
 * has not failed it in this order, else nowhere (refunded).
 */
export function planReroute(lines: OrderLine[], failedBefore: PartFailure[], failedSource: SupplierSource, options: RerouteOptions): PartMove[] {
  const free = { ...options.freeAtHubs };
  return lines.map(({ sku, variantId, quantity }) => {
    const failed = new Set<SupplierSource>([failedSource, ...failedBefore.filter((f) => f.moves.some((m) => m.sku === sku)).map((f) => f.source)]);
    if (!failed.has('own_stock') && (free[sku] ?? 0) >= quantity) {
      free[sku] = free[sku]! - quantity;
      return { sku, variantId, quantity, to: 'own_stock' };
    }
    const supplier = (options.alternatives[sku] ?? []).find((candidate) => !failed.has(candidate));
    return { sku, variantId, quantity, to: supplier ?? null };
  });
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
