import type { SubOrder } from '@platform/contracts/api/orders';
import { DomainError } from '@platform/contracts/errors';
import type { Prisma } from '../generated/prisma/client';
import { formatOrderNumber } from '../domain/order-number';
import type { Database, Transaction } from './database';

type Client = Database | Transaction;

/** A sub-order with what its answer shows of the parent: number, currency and the items. */
const withParent = {
  order: { select: { number: true, currency: true, customerId: true, items: { orderBy: { position: 'asc' } } } },
} as const satisfies Prisma.SubOrderInclude;
export type SubOrderRow = Prisma.SubOrderGetPayload<{ include: typeof withParent }>;

export function toSubOrder(row: SubOrderRow): SubOrder {
  const mine = new Set(row.itemIds);
  return {
    id: row.id,
    number: row.number,
    orderId: row.orderId,
    orderNumber: formatOrderNumber(row.order.number),
    vendor: { id: row.vendorId, type: row.vendorType as SubOrder['vendor']['type'] },
    items: row.order.items
      .filter((item) => mine.has(item.id))
      .map((item) => ({
        id: item.id,
        sku: item.sku,
        variantId: item.variantId,
        name: item.name,
        quantity: item.quantity,
        unitPrice: item.unitPrice,
        lineTotal: item.lineTotal,
      })),
    subtotal: row.subtotal,
    currency: row.order.currency,
    status: row.status as SubOrder['status'],
    fulfillmentStatus: row.fulfillmentStatus as SubOrder['fulfillmentStatus'],
    units: row.units as SubOrder['units'],
    parcels: row.parcels as SubOrder['parcels'],
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * Takes the parent order's row lock: every writer of an order's sub-orders holds it (a status
 * change, a modification and a cancel update the order row first), so they never interleave.
 */
export async function lockOrder(tx: Transaction, orderId: string): Promise<boolean> {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM orders WHERE id = ${orderId}::uuid FOR UPDATE`;
  return rows.length > 0;
}

export async function listSubOrderRows(db: Client, orderId: string): Promise<SubOrderRow[]> {
  return db.subOrder.findMany({ where: { orderId }, include: withParent, orderBy: { position: 'asc' } });
}

export async function findSubOrderRow(db: Client, number: string): Promise<SubOrderRow | null> {
  return db.subOrder.findUnique({ where: { number }, include: withParent });
}

export async function insertSubOrder(tx: Transaction, data: Prisma.SubOrderUncheckedCreateInput): Promise<SubOrderRow> {
  return tx.subOrder.create({ data, include: withParent });
}

/** Optimistic lock, as for orders: a writer that read an older version fails instead of overwriting. */
export async function updateSubOrderAtVersion(
  tx: Transaction,
  row: Pick<SubOrderRow, 'id' | 'version'>,
  data: Omit<Prisma.SubOrderUncheckedUpdateInput, 'version'> & { updatedAt: Date },
): Promise<SubOrderRow> {
  const { count } = await tx.subOrder.updateMany({ where: { id: row.id, version: row.version }, data: { ...data, version: { increment: 1 } } });
  if (count === 0) throw new DomainError('conflict', 'VERSION_CONFLICT', `The sub-order changed since version ${row.version}`);
  return tx.subOrder.findUniqueOrThrow({ where: { id: row.id }, include: withParent });
}

export async function insertSubOrderHistory(tx: Transaction, entry: Prisma.SubOrderStatusChangeUncheckedCreateInput): Promise<void> {
  await tx.subOrderStatusChange.create({ data: entry });
}

export async function listSubOrderHistory(db: Client, subOrderId: string) {
  return db.subOrderStatusChange.findMany({ where: { subOrderId }, orderBy: [{ createdAt: 'asc' }, { sequence: 'asc' }] });
}

export interface SubOrderFilter {
  vendorId?: string | undefined;
  status?: SubOrder['status'] | undefined;
  /** Keyset: strictly older than this position (newest first). */
  after?: { createdAt: Date; id: string } | undefined;
  limit: number;
}

/** Newest first, keyset-paginated on (created_at, id) like the orders list. */
export async function listSubOrdersPage(db: Client, filter: SubOrderFilter): Promise<SubOrder[]> {
  const rows = await db.subOrder.findMany({
    where: {
      ...(filter.vendorId !== undefined && { vendorId: filter.vendorId }),
      ...(filter.status !== undefined && { status: filter.status }),
      ...(filter.after && {
        OR: [{ createdAt: { lt: filter.after.createdAt } }, { createdAt: filter.after.createdAt, id: { lt: filter.after.id } }],
      }),
    },
    include: withParent,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: filter.limit,
  });
  return rows.map(toSubOrder);
}
