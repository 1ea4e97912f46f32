import { describe, expect, it } from 'vitest';
import {
  awaitsDelivery,
  carrierDeliveryTime,
  DEFAULT_SOURCE_LEAD_TIMES,
  delayBreaksPromise,
  delayDetails,
  estimateBreaksPromise,
  orderEstimate,
  promiseDeadline,
  promiseDelivery,
  type PromiseInput,
  promiseKept,
  sourceLeadTimesSchema,
  zoneOf,
} from './delivery-promise';

// Placed mid-afternoon on a Thursday: days count from the order's UTC day.
const placedAt = new Date('2026-12-03T15:30:00.000Z');
const input = (overrides: Partial<PromiseInput>): PromiseInput => ({
  deliveryType: 'standard',
  deliveryWindow: null,
  sources: ['own_stock'],
  country: 'ES',
  placedAt,
  ...overrides,
});
const promise = (overrides: Partial<PromiseInput>) => promiseDelivery(input(overrides), DEFAULT_SOURCE_LEAD_TIMES).promise;

describe('promiseDelivery', () => {
  it.each([
    // type, sources, country → earliest day, latest day (lead + transit min / max)
    ['standard', ['own_stock'], 'ES', '2026-12-06', '2026-12-09'], // 1 + 2..5, EU
    ['express', ['own_stock'], 'ES', '2026-12-05', '2026-12-06'], // 1 + 1..2
    ['standard', ['own_stock'], 'GB', '2026-12-08', '2026-12-12'], // 1 + 4..8, rest of Europe
    ['standard', ['own_stock'], 'US', '2026-12-11', '2026-12-18'], // 1 + 7..14, North America
    ['standard', ['own_stock'], 'JP', '2026-12-14', '2026-12-25'], // 1 + 10..21, world
    ['standard', ['aliexpress'], 'ES', '2026-12-14', '2026-12-21'], // 3 + 8..15, overseas
    ['express', ['aliexpress'], 'RO', '2026-12-10', '2026-12-13'], // 3 + 4..7
    ['standard', ['cj'], 'US', '2026-12-13', '2026-12-20'], // 2 + 8..15
    ['standard', ['spocket'], 'ES', '2026-12-07', '2026-12-10'], // 2 + 2..5, regional
  ] as const)('%s from %j to %s: %s to %s', (deliveryType, sources, country, earliest, latest) => {
    const made = promise({ deliveryType, sources: [...sources], country });
    expect(made).toEqual({ deliveryType, earliest: `${earliest}T00:00:00.000Z`, latest: `${latest}T23:59:59.999Z` });
  });

  it('waits for the slowest source of a mixed order, and names it for ops', () => {
    const { promise: made, basis } = promiseDelivery(input({ sources: ['own_stock', 'aliexpress', 'own_stock'] }), DEFAULT_SOURCE_LEAD_TIMES);
    expect(made).toEqual(promise({ sources: ['aliexpress'] }));
    expect(basis).toEqual({ zone: 'eu', slowestSource: 'aliexpress', leadDays: 3, transitDays: { min: 8, max: 15 } });
  });

  it('promises a scheduled delivery the window the customer chose', () => {
    const deliveryWindow = { start: '2026-12-08T09:00:00.000Z', end: '2026-12-08T11:00:00.000Z' };
    expect(promise({ deliveryType: 'scheduled', deliveryWindow, sources: ['aliexpress'] })).toEqual({
      deliveryType: 'scheduled',
      earliest: deliveryWindow.start,
      latest: deliveryWindow.end,
    });
  });

  it('follows the configured lead times', () => {
    const slowHub = sourceLeadTimesSchema.parse({ ...DEFAULT_SOURCE_LEAD_TIMES, own_stock: { leadDays: 4, origin: 'regional' } });
    expect(promiseDelivery(input({}), slowHub).promise).toMatchObject({ earliest: '2026-12-09T00:00:00.000Z', latest: '2026-12-12T23:59:59.999Z' });
  });

  it('refuses lead times that leave a source out or name an unknown one', () => {
    const { own_stock: _left, ...withoutHub } = DEFAULT_SOURCE_LEAD_TIMES;
    expect(sourceLeadTimesSchema.safeParse(withoutHub).success).toBe(false);
    expect(sourceLeadTimesSchema.safeParse({ ...DEFAULT_SOURCE_LEAD_TIMES, temu: { leadDays: 1, origin: 'overseas' } }).success).toBe(false);
    expect(sourceLeadTimesSchema.safeParse({ ...DEFAULT_SOURCE_LEAD_TIMES, cj: { leadDays: -1, origin: 'overseas' } }).success).toBe(false);
  });
});

