import { describe, expect, it } from 'vitest';
import type { ContextItem } from './message-view';
import { type Notice, noticeKey, noticeView, parcelNotice, refundOf, shippingAnnouncedPerParcel } from './notices';

const store = { storeName: 'Shop', supportEmail: 'support@shop.local', publicBaseUrl: 'https://shop.example/' };
const ids = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333'];

function parcel(number: number, of: number, status: 'in_transit' | 'delivered' = 'in_transit') {
  return {
    shipmentId: ids[number - 1]!,
    number,
    of,
    source: 'own_stock' as const,
    status,
    trackingNumber: `TRK${number}`,
    carrier: 'DHL',
    items: [{ sku: `SKU-${number}`, vendorId: 'acme', quantity: 1 }],
    shippedAt: '2026-12-01T10:00:00.000Z',
    deliveredAt: status === 'delivered' ? '2026-12-03T10:00:00.000Z' : null,
  };
}

function progress(kind: 'parcel_shipped' | 'parcel_delivered' | 'units_cancelled', parcels: ReturnType<typeof parcel>[], about: number | null, units: Partial<Record<'ordered' | 'shipped' | 'delivered' | 'returned' | 'cancelled', number>> = {}) {
  const counts = { ordered: 2, shipped: 0, delivered: 0, returned: 0, cancelled: 0, ...units };
  return {
    orderId: '00000000-0000-4000-8000-000000000000',
    fulfillmentStatus: 'partially_shipped' as const,
    units: counts,
    vendors: [],
    parcels,
    cause: { kind, shipmentId: about === null ? null : ids[about - 1]! },
    at: '2026-12-01T10:00:00.000Z',
  };
}

describe('parcel notices (one parcel: the order-level notices alone; several: one per parcel)', () => {
  it('announce nothing for an order of one parcel', () => {
    expect(parcelNotice(progress('parcel_shipped', [parcel(1, 1)], 1), false)).toBeNull();
    expect(parcelNotice(progress('parcel_delivered', [parcel(1, 1, 'delivered')], 1, { delivered: 2 }), false)).toBeNull();
    expect(shippingAnnouncedPerParcel(1)).toBe(false);
    expect(shippingAnnouncedPerParcel(null)).toBe(false);
  });

  it('announce each parcel of several as it ships, and keep the order-level shipped notice out', () => {
    const first = parcelNotice(progress('parcel_shipped', [parcel(1, 2)], 1, { shipped: 1 }), false);
    expect(first).toMatchObject({ kind: 'parcel_shipped', count: 2, parcel: { number: 1 } });
    const second = parcelNotice(progress('parcel_shipped', [parcel(1, 2), parcel(2, 2)], 2, { shipped: 2 }), true);
    expect(second).toMatchObject({ kind: 'parcel_shipped', count: 2, parcel: { number: 2 } });
    expect(shippingAnnouncedPerParcel(2)).toBe(true);
  });

  it('leave parcel 1 out when the order-level shipped notice already announced it', () => {
    expect(parcelNotice(progress('parcel_shipped', [parcel(1, 2)], 1, { shipped: 1 }), true)).toBeNull();
  });

  it('announce a delivered parcel unless it completes the order (the order-level delivered notice does)', () => {
    const partly = progress('parcel_delivered', [parcel(1, 2, 'delivered'), parcel(2, 2)], 1, { shipped: 2, delivered: 1 });
    expect(parcelNotice(partly, false)).toMatchObject({ kind: 'parcel_delivered', parcel: { number: 1 } });
    const last = progress('parcel_delivered', [parcel(1, 2, 'delivered'), parcel(2, 2, 'delivered')], 2, { shipped: 2, delivered: 2 });
    expect(parcelNotice(last, false)).toBeNull();
    // The last parcel delivered while the other's units were cancelled: the order is complete too.
    const rest = progress('parcel_delivered', [parcel(1, 2, 'delivered')], 1, { ordered: 2, shipped: 1, delivered: 1, cancelled: 1 });
    expect(parcelNotice(rest, false)).toBeNull();
  });

  it('count the parcels from every parcel reported, and ignore changes that are not about a parcel', () => {
    expect(parcelNotice(progress('parcel_shipped', [parcel(1, 1), parcel(2, 1)], 2), false)).toMatchObject({ count: 2 });
    expect(parcelNotice(progress('units_cancelled', [parcel(1, 2)], null, { cancelled: 1 }), false)).toBeNull();
  });
});

