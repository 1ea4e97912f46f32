import type { ShortStockOutcome, ShortStockPolicy } from '@platform/contracts';
import type { Order } from '@platform/contracts/api/orders';
import { DomainError } from '@platform/contracts/errors';
import type { Prisma } from '../generated/prisma/client';
import { formatOrderNumber } from '../domain/order-number';
import { FINISHED_STATUSES } from '../domain/order-status';
import type { Database, Transaction } from './database';

type Client = Database | Transaction;

const withItems = { items: { orderBy: { position: 'asc' } } } as const satisfies Prisma.OrderInclude;
export type OrderRow = Prisma.OrderGetPayload<{ include: typeof withItems }>;
type Item = Order['items'][number];

/** Maps a stored order to the contract shape the API and events carry. */
export function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    number: formatOrderNumber(row.number),
    status: row.status as Order['status'],
    fulfillmentStatus: row.fulfillmentStatus as Order['fulfillmentStatus'],
    customer: row.customer as Order['customer'],
    shippingAddress: row.shippingAddress as Order['shippingAddress'],
    billingAddress: row.billingAddress as Order['billingAddress'],
    items: row.items.map((item) => ({
      id: item.id,
      sku: item.sku,
      variantId: item.variantId,
      name: item.name,
      quantity: item.quantity,
      unitPrice: item.unitPrice,
      lineTotal: item.lineTotal,
      vendor: { id: item.vendorId, type: item.vendorType as Item['vendor']['type'] },
      supplierSource: item.supplierSource as Item['supplierSource'],
      ageRestricted: item.ageRestricted,
      ...(item.imageUrl && { imageUrl: item.imageUrl }),
      priceSource: item.priceSource as NonNullable<Item['priceSource']>,
      priceSnapshot: {
        unitPrice: item.unitPrice,
        source: item.priceSource as NonNullable<Item['priceSource']>,
        priceBookEntryId: item.priceBookEntryId,
        resolvedAt: item.priceResolvedAt.toISOString(),
      },
      ...(item.shortStock && { shortStock: item.shortStock as unknown as ShortStockOutcome }),
    })),
    deliveryType: row.deliveryType as Order['deliveryType'],
    deliveryWindow:
      row.deliveryWindowStart && row.deliveryWindowEnd
        ? { start: row.deliveryWindowStart.toISOString(), end: row.deliveryWindowEnd.toISOString() }
        : null,
    notes: row.notes,
    ageVerified: row.ageVerified,
    currency: row.currency,
    totals: {
      subtotal: row.subtotal,
      shipping: row.shippingTotal,
      tax: row.taxTotal,
      discount: row.discountTotal,
      total: row.total,
    },
    tracking: row.trackingNumber ? { number: row.trackingNumber, carrier: row.trackingCarrier } : null,
    fulfillmentStarted: row.fulfillmentStarted,
    ...(row.shortStockPolicy && { shortStockPolicy: row.shortStockPolicy as ShortStockPolicy }),
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export interface NewOrder {
  order: Prisma.OrderUncheckedCreateInput;
  items: (Prisma.OrderItemCreateManyInput & { priceResolvedAt: Date })[];
  history: Prisma.OrderStatusChangeCreateManyInput;
}

/**
 * Writes an order, its items and its first history entry. Three statements and no read-back:
 * the row comes back from INSERT … RETURNING and the items are what was written.
 */
export async function insertOrder(tx: Transaction, { order, items, history }: NewOrder): Promise<Order> {
  const row = await tx.order.create({ data: order });
  await tx.orderItem.createMany({ data: items });
  await tx.orderStatusChange.create({ data: history });
  return toOrder({
    ...row,
    items: items.map((item) => ({
      ...item,
      imageUrl: item.imageUrl ?? null,
      priceSource: item.priceSource ?? 'BESPOKE',
      priceBookEntryId: item.priceBookEntryId ?? null,
      shortStock: (item.shortStock ?? null) as Prisma.JsonValue,
    })),
  });
}

export async function findOrderRow(db: Client, id: string): Promise<OrderRow | null> {
  return db.order.findUnique({ where: { id }, include: withItems });
}

export async function getOrderRow(db: Client, id: string): Promise<OrderRow> {
  const row = await findOrderRow(db, id);
  if (!row) throw new DomainError('not_found', 'ORDER_NOT_FOUND', `Order ${id} does not exist`);
  return row;
}

export function versionConflict(expected: number): DomainError {
  return new DomainError('conflict', 'VERSION_CONFLICT', `The order changed since version ${expected}; read it again and retry`);
}

/**
 * Optimistic lock: updates the order only while it still has `expectedVersion`, bumping the
 * version. A concurrent writer that committed first makes this a VERSION_CONFLICT.
 */
export async function updateOrderAtVersion(
  tx: Transaction,
  id: string,
  expectedVersion: number,
  data: Omit<Prisma.OrderUncheckedUpdateManyInput, 'version'> & { updatedAt: Date },
): Promise<void> {
  const { count } = await tx.order.updateMany({ where: { id, version: expectedVersion }, data: { ...data, version: { increment: 1 } } });
  if (count === 0) throw versionConflict(expectedVersion);
}

export async function replaceItems(tx: Transaction, orderId: string, items: NewOrder['items']): Promise<void> {
  await tx.orderItem.deleteMany({ where: { orderId } });
  await tx.orderItem.createMany({ data: items });
}

export async function insertHistory(tx: Transaction, entry: Prisma.OrderStatusChangeCreateManyInput): Promise<void> {
  await tx.orderStatusChange.create({ data: entry });
}

export interface OrderFilter {
  customerId?: string | undefined;
  status?: Order['status'] | undefined;
  /** true: only finished orders (FINISHED_STATUSES), false: only those still in progress. */
  finished?: boolean | undefined;
  /** Keyset: orders strictly older than this position (newest first). */
  after?: { createdAt: Date; id: string } | undefined;
  limit: number;
}

/** Newest first, keyset-paginated on (created_at, id) so pages stay stable while orders arrive. */
export async function listOrders(db: Client, filter: OrderFilter): Promise<Order[]> {
  const finished = [...FINISHED_STATUSES];
  const where: Prisma.OrderWhereInput = {
    ...(filter.customerId !== undefined && { customerId: filter.customerId }),
    AND: [
      ...(filter.status !== undefined ? [{ status: filter.status }] : []),
      ...(filter.finished === true ? [{ status: { in: finished } }] : []),
      ...(filter.finished === false ? [{ status: { notIn: finished } }] : []),
    ],
    ...(filter.after && {
      OR: [
        { createdAt: { lt: filter.after.createdAt } },
        { createdAt: filter.after.createdAt, id: { lt: filter.after.id } },
      ],
    }),
  };
  const rows = await db.order.findMany({ where, include: withItems, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: filter.limit });
  return rows.map(toOrder);
}

export async function countByStatus(db: Client): Promise<Record<string, number>> {
  const groups = await db.order.groupBy({ by: ['status'], _count: { _all: true } });
  return Object.fromEntries(groups.map((group) => [group.status, group._count._all]));
}

export async function listHistory(db: Client, orderId: string) {
  return db.orderStatusChange.findMany({ where: { orderId }, orderBy: [{ createdAt: 'asc' }, { sequence: 'asc' }] });
}
