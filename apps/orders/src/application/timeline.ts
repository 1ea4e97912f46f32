import { timelineEntryRecorded } from '@platform/contracts';
import type { TimelineEntry } from '@platform/contracts/api/timeline';
import type { Actor } from '@platform/runtime/actor';
import { newEvent, recordEvents } from '@platform/runtime/outbox';
import type { Database, Transaction } from '../adapters/database';
import { getOrderRow } from '../adapters/order-repository';
import { customerOfOrder, insertTimelineEntries, listTimelineEntries } from '../adapters/timeline-repository';
import { assertMayAccess } from '../domain/actor';
import { timelineAudience } from '../domain/timeline';
import { SERVICE } from './dependencies';

/**
 * Adds entries to an order's timeline in the caller's transaction, each new one also recorded
 * for the TIMELINE stream (`timeline.<customer>.<order>`, what the gateway's live streams read):
 * the read model and the live stream cannot disagree. An entry already there is skipped.
 */
export async function addToTimeline(tx: Transaction, customerId: string, entries: readonly TimelineEntry[]): Promise<void> {
  const added = await insertTimelineEntries(tx, customerId, entries);
  await recordEvents(
    tx,
    added.map((entry) => newEvent(timelineEntryRecorded, { aggregateId: entry.orderId, source: SERVICE, occurredAt: new Date(entry.at), data: { customerId, entry } })),
  );
}

/** For a fact another service states about an order: its customer is looked up; an unknown order adds nothing. */
export async function addToOrderTimeline(tx: Transaction, entry: TimelineEntry): Promise<void> {
  const customerId = await customerOfOrder(tx, entry.orderId);
  if (customerId !== null) await addToTimeline(tx, customerId, [entry]);
}

/** `GET /orders/:id/timeline`: every kind of entry, in time order; a customer (or a page for one) reads theirs. */
export async function orderTimeline(db: Database, orderId: string, actor: Actor, audience: 'customer' | undefined) {
  const row = await getOrderRow(db, orderId);
  assertMayAccess(actor, row.customerId, row.id);
  return { orderId, entries: await listTimelineEntries(db, orderId, timelineAudience(actor, audience)) };
}
