import { DomainError } from '@platform/contracts/errors';
import type { CreateHubRequest, SetHubStockRequest, SetStockPolicyRequest, UpdateHubRequest } from '@platform/contracts/api/fulfillment';
import type { Database, Transaction } from '../adapters/database';
import { zoneOf } from '../domain/routing';
import { announceAvailability } from './availability';
import type { Fulfillment } from './context';
import { lockBackorders, serveBackorders } from './inventory';

/** Hubs and their stock as ops manage them (FUL-02), and the short-stock policies (FUL-03). */

const iso = (date: Date | null) => date?.toISOString() ?? null;

type HubRow = Awaited<ReturnType<Database['hub']['findUniqueOrThrow']>> & {
  stock: Array<{ sku: string; onHand: number; reserved: number; restockExpectedAt: Date | null; restockQuantity: number | null }>;
};

function stockView(s: HubRow['stock'][number]) {
  return { sku: s.sku, onHand: s.onHand, reserved: s.reserved, available: s.onHand - s.reserved, restockExpectedAt: iso(s.restockExpectedAt), restockQuantity: s.restockQuantity };
}

export function hubView({ createdAt: _createdAt, updatedAt: _updatedAt, stock, ...hub }: HubRow) {
  return { ...hub, zone: hub.zone as ReturnType<typeof zoneOf>, stock: stock.map(stockView) };
}

const withStock = { stock: { orderBy: { sku: 'asc' } } } as const;

/** `GET /hubs`: every hub with its stock. */
export async function listHubs(fulfillment: Fulfillment) {
  const hubs = await fulfillment.db.hub.findMany({ include: withStock, orderBy: { id: 'asc' } });
  return hubs.map(hubView);
}

/** `POST /hubs`: a new hub, without stock; its zone defaults to its country's. */
export async function createHub(fulfillment: Fulfillment, request: CreateHubRequest) {
  const now = fulfillment.clock.now();
  const { id, zone, ...fields } = request;
  const created = await fulfillment.db.$transaction(async (tx) => {
    if (await tx.hub.findUnique({ where: { id } })) throw new DomainError('conflict', 'HUB_EXISTS', `A hub ${id} exists already`, [{ pointer: '/id', detail: 'taken' }]);
    return tx.hub.create({ data: { id, ...fields, zone: zone ?? zoneOf(request.country), createdAt: now, updatedAt: now }, include: withStock });
  });
  return hubView(created);
}

/** `PATCH /hubs/:id`: a hub turned on or off changes what is available of every SKU it holds. */
export async function updateHub(fulfillment: Fulfillment, hubId: string, changes: UpdateHubRequest) {
  const now = fulfillment.clock.now();
  const updated = await fulfillment.db.$transaction(async (tx) => {
    const hub = await tx.hub.findUnique({ where: { id: hubId } });
    if (!hub) throw hubNotFound(hubId);
    const row = await tx.hub.update({ where: { id: hubId }, data: { ...changes, updatedAt: now }, include: withStock });
    if (changes.active !== undefined && changes.active !== hub.active) await announceAvailability(tx, row.stock.map((s) => s.sku), now);
    return row;
  });
  return hubView(updated);
}

/**
 * `PUT /hubs/:id/stock/:sku`: an inventory adjustment and the next restock. On hand never goes
 * below what is reserved; units that became free serve the SKU's backorders, oldest first.
 */
export async function setStock(fulfillment: Fulfillment, hubId: string, sku: string, request: SetHubStockRequest) {
  const now = fulfillment.clock.now();
  const { onHand, restockQuantity } = request;
  const restockExpectedAt = request.restockExpectedAt ? new Date(request.restockExpectedAt) : null;
  const stock = await fulfillment.db.$transaction(async (tx) => {
    const hub = await tx.hub.findUnique({ where: { id: hubId } });
    if (!hub) throw hubNotFound(hubId);
    await lockBackorders(tx, [sku]);
    await tx.$executeRaw`
      INSERT INTO hub_stock (hub_id, sku, on_hand, reserved, updated_at) VALUES (${hubId}, ${sku}, 0, 0, ${now})
      ON CONFLICT (hub_id, sku) DO NOTHING`;
    const updated = await tx.$executeRaw`
      UPDATE hub_stock SET on_hand = ${onHand}, restock_expected_at = ${restockExpectedAt}, restock_quantity = ${restockQuantity}, updated_at = ${now}
      WHERE hub_id = ${hubId} AND sku = ${sku} AND reserved <= ${onHand}`;
    if (updated === 0) {
      throw new DomainError('conflict', 'STOCK_BELOW_RESERVED', `${sku} at ${hubId} has more units reserved than ${onHand}`, [{ pointer: '/onHand', detail: 'below reserved' }]);
    }
    await shelved(tx, fulfillment, hub, [sku], now);
    return tx.hubStock.findUniqueOrThrow({ where: { hubId_sku: { hubId, sku } } });
  });
  return { hubId: stock.hubId, ...stockView(stock) };
}

/**
 * Returned units found resellable are back on the hub's shelf: on hand grows, and the units
 * serve the SKUs' backorders as a restock does. One inspection's lines together: the hub is read
 * once and availability announced once for all their SKUs.
 */
