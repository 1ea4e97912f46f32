/*
 * Per-vendor money (docs/requirements.md#bil-02-payments-and-refunds, #bil-03-vendor-payouts):
 * how a payment is allocated to the vendors of an order, what the platform keeps, and what a
 * refund takes back from whom. Integer minor units throughout; every split is exact (the parts
 * sum to the whole), so paid = Σ earnings + Σ fees and refunded = Σ reversed earnings + Σ
 * reversed fees hold to the unit.
 */

export type VendorType = 'brand' | 'distributor';

/** Platform fee per vendor type, in basis points (1/100 of a percent) of the vendor's allocation. */
export type FeeRates = Record<VendorType, number>;

export interface VendorWeight {
  vendorId: string;
  vendorType: VendorType;
  /** The vendor's items in the order: Σ unit price × quantity. */
  itemsSubtotal: number;
}

/** A vendor's part of one payment: `amount` = `earning` + `fee`. */
export interface VendorShare {
  vendorId: string;
  vendorType: VendorType;
  amount: number;
  fee: number;
  earning: number;
}

/**
 * Splits `total` (≥ 0) in proportion to `weights` (≥ 0) by largest remainder: each part gets
 * the floor of its exact share, and the units left over go to the largest fractional parts
 * (ties: the earlier part). The parts sum to `total` exactly. All weights zero: equal weights.
 */
export function splitProportionally(total: number, weights: readonly number[]): number[] {
  if (!Number.isInteger(total) || total < 0) throw new RangeError(`total must be a non-negative integer, got ${total}`);
  if (weights.length === 0) {
    if (total === 0) return [];
    throw new RangeError('nothing to split between');
  }
  if (weights.some((w) => !Number.isInteger(w) || w < 0)) throw new RangeError('weights must be non-negative integers');
  const effective = weights.every((w) => w === 0) ? weights.map(() => 1) : weights;
  const sum = BigInt(effective.reduce((a, b) => a + b, 0));
  const exact = effective.map((w) => BigInt(total) * BigInt(w));
  const parts = exact.map((e) => Number(e / sum));
  const remainders = exact.map((e, index) => ({ index, remainder: e % sum }));
  let left = total - parts.reduce((a, b) => a + b, 0);
  remainders.sort((a, b) => (a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1));
  for (const { index } of remainders) {
    if (left === 0) break;
    parts[index]! += 1;
    left -= 1;
  }
  return parts;
}

/** `numerator / denominator` rounded half up (both non-negative; denominator > 0), without float error. */
export function roundHalfUp(numerator: bigint, denominator: bigint): number {
  return Number((numerator * 2n + denominator) / (denominator * 2n));
}

/** The platform fee on `amount` at `bps` basis points, rounded half up to the minor unit. */
export function platformFee(amount: number, bps: number): number {
  return roundHalfUp(BigInt(amount) * BigInt(bps), 10_000n);
}

/**
 * Allocates a payment of `amount` to the order's vendors in proportion to their items'
 * subtotals. That is the same as each vendor's items plus its proportional share of shipping
 * and tax minus its share of the discount (the order's total is subtotal + shipping + tax −
 * discount), rounded once, by largest remainder, so the allocations sum to `amount`. The fee
 * is the vendor type's rate of its allocation; the earning is the rest.
 */
export function allocatePayment(amount: number, vendors: readonly VendorWeight[], rates: FeeRates): VendorShare[] {
  const parts = splitProportionally(amount, vendors.map((v) => v.itemsSubtotal));
  return vendors.map((vendor, index) => {
    const part = parts[index]!;
    const fee = platformFee(part, rates[vendor.vendorType]);
    return { vendorId: vendor.vendorId, vendorType: vendor.vendorType, amount: part, fee, earning: part - fee };
  });
}

/** What a vendor still holds of an order's money: allocated minus reversed, in total and of it the fee. */
export interface VendorPosition {
  vendorId: string;
  vendorType: VendorType;
  /** Allocated and not yet reversed (earning + fee). */
  remaining: number;
  /** Of `remaining`, the platform's fee. */
  remainingFee: number;
}

