/**
 * Hub routing for own-stock items (docs/requirements.md#ful-02-hub-routing-and-priority): the best hub is the one that can
 * ship everything, then the one in the destination country, then in its zone, then the
 * cheapest. An order is split across hubs only when no single hub has all of it.
 */

export interface RouteLine {
  sku: string;
  name: string;
  quantity: number;
}

export interface HubCandidate {
  id: string;
  country: string;
  zone: string;
  costPerItem: number;
  /** Units free to reserve (on hand minus reserved), by SKU. */
  available: Record<string, number>;
}

export interface HubAllocation {
  hubId: string;
  lines: RouteLine[];
}

export type RoutingPlan =
  | { ok: true; allocations: HubAllocation[] }
  | { ok: false; shortages: Array<{ sku: string; requested: number; available: number }> };

const EU = new Set(['AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV', 'LT', 'LU', 'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE']);
const NA = new Set(['US', 'CA', 'MX']);

/** The shipping zone of a country (ISO 3166-1 alpha-2). */
export function zoneOf(country: string): string {
  if (EU.has(country)) return 'EU';
  if (NA.has(country)) return 'NA';
  if (country === 'GB') return 'UK';
  return 'INTL';
}

/** Higher is better: full stock outweighs country, country outweighs zone, zone outweighs cost. */
export function hubScore(hub: HubCandidate, lines: RouteLine[], destinationCountry: string): number {
  const hasAll = lines.every((line) => (hub.available[line.sku] ?? 0) >= line.quantity);
  return (
    (hasAll ? 1_000_000 : 0) +
    (hub.country === destinationCountry ? 100_000 : 0) +
    (hub.zone === zoneOf(destinationCountry) ? 10_000 : 0) -
    Math.min(hub.costPerItem, 9_999)
  );
}

function rank(hubs: HubCandidate[], lines: RouteLine[], destinationCountry: string): HubCandidate[] {
  return [...hubs].sort((a, b) => hubScore(b, lines, destinationCountry) - hubScore(a, lines, destinationCountry) || a.id.localeCompare(b.id));
}

/** Plans which hub ships which units; never plans more than a hub has available. */
export function planRouting(lines: RouteLine[], hubs: HubCandidate[], destinationCountry: string): RoutingPlan {
  const wanted = mergeLines(lines);
  const shortages = wanted
    .map((line) => ({ sku: line.sku, requested: line.quantity, available: hubs.reduce((sum, hub) => sum + Math.max(0, hub.available[line.sku] ?? 0), 0) }))
    .filter((s) => s.available < s.requested);
  if (shortages.length > 0) return { ok: false, shortages };

  const [best] = rank(hubs, wanted, destinationCountry);
  if (best && wanted.every((line) => (best.available[line.sku] ?? 0) >= line.quantity)) {
    return { ok: true, allocations: [{ hubId: best.id, lines: wanted }] };
  }

  // Split: each line from the best hub for that line, spilling over to the next when short.
  const left = new Map(hubs.map((hub) => [hub.id, { ...hub.available }]));
  const byHub = new Map<string, RouteLine[]>();
  for (const line of wanted) {
    let needed = line.quantity;
    for (const hub of rank(hubs, [line], destinationCountry)) {
      const free = left.get(hub.id)![line.sku] ?? 0;
      const take = Math.min(free, needed);
      if (take <= 0) continue;
      left.get(hub.id)![line.sku] = free - take;
      byHub.set(hub.id, [...(byHub.get(hub.id) ?? []), { ...line, quantity: take }]);
      needed -= take;
      if (needed === 0) break;
    }
  }
  return { ok: true, allocations: [...byHub].map(([hubId, hubLines]) => ({ hubId, lines: hubLines })) };
}

/** The same SKU on two lines is one demand. */
function mergeLines(lines: RouteLine[]): RouteLine[] {
  const merged = new Map<string, RouteLine>();
  for (const line of lines) {
    const seen = merged.get(line.sku);
    merged.set(line.sku, seen ? { ...seen, quantity: seen.quantity + line.quantity } : { ...line });
  }
  return [...merged.values()];
}

export type Priority = 'HIGH' | 'MEDIUM' | 'NORMAL';

/** FUL-02: express HIGH; a scheduled delivery within 24 h HIGH, within 48 h MEDIUM; else NORMAL. */
export function priorityOf(
  delivery: { deliveryType: 'standard' | 'express' | 'scheduled'; deliveryWindow: { start: string } | null },
  now: Date,
): Priority {
  if (delivery.deliveryType === 'express') return 'HIGH';
  if (delivery.deliveryWindow) {
    const hoursUntilDelivery = (Date.parse(delivery.deliveryWindow.start) - now.getTime()) / 3_600_000;
    if (hoursUntilDelivery < 24) return 'HIGH';
    if (hoursUntilDelivery < 48) return 'MEDIUM';
  }
  return 'NORMAL';
}