const items: ContextItem[] = [
  { name: 'Blue mug', quantity: 2, lineTotal: 2500, sku: 'MUG', variantId: 'mug-blue', vendorId: 'acme', unitPrice: 1250 },
  { name: 'Earl Grey', quantity: 3, lineTotal: 2697, sku: 'TEA', variantId: 'tea-eg', vendorId: 'leafy', unitPrice: 899 },
];
const order = { number: 'ORD-000042', customerName: 'Ana', currency: 'EUR', items };

describe('item notices', () => {
  it('price the refund from the units as sold, or not at all when a line is unknown', () => {
    expect(refundOf(items, [{ sku: 'TEA', variantId: 'tea-eg', vendorId: 'leafy', quantity: 2 }, { sku: 'MUG', variantId: 'mug-blue', vendorId: 'acme', quantity: 1 }])).toBe(2 * 899 + 1250);
    expect(refundOf(items, [{ sku: 'NOPE', variantId: 'x', vendorId: 'acme', quantity: 1 }])).toBeNull();
    expect(refundOf([{ name: 'Old row', quantity: 1, lineTotal: 100 }], [{ sku: 'MUG', variantId: 'mug-blue', vendorId: 'acme', quantity: 1 }])).toBeNull();
  });

  it('name items as ordered and format the refund for the customer', () => {
    const notice: Notice = { kind: 'items_cancelled', cancellationId: ids[0]!, items: [{ sku: 'TEA', variantId: 'tea-eg', vendorId: 'leafy', quantity: 2 }] };
    const view = noticeView(notice, order, { locale: 'es', timezone: 'Europe/Madrid' }, store);
    expect(view).toMatchObject({ status: 'items_cancelled', items: [{ name: 'Earl Grey', quantity: 2 }] });
    expect((view as { refund: string }).refund.replace(/\s/g, ' ')).toBe('17,98 €');
  });

  it("date a back order on the customer's calendar", () => {
    const notice: Notice = { kind: 'items_backordered', items: [{ sku: 'MUG', vendorId: 'acme', quantity: 1, expectedAt: '2026-12-15T23:30:00.000Z' }] };
    const madrid = noticeView(notice, order, { locale: 'en', timezone: 'Europe/Madrid' }, store) as { items: Array<{ expected: string }> };
    const newYork = noticeView(notice, order, { locale: 'en', timezone: 'America/New_York' }, store) as { items: Array<{ expected: string }> };
    expect(madrid.items[0]!.expected).toBe('December 16, 2026');
    expect(newYork.items[0]!.expected).toBe('December 15, 2026');
  });

  it('link a parcel to its own tracking page', () => {
    const view = noticeView({ kind: 'parcel_shipped', parcel: parcel(2, 2), count: 2 }, order, { locale: 'en', timezone: 'UTC' }, store);
    expect(view).toMatchObject({ parcelNumber: 2, parcelCount: 2, trackingNumber: 'TRK2', trackingUrl: 'https://shop.example/track/TRK2' });
  });

  it('key a notice by its parcel or cancellation, and back orders and substitutions by what they say', () => {
    expect(noticeKey({ kind: 'parcel_delivered', parcel: parcel(1, 2), count: 2 })).toBe(`parcel_delivered:${ids[0]}`);
    expect(noticeKey({ kind: 'items_cancelled', cancellationId: ids[1]!, items: [] })).toBe(`items_cancelled:${ids[1]}`);
    const backorder = (expectedAt: string | null, quantity = 1) => noticeKey({ kind: 'items_backordered', items: [{ sku: 'MUG', vendorId: 'acme', quantity, expectedAt }, { sku: 'TEA', vendorId: 'leafy', quantity: 1, expectedAt: null }] });
    expect(backorder('2026-12-15T00:00:00.000Z')).toBe(backorder('2026-12-15T00:00:00.000Z'));
    expect(backorder('2026-12-15T00:00:00.000Z')).not.toBe(backorder('2026-12-20T00:00:00.000Z'));
    expect(backorder(null)).not.toBe(backorder(null, 2));
    expect(backorder(null)).toMatch(/^items_backordered:[0-9a-f]{16}$/);
  });
});
