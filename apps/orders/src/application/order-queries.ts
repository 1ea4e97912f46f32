import { decodeCursor, encodeCursor } from '@platform/contracts/api/page-cursor';
import { DomainError } from '@platform/contracts/errors';
import type { Actor } from '@platform/runtime/actor';
import type { Order, OrderWithParts } from '@platform/contracts/api/orders';
import { orderStatusSchema } from '@platform/contracts/events/orders';
import type { Database } from '../adapters/database';
import { toSubOrder } from '../adapters/sub-order-repository';
import { findPromise, toOrderPromise } from '../adapters/delivery-promise-repository';
import { countByStatus, getOrderRow, getOrderWithParts, listHistory, listOrders, toOrder } from '../adapters/order-repository';
import { assertMayAccess } from '../domain/actor';
import { sequencesWithPrefix } from '../domain/order-number';
import type { OrderStatus } from '../domain/order-status';

export interface OrderQuery {
  customerId?: string | undefined;
  /** Digits an order number begins with (the `ORD-` already dropped). */
  number?: string | undefined;
  email?: string | undefined;
  status?: OrderStatus | undefined;
  active?: boolean | undefined;
  limit: number;
  cursor?: string | undefined;
}

/**
 * Newest first; `active` true = still in progress, false = finished; `number` and `email` search
 * (with the other filters). A customer lists only its own orders.
 */
export async function findOrders(db: Database, query: OrderQuery, actor: Actor): Promise<{ items: Order[]; nextCursor: string | null }> {
  if (actor.role === 'vendor') throw new DomainError('forbidden', 'FORBIDDEN', 'A vendor lists its sub-orders, not orders');
  if (actor.role === 'customer' && query.customerId !== undefined && query.customerId !== actor.customerId) {
    throw new DomainError('forbidden', 'FORBIDDEN', 'A customer may list only its own orders');
  }
  const customerId = actor.role === 'customer' ? (actor.customerId ?? '') : query.customerId;
  const page = await listOrders(db, {
    customerId,
    customerEmail: query.email?.toLowerCase(),
    numbers: query.number === undefined ? undefined : sequencesWithPrefix(query.number),
    status: query.status,
    finished: query.active === undefined ? undefined : !query.active,
    after: query.cursor ? decodeCursor(query.cursor) : undefined,
    limit: query.limit + 1,
  });
  const items = page.slice(0, query.limit);
  return { items, nextCursor: page.length > query.limit ? encodeCursor(items.at(-1)!) : null };
}

/** One order with its vendors' parts, for a caller who may see it (to a customer, another's order does not exist). */
export async function getOrder(db: Database, orderId: string, actor: Actor): Promise<OrderWithParts> {
  const { row, subOrders } = await getOrderWithParts(db, orderId);
  const order = toOrder(row);
  assertMayAccess(actor, order.customer.id, order.id);
  const promise = await findPromise(db, orderId);
  return { ...order, subOrders: subOrders.map(toSubOrder), deliveryPromise: promise && toOrderPromise(promise) };
}

/** The order's status history with who changed it and why (the timeline, `application/timeline.ts`, is what callers read). */
export async function orderHistory(db: Database, orderId: string, actor: Actor) {
  const row = await getOrderRow(db, orderId);
  assertMayAccess(actor, row.customerId, row.id);
  const history = await listHistory(db, orderId);
  return {
    orderId,
    entries: history.map((entry) => ({
      status: entry.status as OrderStatus,
      previousStatus: entry.previousStatus as OrderStatus | null,
      details: entry.details,
      actor: entry.actor,
      at: entry.createdAt.toISOString(),
    })),
  };
}

/** Orders per status, every status listed (zero included) so dashboards need no defaults. */
export async function statusOverview(db: Database) {
  const counts = await countByStatus(db);
  const byStatus = Object.fromEntries(orderStatusSchema.options.map((status) => [status, counts[status] ?? 0])) as Record<OrderStatus, number>;
  return { total: Object.values(byStatus).reduce((sum, n) => sum + n, 0), byStatus };
}
