import { Prisma } from '../generated/prisma/client';
import { afterEventsWritten, TransactionState } from '@platform/runtime/transaction-scope';
import type { Transaction } from '../adapters/database';
import { type DocumentKind, documentSeries } from '../domain/document-numbers';

/*
 * Gap-free numbers taken in the transaction's last statement (issue 9, docs/performance.md): the
 * counter row is locked from its increment to the commit, so a concurrent issue waits for one
 * statement and the commit rather than for the rest of the payment. Until then the document has
 * no number and its events carry the series' placeholder; once the events are written
 * (`afterEventsWritten`), one statement per document increments the counter, numbers the
 * document and puts the number into those events' outbox rows. A rollback still gives the number
 * back.
 */

interface Reservation {
  kind: DocumentKind;
  table: 'invoices' | 'credit_notes';
  id: string;
  issuedAt: Date;
  /** Outbox events (ids) whose `data.number` is the document's. */
  eventIds: string[];
}

/** The transaction's documents awaiting a number; the first one registers the final step that numbers them all. */
const reservations = new TransactionState('billing document numbering', (tx) => {
  const documents: Reservation[] = [];
  afterEventsWritten(tx, () => assignNumbers(tx as Transaction, documents));
  return documents;
});

/** The document will be numbered right before `tx` commits; returns the placeholder its events carry meanwhile. */
export function numberBeforeCommit(tx: Transaction, document: Omit<Reservation, 'eventIds'>): string {
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

/** Numbers each reserved document, one statement each, with the outbox rows of its events. */
async function assignNumbers(tx: Transaction, documents: readonly Reservation[]): Promise<void> {
  for (const document of documents) {
    const { sequence, prefix } = documentSeries(document.kind, document.issuedAt);
    const [numbered] = await tx.$queryRaw<Array<{ number: string }>>`
      WITH counter AS (
        INSERT INTO number_sequences (name, last_value) VALUES (${sequence}, 1)
        ON CONFLICT (name) DO UPDATE SET last_value = number_sequences.last_value + 1
        RETURNING last_value),
      issued AS (SELECT ${prefix} || CASE WHEN last_value > 999999 THEN last_value::text ELSE lpad(last_value::text, 6, '0') END AS number FROM counter),
      events AS (
        UPDATE outbox_events SET envelope = jsonb_set(envelope, '{data,number}', to_jsonb(issued.number))
        FROM issued WHERE outbox_events.id = ANY(${document.eventIds}::uuid[]))
      UPDATE ${Prisma.raw(document.table)} SET number = issued.number FROM issued WHERE id = ${document.id}::uuid
      RETURNING issued.number AS number`;
    if (!numbered) throw new Error(`${document.table} ${document.id} vanished before it was numbered`);
  }
}
