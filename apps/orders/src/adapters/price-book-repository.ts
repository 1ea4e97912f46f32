import { randomUUID } from 'node:crypto';
import type { PriceBookEntry, PriceBookEntryInput } from '@platform/contracts/api/orders';
import type { Prisma } from '../generated/prisma/client';
import type { SkuAvailability } from '../domain/availability';
import type { PriceCandidate } from '../domain/price-resolution';
import type { Database, Transaction } from './database';

type Client = Database | Transaction;
type Row = Prisma.PriceBookEntryGetPayload<object>;

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

type PriceCandidateJson = Omit<PriceCandidate, 'validFrom' | 'validTo'> & { validFrom: string | null; validTo: string | null };
type StockJson = Omit<SkuAvailability, 'restockExpectedAt'> & { restockExpectedAt: string | null };

const date = (value: string | null) => (value === null ? null : new Date(value));

/**
 * What pricing and the stock check read, in one statement: fulfillment's last report for each of
 * `stockSkus` (a SKU none reported is not there), and every price book entry in `currency` that
 * could price `skus` or a substitute those reports name; the domain picks the winners.
 */
export async function findPricesAndStock(
  db: Client,
  { skus, stockSkus, currency }: { skus: readonly string[]; stockSkus: readonly string[]; currency: string },
): Promise<{ candidates: PriceCandidate[]; stock: Map<string, SkuAvailability> }> {
  const [row] = await db.$queryRaw<{ stock: StockJson[]; candidates: PriceCandidateJson[] }[]>`
    WITH stock AS (SELECT * FROM stock_availability WHERE sku = ANY(${[...stockSkus]}::text[]))
    SELECT
      (SELECT coalesce(json_agg(json_build_object('sku', a.sku, 'available', a.available, 'policy', a.policy,
         'substituteSku', a.substitute_sku, 'restockExpectedAt', a.restock_expected_at)), '[]') FROM stock a) AS stock,
      (SELECT coalesce(json_agg(json_build_object('id', p.id, 'sku', p.sku, 'variantId', p.variant_id, 'source', p.source,
         'region', p.region, 'customerId', p.customer_id, 'currency', p.currency, 'unitPrice', p.unit_price,
         'validFrom', p.valid_from, 'validTo', p.valid_to)), '[]')
       FROM price_book_entries p
       WHERE p.currency = ${currency}
         AND p.sku = ANY(${[...skus]}::text[] || ARRAY(SELECT substitute_sku FROM stock WHERE substitute_sku IS NOT NULL))) AS candidates`;
  const { stock, candidates } = row!;
  return {
    candidates: candidates.map((entry) => ({ ...entry, validFrom: date(entry.validFrom), validTo: date(entry.validTo) })),
    stock: new Map(stock.map((entry) => [entry.sku, { ...entry, restockExpectedAt: date(entry.restockExpectedAt) }])),
  };
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
