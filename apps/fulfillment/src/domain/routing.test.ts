import { describe, expect, it } from 'vitest';
import { compareHubs, type HubCandidate, hubCost, planRouting, priorityOf, zoneOf } from './routing';

const hub = (id: string, fields: Partial<HubCandidate>): HubCandidate => ({
  id,
  country: 'ES',
  zone: 'EU',
  priority: 0,
  costPerItem: 100,
  costPerShipment: 0,
  available: { MUG: 10, TEE: 10 },
  ...fields,
});
const madrid = hub('madrid', { country: 'ES', costPerItem: 120, available: { MUG: 5, TEE: 1 } });
const berlin = hub('berlin', { country: 'DE', costPerItem: 150 });
const newark = hub('newark', { country: 'US', zone: 'NA', costPerItem: 50 });
const mug = [{ sku: 'MUG', name: 'Mug', quantity: 2 }];
const best = (hubs: HubCandidate[], destination: string, lines = mug) => [...hubs].sort((a, b) => compareHubs(a, b, lines, destination))[0]!.id;

describe('hub ranking (FUL-02)', () => {
  it.each([
    { rule: 'full stock beats the destination country', hubs: [berlin, hub('partial', { available: { MUG: 1 } })], destination: 'ES', winner: 'berlin' },
    { rule: 'the destination country beats its zone', hubs: [madrid, berlin], destination: 'ES', winner: 'madrid' },
    { rule: 'the zone beats a cheaper hub elsewhere', hubs: [berlin, newark], destination: 'FR', winner: 'berlin' },
    { rule: 'priority beats cost among equally close hubs', hubs: [hub('cheap', { costPerItem: 10 }), hub('preferred', { priority: 5, costPerItem: 500 })], destination: 'ES', winner: 'preferred' },
    { rule: 'priority never beats being closer', hubs: [hub('near', {}), hub('far', { country: 'US', zone: 'NA', priority: 100 })], destination: 'ES', winner: 'near' },
    { rule: 'the lower cost wins at equal priority', hubs: [hub('dear', { costPerItem: 150 }), hub('cheap', { costPerItem: 100 })], destination: 'ES', winner: 'cheap' },
    { rule: 'cost counts the parcel as well as the units', hubs: [hub('per-parcel', { costPerItem: 50, costPerShipment: 500 }), hub('per-unit', { costPerItem: 200 })], destination: 'ES', winner: 'per-unit' },
    { rule: 'the id settles a full tie, so a plan repeats', hubs: [hub('b', {}), hub('a', {})], destination: 'ES', winner: 'a' },
  ])('$rule', ({ hubs, destination, winner }) => {
    expect(best(hubs, destination)).toBe(winner);
    expect(best([...hubs].reverse(), destination)).toBe(winner);
  });

  it('costs one parcel plus each unit', () => {
    expect(hubCost(hub('x', { costPerItem: 120, costPerShipment: 400 }), [{ sku: 'MUG', name: 'Mug', quantity: 3 }, { sku: 'TEE', name: 'Tee', quantity: 2 }])).toBe(400 + 5 * 120);
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

  it('keeps two vendors\' lines of one hub together, as separate lines', () => {
    const lines = [
      { sku: 'MUG', name: 'Mug', quantity: 1, vendorId: 'brand-a' },
      { sku: 'MUG', name: 'Mug', quantity: 1, vendorId: 'brand-b' },
      { sku: 'TEE', name: 'Tee', quantity: 1, vendorId: 'brand-b' },
    ];
    expect(planRouting(lines, [madrid, berlin], 'ES')).toEqual({ ok: true, allocations: [{ hubId: 'madrid', lines }] });
  });

  it('splits across hubs only when no hub can serve the whole order, never beyond availability', () => {
    const a = { ...madrid, available: { MUG: 3, TEE: 0 } };
    const b = { ...berlin, available: { MUG: 2, TEE: 4 } };
    const plan = planRouting([{ sku: 'MUG', name: 'Mug', quantity: 5 }, { sku: 'TEE', name: 'Tee', quantity: 1 }], [a, b], 'ES');
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    const total = (hubId: string, sku: string) => plan.allocations.find((x) => x.hubId === hubId)?.lines.find((l) => l.sku === sku)?.quantity ?? 0;
    expect(total('madrid', 'MUG')).toBe(3);
    expect(total('berlin', 'MUG')).toBe(2);
    expect(total('berlin', 'TEE')).toBe(1);
  });

  it('sums repeated SKUs and reports shortages', () => {
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
