import { DomainError } from '@platform/contracts/errors';
import type { ApiRole } from '@platform/contracts/api/gateway';

/**
 * What these rules read of the caller: its role (none = an internal caller) and, for a
 * customer, who. The runtime's `actorOf` reads it from the gateway's headers.
 */
export interface Caller {
  role: ApiRole | null;
  customerId: string | null;
}

/** Customers, and only customers, are held to their own orders (the gateway checks too). */
export function assertMayAccess(actor: Caller, customerId: string, orderId: string): void {
  if (actor.role === 'customer' && actor.customerId !== customerId) {
    // Not 403: a customer learns nothing about other customers' order ids.
    throw new DomainError('not_found', 'ORDER_NOT_FOUND', `Order ${orderId} does not exist`);
  }
}

export function assertStaff(actor: Caller): void {
  if (actor.role !== 'ops' && actor.role !== 'admin') {
    throw new DomainError('forbidden', 'FORBIDDEN', 'Only ops and admin may do this');
  }
}

export function assertAdmin(actor: Caller): void {
  if (actor.role !== 'admin') throw new DomainError('forbidden', 'FORBIDDEN', 'Only admin may do this');
}

/** Anyone but a customer may set a bespoke price for an item the price book does not list. */
export function mayPriceBespoke(actor: Caller): boolean {
  return actor.role !== 'customer';
}
