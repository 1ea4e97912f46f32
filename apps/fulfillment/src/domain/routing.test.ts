import { describe, expect, it } from 'vitest';
import { type HubCandidate, hubScore, planRouting, priorityOf, zoneOf } from './routing';

const madrid: HubCandidate = { id: 'madrid', country: 'ES', zone: 'EU', costPerItem: 120, available: { MUG: 5, TEE: 1 } };
const berlin: HubCandidate = { id: 'berlin', country: 'DE', zone: 'EU', costPerItem: 150, available: { MUG: 10, TEE: 10 } };
const newark: HubCandidate = { id: 'newark', country: 'US', zone: 'NA', costPerItem: 50, available: { MUG: 10, TEE: 10 } };

describe('hub score', () => {
  const mug = [{ sku: 'MUG', name: 'Mug', quantity: 2 }];
  it('prefers full stock over country, country over zone, zone over cost', () => {
    const partial: HubCandidate = { ...madrid, available: { MUG: 1 } };
    expect(hubScore(berlin, mug, 'ES')).toBeGreaterThan(hubScore(partial, mug, 'ES'));
    expect(hubScore(madrid, mug, 'ES')).toBeGreaterThan(hubScore(berlin, mug, 'ES'));
    expect(hubScore(berlin, mug, 'FR')).toBeGreaterThan(hubScore(newark, mug, 'FR'));
    expect(hubScore({ ...berlin, costPerItem: 100 }, mug, 'FR')).toBeGreaterThan(hubScore(berlin, mug, 'FR'));
  });
  it('knows the zones', () => {
    expect(zoneOf('ES')).toBe('EU');
    expect(zoneOf('CA')).toBe('NA');
    expect(zoneOf('GB')).toBe('UK');
    expect(zoneOf('JP')).toBe('INTL');
  });
});

describe('routing plan', () => {
  it('sends everything to the best single hub that has all of it', () => {
    const plan = planRouting([{ sku: 'MUG', name: 'Mug', quantity: 2 }, { sku: 'TEE', name: 'Tee', quantity: 2 }], [madrid, berlin, newark], 'ES');
    // Madrid is in the country but lacks TEE: Berlin (same zone, all stock) wins over cheaper Newark.
    expect(plan).toEqual({ ok: true, allocations: [{ hubId: 'berlin', lines: [{ sku: 'MUG', name: 'Mug', quantity: 2 }, { sku: 'TEE', name: 'Tee', quantity: 2 }] }] });
  });

  it('splits across hubs only when no hub can serve the whole order, never beyond availability', () => {
    const a: HubCandidate = { ...madrid, available: { MUG: 3, TEE: 0 } };
    const b: HubCandidate = { ...berlin, available: { MUG: 2, TEE: 4 } };
    const plan = planRouting([{ sku: 'MUG', name: 'Mug', quantity: 5 }, { sku: 'TEE', name: 'Tee', quantity: 1 }], [a, b], 'ES');
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    const total = (hubId: string, sku: string) => plan.allocations.find((x) => x.hubId === hubId)?.lines.find((l) => l.sku === sku)?.quantity ?? 0;
    expect(total('madrid', 'MUG')).toBe(3);
    expect(total('berlin', 'MUG')).toBe(2);
    expect(total('berlin', 'TEE')).toBe(1);
  });

  it('merges repeated SKUs and reports shortages', () => {
    const plan = planRouting([{ sku: 'TEE', name: 'Tee', quantity: 1 }, { sku: 'TEE', name: 'Tee', quantity: 1 }], [madrid], 'ES');
    expect(plan).toEqual({ ok: false, shortages: [{ sku: 'TEE', requested: 2, available: 1 }] });
    expect(planRouting([{ sku: 'NOPE', name: 'x', quantity: 1 }], [madrid], 'ES')).toEqual({ ok: false, shortages: [{ sku: 'NOPE', requested: 1, available: 0 }] });
  });
});

describe('priority (FUL-02)', () => {
  const now = new Date('2026-11-22T00:00:00Z');
  const window = (hours: number) => ({ start: new Date(now.getTime() + hours * 3_600_000).toISOString() });
  it('express is HIGH; a delivery within 24 h HIGH, within 48 h MEDIUM; else NORMAL', () => {
    expect(priorityOf({ deliveryType: 'express', deliveryWindow: null }, now)).toBe('HIGH');
    expect(priorityOf({ deliveryType: 'scheduled', deliveryWindow: window(23) }, now)).toBe('HIGH');
    expect(priorityOf({ deliveryType: 'scheduled', deliveryWindow: window(24) }, now)).toBe('MEDIUM');
    expect(priorityOf({ deliveryType: 'scheduled', deliveryWindow: window(47.9) }, now)).toBe('MEDIUM');
    expect(priorityOf({ deliveryType: 'scheduled', deliveryWindow: window(48) }, now)).toBe('NORMAL');
    expect(priorityOf({ deliveryType: 'standard', deliveryWindow: null }, now)).toBe('NORMAL');
  });
});