/**
 * What a refund of `amount` reverses, per vendor (`amount` = `earning` + `fee` reversed).
 * `attribution` names how much of it each vendor gives back (a refund of specific items: those
 * items' vendors); without one, the refund is shared in proportion to what each vendor still
 * holds (a cancel takes back everything, a price decrease a proportional part). A vendor never
 * gives back more than it holds. Its fee is reversed in the same proportion, rounded half up:
 * fee reversed = slice × remainingFee / remaining, so a slice of everything reverses the whole
 * fee and nothing is left over after a full refund.
 */
export function reverseRefund(amount: number, positions: readonly VendorPosition[], attribution?: ReadonlyMap<string, number>): VendorShare[] {
  const slices = attribution
    ? positions.map((p) => Math.min(p.remaining, attribution.get(p.vendorId) ?? 0))
    : splitProportionally(Math.min(amount, positions.reduce((sum, p) => sum + p.remaining, 0)), positions.map((p) => p.remaining));
  return positions
    .map((position, index) => {
      const slice = slices[index]!;
      const fee = slice === 0 ? 0 : roundHalfUp(BigInt(slice) * BigInt(position.remainingFee), BigInt(position.remaining));
      return { vendorId: position.vendorId, vendorType: position.vendorType, amount: slice, fee, earning: slice - fee };
    })
    .filter((share) => share.amount > 0);
}

/** An order's money as the conservation check sees it. */
export interface OrderMoney {
  /** Received on the payments that were allocated. */
  paid: number;
  /** Refunded (succeeded) from those payments. */
  refunded: number;
  earnings: number;
  fees: number;
  reversedEarnings: number;
  reversedFees: number;
}

/** The broken equalities, in words ops can act on; empty when the order's money is conserved. */
export function conservationProblems(money: OrderMoney): string[] {
  const problems: string[] = [];
  if (money.paid !== money.earnings + money.fees) {
    problems.push(`paid ${money.paid} ≠ earnings ${money.earnings} + fees ${money.fees}`);
  }
  if (money.refunded !== money.reversedEarnings + money.reversedFees) {
    problems.push(`refunded ${money.refunded} ≠ reversed earnings ${money.reversedEarnings} + reversed fees ${money.reversedFees}`);
  }
  return problems;
}

/** An order's item lines as the allocation reads them. */
export interface VendorLine {
  vendorId: string | null;
  vendorType: string | null;
  amount: number;
}

/**
 * The order's vendors in the order their items first appear, each with its items' subtotal.
 * Lines without a vendor (billed before vendors were recorded) are left out: no vendors, no
 * allocation.
 */
export function vendorWeights(lines: readonly VendorLine[]): VendorWeight[] {
  const byVendor = new Map<string, VendorWeight>();
  for (const line of lines) {
    if (!line.vendorId || (line.vendorType !== 'brand' && line.vendorType !== 'distributor')) continue;
    const weight = byVendor.get(line.vendorId) ?? { vendorId: line.vendorId, vendorType: line.vendorType, itemsSubtotal: 0 };
    weight.itemsSubtotal += line.amount;
    byVendor.set(line.vendorId, weight);
  }
  return [...byVendor.values()];
}

/**
 * What a modification did to each vendor's items: `grown` (the vendors whose items subtotal
 * rose, by how much: the weights of the top-up that pays for it) and `shrunk` (those whose
 * subtotal fell, by how much: who gives back the refund of a lower total). Empty when no
 * vendor's items moved that way (only shipping or tax changed): the money is then shared in
 * proportion, like any other.
 */
export function subtotalChanges(before: readonly VendorWeight[], after: readonly VendorWeight[]): { grown: VendorWeight[]; shrunk: VendorWeight[] } {
  const vendors = new Map<string, VendorType>([...before, ...after].map((v) => [v.vendorId, v.vendorType]));
  const subtotal = (list: readonly VendorWeight[], vendorId: string) => list.find((v) => v.vendorId === vendorId)?.itemsSubtotal ?? 0;
  const grown: VendorWeight[] = [];
  const shrunk: VendorWeight[] = [];
  for (const [vendorId, vendorType] of vendors) {
    const change = subtotal(after, vendorId) - subtotal(before, vendorId);
    if (change > 0) grown.push({ vendorId, vendorType, itemsSubtotal: change });
    if (change < 0) shrunk.push({ vendorId, vendorType, itemsSubtotal: -change });
  }
  return { grown, shrunk };
}