export async function addReturnedStock(tx: Transaction, fulfillment: Fulfillment, hubId: string, lines: ReadonlyArray<{ sku: string; quantity: number }>, now: Date): Promise<void> {
  if (lines.length === 0) return;
  const added = new Map<string, number>();
  for (const { sku, quantity } of lines) added.set(sku, (added.get(sku) ?? 0) + quantity);
  await lockBackorders(tx, [...added.keys()]);
  await tx.$executeRaw`
    INSERT INTO hub_stock (hub_id, sku, on_hand, reserved, updated_at)
    SELECT ${hubId}, n.sku, n.quantity, 0, ${now} FROM unnest(${[...added.keys()]}::text[], ${[...added.values()]}::int[]) AS n(sku, quantity)
    ON CONFLICT (hub_id, sku) DO UPDATE SET on_hand = hub_stock.on_hand + EXCLUDED.on_hand, updated_at = ${now}`;
  await shelved(tx, fulfillment, await tx.hub.findUniqueOrThrow({ where: { id: hubId } }), [...added.keys()], now);
}

/** Units newly on `hub`'s shelf serve the SKUs' backorders (an inactive hub serves none), then each SKU's availability is announced. */
async function shelved(tx: Transaction, fulfillment: Fulfillment, hub: { id: string; active: boolean }, skus: readonly string[], now: Date): Promise<void> {
  if (hub.active) for (const sku of skus) await serveBackorders(tx, fulfillment, hub.id, sku, now);
  await announceAvailability(tx, skus, now);
}

function policyView(row: { sku: string; policy: string | null; substituteSku: string | null; updatedAt: Date }) {
  return { sku: row.sku, policy: row.policy as SetStockPolicyRequest['policy'], substituteSku: row.substituteSku, updatedAt: row.updatedAt.toISOString() };
}

/** `PUT /inventory/policies/:sku`: what a shortage of the SKU does (null: nothing, the order waits). */
export async function setStockPolicy(fulfillment: Fulfillment, sku: string, request: SetStockPolicyRequest) {
  const now = fulfillment.clock.now();
  if (request.substituteSku === sku) throw new DomainError('unprocessable', 'SUBSTITUTE_IS_SAME_SKU', 'A SKU cannot substitute itself', [{ pointer: '/substituteSku', detail: 'same SKU' }]);
  const row = await fulfillment.db.$transaction(async (tx) => {
    const data = { policy: request.policy, substituteSku: request.substituteSku, updatedAt: now };
    const saved = await tx.stockPolicy.upsert({ where: { sku }, create: { sku, ...data }, update: data });
    await announceAvailability(tx, [sku], now);
    return saved;
  });
  return policyView(row);
}

/** `GET /inventory/policies`. */
export async function listStockPolicies(fulfillment: Fulfillment) {
  return (await fulfillment.db.stockPolicy.findMany({ orderBy: { sku: 'asc' } })).map(policyView);
}

function hubNotFound(hubId: string): DomainError {
  return new DomainError('not_found', 'HUB_NOT_FOUND', `No hub ${hubId}`);
}

/**
 * Demo hubs with stock of the demo SKUs (`SEED_DEMO_HUBS`, on for the local stack only), so the
 * README's orders ship from a hub. Fixed ids; a missing one is added, an existing one (and ops'
 * changes to it) is kept. At start-up rather than in a migration: migrations must leave every
 * table empty (test/integration/database-schemas.test.ts writes and reads back one row per table).
 */
export const DEMO_HUBS = [
  { id: 'hub-madrid', name: 'Madrid hub', country: 'ES', zone: 'EU', costPerItem: 120, costPerShipment: 400, priority: 0, stock: { 'TSHIRT-BLK-M': 50, 'MUG-WHT': 40, 'CHARGER-USB-C': 30 } },
  { id: 'hub-berlin', name: 'Berlin hub', country: 'DE', zone: 'EU', costPerItem: 150, costPerShipment: 400, priority: 0, stock: { 'TSHIRT-BLK-M': 30, 'MUG-WHT': 10, 'CHARGER-USB-C': 60 } },
  { id: 'hub-newark', name: 'Newark hub', country: 'US', zone: 'NA', costPerItem: 180, costPerShipment: 500, priority: 0, stock: { 'TSHIRT-BLK-M': 40, 'MUG-WHT': 25, 'CHARGER-USB-C': 40 } },
] as const;

export async function insertMissingDemoHubs(fulfillment: Pick<Fulfillment, 'db' | 'clock'>): Promise<number> {
  const now = fulfillment.clock.now();
  return fulfillment.db.$transaction(async (tx: Transaction) => {
    const existing = new Set((await tx.hub.findMany({ where: { id: { in: DEMO_HUBS.map((h) => h.id) } }, select: { id: true } })).map((h) => h.id));
    const missing = DEMO_HUBS.filter((hub) => !existing.has(hub.id));
    for (const { stock, ...hub } of missing) {
      await tx.hub.create({ data: { ...hub, createdAt: now, updatedAt: now } });
      await tx.hubStock.createMany({ data: Object.entries(stock).map(([sku, onHand]) => ({ hubId: hub.id, sku, onHand, updatedAt: now })) });
    }
    await announceAvailability(tx, missing.flatMap((hub) => Object.keys(hub.stock)), now);
    return missing.length;
  });
}
