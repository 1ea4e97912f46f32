import { timelineEntryRecorded } from '@platform/contracts';
import type { TimelineEntry } from '@platform/contracts/api/timeline';
import type { Actor } from '@platform/runtime/actor';
import { newEvent, recordEvents } from '@platform/runtime/outbox';
import { beforeCommit, TransactionState } from '@platform/runtime/transaction-scope';
import { currentFlow, type FlowContext, runInFlow } from '@platform/runtime/context';
import type { Database, Transaction } from '../adapters/database';
import { getOrderRow } from '../adapters/order-repository';
import { insertTimelineEntries, listTimelineEntries } from '../adapters/timeline-repository';
import { assertMayAccess } from '../domain/actor';
import { timelineAudience } from '../domain/timeline';
import { SERVICE } from './dependencies';

/**
 * Adds entries to orders' timelines in the caller's transaction, each new one also recorded for
 * the TIMELINE stream (`timeline.<customer>.<order>`, what the gateway's live streams read): the
 * read model and the live stream cannot disagree. An entry already there is skipped, and one for
 * an order this service does not know (a fact another service states about it) adds nothing.
 *
 * The entries are written right before the commit, all of the transaction's in one statement, in
 * the order added: a consumer batch of notification outcomes pays one insert, not one per outcome
 * (docs/performance.md). Nothing reads an order's timeline inside the transaction that adds to it.
 */
export function addToTimeline(tx: Transaction, entries: readonly TimelineEntry[]): void {
  // The flow where each entry was added: its event carries that correlation, cause and trace.
  const flow = currentFlow();
  entriesToWrite.of(tx).push(...entries.map((entry) => ({ entry, flow })));
}

interface EntryToWrite {
  entry: TimelineEntry;
  flow: FlowContext | undefined;
}

const entriesToWrite = new TransactionState('order timeline entries', (tx) => {
  const entries: EntryToWrite[] = [];
  beforeCommit(tx, () => writeTimelineEntries(tx as Transaction, entries));
  return entries;
});

async function writeTimelineEntries(tx: Transaction, entries: readonly EntryToWrite[]): Promise<void> {
  // One entry per id: a second copy in the same statement would be counted as stored too.
  const byId = new Map(entries.map((added) => [added.entry.id, added]));
  const stored = await insertTimelineEntries(tx, [...byId.values()].map(({ entry }) => entry));
  for (const { entry, customerId } of stored) {
    const record = () =>
      recordEvents(tx, [
        newEvent(timelineEntryRecorded, { aggregateId: entry.orderId, source: SERVICE, occurredAt: new Date(entry.at), data: { customerId, entry } }),
      ]);
    const flow = byId.get(entry.id)?.flow;
    // Recorded in the entry's own flow (one recordEvents each): the events are written together later.
    await (flow ? runInFlow(flow, record) : record());
  }
}

/** `GET /orders/:id/timeline`: every kind of entry, in time order; a customer (or a page for one) reads theirs. */
export async function orderTimeline(db: Database, orderId: string, actor: Actor, audience: 'customer' | undefined) {
  const row = await getOrderRow(db, orderId);
  assertMayAccess(actor, row.customerId, row.id);
  return { orderId, entries: await listTimelineEntries(db, orderId, timelineAudience(actor, audience)) };
}
