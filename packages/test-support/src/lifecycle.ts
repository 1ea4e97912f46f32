import { randomUUID } from 'node:crypto';
import type { CreateOrderInput, Order } from '@platform/contracts/api/orders';
import type { OrderBilling } from '@platform/contracts/api/billing';
import type { OrderFulfillment } from '@platform/contracts/api/fulfillment';
import type { NotificationPreferences, OrderNotifications } from '@platform/contracts/api/notifications';
import type { OrderTracking } from '@platform/contracts/api/tracking';
import type { SupplierSource } from '@platform/contracts';
import { expect } from 'vitest';
import { eventually, type Platform } from './platform';

/** Steps of the order lifecycle as a client, a customer and the providers take them. */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
/** Fulfillment polls suppliers this often by default (SUPPLIER_POLL_INTERVAL_MS). */
export const SUPPLIER_POLL = 15 * MINUTE;

export type Supplier = SupplierSource;

/** An order of one item from `supplier`, for a fresh customer in `locale`. */
export function lifecycleOrder(supplier: Supplier, locale: 'en' | 'es' | 'ro' | 'ru' = 'en'): CreateOrderInput {
  const tag = randomUUID().slice(0, 8);
  return {
    customer: { id: `cust-${tag}`, email: `buyer-${tag}@example.com`, name: 'Ana García', locale, timezone: 'Europe/Madrid' },
    shippingAddress: { name: 'Ana García', line1: 'Calle Mayor 1', city: 'Madrid', postalCode: '28001', country: 'ES', phone: '+34 600111222' },
    items: [
      {
        sku: supplier === 'own_stock' ? 'MUG-WHT' : `SUP-${supplier.toUpperCase()}-1`,
        variantId: supplier === 'aliexpress' ? '14:193#Black' : `var-${supplier}-1`,
        name: 'Travel mug',
        quantity: 2,
        unitPrice: 1250,
        vendor: { id: 'acme', type: 'brand' },
        supplierSource: supplier,
      },
    ],
    currency: 'EUR',
  };
}

/** One AliExpress line of vendor acme and one CJ line of vendor leaf: an order that travels in two parcels. */
export function twoParcelOrder(): CreateOrderInput {
  const body = lifecycleOrder('aliexpress');
  body.items.push({ sku: 'SUP-CJ-1', variantId: 'var-cj-1', name: 'Phone case', quantity: 1, unitPrice: 990, vendor: { id: 'leaf', type: 'distributor' }, supplierSource: 'cj' });
  return body;
}

/** Customer preferences for a test: no quiet hours (tests run at any hour), a phone and a push device. */
export async function reachableCustomer(platform: Platform, customerId: string): Promise<NotificationPreferences> {
  const prefs = await platform.gateway.put(`v1/customers/${customerId}/preferences`, {
    json: { quietHours: null, phoneNumber: '+34600111222', timezone: 'Europe/Madrid' },
  });
  expect(prefs.statusCode, JSON.stringify(prefs.body)).toBe(200);
  const device = await platform.gateway.put(`v1/customers/${customerId}/devices`, { json: { token: `device-token-${customerId}`, platform: 'android' } });
  expect(device.statusCode, JSON.stringify(device.body)).toBeLessThan(300);
  const current = await platform.gateway.get(`v1/customers/${customerId}/preferences`);
  return current.body as NotificationPreferences;
}

/** Tests run at any hour: a customer without quiet hours gets notifications at once. */
export async function withoutQuietHours(platform: Platform, customerId: string): Promise<void> {
  const prefs = await platform.gateway.put(`v1/customers/${customerId}/preferences`, { json: { quietHours: null } });
  expect(prefs.statusCode, JSON.stringify(prefs.body)).toBe(200);
}

export async function placeOrder(platform: Platform, body: CreateOrderInput): Promise<Order> {
  const created = await platform.gateway.post('v1/orders', { json: body });
  expect(created.statusCode, JSON.stringify(created.body)).toBe(201);
  return created.body as Order;
}

