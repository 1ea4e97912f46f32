import { AdjustableClock } from '@platform/runtime/clock';
import { createHttpServer } from '@platform/runtime/http';
import { createLogger } from '@platform/runtime/logger';
import { createMetrics } from '@platform/runtime/metrics';
import { newEvent } from '@platform/runtime/outbox';
import type { EventDefinition, EventData } from '@platform/contracts';
import type { CreateOrderInput, Order } from '@platform/contracts/api/orders';
// The ProvidedContext typing of the shared test infrastructure (for the type-checker only).
import type {} from '../../../test/setup/infrastructure';
import { migratedDatabase } from '../../../test/support/databases';
import { createDatabase, type Database } from '../src/adapters/database';
import { insertMissingPriceBookEntries } from '../src/adapters/price-book-repository';
import type { OrdersDeps } from '../src/application/dependencies';
import { DEMO_PRICE_BOOK } from '../src/domain/demo-price-book';
import { registerOrderRoutes } from '../src/http/order-routes';
import { registerPriceRoutes } from '../src/http/price-routes';

/**
 * The orders service in-process on a fresh migrated database: its real routes and use cases,
 * requests through Fastify's `inject`, consumer handlers called with envelopes directly.
 */
export async function startOrdersService() {
  const databaseUrl = await migratedDatabase('orders');
  const db: Database = createDatabase(databaseUrl);
  const clock = new AdjustableClock();
  const log = createLogger('orders-test', 'silent');
  const deps: OrdersDeps = { db, clock, log, onEventsRecorded: () => {} };
  const app = createHttpServer({ log, metrics: createMetrics('orders-test'), readiness: {} });
  registerOrderRoutes(app, deps);
  registerPriceRoutes(app, deps);
  await app.ready();
  await insertMissingPriceBookEntries(db, DEMO_PRICE_BOOK, clock.now());

  async function outbox(orderId: string) {
    const rows = await db.outboxEvent.findMany({ where: { aggregateId: orderId }, orderBy: { seq: 'asc' } });
    return rows.map((row) => row.envelope as { type: string; data: Record<string, unknown> });
  }

  function event<D extends EventDefinition>(definition: D, data: EventData<D>) {
    return newEvent(definition, { aggregateId: (data as { orderId: string }).orderId, source: 'test', data });
  }

  return {
    databaseUrl,
    db,
    deps,
    clock,
    app,
    outbox,
    event,
    async close() {
      await app.close();
      await db.$disconnect();
    },
  };
}

export type OrdersService = Awaited<ReturnType<typeof startOrdersService>>;

export const as = {
  customer: (id: string) => ({ 'x-actor': `customer:${id}`, 'x-actor-role': 'customer' }),
  ops: { 'x-actor': 'ops:key-1', 'x-actor-role': 'ops' },
  admin: { 'x-actor': 'admin:key-1', 'x-actor-role': 'admin' },
};

let counter = 0;
export function orderBody(overrides: Partial<CreateOrderInput> = {}): CreateOrderInput {
  counter += 1;
  return {
    customer: { id: `cust-${counter}`, email: 'ana@example.com', name: 'Ana' },
    shippingAddress: { name: 'Ana', line1: 'Calle 1', city: 'Madrid', postalCode: '28001', country: 'ES' },
    items: [{ sku: 'MUG-WHT', variantId: 'mug-wht-350', name: 'White mug', quantity: 2, vendor: { id: 'acme', type: 'brand' } }],
    currency: 'EUR',
    ...overrides,
  };
}

export async function placeOrder(service: OrdersService, body: CreateOrderInput = orderBody(), headers: Record<string, string> = {}): Promise<Order> {
  const response = await service.app.inject({ method: 'POST', url: '/orders', payload: body, headers });
  if (response.statusCode !== 201) throw new Error(`order not created: ${response.statusCode} ${response.body}`);
  return response.json() as Order;
}
