import { randomUUID } from 'node:crypto';
import type { PriceBookEntry, PriceBookEntryInput } from '@platform/contracts/api/orders';
import type { Prisma } from '../generated/prisma/client';
import type { PriceCandidate } from '../domain/price-resolution';
import type { Database, Transaction } from './database';

type Client = Database | Transaction;
type Row = Prisma.PriceBookEntryGetPayload<object>;

function toCandidate(row: Row): PriceCandidate {
  return { ...row, source: row.source as PriceCandidate['source'] };
}

function toEntry(row: Row): PriceBookEntry {
  return {
    id: row.id,
    sku: row.sku,
    variantId: row.variantId,
    source: row.source as PriceBookEntry['source'],
    region: row.region,
    customerId: row.customerId,
    currency: row.currency,
    unitPrice: row.unitPrice,
    validFrom: row.validFrom?.toISOString() ?? null,
    validTo: row.validTo?.toISOString() ?? null,
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Every entry that could price these SKUs in this currency; the domain picks the winner. */
export async function findPriceCandidates(db: Client, skus: readonly string[], currency: string): Promise<PriceCandidate[]> {
  const rows = await db.priceBookEntry.findMany({ where: { sku: { in: [...new Set(skus)] }, currency } });
  return rows.map(toCandidate);
}

export async function listPriceBook(db: Client, filter: { sku?: string | undefined; currency?: string | undefined }): Promise<PriceBookEntry[]> {
  const rows = await db.priceBookEntry.findMany({
    where: { ...(filter.sku && { sku: filter.sku }), ...(filter.currency && { currency: filter.currency }) },
    orderBy: [{ sku: 'asc' }, { source: 'asc' }, { createdAt: 'asc' }],
  });
  return rows.map(toEntry);
}

function toData(entry: PriceBookEntryInput, now: Date) {
  return {
    sku: entry.sku,
    variantId: entry.variantId,
    source: entry.source,
    region: entry.region,
    customerId: entry.customerId,
    currency: entry.currency,
    unitPrice: entry.unitPrice,
    validFrom: entry.validFrom ? new Date(entry.validFrom) : null,
    validTo: entry.validTo ? new Date(entry.validTo) : null,
    updatedAt: now,
  };
}

/** Creates or replaces entries (by id). Existing order items keep their snapshots. */
export async function upsertPriceBookEntries(tx: Transaction, entries: readonly PriceBookEntryInput[], now: Date): Promise<PriceBookEntry[]> {
  const saved: PriceBookEntry[] = [];
  for (const entry of entries) {
    const id = entry.id ?? randomUUID();
    const data = toData(entry, now);
    const row = await tx.priceBookEntry.upsert({ where: { id }, create: { id, ...data, createdAt: now }, update: data });
    saved.push(toEntry(row));
  }
  return saved;
}

/** Inserts entries that are missing (by id), leaving any an admin changed as they are. */
export async function insertMissingPriceBookEntries(db: Database, entries: readonly (PriceBookEntryInput & { id: string })[], now: Date): Promise<number> {
  const { count } = await db.priceBookEntry.createMany({
    data: entries.map((entry) => ({ id: entry.id, ...toData(entry, now), createdAt: now })),
    skipDuplicates: true,
  });
  return count;
}
