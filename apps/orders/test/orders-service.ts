import { newEvent } from '@platform/runtime/outbox';
import { type EventDefinition, type EventData, timelineEntryRecorded } from '@platform/contracts';
import type { CreateOrderInput, Order } from '@platform/contracts/api/orders';
import { startService } from '@platform/test-support/service';
import { buildOrders } from '../src/app';
import { ordersEnv } from '../src/config';

/**
 * The orders service in-process on a fresh migrated database, built as main.ts builds it:
 * requests through Fastify's `inject`, consumer handlers called with envelopes directly
 * (workers off by default: its events stay in the outbox, where the tests read them).
 */
export async function startOrdersService(options: { workers?: boolean } = {}) {
  const service = await startService(buildOrders, { name: 'orders', env: ordersEnv, workers: options.workers ?? false });
  const { db } = service;

  /** The order's domain events (its timeline entries, also in the outbox, are read at `GET /orders/:id/timeline`). */
  async function outbox(orderId: string) {
    const rows = await db.outboxEvent.findMany({ where: { aggregateId: orderId, type: { not: timelineEntryRecorded.type } }, orderBy: { seq: 'asc' } });
    return rows.map((row) => row.envelope as { type: string; data: Record<string, unknown> });
  }

  function event<D extends EventDefinition>(definition: D, data: EventData<D>) {
    return newEvent(definition, { aggregateId: (data as { orderId: string }).orderId, source: 'test', data });
  }

  return { ...service, outbox, event };
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
