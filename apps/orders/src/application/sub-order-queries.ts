import { DomainError } from '@platform/contracts/errors';
import type { SubOrder } from '@platform/contracts/api/orders';
import type { Actor } from '@platform/runtime/actor';
import type { Database } from '../adapters/database';
import { getOrderWithParts } from '../adapters/order-repository';
import { findSubOrderRow, listSubOrderHistory, listSubOrdersPage, toSubOrder } from '../adapters/sub-order-repository';
import { assertMayAccess, assertMayReadSubOrder } from '../domain/actor';
import type { FulfillmentStatus, OrderStatus } from '../domain/order-status';
import { decodeCursor, encodeCursor } from '@platform/contracts/api/page-cursor';

/** An order's sub-orders, for a caller who may see the order (a vendor may not: it reads its own part by number). */
export async function orderSubOrders(db: Database, orderId: string, actor: Actor): Promise<{ orderId: string; items: SubOrder[] }> {
  const { row, subOrders } = await getOrderWithParts(db, orderId);
  assertMayAccess(actor, row.customerId, row.id);
  return { orderId, items: subOrders.map(toSubOrder) };
}

/** One sub-order with its history: its vendor's, its customer's and staff's to read. */
export async function getSubOrder(db: Database, number: string, actor: Actor) {
  const row = await findSubOrderRow(db, number);
  if (!row) throw new DomainError('not_found', 'SUB_ORDER_NOT_FOUND', `Sub-order ${number} does not exist`);
  assertMayReadSubOrder(actor, { number, vendorId: row.vendorId, customerId: row.order.customerId });
  const history = await listSubOrderHistory(db, row.id);
  return {
    ...toSubOrder(row),
    history: history.map((entry) => ({
      status: entry.status as OrderStatus,
      previousStatus: entry.previousStatus as OrderStatus | null,
      fulfillmentStatus: entry.fulfillmentStatus as FulfillmentStatus,
      details: entry.details,
      actor: entry.actor,
      at: entry.createdAt.toISOString(),
    })),
  };
}

export interface SubOrderQuery {
  vendorId?: string | undefined;
  status?: OrderStatus | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** Newest first. A vendor lists only its own; staff list any vendor's (or all); customers list orders instead. */
export async function findSubOrders(db: Database, query: SubOrderQuery, actor: Actor): Promise<{ items: SubOrder[]; nextCursor: string | null }> {
  if (actor.role === 'customer') throw new DomainError('forbidden', 'FORBIDDEN', 'A customer lists its orders, whose detail shows their parts');
  if (actor.role === 'vendor' && query.vendorId !== undefined && query.vendorId !== actor.vendorId) {
    throw new DomainError('forbidden', 'FORBIDDEN', 'A vendor may list only its own sub-orders');
  }
  const page = await listSubOrdersPage(db, {
    vendorId: actor.role === 'vendor' ? (actor.vendorId ?? '') : query.vendorId,
    status: query.status,
    after: query.cursor ? decodeCursor(query.cursor) : undefined,
    limit: query.limit + 1,
  });
  const items = page.slice(0, query.limit);
  return { items, nextCursor: page.length > query.limit ? encodeCursor(items.at(-1)!) : null };
}
