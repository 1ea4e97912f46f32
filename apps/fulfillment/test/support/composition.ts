import { randomUUID } from 'node:crypto';
import type { AdjustableClock } from '@platform/runtime/clock';
import { newEvent } from '@platform/runtime/outbox';
import { type Envelope, type EventDefinition, orderCreated, type SupplierName } from '@platform/contracts';
import type { CreateOrderInput, Order } from '@platform/contracts/api/orders';
import { LOCAL_PROVIDER_CREDENTIALS } from '@platform/simulators';
import { startService } from '@platform/test-support/service';
import type { RecordSupplierCall, SupplierClient } from '../../src/adapters/suppliers/supplier-client';
import { buildFulfillment } from '../../src/app';
import { fulfillmentEnv } from '../../src/config';
import { FakeSupplier } from './fake-supplier';

export const POLL_MS = 15 * 60_000;
export const POLL_MAX_MS = 60 * 60_000;

const { aliexpress, cj, spocket, devices, easypost } = LOCAL_PROVIDER_CREDENTIALS;

/**
 * The fulfillment service built as main.ts builds it, with fake suppliers (real adapters where a
 * test asks for them) and its workers off unless asked: tests deliver events and fire timers themselves. A
 * second composition over the same database and clock is a restarted service: nothing carries
 * over but what is in PostgreSQL.
 */
export async function compose(
  options: {
    databaseUrl?: string;
    clock?: AdjustableClock;
    realSuppliers?: (record: RecordSupplierCall) => Partial<Record<SupplierName, SupplierClient>>;
    /** The device system's base URL (the simulators' `/devices`); default a closed port. */
    devicesUrl?: string;
    /** The carrier's label API base URL (the simulators' `/easypost`); default a closed port. */
    easypostUrl?: string;
    /** `SEED_DEMO_HUBS` (default on: most tests ship from the demo hubs). */
    demoHubs?: boolean;
    /** Another NATS than the integration setup's (a test's own server). */
    natsUrl?: string;
    /** Start the consumers, relay and timers as `serve` does (default off). */
    workers?: boolean;
    /** `CONSUMER_ACK_WAIT_MS` (default the service's). */
    ackWaitMs?: number;
  } = {},
) {
  let suppliers!: Record<SupplierName, FakeSupplier>;
  const service = await startService(
    (runtime, env) =>
      buildFulfillment(runtime, env, {
        suppliers: (record) => {
          suppliers = { aliexpress: new FakeSupplier('aliexpress', record), cj: new FakeSupplier('cj', record), spocket: new FakeSupplier('spocket', record) };
          return { ...suppliers, ...options.realSuppliers?.(record) };
        },
      }),
    {
      name: 'fulfillment',
      env: fulfillmentEnv,
      variables: {
        ALIEXPRESS_APP_KEY: aliexpress.appKey,
        ALIEXPRESS_APP_SECRET: aliexpress.appSecret,
        ALIEXPRESS_SESSION: aliexpress.session,
        CJ_API_KEY: cj.apiKey,
        SPOCKET_API_KEY: spocket.apiKey,
        DEVICES_API_URL: options.devicesUrl ?? 'http://127.0.0.1:9',
        DEVICES_API_KEY: devices.apiKey,
        EASYPOST_API_URL: options.easypostUrl ?? 'http://127.0.0.1:9',
        EASYPOST_API_KEY: easypost.apiKey,
        SUPPLIER_POLL_INTERVAL_MS: String(POLL_MS),
        SUPPLIER_POLL_MAX_INTERVAL_MS: String(POLL_MAX_MS),
        SEED_DEMO_HUBS: String(options.demoHubs ?? true),
        ...(options.natsUrl && { NATS_URL: options.natsUrl }),
        ...(options.ackWaitMs && { CONSUMER_ACK_WAIT_MS: String(options.ackWaitMs) }),
      },
      databaseUrl: options.databaseUrl,
      clock: options.clock,
      workers: options.workers ?? false,
    },
  );
  return {
    ...service,
    suppliers,
    /** Moves the clock and fires whatever became due (repeatedly: a handler may schedule for now). */
    async advance(ms: number) {
      service.clock.advance(ms);
      let total = 0;
      for (let fired = await service.timers.fireDue(); fired > 0; fired = await service.timers.fireDue()) total += fired;
      return total;
    },
  };
}
export type Composition = Awaited<ReturnType<typeof compose>>;

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