export const getOrder = async (platform: Platform, id: string) => ((await platform.gateway.get(`v1/orders/${id}`)).body as { order: Order }).order;
export const getBilling = async (platform: Platform, id: string) => (await platform.gateway.get(`v1/orders/${id}/billing`)).body as OrderBilling;
export const getFulfillment = async (platform: Platform, id: string) =>
  (await platform.gateway.get(`v1/orders/${id}/fulfillment`)).body as OrderFulfillment;
export const getTracking = async (platform: Platform, id: string) => (await platform.gateway.get(`v1/orders/${id}/tracking`)).body as OrderTracking;
export const getNotifications = async (platform: Platform, id: string) =>
  (await platform.gateway.get(`v1/orders/${id}/notifications`)).body as OrderNotifications;

export async function waitForStatus(platform: Platform, id: string, status: Order['status'], timeoutMs = 30_000): Promise<Order> {
  return eventually(() => getOrder(platform, id), (order) => order?.status === status, timeoutMs);
}

export async function waitForWorkflow(platform: Platform, id: string, state: OrderFulfillment['state'], timeoutMs = 30_000) {
  return eventually(() => getFulfillment(platform, id), (f) => f?.state === state, timeoutMs);
}

/** The checkout session billing opened for the order (provider id `cs_…`). */
export async function checkoutSession(platform: Platform, orderId: string): Promise<string> {
  const billing = await eventually(
    () => getBilling(platform, orderId),
    (b) => Boolean(b?.payments?.[0]?.checkoutSessions?.some((s) => s.status === 'open')),
  );
  return billing.payments[0]!.checkoutSessions.find((s) => s.status === 'open')!.providerSessionId;
}

/** The customer pays on the provider's page: the simulator sends the signed webhook through the gateway. */
export async function pay(platform: Platform, orderId: string): Promise<string> {
  const session = await checkoutSession(platform, orderId);
  const paid = await platform.simulators.post(`stripe/_sim/checkout/sessions/${session}/complete`, { json: { outcome: 'paid' } });
  expect(paid.statusCode, JSON.stringify(paid.body)).toBe(200);
  return session;
}

/** Places and pays `body`'s order (its customer without quiet hours), then lets fulfillment's 60 s after payment pass. */
export async function placePaidOrder(platform: Platform, body: CreateOrderInput): Promise<Order> {
  await withoutQuietHours(platform, body.customer.id);
  const order = await placeOrder(platform, body);
  await pay(platform, order.id);
  await waitForWorkflow(platform, order.id, 'payment_confirmed');
  await platform.advanceClock('fulfillment', 61_000);
  return order;
}

/** Moves fulfillment's clock and waits until the workflow reaches `state`. */
export async function advanceFulfillmentUntil(platform: Platform, orderId: string, state: OrderFulfillment['state'], stepMs: number, maxSteps = 6) {
  for (let step = 0; step < maxSteps; step++) {
    const current = await getFulfillment(platform, orderId);
    if (current?.state === state) return current;
    await platform.advanceClock('fulfillment', stepMs);
    await new Promise((r) => setTimeout(r, 400));
  }
  return waitForWorkflow(platform, orderId, state, 10_000);
}

/** Pushes the next scripted carrier scan for `number` through the tracking provider's signed webhook. */
export async function carrierScan(platform: Platform, number: string, provider: '17track' | 'aftership' = '17track') {
  const answer = await platform.simulators.post(`${provider}/_sim/progress`, { json: { number } });
  expect(answer.statusCode, JSON.stringify(answer.body)).toBe(200);
  return answer.body as Record<string, unknown>;
}

/** Every scripted carrier scan of the parcel `trackingNumber` of an order, until tracking reports it delivered. */
export async function deliverParcel(platform: Platform, orderId: string, trackingNumber: string): Promise<void> {
  const parcel = async () => (await getTracking(platform, orderId)).shipments?.find((s) => s.trackingNumber === trackingNumber);
  // Scans reach tracking only once it registered the number with the provider.
  await eventually(parcel, (p) => Boolean(p?.provider));
  for (const scan of ['info_received', 'in_transit', 'out_for_delivery', 'delivered'] as const) {
    await carrierScan(platform, trackingNumber);
    await eventually(async () => (await parcel())?.status, (status) => status === scan);
  }
}
