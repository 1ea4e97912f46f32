import { randomUUID } from 'node:crypto';
import { type EventData, orderStatusChanged } from '@platform/contracts';
import type { Order } from '@platform/contracts/api/orders';
import type { Clock } from '@platform/runtime/clock';
import { newEvent } from '@platform/runtime/outbox';

/** A pending order of one blue mug (17,49 € with shipping) for a customer of `locale`, placed at `now`. */
export function sampleOrder(now: Date, locale: 'en' | 'es' | 'ro' | 'ru', customerId = `cust-${randomUUID().slice(0, 8)}`): Order {
  const address = { name: 'Ana García', line1: 'Calle Mayor 1', city: 'Madrid', postalCode: '28001', country: 'ES' };
  return {
    id: randomUUID(),
    number: `ORD-${Math.floor(Math.random() * 1e6).toString().padStart(6, '0')}`,
    status: 'pending',
    fulfillmentStatus: 'not_fulfilled',
    customer: { id: customerId, email: `${customerId}@example.com`, name: 'Ana García', locale, timezone: 'Europe/Madrid' },
    shippingAddress: address,
    billingAddress: address,
    items: [{ id: randomUUID(), sku: 'MUG', variantId: 'mug-blue', name: 'Blue mug', quantity: 1, unitPrice: 1250, lineTotal: 1250, vendor: { id: 'acme', type: 'brand' }, supplierSource: 'aliexpress', ageRestricted: false }],
    deliveryType: 'standard',
    deliveryWindow: null,
    notes: null,
    ageVerified: false,
    currency: 'EUR',
    totals: { subtotal: 1250, shipping: 499, tax: 0, discount: 0, total: 1749 },
    version: 0,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
}

type StatusChangedData = EventData<typeof orderStatusChanged>;

/** What a status change may say besides the new status; by default a first step, by billing. */
export interface StatusChange {
  previousStatus?: StatusChangedData['previousStatus'];
  /** Default: orders' words for its operators, which no customer message may show. */
  details?: string | null;
  actor?: string;
  tracking?: StatusChangedData['tracking'];
  /** Whose now the change happened at (the service's clock in a test that moves it); default the real time. */
  clock?: Clock;
}

/** Orders' `orders.order.status_changed` for `o`, as the notifications consumers receive it. */
export function statusChanged(o: Order, status: StatusChangedData['status'], change: StatusChange = {}) {
  return newEvent(orderStatusChanged, {
    aggregateId: o.id,
    source: 'orders',
    data: {
      orderId: o.id,
      number: o.number,
      status,
      previousStatus: change.previousStatus ?? 'pending',
      details: change.details === undefined ? 'aliexpress: supplier order AE-991 accepted' : change.details,
      actor: change.actor ?? 'billing',
      customer: o.customer,
      total: o.totals.total,
      currency: o.currency,
      tracking: change.tracking ?? null,
      version: 1,
      changedAt: (change.clock?.now() ?? new Date()).toISOString(),
    },
  });
}
