import { Prisma } from '../generated/prisma/client';
import type { Subscription } from '@platform/runtime/consumer';
import { flushRecordedEvents } from '@platform/runtime/outbox';
import type { Transaction } from '../adapters/database';
import { type DocumentKind, documentSeries } from '../domain/document-numbers';

/*
 * Gap-free numbers taken in the transaction's last statement (issue 9, docs/performance.md):
 * the counter row is locked from its increment to the commit, so a concurrent issue waits for
 * one round trip rather than for the rest of the payment. Until then the document has no
 * number and its events carry the series' placeholder; the last statement increments the
 * counter, numbers the document and writes the number into those events. A rollback still
 * gives the number back.
 */

interface Reservation {
  kind: DocumentKind;
  table: 'invoices' | 'credit_notes';
  id: string;
  issuedAt: Date;
  /** Outbox events (ids) whose `data.number` is the document's. */
  eventIds: string[];
}

const reservations = new WeakMap<Transaction, Reservation[]>();

/** The document will be numbered by `assignNumbers` before `tx` commits; returns the placeholder its events carry meanwhile. */
export function numberBeforeCommit(tx: Transaction, document: Omit<Reservation, 'eventIds'>): string {
  const reserved = reservations.get(tx) ?? [];
  reservations.set(tx, reserved);
  if (!reserved.some((r) => r.id === document.id)) reserved.push({ ...document, eventIds: [] });
  return documentSeries(document.kind, document.issuedAt).placeholder;
}

/** The placeholder of a document awaiting its number in `tx`, else null. */
export function awaitingNumber(tx: Transaction, id: string): string | null {
  const reservation = reservations.get(tx)?.find((r) => r.id === id);
  return reservation ? documentSeries(reservation.kind, reservation.issuedAt).placeholder : null;
}

/** An event recorded with the placeholder: it gets the document's number with it. */
export function carriesNumberOf(tx: Transaction, id: string, eventId: string): void {
  reservations.get(tx)?.find((r) => r.id === id)?.eventIds.push(eventId);
}

/**
 * Numbers what `tx` reserved, one statement per document (events a consumer deferred are
 * written first, so they can be updated): call it last, right before the commit.
 */
export async function assignNumbers(tx: Transaction): Promise<void> {
  const reserved = reservations.get(tx);
  reservations.delete(tx);
  if (!reserved?.length) return;
  await flushRecordedEvents(tx);
  for (const document of reserved) {
    const { sequence, prefix } = documentSeries(document.kind, document.issuedAt);
    await tx.$executeRaw`
      WITH counter AS (
        INSERT INTO number_sequences (name, last_value) VALUES (${sequence}, 1)
        ON CONFLICT (name) DO UPDATE SET last_value = number_sequences.last_value + 1
        RETURNING last_value),
      issued AS (SELECT ${prefix} || CASE WHEN last_value > 999999 THEN last_value::text ELSE lpad(last_value::text, 6, '0') END AS number FROM counter),
      numbered AS (UPDATE ${Prisma.raw(document.table)} SET number = issued.number FROM issued WHERE id = ${document.id}::uuid)
      UPDATE outbox_events SET envelope = jsonb_set(envelope, '{data,number}', to_jsonb(issued.number))
      FROM issued WHERE outbox_events.id = ANY(${document.eventIds}::uuid[])`;
  }
}

/** Consumer handlers that number what they issued before their transaction commits. */
export function numberingBeforeCommit(subscriptions: readonly Subscription<Transaction>[]): Subscription<Transaction>[] {
  return subscriptions.map((subscription) => ({
    ...subscription,
    handle: async (event, tx) => {
      await subscription.handle(event, tx);
      await assignNumbers(tx);
    },
  }));
}
