import { randomUUID } from 'node:crypto';
import { DomainError } from '@platform/contracts/errors';
import type { OrderAllocation } from '@platform/contracts/api/billing';
import type { Order } from '@platform/contracts/api/orders';
import { type Database, type Transaction, writeTogether } from '../adapters/database';
import { type Invoice, type Payment, Prisma, type Refund } from '../generated/prisma/client';
import { allocatePayment, conservationProblems, reverseRefund, type VendorPosition, type VendorShare, type VendorType, type VendorWeight, vendorWeights } from '../domain/vendor-split';
import type { BillingDeps } from './context';

/*
 * The vendors' payout ledger (docs/requirements.md#bil-02-payments-and-refunds): each
 * succeeded payment is allocated to the order's vendors (earning + fee entries), and each
 * succeeded refund reverses what it takes back (refund + fee_reversal entries).
 */

type EntryKind = 'earning' | 'fee' | 'refund' | 'fee_reversal' | 'payout';

/** Ledger rows for shares of one payment (sign +1) or one refund (sign −1), once per (kind, vendor, reference), as writes (`writeTogether`). */
function sharesWrites(
  shares: readonly VendorShare[],
  entry: { kinds: [EntryKind, EntryKind]; sign: 1 | -1; reference: string; orderId: string; orderNumber: string | null; currency: string; at: Date },
): Prisma.Sql[] {
  const [earningKind, feeKind] = entry.kinds;
  const rows = shares.flatMap((share) =>
    [
      { kind: earningKind, amount: share.earning },
      { kind: feeKind, amount: share.fee },
    ].map(({ kind, amount }) => Prisma.sql`(${randomUUID()}::uuid, ${share.vendorId}, ${share.vendorType}, ${kind}, ${entry.sign * amount}::int, ${entry.currency},
      ${entry.orderId}::uuid, ${entry.orderNumber}, ${entry.reference}::uuid, ${entry.at})`),
  );
  if (rows.length === 0) return [];
  return [
    Prisma.sql`
      INSERT INTO vendor_ledger_entries (id, vendor_id, vendor_type, kind, amount, currency, order_id, order_number, reference, at)
      VALUES ${Prisma.join(rows)}
      ON CONFLICT DO NOTHING`,
  ];
}

/**
 * The order's items as its latest event carries them (created, modified): the allocation's
 * weights and what a cancelled unit cost. As writes (`writeTogether`): the positions the order
 * has are replaced, those past its last deleted.
 */
export function orderItemsWrites(order: Pick<Order, 'id' | 'items'>): Prisma.Sql[] {
  const removed = Prisma.sql`DELETE FROM order_items WHERE order_id = ${order.id}::uuid AND position > ${order.items.length}::int`;
  if (order.items.length === 0) return [removed];
  const rows = order.items.map(
    (item, index) =>
      Prisma.sql`(${order.id}::uuid, ${index + 1}::int, ${item.sku}, ${item.variantId}, ${item.vendor.id}, ${item.vendor.type}, ${item.quantity}::int, ${item.unitPrice}::int)`,
  );
  return [
    removed,
    Prisma.sql`
      INSERT INTO order_items (order_id, position, sku, variant_id, vendor_id, vendor_type, quantity, unit_price)
      VALUES ${Prisma.join(rows)}
      ON CONFLICT (order_id, position) DO UPDATE SET sku = EXCLUDED.sku, variant_id = EXCLUDED.variant_id, vendor_id = EXCLUDED.vendor_id,
        vendor_type = EXCLUDED.vendor_type, quantity = EXCLUDED.quantity, unit_price = EXCLUDED.unit_price`,
  ];
}

export async function keepOrderItems(tx: Transaction, order: Pick<Order, 'id' | 'items'>): Promise<void> {
  await writeTogether(tx, orderItemsWrites(order));
}

/** The order's vendors weighted by their items' subtotals (none for an order billed before items were kept). */
export async function orderVendorWeights(tx: Transaction, orderId: string): Promise<VendorWeight[]> {
  const items = await tx.$queryRaw<{ vendorId: string; vendorType: string; quantity: number; unitPrice: number }[]>`
    SELECT vendor_id AS "vendorId", vendor_type AS "vendorType", quantity, unit_price AS "unitPrice"
    FROM order_items WHERE order_id = ${orderId}::uuid ORDER BY position`;
  return vendorWeights(items.map((item) => ({ vendorId: item.vendorId, vendorType: item.vendorType, amount: item.unitPrice * item.quantity })));
}

/**
 * A payment succeeded: its amount is allocated to the order's vendors in proportion to their
 * items (largest remainder, so the allocations sum to the amount paid), each less its fee; a
 * top-up over the vendors whose items grew. Orders billed before items were kept have none:
 * nothing is allocated. The ledger rows are returned as writes for the caller's next statement.
 */
export async function paymentAllocationWrites(tx: Transaction, deps: BillingDeps, payment: Payment, invoice: Invoice, now: Date): Promise<Prisma.Sql[]> {
  const weights = (payment.vendorWeights as VendorWeight[] | null) ?? (await orderVendorWeights(tx, payment.orderId));
  if (weights.length === 0) return [];
  const shares = allocatePayment(payment.amountReceived, weights, deps.feeRates);
  return sharesWrites(shares, {
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
  await writeTogether(tx, sharesWrites(shares, {
    kinds: ['refund', 'fee_reversal'],
    sign: -1,
    reference: refund.id,
    orderId: refund.orderId,
    orderNumber: allocation.orderNumber,
    currency: refund.currency,
    at: now,
  }));
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
