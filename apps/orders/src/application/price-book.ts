import type { Actor } from '@platform/runtime/actor';
import type { PriceBookEntry, PriceBookEntryInput } from '@platform/contracts/api/orders';
import type { Database } from '../adapters/database';
import { listPriceBook, upsertPriceBookEntries } from '../adapters/price-book-repository';

/** The price book as the caller may read it: a customer sees no other customer's agreement prices. */
export async function readPriceBook(db: Database, filter: { sku?: string | undefined; currency?: string | undefined }, actor: Actor): Promise<PriceBookEntry[]> {
  const entries = await listPriceBook(db, filter);
  return actor.role === 'customer' ? entries.filter((e) => e.source !== 'PRICE_AGREEMENT' || e.customerId === actor.customerId) : entries;
}

/** Creates or replaces entries (by id), all or none. */
export async function putPriceBookEntries(db: Database, entries: readonly PriceBookEntryInput[], now: Date): Promise<PriceBookEntry[]> {
  return db.$transaction((tx) => upsertPriceBookEntries(tx, entries, now));
}
