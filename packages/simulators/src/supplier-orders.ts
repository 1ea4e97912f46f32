import type { FastifyInstance } from 'fastify';
import type { Behaviour } from './control';

/**
 * The order book the simulated suppliers (AliExpress, CJ, Spocket) share; each renders it
 * in its own API's shapes. Every status query moves an order one step:
 * placed → confirmed → shipped (tracking number assigned) → delivered.
 * Behaviour options captured at placement hold an order back:
 * `confirm: false` never confirms (the 24 h placement-timeout path), `ship: false` confirms
 * but never ships. `POST /_sim/orders/:id/advance` moves an order one step regardless;
 * `POST /_sim/orders/:id/cancel` is what a person does in the supplier's console (AliExpress has
 * no cancel API): it cancels an order that has not shipped.
 */

export type SupplierStage = 'placed' | 'confirmed' | 'shipped' | 'delivered' | 'cancelled';

export interface SupplierOrder {
  id: string;
  /** Our reference (out_order_id / orderNumber / external_id): a repeat returns the same order. */
  reference: string;
  stage: SupplierStage;
  trackingNumber: string | null;
  carrier: string | null;
  holdAt: 'placed' | 'confirmed' | null;
  placedAt: string;
  updatedAt: string;
  /** The placement request as received, for tests to inspect. */
  request: unknown;
}

const NEXT: Partial<Record<SupplierStage, SupplierStage>> = { placed: 'confirmed', confirmed: 'shipped', shipped: 'delivered' };

export const refusalReason = (options: Behaviour['options']) => (typeof options.reason === 'string' && options.reason ? options.reason : 'Out of stock');

export class SupplierOrderBook {
  private readonly byReference = new Map<string, string>();

  constructor(
    /** The orders by id: the provider's stored objects (`ProviderStore.keep`), possibly from before a restart. */
    private readonly orders: Map<string, SupplierOrder>,
    private readonly newId: () => string,
    /** Tracking number and carrier for an order that ships now. */
    private readonly ship: () => { trackingNumber: string; carrier: string },
  ) {
    for (const order of orders.values()) this.byReference.set(order.reference, order.id);
  }

  /** Stores a new order, or returns the one already placed under this reference. */
  place(reference: string, request: unknown, options: Behaviour['options']): { order: SupplierOrder; repeated: boolean } {
    const existing = this.byReference.get(reference);
    if (existing) return { order: this.orders.get(existing)!, repeated: true };
    const now = new Date().toISOString();
    const order: SupplierOrder = {
      id: this.newId(),
      reference,
      stage: 'placed',
      trackingNumber: null,
      carrier: null,
      holdAt: options.confirm === false ? 'placed' : options.ship === false ? 'confirmed' : null,
      placedAt: now,
      updatedAt: now,
      request,
    };
    this.orders.set(order.id, order);
    this.byReference.set(reference, order.id);
    return { order, repeated: false };
  }

  get(id: string): SupplierOrder | undefined {
    return this.orders.get(id);
  }

  list(): SupplierOrder[] {
    return [...this.orders.values()];
  }

  /** One step forward; held orders stay put unless `force` (the control route). */
  advance(order: SupplierOrder, force = false): SupplierOrder {
    const next = NEXT[order.stage];
    if (!next || (!force && order.holdAt === order.stage)) return order;
    order.stage = next;
    order.updatedAt = new Date().toISOString();
    if (next === 'shipped') Object.assign(order, this.ship());
    return order;
  }

  /** Cancels when the order is in one of `cancellableIn`; answers whether it did. */
  cancel(order: SupplierOrder, cancellableIn: readonly SupplierStage[]): boolean {
    if (order.stage === 'cancelled') return true;
    if (!cancellableIn.includes(order.stage)) return false;
    order.stage = 'cancelled';
    order.updatedAt = new Date().toISOString();
    return true;
  }

  /** `GET /_sim/orders`, `POST /_sim/orders/:id/advance` and `.../cancel` under the provider's prefix. */
  registerRoutes(app: FastifyInstance): void {
    app.get('/_sim/orders', async () => this.list());
    app.post('/_sim/orders/:id/advance', async (request, reply) => {
      const order = this.orders.get((request.params as { id: string }).id);
      if (!order) return reply.code(404).send({ error: 'no such order' });
      return this.advance(order, true);
    });
    app.post('/_sim/orders/:id/cancel', async (request, reply) => {
      const order = this.orders.get((request.params as { id: string }).id);
      if (!order) return reply.code(404).send({ error: 'no such order' });
      return { cancelled: this.cancel(order, ['placed', 'confirmed']), order };
    });
  }
}
