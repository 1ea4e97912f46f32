import { randomUUID } from 'node:crypto';
import { AdjustableClock } from '@platform/runtime/clock';
import { createHttpServer } from '@platform/runtime/http';
import { createLogger } from '@platform/runtime/logger';
import { createMetrics } from '@platform/runtime/metrics';
import { newEvent } from '@platform/runtime/outbox';
import { TimerWorker } from '@platform/runtime/timers';
import { type Envelope, type EventDefinition, orderCreated, type SupplierName } from '@platform/contracts';
import type { CreateOrderInput, Order } from '@platform/contracts/api/orders';
import { createDatabase, type Database, type Transaction } from '../../src/adapters/database';
import { supplierCallLog } from '../../src/adapters/supplier-call-log';
import type { RecordSupplierCall, SupplierClient } from '../../src/adapters/suppliers/supplier-client';
import type { Fulfillment } from '../../src/application/context';
import { ensureDemoHubs } from '../../src/application/inventory';
import { timerHandlers } from '../../src/application/timer-handlers';
import { createOrderWorkflow } from '../../src/domain/order-workflow';
import { registerRoutes } from '../../src/http/routes';
import { FakeSupplier } from './fake-supplier';

export const log = createLogger('fulfillment-test', 'silent');
export const POLL_MS = 15 * 60_000;
export const POLL_MAX_MS = 60 * 60_000;

/**
 * The fulfillment service composed in-process the way main.ts composes it, over a given
 * database and clock, with fake suppliers. A second composition over the same database is
 * a restarted service: nothing carries over but what is in PostgreSQL.
 */
export function compose(databaseUrl: string, clock: AdjustableClock, options: { realSuppliers?: (record: RecordSupplierCall) => Partial<Record<SupplierName, SupplierClient>> } = {}) {
  const db: Database = createDatabase(databaseUrl);
  const record = supplierCallLog(db, clock);
  const suppliers = {
    aliexpress: new FakeSupplier('aliexpress', record),
    cj: new FakeSupplier('cj', record),
    spocket: new FakeSupplier('spocket', record),
  } satisfies Record<SupplierName, FakeSupplier>;
  const fulfillment: Fulfillment = {
    db,
    clock,
    log,
    machine: createOrderWorkflow(),
    // Real adapters (against the simulators) where a test asks for them, fakes otherwise.
    suppliers: { ...suppliers, ...options.realSuppliers?.(record) },
    settings: { reservationTtlMs: 30 * 60_000, supplierPoll: { baseMs: POLL_MS, maxMs: POLL_MAX_MS } },
  };
  // Started (fireDue needs a running worker) but idle: tests fire timers themselves.
  const worker = new TimerWorker<Transaction>({ db, clock, log, handlers: timerHandlers(fulfillment), pollIntervalMs: 3_600_000 });
  worker.start();
  const app = createHttpServer({ log, metrics: createMetrics(`fulfillment_test_${randomUUID().slice(0, 8)}`), readiness: {} });
  registerRoutes(app, fulfillment);
  return {
    db,
    fulfillment,
    suppliers,
    worker,
    app,
    async seedHubs() {
      await ensureDemoHubs(db);
    },
    /** Moves the clock and fires whatever became due (repeatedly: a handler may schedule for now). */
    async advance(ms: number) {
      clock.advance(ms);
      let total = 0;
      for (let fired = await worker.fireDue(); fired > 0; fired = await worker.fireDue()) total += fired;
      return total;
    },
    async stop() {
      await worker.stop();
      await app.close();
      await db.$disconnect();
    },
  };
}
export type Composition = ReturnType<typeof compose>;

export function sampleOrder(items: Array<Pick<CreateOrderInput['items'][number], 'sku' | 'quantity'> & { supplierSource: Order['items'][number]['supplierSource'] }>): Order {
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    number: `ORD-${randomUUID().slice(0, 6)}`,
    status: 'pending',
    fulfillmentStatus: 'not_fulfilled',
    customer: { id: 'cust-1', email: 'ana@example.com', name: 'Ana García', locale: 'es', timezone: 'Europe/Madrid' },
    shippingAddress: { name: 'Ana García', line1: 'Calle Mayor 1', city: 'Madrid', postalCode: '28013', country: 'ES' },
    billingAddress: { name: 'Ana García', line1: 'Calle Mayor 1', city: 'Madrid', postalCode: '28013', country: 'ES' },
    items: items.map((item) => ({
      id: randomUUID(),
      sku: item.sku,
      variantId: `${item.sku}-v`,
      name: item.sku,
      quantity: item.quantity,
      unitPrice: 1000,
      lineTotal: 1000 * item.quantity,
      vendor: { id: 'v1', type: 'brand' },
      supplierSource: item.supplierSource,
      ageRestricted: false,
    })),
    deliveryType: 'standard',
    deliveryWindow: null,
    notes: null,
    ageVerified: false,
    currency: 'EUR',
    totals: { subtotal: 2000, shipping: 0, tax: 0, discount: 0, total: 2000 },
    version: 0,
    createdAt: now,
    updatedAt: now,
  };
}

export function event<D extends EventDefinition>(definition: D, aggregateId: string, data: Parameters<typeof newEvent<D>>[1]['data']): Envelope {
  return newEvent(definition, { aggregateId, source: 'test', data });
}

export const createdEvent = (order: Order) => event(orderCreated, order.id, order);
