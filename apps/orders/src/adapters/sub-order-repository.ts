import type { UnitCounts } from '@platform/contracts';
import { formatOrderNumber, type SubOrder } from '@platform/contracts/api/orders';
import { DomainError } from '@platform/contracts/errors';
import { Prisma } from '../generated/prisma/client';
import type { Database, Transaction } from './database';

type Client = Database | Transaction;

/** A sub-order with what its answer shows of the parent: number, currency and the items. */
const withParent = {
  order: { select: { number: true, currency: true, customerId: true, items: { orderBy: { position: 'asc' } } } },
} as const satisfies Prisma.SubOrderInclude;
export type SubOrderRow = Prisma.SubOrderGetPayload<{ include: typeof withParent }>;
/** A sub-order's own row, as the writers read and return it. */
export type SubOrderRecord = Prisma.SubOrderGetPayload<object>;

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
 * A sub-order row (alias `s`) as one JSON object under the model's field names, so it can ride
 * in its order's read (json_agg) or come back from a write; `fromJson` restores its dates.
 */
export const subOrderJson = Prisma.sql`json_build_object('id', s.id, 'orderId', s.order_id, 'position', s.position, 'number', s.number,
  'vendorId', s.vendor_id, 'vendorType', s.vendor_type, 'itemIds', s.item_ids, 'subtotal', s.subtotal, 'status', s.status,
  'fulfillmentStatus', s.fulfillment_status, 'units', s.units, 'parcels', s.parcels, 'version', s.version,
  'createdAt', s.created_at, 'updatedAt', s.updated_at)`;

export type SubOrderJson = Omit<SubOrderRecord, 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string };

export function fromJson(json: SubOrderJson): SubOrderRecord {
  return { ...json, createdAt: new Date(json.createdAt), updatedAt: new Date(json.updatedAt) };
}

/** The order's sub-orders by position; read after taking the parent's lock (`lockOrder`), so they are current. */
export async function listSubOrders(tx: Transaction, orderId: string): Promise<SubOrderRecord[]> {
  const rows = await tx.$queryRaw<{ sub: SubOrderJson }[]>`
    SELECT ${subOrderJson} AS sub FROM sub_orders s WHERE s.order_id = ${orderId}::uuid ORDER BY s.position`;
  return rows.map((row) => fromJson(row.sub));
}

export async function findSubOrderRow(db: Client, number: string): Promise<SubOrderRow | null> {
  return db.subOrder.findUnique({ where: { number }, include: withParent });
}

/** A new sub-order with its first history entry; its number comes from the order's. */
export interface NewSubOrder {
  id: string;
  orderId: string;
  position: number;
  vendorId: string;
  vendorType: string;
  itemIds: string[];
  subtotal: number;
  status: string;
  fulfillmentStatus: string;
  units: UnitCounts;
  createdAt: Date;
  history: { id: string; details: string; actor: string };
}

/**
 * CTEs inserting sub-orders (`s`) and their first history entries, numbered from their order's
 * number in `orders` (the table, or the CTE of an order inserted by the same statement): the
 * parent's number and the position, as `formatOrderNumber` and the split number them
 * (`ORD-000123-2`; more than six digits are kept whole).
 */
export function subOrderInserts(orders: Prisma.Sql, subs: readonly NewSubOrder[]): Prisma.Sql {
  const parts = subs.map(({ history, ...sub }) => ({ ...sub, historyId: history.id, details: history.details, actor: history.actor }));
  return Prisma.sql`
    sp AS (
      SELECT * FROM json_to_recordset(${JSON.stringify(parts)}::json) AS p(id uuid, "orderId" uuid, position int, "vendorId" text,
        "vendorType" text, "itemIds" uuid[], subtotal int, status text, "fulfillmentStatus" text, units jsonb, "createdAt" timestamptz,
        "historyId" uuid, details text, actor text)
    ), s AS (
      INSERT INTO sub_orders (id, order_id, position, number, vendor_id, vendor_type, item_ids, subtotal, status, fulfillment_status,
                              units, parcels, version, created_at, updated_at)
      SELECT p.id, p."orderId", p.position,
             'ORD-' || lpad(o.number::text, greatest(6, length(o.number::text)), '0') || '-' || p.position,
             p."vendorId", p."vendorType", p."itemIds", p.subtotal, p.status, p."fulfillmentStatus", p.units, '[]', 0, p."createdAt", p."createdAt"
      FROM sp p JOIN ${orders} o ON o.id = p."orderId"
      RETURNING *
    ), sh AS (
      INSERT INTO sub_order_history (id, sub_order_id, status, previous_status, fulfillment_status, details, actor, created_at)
      SELECT p."historyId", p.id, p.status, NULL, p."fulfillmentStatus", p.details, p.actor, p."createdAt" FROM sp p ORDER BY p.position
    )`;
}

