import type { CreditNoteLine } from '@platform/contracts/api/billing';

/** Units given back: cancelled (no fee) or returned (the fee inspection fixed, basis points). */
export interface RefundedUnit {
  sku: string;
  variantId: string;
  vendorId: string;
  quantity: number;
  restockingFeeBps: number | null;
}

interface OrderedItem {
  sku: string;
  variantId: string;
  vendorId: string;
  quantity: number;
  unitPrice: number;
}

export interface UnitsRefund {
  amount: number;
  /** Who gives it back: each vendor its units, never more than it still holds. */
  vendorAmounts: Record<string, number>;
  lines: CreditNoteLine[];
}

/** `amount × (10000 − bps) / 10000`, half-up in minor units (integers throughout). */
export function lessFee(amount: number, feeBps: number): number {
  return Math.floor((amount * (10_000 - feeBps) + 5_000) / 10_000);
}

/**
 * What units cost the customer, line by line (unit price as ordered × quantity, less the
 * restocking fee, rounded per line), capped per vendor by what it still holds (`remaining`;
 * a vendor without ledger entries is not capped). A cap shows on the credit note as a negative
 * line. `missing`: a unit the order does not have.
 */
export function unitsRefund(
  units: readonly RefundedUnit[],
  items: readonly OrderedItem[],
  names: readonly { sku: string | null; description: string }[],
  remaining: ReadonlyMap<string, number>,
): UnitsRefund | { missing: RefundedUnit } {
  const vendorAmounts: Record<string, number> = {};
  const lines: CreditNoteLine[] = [];
  for (const unit of units) {
    const ordered = items.find((i) => i.sku === unit.sku && i.variantId === unit.variantId && i.vendorId === unit.vendorId);
    if (!ordered) return { missing: unit };
    const quantity = Math.min(unit.quantity, ordered.quantity);
    const amount = lessFee(ordered.unitPrice * quantity, unit.restockingFeeBps ?? 0);
    vendorAmounts[unit.vendorId] = (vendorAmounts[unit.vendorId] ?? 0) + amount;
    const description = names.find((line) => line.sku === unit.sku)?.description ?? unit.sku;
    lines.push({ description, sku: unit.sku, quantity, unitAmount: ordered.unitPrice, restockingFeeBps: unit.restockingFeeBps, amount });
  }
  const uncapped = Object.values(vendorAmounts).reduce((sum, a) => sum + a, 0);
  for (const [vendorId, amount] of Object.entries(vendorAmounts)) vendorAmounts[vendorId] = Math.min(amount, remaining.get(vendorId) ?? amount);
  const amount = Object.values(vendorAmounts).reduce((sum, a) => sum + a, 0);
  if (amount < uncapped) {
    lines.push({ description: 'Limited to what remains refundable', sku: null, quantity: 1, unitAmount: amount - uncapped, restockingFeeBps: null, amount: amount - uncapped });
  }
  return { amount, vendorAmounts, lines };
}
