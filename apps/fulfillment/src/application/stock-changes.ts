import { beforeCommit, TransactionState } from '@platform/runtime/transaction-scope';
import type { Transaction } from '../adapters/database';
import { applyStockDeltas, type StockDelta } from '../adapters/stock-rows';
import { announceAvailability } from './availability';

/*
 * A hub's stock row is the hottest row of the platform: every order of a SKU shipped from that hub
 * changes the same one, and a changed row stays locked until the commit. Changed in the middle of
 * an order's work, it stayed locked for all the rest of it: at 5 orders/s a reservation waited
 * 205–241 ms for the one before (pnpm bench --rate 5, docs/performance.md), so fulfilment
 * reserved one order at a time and fell behind. So an order's reservations, releases and
 * shipments change the stock as the transaction's last work (`beforeCommit`): one statement for
 * all its rows, locked in (hub, SKU) order, the availability they leave, then the commit. A
 * consumer's batch of several orders (a cancel, a delivery) thus takes the rows in one order too.
 * Restocks, rare and read back in the same transaction, change the rows at once, after locking
 * the SKUs' backorders (application/hubs.ts, `lockBackorders`): reservations, then stock, in
 * every transaction.
 */

interface PendingChanges {
  deltas: Map<string, StockDelta>;
  now: Date;
}

const pending = new TransactionState<PendingChanges>('fulfillment stock changes', (tx) => {
  const changes: PendingChanges = { deltas: new Map(), now: new Date(0) };
  beforeCommit(tx, () => applyChanges(tx as Transaction, changes));
  return changes;
});

/**
 * Changes a hub's stock of a SKU when `tx` commits. A change with `free` units refuses to apply
 * unless that many are free then: the whole transaction rolls back (its caller's retry routes
 * again from what is left).
 */
export function changeStockAtCommit(tx: Transaction, change: StockDelta, now: Date): void {
  const changes = pending.of(tx);
  const key = `${change.hubId}\u0000${change.sku}`;
  const sum = changes.deltas.get(key);
  changes.deltas.set(
    key,
    sum ? { ...sum, reserved: sum.reserved + change.reserved, onHand: sum.onHand + change.onHand, free: sum.free + change.free } : { ...change },
  );
  if (now > changes.now) changes.now = now;
}

async function applyChanges(tx: Transaction, changes: PendingChanges): Promise<void> {
  const deltas = [...changes.deltas.values()];
  if (deltas.length === 0) return;
  const refused = await applyStockDeltas(tx, deltas, changes.now);
  if (refused.length > 0) {
    throw new Error(`stock of ${refused.map((r) => `${r.sku} at ${r.hubId}`).join(', ')} changed while reserving; will retry`);
  }
  // Free units are on hand minus reserved: a shipment takes both and leaves them as they were.
  await announceAvailability(tx, deltas.filter((d) => d.onHand !== d.reserved).map((d) => d.sku), changes.now);
}
