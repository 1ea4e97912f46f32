import { describe, expect, it } from 'vitest';
import { orderPageView, trackingPageView } from './customer-views';
import { formatMoney } from './page-format';
import { localeFromAcceptLanguage, pageLocale } from './page-locale';

const order = {
  number: 'ORD-000042',
  status: 'shipped',
  currency: 'EUR',
  createdAt: '2026-12-01T10:00:00Z',
  customer: { locale: 'es', timezone: 'Europe/Madrid' },
  items: [{ name: 'Blue mug', quantity: 2, lineTotal: 2500 }],
  totals: { total: 3898 },
  subOrders: [
    { number: 'ORD-000042-1', status: 'shipped', items: [{ name: 'Blue mug', quantity: 2 }] },
    { number: 'ORD-000042-2', status: 'weird_internal_state', items: [{ name: 'Tea', quantity: 1 }] },
  ],
};

describe('the page language', () => {
  it("takes the order's locale, else the visitor's best known language, else English", () => {
    expect(pageLocale('ro', 'es-ES,es;q=0.9')).toBe('ro');
    expect(pageLocale(undefined, 'de-DE, ru;q=0.5, es;q=0.8')).toBe('es');
    expect(localeFromAcceptLanguage('de, fr;q=0.9')).toBe('en');
    expect(localeFromAcceptLanguage('ES;q=0, ru')).toBe('ru');
    expect(localeFromAcceptLanguage(undefined)).toBe('en');
  });
});

describe('money', () => {
  it('is formatted from minor units by the currency’s own decimals', () => {
    expect(formatMoney(2298, 'EUR', 'es')).toBe('22,98\u00a0€');
    expect(formatMoney(2298, 'JPY', 'en')).toBe('¥2,298');
  });
});

describe('the order page view', () => {
  it('shows the number, labels statuses by catalogue key (unknown ones as "updated"), and leaves a missing promise out', () => {
    const view = orderPageView(order, [], 'es');
    expect(view).toMatchObject({ number: 'ORD-000042', statusKey: 'status.shipped', total: '38,98\u00a0€', promised: null, estimate: null, parcels: [] });
    expect(view.parts.map((part) => part.statusKey)).toEqual(['status.shipped', 'status.unknown']);
  });

  it('shows one part as the order itself, the promise window and the latest estimate, and only http(s) carrier links', () => {
    const view = orderPageView(
      { ...order, subOrders: [order.subOrders[0]!], deliveryPromise: { earliest: '2026-12-05T00:00:00Z', latest: '2026-12-07T23:59:59.999Z', estimatedDelivery: '2026-12-08T00:00:00Z' } },
      [
        { trackingNumber: 'LX1', carrier: { name: 'Cainiao' }, status: 'in_transit', estimatedDelivery: null, trackingUrl: 'javascript:alert(1)' },
        { trackingNumber: 'LX2', carrier: null, status: 'mystery', estimatedDelivery: null, trackingUrl: 'https://carrier.test/LX2' },
      ],
      'en',
    );
    expect(view.parts).toEqual([]);
    expect(view.promised).toMatch(/^December 5\s–\s7, 2026$/);
    expect(view.estimate).toBe('December 8, 2026');
    expect(view.parcels).toMatchObject([
      { index: 1, carrier: 'Cainiao', carrierUrl: null, statusKey: 'scan.in_transit', trackPage: '/track/LX1' },
      { index: 2, carrier: null, carrierUrl: 'https://carrier.test/LX2', statusKey: 'scan.unknown' },
    ]);
  });
});

describe('the public tracking view', () => {
  it("keeps each scan's time, place and status, newest first, and drops the carrier's free text", () => {
    const view = trackingPageView(
      {
        trackingNumber: 'LX1',
        carrier: { name: 'Cainiao' },
        status: 'delivered',
        estimatedDelivery: null,
        trackingUrl: 'https://carrier.test/LX1',
        lastUpdate: '2026-12-03T09:00:00Z',
        events: [
          { time: '2026-12-02T09:00:00Z', status: 'in_transit', location: 'Madrid, ES', description: 'Departed' },
          { time: '2026-12-03T09:00:00Z', status: 'delivered', location: null, description: 'Signed by Ana García' },
        ],
      },
      'en',
    );
    expect(view.scans.map((scan) => [scan.statusKey, scan.place])).toEqual([
      ['scan.delivered', null],
      ['scan.in_transit', 'Madrid, ES'],
    ]);
    expect(JSON.stringify(view)).not.toContain('Ana');
  });
});