describe('zoneOf', () => {
  it.each([
    ['RO', 'eu'],
    ['DE', 'eu'],
    ['MD', 'europe'],
    ['CH', 'europe'],
    ['CA', 'north_america'],
    ['BR', 'world'],
  ])('%s is %s', (country, zone) => expect(zoneOf(country)).toBe(zone));
});

describe('keeping the promise', () => {
  const kept = { latest: '2026-12-09T23:59:59.999Z' };

  it('is broken by an estimate after the last promised day, not by one on it', () => {
    expect(estimateBreaksPromise(new Date('2026-12-09T18:00:00.000Z'), kept)).toBe(false);
    expect(estimateBreaksPromise(new Date('2026-12-10T00:00:00.000Z'), kept)).toBe(true);
  });

  it('is met by a delivery up to the end of the last promised day', () => {
    expect(promiseKept(new Date('2026-12-05T10:00:00.000Z'), kept)).toBe(true);
    expect(promiseKept(new Date('2026-12-09T23:59:59.999Z'), kept)).toBe(true);
    expect(promiseKept(new Date('2026-12-10T00:00:00.000Z'), kept)).toBe(false);
  });

  it('says why in the history', () => {
    expect(delayDetails({ reason: 'late_estimate', estimatedDelivery: new Date('2026-12-12T00:00:00.000Z') })).toContain('2026-12-12');
    expect(delayDetails({ reason: 'no_scan', silentForMs: 72 * 3_600_000 })).toContain('72 h');
    expect(delayDetails({ reason: 'promise_passed', estimatedDelivery: null })).toBe('Running late: the promised date passed before delivery');
    expect(delayDetails({ reason: 'promise_passed', estimatedDelivery: new Date('2026-12-08T00:00:00.000Z') })).toContain('2026-12-08');
  });

  it("is checked just after its last moment", () => {
    expect(promiseDeadline(kept)).toEqual(new Date('2026-12-10T00:00:00.000Z'));
  });

  it("is broken by a carrier's delay only when its estimate is past it, or without one once it has passed", () => {
    const before = new Date('2026-12-08T12:00:00.000Z');
    const after = new Date('2026-12-10T00:00:00.000Z');
    const carrier = (estimatedDelivery: Date | null) => ({ reason: 'carrier_delay' as const, estimatedDelivery });
    expect(delayBreaksPromise(carrier(new Date('2026-12-09T12:00:00.000Z')), kept, before)).toBe(false);
    expect(delayBreaksPromise(carrier(new Date('2026-12-11T12:00:00.000Z')), kept, before)).toBe(true);
    expect(delayBreaksPromise(carrier(null), kept, before)).toBe(false);
    expect(delayBreaksPromise(carrier(null), kept, after)).toBe(true);
    // The watchers' breaches and an operator's call always do.
    for (const reason of ['late_estimate', 'no_scan', 'manual'] as const) expect(delayBreaksPromise({ reason, estimatedDelivery: null }, kept, before)).toBe(true);
  });

  it('flags, when it passes, only an order paid for and not finished', () => {
    expect(['confirmed', 'processing', 'shipped', 'delayed', 'exception', 'out_for_delivery'].every((status) => awaitsDelivery(status as never))).toBe(true);
    expect(['pending', 'delivered', 'cancelled', 'returned', 'refunded'].some((status) => awaitsDelivery(status as never))).toBe(false);
  });
});

describe('the parcels of an order', () => {
  const at = (day: string) => new Date(`2026-12-${day}T12:00:00.000Z`);

  it("are expected when the last one still on its way is: an early parcel's newer estimate hides nothing", () => {
    expect(orderEstimate([])).toBeNull();
    expect(orderEstimate([{ estimatedDelivery: at('12'), deliveredAt: null }, { estimatedDelivery: at('08'), deliveredAt: null }])).toEqual(at('12'));
    // One delivered no longer counts; one without an estimate has none to give.
    expect(orderEstimate([{ estimatedDelivery: at('12'), deliveredAt: at('11') }, { estimatedDelivery: at('08'), deliveredAt: null }])).toEqual(at('08'));
    expect(orderEstimate([{ estimatedDelivery: null, deliveredAt: null }])).toBeNull();
  });

  it('were delivered when the carrier delivered the last of them, once every one was', () => {
    expect(carrierDeliveryTime([])).toBeNull();
    expect(carrierDeliveryTime([{ estimatedDelivery: null, deliveredAt: at('09') }, { estimatedDelivery: at('10'), deliveredAt: null }])).toBeNull();
    expect(carrierDeliveryTime([{ estimatedDelivery: null, deliveredAt: at('09') }, { estimatedDelivery: at('10'), deliveredAt: at('07') }])).toEqual(at('09'));
  });
});
