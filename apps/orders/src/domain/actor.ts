import { DomainError } from '@platform/contracts/errors';
import type { ApiRole } from '@platform/contracts/api/gateway';

/**
 * What these rules read of the caller: its role (none = an internal caller) and, for a
 * customer or a vendor, who. The runtime's `actorOf` reads it from the gateway's headers.
 */
export interface Caller {
  role: ApiRole | null;
  customerId: string | null;
  vendorId?: string | null;
}

/**
 * Customers are held to their own orders (the gateway checks too); a vendor reads no order,
 * only its own sub-orders (`assertMayReadSubOrder`).
 */
export function assertMayAccess(actor: Caller, customerId: string, orderId: string): void {
  if ((actor.role === 'customer' && actor.customerId !== customerId) || actor.role === 'vendor') {
    // Not 403: a caller learns nothing about other parties' order ids.
    throw new DomainError('not_found', 'ORDER_NOT_FOUND', `Order ${orderId} does not exist`);
  }
}

/** A sub-order is its vendor's and its order's customer's to read (and staff's); to anyone else it does not exist. */
export function assertMayReadSubOrder(actor: Caller, subOrder: { number: string; vendorId: string; customerId: string }): void {
  const foreign =
    (actor.role === 'customer' && actor.customerId !== subOrder.customerId) || (actor.role === 'vendor' && actor.vendorId !== subOrder.vendorId);
  if (foreign) throw new DomainError('not_found', 'SUB_ORDER_NOT_FOUND', `Sub-order ${subOrder.number} does not exist`);
}

export function assertStaff(actor: Caller): void {
  if (actor.role !== 'ops' && actor.role !== 'admin') {
    throw new DomainError('forbidden', 'FORBIDDEN', 'Only ops and admin may do this');
  }
}

export function assertAdmin(actor: Caller): void {
  if (actor.role !== 'admin') throw new DomainError('forbidden', 'FORBIDDEN', 'Only admin may do this');
}

/** Staff and internal callers, not customers or vendors, may set a bespoke price for an item the price book does not list. */
export function mayPriceBespoke(actor: Caller): boolean {
  return actor.role !== 'customer' && actor.role !== 'vendor';
}
