import { randomUUID } from 'node:crypto';
import { DomainError } from '@platform/contracts/errors';
import type { OrderAllocation } from '@platform/contracts/api/billing';
import type { Order } from '@platform/contracts/api/orders';
import type { Database, Transaction } from '../adapters/database';
import type { Invoice, Payment, Refund } from '../generated/prisma/client';
import { allocatePayment, conservationProblems, reverseRefund, type VendorPosition, type VendorShare, type VendorType, type VendorWeight, vendorWeights } from '../domain/vendor-split';
import type { BillingDeps } from './context';

/*
 * The vendors' payout ledger (docs/requirements.md#bil-02-payments-and-refunds): each
 * succeeded payment is allocated to the order's vendors (earning + fee entries), and each
 * succeeded refund reverses what it takes back (refund + fee_reversal entries).
 */

type EntryKind = 'earning' | 'fee' | 'refund' | 'fee_reversal' | 'payout';

/** Ledger rows for shares of one payment (sign +1) or one refund (sign −1), once per (kind, vendor, reference). */
async function recordShares(
  tx: Transaction,
  shares: readonly VendorShare[],
  entry: { kinds: [EntryKind, EntryKind]; sign: 1 | -1; reference: string; orderId: string; orderNumber: string | null; currency: string; at: Date },
): Promise<void> {
  const [earningKind, feeKind] = entry.kinds;
  const rows = shares.flatMap((share) =>
    [
      { kind: earningKind, amount: share.earning },
      { kind: feeKind, amount: share.fee },
    ].map(({ kind, amount }) => ({
      id: randomUUID(),
      vendorId: share.vendorId,
      vendorType: share.vendorType,
      kind,
      amount: entry.sign * amount,
      currency: entry.currency,
      orderId: entry.orderId,
      orderNumber: entry.orderNumber,
      reference: entry.reference,
      at: entry.at,
    })),
  );
  await tx.vendorLedgerEntry.createMany({ data: rows, skipDuplicates: true });
}

/** The order's items as its latest event carries them (created, modified): the allocation's weights and what a cancelled unit cost. */
export async function keepOrderItems(tx: Transaction, order: Pick<Order, 'id' | 'items'>): Promise<void> {
  await tx.orderItem.deleteMany({ where: { orderId: order.id } });
  await tx.orderItem.createMany({
    data: order.items.map((item, index) => ({
      orderId: order.id,
      position: index + 1,
      sku: item.sku,
      variantId: item.variantId,
      vendorId: item.vendor.id,
      vendorType: item.vendor.type,
      quantity: item.quantity,
      unitPrice: item.unitPrice,
    })),
  });
}

/** The order's vendors weighted by their items' subtotals (none for an order billed before items were kept). */
export async function orderVendorWeights(tx: Transaction, orderId: string): Promise<VendorWeight[]> {
  const items = await tx.orderItem.findMany({ where: { orderId }, orderBy: { position: 'asc' } });
  return vendorWeights(items.map((item) => ({ vendorId: item.vendorId, vendorType: item.vendorType, amount: item.unitPrice * item.quantity })));
}

/**
 * A payment succeeded: its amount is allocated to the order's vendors in proportion to their
 * items (largest remainder, so the allocations sum to the amount paid), each less its fee; a
 * top-up over the vendors whose items grew. Orders billed before items were kept have none:
 * nothing is allocated.
 */
export async function allocatePaymentToVendors(tx: Transaction, deps: BillingDeps, payment: Payment, invoice: Invoice, now: Date): Promise<void> {
  const weights = (payment.vendorWeights as VendorWeight[] | null) ?? (await orderVendorWeights(tx, payment.orderId));
  if (weights.length === 0) return;
  const shares = allocatePayment(payment.amountReceived, weights, deps.feeRates);
  await recordShares(tx, shares, {
    kinds: ['earning', 'fee'],
    sign: 1,
    reference: payment.id,
    orderId: payment.orderId,
    orderNumber: invoice.orderNumber,
    currency: payment.currency,
    at: now,
  });
}

