import type { ShortStockOutcome, ShortStockPolicy } from '@platform/contracts';
import { formatOrderNumber, type Order } from '@platform/contracts/api/orders';
import { DomainError } from '@platform/contracts/errors';
import { Prisma } from '../generated/prisma/client';
import type { SequenceRange } from '../domain/order-number';
import { FINISHED_STATUSES } from '../domain/order-status';
import type { Database, Transaction } from './database';
import {
  fromJson as fromSubOrderJson,
  insertedSubOrders,
  type NewSubOrder,
  subOrderInserts,
  type SubOrderJson,
  subOrderJson,
  type SubOrderRecord,
  type SubOrderRow,
} from './sub-order-repository';

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

/** The orders columns (alias `o`) under the model's field names: raw rows map as model rows do (toOrder). */
const orderColumns = Prisma.sql`o.id, o.number, o.status, o.fulfillment_status AS "fulfillmentStatus", o.customer_id AS "customerId",
  o.customer, o.customer_email AS "customerEmail", o.shipping_address AS "shippingAddress", o.billing_address AS "billingAddress", o.delivery_type AS "deliveryType",
  o.delivery_window_start AS "deliveryWindowStart", o.delivery_window_end AS "deliveryWindowEnd", o.notes, o.age_verified AS "ageVerified",
  o.currency, o.subtotal, o.shipping_total AS "shippingTotal", o.tax_total AS "taxTotal", o.discount_total AS "discountTotal", o.total,
  o.tracking_number AS "trackingNumber", o.tracking_carrier AS "trackingCarrier", o.fulfillment_started AS "fulfillmentStarted",
  o.short_stock_policy AS "shortStockPolicy", o.version, o.created_at AS "createdAt", o.updated_at AS "updatedAt"`;

/** The order's items by position as one JSON array: an order is read whole in one statement. */
const itemsJson = Prisma.sql`(SELECT coalesce(json_agg(json_build_object('id', i.id, 'orderId', i.order_id, 'position', i.position,
  'sku', i.sku, 'variantId', i.variant_id, 'name', i.name, 'quantity', i.quantity, 'unitPrice', i.unit_price, 'lineTotal', i.line_total,
  'vendorId', i.vendor_id, 'vendorType', i.vendor_type, 'supplierSource', i.supplier_source, 'ageRestricted', i.age_restricted,
  'imageUrl', i.image_url, 'priceSource', i.price_source, 'priceBookEntryId', i.price_book_entry_id, 'priceResolvedAt', i.price_resolved_at,
  'shortStock', i.short_stock) ORDER BY i.position), '[]') FROM order_items i WHERE i.order_id = o.id)`;

type ItemRow = OrderRow['items'][number];
type RawOrderRow = Omit<OrderRow, 'items'> & { items: (Omit<ItemRow, 'priceResolvedAt'> & { priceResolvedAt: string })[] };

function fromRaw(row: RawOrderRow): OrderRow {
  return { ...row, items: row.items.map((item) => ({ ...item, priceResolvedAt: new Date(item.priceResolvedAt) })) };
}

type NewItem = Prisma.OrderItemCreateManyInput & { priceResolvedAt: Date };