/** The rows `subOrderInserts` wrote, by position, as one JSON array (`fromJson` each). */
export const insertedSubOrders = Prisma.sql`(SELECT coalesce(json_agg(${subOrderJson} ORDER BY s.position), '[]') FROM s)`;

/** Sub-orders of an existing order (a vendor new to it after a modification): one statement. */
export async function insertSubOrders(tx: Transaction, subs: readonly NewSubOrder[]): Promise<SubOrderRecord[]> {
  const [row] = await tx.$queryRaw<{ subs: SubOrderJson[] }[]>`
    WITH ${subOrderInserts(Prisma.sql`orders`, subs)} SELECT ${insertedSubOrders} AS subs`;
  return row!.subs.map(fromJson);
}

/** What one sub-order update sets (absent: kept), with the history entry to write when its status moved. */
export interface SubOrderUpdate {
  id: string;
  /** The version read: optimistic lock, as for orders. */
  version: number;
  status?: string;
  fulfillmentStatus?: string;
  units?: UnitCounts;
  parcels?: SubOrder['parcels'];
  itemIds?: string[];
  subtotal?: number;
  vendorType?: string;
  history?: { id: string; previousStatus: string; details: string | null; actor: string };
}

/**
 * Updates sub-orders of one order at the versions read, bumping each, and writes their history
 * entries, in one statement; returns the rows as written. A writer that read an older version
 * fails (VERSION_CONFLICT) instead of overwriting.
 */
export async function updateSubOrdersAtVersion(tx: Transaction, updates: readonly SubOrderUpdate[], now: Date): Promise<SubOrderRecord[]> {
  const changes = updates.map(({ history, ...update }) => ({
    ...update,
    historyId: history?.id ?? null,
    previousStatus: history?.previousStatus ?? null,
    details: history?.details ?? null,
    actor: history?.actor ?? null,
  }));
  const rows = await tx.$queryRaw<{ sub: SubOrderJson }[]>`
    WITH c AS (
      SELECT * FROM json_to_recordset(${JSON.stringify(changes)}::json) AS c(id uuid, version int, status text, "fulfillmentStatus" text,
        units jsonb, parcels jsonb, "itemIds" uuid[], subtotal int, "vendorType" text, "historyId" uuid, "previousStatus" text,
        details text, actor text)
    ), s AS (
      UPDATE sub_orders s
      SET status = coalesce(c.status, s.status), fulfillment_status = coalesce(c."fulfillmentStatus", s.fulfillment_status),
          units = coalesce(c.units, s.units), parcels = coalesce(c.parcels, s.parcels), item_ids = coalesce(c."itemIds", s.item_ids),
          subtotal = coalesce(c.subtotal, s.subtotal), vendor_type = coalesce(c."vendorType", s.vendor_type),
          version = s.version + 1, updated_at = ${now}::timestamptz
      -- The ids again as an array: the planner guesses 100 rows from json_to_recordset and would
      -- scan the whole table to hash-join them; by the primary key it looks up a few.
      FROM c WHERE s.id = ANY(${updates.map((update) => update.id)}::uuid[]) AND s.id = c.id AND s.version = c.version
      RETURNING s.*
    ), h AS (
      INSERT INTO sub_order_history (id, sub_order_id, status, previous_status, fulfillment_status, details, actor, created_at)
      SELECT c."historyId", s.id, s.status, c."previousStatus", s.fulfillment_status, c.details, c.actor, ${now}::timestamptz
      FROM s JOIN c ON c.id = s.id WHERE c."historyId" IS NOT NULL ORDER BY s.position
    )
    SELECT ${subOrderJson} AS sub FROM s ORDER BY s.position`;
  if (rows.length < updates.length) {
    const stale = updates.find((update) => !rows.some((row) => row.sub.id === update.id))!;
    throw new DomainError('conflict', 'VERSION_CONFLICT', `The sub-order changed since version ${stale.version}`);
  }
  return rows.map((row) => fromJson(row.sub));
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
