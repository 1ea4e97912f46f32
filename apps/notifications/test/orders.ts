import { randomUUID } from 'node:crypto';
import type { Order } from '@platform/contracts/api/orders';

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
