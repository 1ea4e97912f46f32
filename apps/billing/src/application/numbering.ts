import { Prisma } from '../generated/prisma/client';
import { afterEventsWritten, TransactionState } from '@platform/runtime/transaction-scope';
import type { Transaction } from '../adapters/database';
import { type DocumentKind, documentSeries } from '../domain/document-numbers';

/*
 * Gap-free numbers taken in the COMMIT (issue 9, docs/performance.md): until then the document
 * has no number and its events carry the series' placeholder. Once the events are written
 * (`afterEventsWritten`), one statement per document sets its `numbering` request (series,
 * prefix, the outbox events that carry the number), without locking the counter; PostgreSQL's
 * deferred trigger (migration 20261207110000_number_documents_at_commit) then increments the
 * counter, numbers the document and puts the number into those events' outbox rows while it
 * commits. The counter's row is locked for the commit alone: a concurrent issue no longer waits
 * for the round trips of this service's last statement and COMMIT, slow when its event loop is
 * busy. A rollback, also of the commit, gives the number back.
 */

interface Reservation {
  kind: DocumentKind;
  table: 'invoices' | 'credit_notes';
  id: string;
  issuedAt: Date;
  /** Outbox events (ids) whose `data.number` is the document's. */
  eventIds: string[];
}

/** The transaction's documents awaiting a number; the first one registers the last step that asks for them all. */
const reservations = new TransactionState('billing document numbering', (tx) => {
  const documents: Reservation[] = [];
  afterEventsWritten(tx, () => requestNumbers(tx as Transaction, documents));
  return documents;
});

/** The document will be numbered as `tx` commits; returns the placeholder its events carry meanwhile. */
export function numberAtCommit(tx: Transaction, document: Omit<Reservation, 'eventIds'>): string {
  const reserved = reservations.of(tx);
  if (!reserved.some((r) => r.id === document.id)) reserved.push({ ...document, eventIds: [] });
  return documentSeries(document.kind, document.issuedAt).placeholder;
}

/** The placeholder of a document awaiting its number in `tx`, else null. */
export function awaitingNumber(tx: Transaction, id: string): string | null {
  const reservation = reservations.peek(tx)?.find((r) => r.id === id);
  return reservation ? documentSeries(reservation.kind, reservation.issuedAt).placeholder : null;
}

/** An event recorded with the placeholder: it gets the document's number with it. */
export function carriesNumberOf(tx: Transaction, id: string, eventId: string): void {
  reservations.peek(tx)?.find((r) => r.id === id)?.eventIds.push(eventId);
}

/** Asks for each reserved document's number, one statement each: the COMMIT numbers them, in this order. */
async function requestNumbers(tx: Transaction, documents: readonly Reservation[]): Promise<void> {
  for (const document of documents) {
    const { sequence, prefix } = documentSeries(document.kind, document.issuedAt);
    const request = JSON.stringify({ sequence, prefix, eventIds: document.eventIds });
    const asked = await tx.$executeRaw`UPDATE ${Prisma.raw(document.table)} SET numbering = ${request}::jsonb WHERE id = ${document.id}::uuid AND number IS NULL`;
    if (asked !== 1) throw new Error(`${document.table} ${document.id} vanished or was numbered before its number was asked for`);
  }
}
