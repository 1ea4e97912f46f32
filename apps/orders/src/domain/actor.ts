import { DomainError } from '@platform/runtime/errors';

export type ActorRole = 'customer' | 'ops' | 'admin';

/**
 * Who is calling, as the gateway says (`x-actor`, `x-actor-role`). No role = an internal
 * caller (another service, a test, ops tooling inside the network).
 */
export interface Actor {
  /** For history and events: `customer:<id>`, `ops:<key>`, `admin:<key>`, or `system`. */
  name: string;
  role: ActorRole | null;
  /** Set for a customer actor. */
  customerId: string | null;
}

export function parseActor(actorHeader: string | undefined, roleHeader: string | undefined): Actor {
  const role = roleHeader === 'customer' || roleHeader === 'ops' || roleHeader === 'admin' ? roleHeader : null;
  const name = actorHeader?.trim() || (role ?? 'system');
  const customerId = role === 'customer' && name.startsWith('customer:') ? name.slice('customer:'.length) : null;
  return { name, role, customerId };
}

/** Customers, and only customers, are held to their own orders (the gateway checks too). */
export function assertMayAccess(actor: Actor, customerId: string, orderId: string): void {
  if (actor.role === 'customer' && actor.customerId !== customerId) {
    // Not 403: a customer learns nothing about other customers' order ids.
    throw new DomainError('not_found', 'ORDER_NOT_FOUND', `Order ${orderId} does not exist`);
  }
}

export function assertStaff(actor: Actor): void {
  if (actor.role !== 'ops' && actor.role !== 'admin') {
    throw new DomainError('forbidden', 'FORBIDDEN', 'Only ops and admin may do this');
  }
}

export function assertAdmin(actor: Actor): void {
  if (actor.role !== 'admin') throw new DomainError('forbidden', 'FORBIDDEN', 'Only admin may do this');
}

/** Anyone but a customer may set a bespoke price for an item the price book does not list. */
export function mayPriceBespoke(actor: Actor): boolean {
  return actor.role !== 'customer';
}
