/**
 * Hub routing for own-stock items (docs/requirements.md#ful-02-hub-routing-and-priority): the
 * best hub is the one that can ship everything, then the one in the destination country, then in
 * its zone, then the one ops gave the higher priority, then the cheapest for these units. An
 * order is split across hubs only when no single hub has all of it: whatever its vendors, the
 * own-stock items one hub can serve leave together.
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
  priority: number;
  costPerItem: number;
  costPerShipment: number;
  /** Units free to reserve (on hand minus reserved), by SKU. */
  available: Record<string, number>;
}

export interface HubAllocation<Line extends RouteLine = RouteLine> {
  hubId: string;
  lines: Line[];
}

export type RoutingPlan<Line extends RouteLine = RouteLine> =
  | { ok: true; allocations: HubAllocation<Line>[] }
  | { ok: false; shortages: Shortage[] };

export interface Shortage {
  sku: string;
  requested: number;
  available: number;
}

const EU = new Set(['AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV', 'LT', 'LU', 'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE']);
const NA = new Set(['US', 'CA', 'MX']);

/** The shipping zone of a country (ISO 3166-1 alpha-2). */
export function zoneOf(country: string): 'EU' | 'NA' | 'UK' | 'INTL' {
  if (EU.has(country)) return 'EU';
  if (NA.has(country)) return 'NA';
  if (country === 'GB') return 'UK';
  return 'INTL';
}

/** What serving `lines` from the hub costs: one parcel plus the handling of every unit. */
export function hubCost(hub: HubCandidate, lines: readonly RouteLine[]): number {
  return hub.costPerShipment + hub.costPerItem * lines.reduce((sum, line) => sum + line.quantity, 0);
}

/**
 * Negative when `a` is the better hub for `lines`: full stock, then same country, then same
 * zone, then higher priority, then lower cost; the id settles the rest, so a plan is repeatable.
 */
export function compareHubs(a: HubCandidate, b: HubCandidate, lines: readonly RouteLine[], destinationCountry: string): number {
  const zone = zoneOf(destinationCountry);
  const hasAll = (hub: HubCandidate) => sumBySku(lines).every(([sku, quantity]) => (hub.available[sku] ?? 0) >= quantity);
  const flag = (value: boolean) => (value ? 1 : 0);
  return (
    flag(hasAll(b)) - flag(hasAll(a)) ||
    flag(b.country === destinationCountry) - flag(a.country === destinationCountry) ||
    flag(b.zone === zone) - flag(a.zone === zone) ||
    b.priority - a.priority ||
    hubCost(a, lines) - hubCost(b, lines) ||
    a.id.localeCompare(b.id)
  );
}

function rank(hubs: readonly HubCandidate[], lines: readonly RouteLine[], destinationCountry: string): HubCandidate[] {
  return [...hubs].sort((a, b) => compareHubs(a, b, lines, destinationCountry));
}

/** Units free per SKU summed over the hubs; what routing can promise at most. */
export function availableBySku(hubs: readonly HubCandidate[]): Map<string, number> {
  const total = new Map<string, number>();
  for (const hub of hubs) for (const [sku, free] of Object.entries(hub.available)) total.set(sku, (total.get(sku) ?? 0) + Math.max(0, free));
  return total;
}

/**
 * Plans which hub ships which units; never plans more than a hub has available. Lines keep their
 * identity (two vendors' lines of one SKU stay two lines), split by quantity when they spill over.
 */
export function planRouting<Line extends RouteLine>(lines: readonly Line[], hubs: readonly HubCandidate[], destinationCountry: string): RoutingPlan<Line> {
  const free = availableBySku(hubs);
  const shortages = sumBySku(lines)
    .map(([sku, requested]) => ({ sku, requested, available: free.get(sku) ?? 0 }))
    .filter((s) => s.available < s.requested);
  if (shortages.length > 0) return { ok: false, shortages };

  const [best] = rank(hubs, lines, destinationCountry);
  if (best && sumBySku(lines).every(([sku, quantity]) => (best.available[sku] ?? 0) >= quantity)) {
    return { ok: true, allocations: [{ hubId: best.id, lines: [...lines] }] };
  }

  // Split: each line from the best hub for that line, spilling over to the next when short.
  const left = new Map(hubs.map((hub) => [hub.id, { ...hub.available }]));
  const byHub = new Map<string, Line[]>();
  for (const line of lines) {
    let needed = line.quantity;
    for (const hub of rank(hubs, [line], destinationCountry)) {
      const stock = left.get(hub.id)!;
      const take = Math.min(stock[line.sku] ?? 0, needed);
      if (take <= 0) continue;
      stock[line.sku] = (stock[line.sku] ?? 0) - take;
      byHub.set(hub.id, [...(byHub.get(hub.id) ?? []), { ...line, quantity: take }]);
      needed -= take;
      if (needed === 0) break;
    }
  }
  return { ok: true, allocations: [...byHub].map(([hubId, hubLines]) => ({ hubId, lines: hubLines })) };
}

/** The same SKU on two lines is one demand. */
function sumBySku(lines: readonly RouteLine[]): Array<[string, number]> {
  const total = new Map<string, number>();
  for (const line of lines) total.set(line.sku, (total.get(line.sku) ?? 0) + line.quantity);
  return [...total];
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