/** Inserts items (`itemRows`) in one statement. */
function itemsInsert(items: readonly NewItem[]): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO order_items (id, order_id, position, sku, variant_id, name, quantity, unit_price, line_total, vendor_id, vendor_type,
                             supplier_source, age_restricted, image_url, price_source, price_book_entry_id, price_resolved_at, short_stock)
    SELECT * FROM json_to_recordset(${JSON.stringify(items)}::json) AS i(id uuid, "orderId" uuid, position int, sku text, "variantId" text,
      name text, quantity int, "unitPrice" int, "lineTotal" int, "vendorId" text, "vendorType" text, "supplierSource" text,
      "ageRestricted" boolean, "imageUrl" text, "priceSource" text, "priceBookEntryId" uuid, "priceResolvedAt" timestamptz, "shortStock" jsonb)`;
}

export interface NewOrder {
  order: Omit<Prisma.OrderUncheckedCreateInput, 'customer' | 'customerEmail' | 'shippingAddress' | 'billingAddress'> &
    Pick<Order, 'customer' | 'shippingAddress' | 'billingAddress'> & { createdAt: Date; updatedAt: Date };
  items: NewItem[];
  history: { id: string; status: string; details: string; actor: string };
  subOrders: NewSubOrder[];
  /** Its delivery promise's INSERT (`promiseInsert`), run in the same statement. */
  promise: Prisma.Sql;
}

/**
 * Writes an order, its items, its first history entry, its delivery promise and its sub-orders
 * with theirs in one statement (the number is drawn by the INSERT; the sub-orders' numbers derive
 * from it). No read-back: the order comes back from RETURNING and the items are what was written.
 */
export async function insertOrder(tx: Transaction, { order: o, items, history, subOrders, promise }: NewOrder): Promise<{ order: Order; subOrders: SubOrderRecord[] }> {
  const [row] = await tx.$queryRaw<(Omit<OrderRow, 'items'> & { subOrders: SubOrderJson[] })[]>`
    WITH o AS (
      INSERT INTO orders (id, status, fulfillment_status, customer_id, customer, customer_email, shipping_address, billing_address, delivery_type,
                          delivery_window_start, delivery_window_end, notes, age_verified, currency, short_stock_policy,
                          subtotal, shipping_total, tax_total, discount_total, total, created_at, updated_at)
      VALUES (${o.id}::uuid, ${o.status}, ${o.fulfillmentStatus}, ${o.customerId}, ${JSON.stringify(o.customer)}::jsonb, ${o.customer.email.toLowerCase()},
              ${JSON.stringify(o.shippingAddress)}::jsonb, ${JSON.stringify(o.billingAddress)}::jsonb, ${o.deliveryType},
              ${o.deliveryWindowStart ?? null}::timestamptz, ${o.deliveryWindowEnd ?? null}::timestamptz, ${o.notes ?? null}::text,
              ${o.ageVerified}, ${o.currency}, ${o.shortStockPolicy ?? null}::text, ${o.subtotal}, ${o.shippingTotal}, ${o.taxTotal},
              ${o.discountTotal}, ${o.total}, ${o.createdAt}::timestamptz, ${o.updatedAt}::timestamptz)
      RETURNING *
    ), i AS (${itemsInsert(items)}
    ), h AS (
      INSERT INTO order_status_history (id, order_id, status, previous_status, details, actor, created_at)
      VALUES (${history.id}::uuid, ${o.id}::uuid, ${history.status}, NULL, ${history.details}, ${history.actor}, ${o.createdAt}::timestamptz)
    ), p AS (${promise}
    ), ${subOrderInserts(Prisma.sql`o`, subOrders)}
    SELECT ${orderColumns}, ${insertedSubOrders} AS "subOrders" FROM o`;
  const { subOrders: written, ...stored } = row!;
  const order = toOrder({
    ...stored,
    items: items.map((item) => ({
      ...item,
      imageUrl: item.imageUrl ?? null,
      priceSource: item.priceSource ?? 'BESPOKE',
      priceBookEntryId: item.priceBookEntryId ?? null,
      shortStock: (item.shortStock ?? null) as Prisma.JsonValue,
    })),
  });
  return { order, subOrders: written.map(fromSubOrderJson) };
}

async function selectOrderRow(db: Client, id: string, locking: Prisma.Sql): Promise<OrderRow | null> {
  const [row] = await db.$queryRaw<RawOrderRow[]>`SELECT ${orderColumns}, ${itemsJson} AS items FROM orders o WHERE o.id = ${id}::uuid ${locking}`;
  return row ? fromRaw(row) : null;
}

export function findOrderRow(db: Client, id: string): Promise<OrderRow | null> {
  return selectOrderRow(db, id, Prisma.empty);
}

/**
 * Reads the order taking its row lock: every writer of an order's sub-orders holds it (a status
 * change, a modification and a cancel update the order row first), so they never interleave.
 * Null for an unknown order.
 */
export function lockOrder(tx: Transaction, id: string): Promise<OrderRow | null> {
  return selectOrderRow(tx, id, Prisma.sql`FOR UPDATE`);
}

function notFound(id: string): DomainError {
  return new DomainError('not_found', 'ORDER_NOT_FOUND', `Order ${id} does not exist`);
}

export async function getOrderRow(db: Client, id: string): Promise<OrderRow> {
  const row = await findOrderRow(db, id);
  if (!row) throw notFound(id);
  return row;
}

/** An order with its sub-orders (each with what it shows of the parent), in one statement. */
export async function getOrderWithParts(db: Client, id: string): Promise<{ row: OrderRow; subOrders: SubOrderRow[] }> {
  const [raw] = await db.$queryRaw<(RawOrderRow & { subOrders: SubOrderJson[] })[]>`
    SELECT ${orderColumns}, ${itemsJson} AS items,
           (SELECT coalesce(json_agg(${subOrderJson} ORDER BY s.position), '[]') FROM sub_orders s WHERE s.order_id = o.id) AS "subOrders"
    FROM orders o WHERE o.id = ${id}::uuid`;
  if (!raw) throw notFound(id);
  const { subOrders, ...order } = raw;
  const row = fromRaw(order);
  const parent = { number: row.number, currency: row.currency, customerId: row.customerId, items: row.items };
  return { row, subOrders: subOrders.map((sub) => ({ ...fromSubOrderJson(sub), order: parent })) };
}

export function versionConflict(expected: number): DomainError {
  return new DomainError('conflict', 'VERSION_CONFLICT', `The order changed since version ${expected}; read it again and retry`);
}

/** What an update may set on an order (absent: kept). */
export interface OrderChanges {
  status?: string;
  fulfillmentStatus?: string;
  trackingNumber?: string;
  trackingCarrier?: string | null;
  fulfillmentStarted?: boolean;
  shippingAddress?: Order['shippingAddress'];
  notes?: string | null;
  subtotal?: number;
  shippingTotal?: number;
  taxTotal?: number;
  discountTotal?: number;
  total?: number;
  updatedAt: Date;
}

const assignments: { [K in keyof Required<OrderChanges>]: (value: OrderChanges[K]) => Prisma.Sql } = {
  status: (value) => Prisma.sql`status = ${value}`,
  fulfillmentStatus: (value) => Prisma.sql`fulfillment_status = ${value}`,
  trackingNumber: (value) => Prisma.sql`tracking_number = ${value}`,
  trackingCarrier: (value) => Prisma.sql`tracking_carrier = ${value}::text`,
  fulfillmentStarted: (value) => Prisma.sql`fulfillment_started = ${value}`,
  shippingAddress: (value) => Prisma.sql`shipping_address = ${JSON.stringify(value)}::jsonb`,
  notes: (value) => Prisma.sql`notes = ${value}::text`,
  subtotal: (value) => Prisma.sql`subtotal = ${value}`,
  shippingTotal: (value) => Prisma.sql`shipping_total = ${value}`,
  taxTotal: (value) => Prisma.sql`tax_total = ${value}`,
  discountTotal: (value) => Prisma.sql`discount_total = ${value}`,
  total: (value) => Prisma.sql`total = ${value}`,
  updatedAt: (value) => Prisma.sql`updated_at = ${value}::timestamptz`,
};

/** A status history entry written with the update that made it. */
export interface NewHistory {
  id: string;
  status: string;
  previousStatus: string;
  details: string | null;
  actor: string;
  createdAt: Date;
}

/**
 * Optimistic lock: updates the order only while it still has `expectedVersion`, bumping the
 * version, and writes `history` with it, in one statement that returns the order as updated.
 * A concurrent writer that committed first makes this a VERSION_CONFLICT.
 */
export async function updateOrderAtVersion(tx: Transaction, id: string, expectedVersion: number, changes: OrderChanges, history?: NewHistory): Promise<OrderRow> {
  const sets = (Object.keys(changes) as (keyof OrderChanges)[])
    .filter((key) => changes[key] !== undefined)
    .map((key) => (assignments[key] as (value: unknown) => Prisma.Sql)(changes[key]));
  const [row] = await tx.$queryRaw<RawOrderRow[]>`
    WITH o AS (
      UPDATE orders SET ${Prisma.join(sets)}, version = version + 1 WHERE id = ${id}::uuid AND version = ${expectedVersion} RETURNING *
    )${
      history
        ? Prisma.sql`, h AS (
      INSERT INTO order_status_history (id, order_id, status, previous_status, details, actor, created_at)
      SELECT ${history.id}::uuid, o.id, ${history.status}, ${history.previousStatus}, ${history.details}::text, ${history.actor}, ${history.createdAt}::timestamptz FROM o
    )`
        : Prisma.empty
    }
    SELECT ${orderColumns}, ${itemsJson} AS items FROM o`;
  if (!row) throw versionConflict(expectedVersion);
  return fromRaw(row);
}

export async function replaceItems(tx: Transaction, orderId: string, items: NewOrder['items']): Promise<void> {
  await tx.orderItem.deleteMany({ where: { orderId } });
  await tx.$executeRaw(itemsInsert(items));
}

export interface OrderFilter {
  customerId?: string | undefined;
  /** Lower case: the stored email is. */
  customerEmail?: string | undefined;
  /** Sequences the order number must fall in (any of the ranges). */
  numbers?: SequenceRange[] | undefined;
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
    ...(filter.customerEmail !== undefined && { customerEmail: filter.customerEmail }),
    AND: [
      ...(filter.numbers !== undefined ? [{ OR: filter.numbers.map((range) => ({ number: { gte: range.from, lt: range.to } })) }] : []),
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