/** What each vendor still holds of the order's money (allocated minus reversed), by vendor id. */
export async function vendorPositions(tx: Transaction | Database, orderId: string): Promise<VendorPosition[]> {
  const sums = await tx.vendorLedgerEntry.groupBy({ by: ['vendorId', 'vendorType', 'kind'], where: { orderId }, _sum: { amount: true }, orderBy: { vendorId: 'asc' } });
  const positions = new Map<string, VendorPosition>();
  for (const row of sums) {
    const position = positions.get(row.vendorId) ?? { vendorId: row.vendorId, vendorType: row.vendorType as VendorType, remaining: 0, remainingFee: 0 };
    const amount = row._sum.amount ?? 0;
    position.remaining += amount;
    if (row.kind === 'fee' || row.kind === 'fee_reversal') position.remainingFee += amount;
    positions.set(row.vendorId, position);
  }
  return [...positions.values()];
}

/**
 * A refund succeeded: the vendors give back what it takes (those named by `vendorAmounts`,
 * else everyone in proportion to what they still hold), earning and fee in proportion.
 * Only for a payment that was allocated (money refunded because it arrived after a cancel
 * never reached the vendors).
 */
export async function reverseVendorShares(tx: Transaction, refund: Refund, now: Date): Promise<void> {
  const allocation = await tx.vendorLedgerEntry.findFirst({ where: { kind: 'earning', reference: refund.paymentId } });
  if (!allocation) return;
  const attribution = refund.vendorAmounts ? new Map(Object.entries(refund.vendorAmounts as Record<string, number>)) : undefined;
  const shares = reverseRefund(refund.amount, await vendorPositions(tx, refund.orderId), attribution);
  await recordShares(tx, shares, {
    kinds: ['refund', 'fee_reversal'],
    sign: -1,
    reference: refund.id,
    orderId: refund.orderId,
    orderNumber: allocation.orderNumber,
    currency: refund.currency,
    at: now,
  });
}

/** The order's vendors and the conservation check: paid = Σ earnings + fees, refunded = Σ reversed earnings + fees. */
export async function orderAllocation(db: Database, orderId: string): Promise<OrderAllocation> {
  const [entries, payments, refunds] = await db.$transaction(
    [
      db.vendorLedgerEntry.findMany({ where: { orderId }, orderBy: [{ at: 'asc' }, { vendorId: 'asc' }] }),
      db.payment.findMany({ where: { orderId } }),
      db.refund.findMany({ where: { orderId, status: 'succeeded' } }),
    ],
    { isolationLevel: 'RepeatableRead' },
  );
  if (payments.length === 0) throw new DomainError('not_found', 'BILLING_NOT_FOUND', `Billing knows nothing about order ${orderId}`);
  const allocated = new Set(entries.filter((e) => e.kind === 'earning').map((e) => e.reference));
  const vendors = new Map<string, OrderAllocation['vendors'][number]>();
  for (const entry of entries) {
    const vendor = vendors.get(entry.vendorId) ?? {
      vendorId: entry.vendorId,
      vendorType: entry.vendorType as VendorType,
      subOrder: { orderNumber: entry.orderNumber, vendorId: entry.vendorId },
      allocated: 0,
      earnings: 0,
      fees: 0,
      reversedEarnings: 0,
      reversedFees: 0,
      netEarnings: 0,
    };
    if (entry.kind === 'earning') vendor.earnings += entry.amount;
    if (entry.kind === 'fee') vendor.fees += entry.amount;
    if (entry.kind === 'refund') vendor.reversedEarnings -= entry.amount;
    if (entry.kind === 'fee_reversal') vendor.reversedFees -= entry.amount;
    vendor.allocated = vendor.earnings + vendor.fees;
    vendor.netEarnings = vendor.earnings - vendor.reversedEarnings;
    vendors.set(entry.vendorId, vendor);
  }
  const total = (pick: (v: OrderAllocation['vendors'][number]) => number) => [...vendors.values()].reduce((sum, v) => sum + pick(v), 0);
  const money = {
    paid: payments.filter((p) => allocated.has(p.id)).reduce((sum, p) => sum + p.amountReceived, 0),
    refunded: refunds.filter((r) => allocated.has(r.paymentId)).reduce((sum, r) => sum + r.amount, 0),
    earnings: total((v) => v.earnings),
    fees: total((v) => v.fees),
    reversedEarnings: total((v) => v.reversedEarnings),
    reversedFees: total((v) => v.reversedFees),
  };
  const problems = conservationProblems(money);
  return { orderId, currency: payments[0]!.currency, vendors: [...vendors.values()], check: { ...money, balanced: problems.length === 0, problems } };
}
