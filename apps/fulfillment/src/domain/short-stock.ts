import type { ShortStockPolicy } from '@platform/contracts';
import type { RouteLine, Shortage } from './routing';

/**
 * What happens to own-stock units the hubs do not have when they are reserved
 * (docs/requirements.md#ful-03-inventory-and-short-stock): the order's own policy (given at
 * checkout) wins over the SKU's (set by ops). `substitute` ships the SKU's configured equivalent
 * (what the equivalent cannot cover is treated as `partial`); `partial` ships what there is and
 * cancels the rest (refunded); `backorder` holds the rest for the next restock. No policy: the
 * attempt fails as before.
 */

export interface OrderLine extends RouteLine {
  variantId: string;
  vendorId: string;
  /** On a substitute line: the SKU of the order line it stands for (its units count for that line). */
  substituteFor?: string;
}

export interface SkuPolicy {
  policy: ShortStockPolicy | null;
  substituteSku: string | null;
}

export interface ShortStockPlan {
  /** What to reserve now (substitutes included), to be routed to hubs. */
  lines: OrderLine[];
  substituted: Array<{ sku: string; substituteSku: string; vendorId: string; quantity: number }>;
  cancelled: Array<{ sku: string; variantId: string; vendorId: string; quantity: number }>;
  backordered: Array<OrderLine & { expectedAt: Date | null }>;
}

export type ShortStockDecision = ({ ok: true } & ShortStockPlan) | { ok: false; shortages: Shortage[] };

export function resolveShortStock(
  lines: readonly OrderLine[],
  context: {
    /** Units free to reserve per SKU over the active hubs. */
    free: ReadonlyMap<string, number>;
    policies: ReadonlyMap<string, SkuPolicy>;
    orderPolicy: ShortStockPolicy | null;
    /** The next restock expected per SKU. */
    restockAt: ReadonlyMap<string, Date>;
  },
): ShortStockDecision {
  const free = new Map(context.free);
  const take = (sku: string, wanted: number) => {
    const taken = Math.min(Math.max(0, free.get(sku) ?? 0), wanted);
    free.set(sku, (free.get(sku) ?? 0) - taken);
    return taken;
  };
  const plan: ShortStockPlan = { lines: [], substituted: [], cancelled: [], backordered: [] };
  const unresolved = new Map<string, Shortage>();

  for (const line of lines) {
    const reserved = take(line.sku, line.quantity);
    if (reserved > 0) plan.lines.push({ ...line, quantity: reserved });
    let short = line.quantity - reserved;
    if (short === 0) continue;

    const skuPolicy = context.policies.get(line.sku);
    const policy = context.orderPolicy ?? skuPolicy?.policy ?? null;
    if (policy === null) {
      const seen = unresolved.get(line.sku) ?? { sku: line.sku, requested: 0, available: 0 };
      unresolved.set(line.sku, { ...seen, requested: seen.requested + line.quantity, available: seen.available + reserved });
      continue;
    }
    if (policy === 'backorder') {
      plan.backordered.push({ ...line, quantity: short, expectedAt: context.restockAt.get(line.sku) ?? null });
      continue;
    }
    const substituteSku = policy === 'substitute' ? skuPolicy?.substituteSku : null;
    if (substituteSku) {
      const instead = take(substituteSku, short);
      if (instead > 0) {
        plan.lines.push({ ...line, sku: substituteSku, quantity: instead, substituteFor: line.sku });
        plan.substituted.push({ sku: line.sku, substituteSku, vendorId: line.vendorId, quantity: instead });
        short -= instead;
      }
    }
    if (short > 0) plan.cancelled.push({ sku: line.sku, variantId: line.variantId, vendorId: line.vendorId, quantity: short });
  }

  if (unresolved.size > 0) return { ok: false, shortages: [...unresolved.values()] };
  return { ok: true, ...plan };
}

/** The lines less the units already cancelled for short stock (an earlier run or attempt): never cancelled twice. */
export function withoutCancelled(lines: readonly OrderLine[], cancelled: ReadonlyArray<{ sku: string; vendorId: string; quantity: number }>): OrderLine[] {
  const left = new Map<string, number>();
  for (const c of cancelled) left.set(`${c.sku}/${c.vendorId}`, (left.get(`${c.sku}/${c.vendorId}`) ?? 0) + c.quantity);
  return lines.flatMap((line) => {
    const key = `${line.sku}/${line.vendorId}`;
    const taken = Math.min(left.get(key) ?? 0, line.quantity);
    left.set(key, (left.get(key) ?? 0) - taken);
    return taken === line.quantity ? [] : [{ ...line, quantity: line.quantity - taken }];
  });
}
