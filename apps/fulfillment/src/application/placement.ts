import { createHash } from 'node:crypto';
import { newEvent, recordEvent } from '@platform/runtime/outbox';
import { cancelTimer, scheduleTimer } from '@platform/runtime/timers';
import { SUPPLIERS, type SupplierName, type SupplierSource, supplierOrderChanged } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { onBehalfOf } from '../adapters/supplier-call-log';
import { selectAttemptSupplierOrders, updateSupplierOrder, upsertSupplierOrder } from '../adapters/supplier-order-rows';
import { type SupplierOrderStatus, SupplierUnavailableError } from '../adapters/suppliers/supplier-client';
import type { OrderLine, PartFailure, WorkflowContext, WorkflowEvent, WorkflowSnapshot } from '../domain/order-workflow';
import { groupBySupplier, nextPollIntervalMs, placementLines, planReroute } from '../domain/supplier-placement';
import type { SupplierOrder } from '../generated/prisma/client';
import { type Fulfillment, SERVICE, TIMER_KINDS } from './context';
import { confirmReservations, ensureReservations, reserveAtHubs } from './inventory';
import { closeSupplierOverdueTask, openSupplierCancellationTask, openSupplierOverdueTask, pastShippingDeadline, settleCancellationIfClear, shippingDeadline } from './ops-tasks';
import { cancelItems, withVendors } from './progress';
import { recordShipment } from './shipments';
import { rerouteOptions, supplierFailureMode } from './source-policies';
import { loadWorkflow } from './workflow-store';
import { scheduleSupplierPoll, sendWorkflowEvent } from './workflows';

/** Supplier orders that exist at the supplier and are not finished. */
export const LIVE = ['placed', 'confirmed'];
/** Supplier orders whose part is still going (live, or shipped). */
const GOING = [...LIVE, 'shipped'];

/**
 * The same reference on every attempt of the same placement (a timer retried after the
 * supplier was unavailable): the supplier recognises the order it may already have. A re-routed
 * part names the failed supplier order it replaces, so it is a reference of its own.
 */
export function supplierOrderReference(orderId: string, supplier: SupplierName, attempt: number, replaces: string | null = null): string {
  const name = `fulfillment/supplier-order/${orderId}/${supplier}/${attempt}${replaces ? `/${replaces}` : ''}`;
  const bytes = createHash('sha1').update(name).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Records `order`'s new status (`fulfillment.supplier_order.changed`); a status that ends an overdue task about it closes that task. */
export async function supplierOrderEvent(
  tx: Transaction,
  order: { id: string; orderId: string; supplier: string; externalOrderId: string | null },
  status: 'placed' | 'confirmed' | 'rejected' | 'shipped' | 'cancelled' | 'cancellation_pending',
  reason: string | null,
  now: Date,
): Promise<void> {
  await recordEvent(
    tx,
    newEvent(supplierOrderChanged, {
      aggregateId: order.orderId,
      source: SERVICE,
      occurredAt: now,
      data: {
        orderId: order.orderId,
        supplierOrderId: order.id,
        supplier: order.supplier as SupplierName,
        externalOrderId: order.externalOrderId,
        status,
        reason,
        at: now.toISOString(),
      },
    }),
  );
  await closeSupplierOverdueTask(tx, order, status, now);
}

/**
 * Places `lines` at `supplier` (an outbound call, under the caller's workflow row lock) and
 * stores the supplier order, placed or rejected, with its `fulfillment.supplier_order.changed`.
 * `SupplierUnavailableError` propagates: the transaction rolls back and the timer retries.
 */
export async function placeAtSupplier(
  tx: Transaction,
  fulfillment: Fulfillment,
  context: WorkflowContext,
  part: { supplier: SupplierName; lines: OrderLine[]; replaces: string | null },
  now: Date,
): Promise<SupplierOrder> {
  const { orderId, order } = context;
  const attempt = context.retryCount + 1;
  const id = supplierOrderReference(orderId, part.supplier, attempt, part.replaces);
  const items = part.lines.map(({ sku, variantId, name, quantity }) => ({ sku, variantId, name, quantity }));
  const result = await onBehalfOf(orderId, () =>
    fulfillment.suppliers[part.supplier].placeOrder({
      reference: id,
      orderId,
      items,
      shippingAddress: order.shippingAddress,
      customer: { name: order.customer.name, email: order.customer.email, ...(order.customer.phone && { phone: order.customer.phone }) },
    }),
  );
  const placed = result.outcome === 'placed';
  const row = {
    id,
    orderId,
    supplier: part.supplier,
    attempt,
    status: placed ? 'placed' : 'rejected',
    externalOrderId: placed ? result.externalOrderId : null,
    // Kept with their vendor (the supplier is not told): two vendors may sell one SKU, and its parcel's units must count for each.
    items: part.lines.map(({ sku, variantId, name, quantity, vendorId }) => ({ sku, variantId, name, quantity, vendorId })),
    reason: placed ? null : result.reason,
    replaces: part.replaces,
    createdAt: now,
    updatedAt: now,
  };
  const stored = await upsertSupplierOrder(tx, row);
  await supplierOrderEvent(tx, row, placed ? 'placed' : 'rejected', row.reason, now);
  return stored;
}

/**
 * `fulfillment.place-supplier-orders`: runs after the transition to processing committed.
 * Holds the workflow row lock across the supplier calls, so a cancel arriving meanwhile
 * waits and then sees (and cancels) what was placed. Places what is left to place
 * (`placementLines`: a retry skips refunded parts and follows re-routed ones). Every source
 * refused → FAIL with the reasons (the failed state cancels nothing more and retries); some
 * accepted, or hub stock reserved → PLACE_ORDER, and each refusing source fails alone
 * (`failPart`: refunded or re-routed). `SupplierUnavailableError` propagates: the transaction
 * rolls back and the timer retries with backoff, placing again under the same references.
 */
export async function placeSupplierOrders(tx: Transaction, fulfillment: Fulfillment, orderId: string, now: Date): Promise<void> {
  const workflow = await loadWorkflow(tx, fulfillment, orderId, { lock: true });
  // Only while the workflow waits for this placement (a cancel may have come first).
  if (!workflow?.snapshot.can({ type: 'PLACE_ORDER' })) return;
  const { context } = workflow.snapshot;

  const stock = await ensureReservations(tx, fulfillment, context, now);
  if (!stock.ok) {
    await sendWorkflowEvent(tx, fulfillment, orderId, { type: 'FAIL', error: stock.reason });
    return;
  }

  const lines = placementLines(context.order.items, context.failedParts);
  const groups = groupBySupplier(lines);
  const outcomes: SupplierOrder[] = [];
  for (const group of groups) outcomes.push(await placeAtSupplier(tx, fulfillment, context, { supplier: group.supplier, lines: group.items, replaces: null }, now));

  const refused = outcomes.filter((o) => o.status === 'rejected');
  const hubPart = lines.some((line) => line.supplierSource === 'own_stock');
  if (refused.length > 0 && refused.length === outcomes.length && !hubPart) {
    const reasons = refused.map((o) => `${o.supplier}: ${o.reason}`).join('; ');
    await sendWorkflowEvent(tx, fulfillment, orderId, { type: 'FAIL', error: `Supplier rejected the order (${reasons})` });
    return;
  }
  await confirmReservations(tx, orderId, now);
  await sendWorkflowEvent(tx, fulfillment, orderId, { type: 'PLACE_ORDER', ...(groups.length > 0 && { supplierId: groups.map((g) => g.supplier).join(',') }) });
  for (const order of refused) await failPart(tx, fulfillment, order, { cause: 'refused', reason: order.reason ?? 'rejected by the supplier' }, now);
  // Without a refusal the outcomes are the attempt's supplier orders; a failed part may have been placed anew elsewhere.
  await moveOnWithAnswers(tx, fulfillment, orderId, refused.length === 0 ? outcomes : await selectAttemptSupplierOrders(tx, orderId, context.retryCount + 1));
}

/**
 * Tells the workflow what the parts still going have answered, as far as it waits for it:
 * SUPPLIER_CONFIRMED once each supplier order of the attempt that did not fail is confirmed or
 * shipped (hub stock counts as confirmed at once), then TRACKING_RECEIVED for a supplier parcel
 * that left. Later news (a second parcel) is in the shipments. `orders`: the attempt's supplier
 * orders as they stand in this transaction (the caller has them, or reads them for this).
 */
async function moveOnWithAnswers(tx: Transaction, fulfillment: Fulfillment, orderId: string, orders: SupplierOrder[]): Promise<void> {
  let workflow = await loadWorkflow(tx, fulfillment, orderId);
  if (!workflow) return;
  const attempt = workflow.snapshot.context.retryCount + 1;
  const going = orders.filter((o) => GOING.includes(o.status));
  if (going.some((o) => o.status === 'placed')) return;
  const ids =
    going.length > 0
      ? going.map((o) => o.externalOrderId)
      : (await tx.fulfillmentOrder.findMany({ where: { orderId, attempt, status: 'awaiting_shipment' }, select: { id: true } })).map((o) => o.id);
  const confirmed: WorkflowEvent = { type: 'SUPPLIER_CONFIRMED', supplierOrderId: ids.join(',') };
  if (workflow.snapshot.can(confirmed)) {
    workflow = { ...workflow, snapshot: (await sendWorkflowEvent(tx, fulfillment, orderId, confirmed)).step.snapshot };
    // Entering supplier_confirmed starts polling where the attempt has a supplier part
    // (`startSupplierPolling`); with none of its supplier orders live there is nothing to poll.
    if (!going.some((o) => LIVE.includes(o.status))) await cancelTimer(tx, TIMER_KINDS.supplierPoll, orderId);
  }
  const shipped = going.find((o) => o.status === 'shipped');
  if (!shipped) return;
  const tracking: WorkflowEvent = { type: 'TRACKING_RECEIVED', trackingNumber: shipped.trackingNumber!, carrier: shipped.carrier };
  if (workflow.snapshot.can(tracking)) await sendWorkflowEvent(tx, fulfillment, orderId, tracking);
}

/**
 * `fulfillment.supplier-poll`: asks each live supplier order for its status. Confirmed →
 * recorded; refused or cancelled by the supplier → that part fails alone (`failPart`); shipped
 * with a tracking number → a shipment, `fulfillment.shipment.shipped` and TRACKING_RECEIVED
 * (when the workflow waits for it); without one yet → confirmed; with the number of one of the
 * order's hub parcels → not believed (confirmed if it was only placed) and asked again at the
 * next poll (`recordShipment`).
 * Supplier orders unanswered past `SUPPLIER_TIMEOUT_MS` fail alone while something else goes on
 * (`timeOutUnanswered`). Every part still going answered →
 * SUPPLIER_CONFIRMED. A supplier that does not answer is asked again at the next poll; polling
 * goes on while a supplier order is live, also after another parcel was delivered (the workflow
 * is delivered only once every unit is), and stops once none is. Polls back off while nothing
 * changes (`nextPollIntervalMs`): `previousIntervalMs` is the wait that led to this poll.
 */
export async function pollSupplierOrders(tx: Transaction, fulfillment: Fulfillment, orderId: string, now: Date, previousIntervalMs: number | null): Promise<void> {
  const workflow = await loadWorkflow(tx, fulfillment, orderId, { lock: true });
  if (!workflow?.snapshot.hasTag('polled')) return;
  const attempt = workflow.snapshot.context.retryCount + 1;
  const orders = await selectAttemptSupplierOrders(tx, orderId, attempt);

  const refused: Array<{ order: SupplierOrder; reason: string }> = [];
  let changed = false;
  for (const order of orders) {
    if (!LIVE.includes(order.status) || !order.externalOrderId) continue;
    const externalOrderId = order.externalOrderId;
    let status: SupplierOrderStatus;
    try {
      status = await onBehalfOf(orderId, () => fulfillment.suppliers[order.supplier as SupplierName].getOrderStatus(externalOrderId));
    } catch (error) {
      if (!(error instanceof SupplierUnavailableError)) throw error;
      fulfillment.log.warn({ err: error, orderId, supplier: order.supplier }, 'supplier status unavailable; asking again at the next poll');
      await escalateIfOverdue(tx, fulfillment, order, null, now);
      continue;
    }
    // A parcel whose number is one of the order's hub parcels is not believed; the supplier has the order, though.
    let disbelieved = false;
    if ((status.status === 'shipped' || status.status === 'delivered') && status.trackingNumber) {
      const { trackingNumber, carrier } = status;
      const parcel = {
        orderId,
        source: order.supplier as SupplierName,
        supplierOrderId: order.id,
        fulfillmentOrderId: null,
        trackingNumber,
        carrier,
        address: workflow.snapshot.context.order.shippingAddress,
        items: withVendors(order.items as Array<{ sku: string; quantity: number }>, workflow.snapshot.context.order.items),
        now,
      };
      const recorded = await recordShipment(tx, fulfillment, parcel, async () => {
        await updateSupplierOrder(tx, order.id, { status: 'shipped', trackingNumber, carrier }, now);
        await supplierOrderEvent(tx, order, 'shipped', null, now);
        Object.assign(order, { status: 'shipped', trackingNumber, carrier });
      });
      if (recorded) {
        changed = true;
        continue;
      }
      disbelieved = true;
      fulfillment.log.warn(
        { orderId, supplier: order.supplier, externalOrderId, trackingNumber },
        "supplier reported the tracking number of one of the order's hub parcels; not recorded as shipped, asking again at the next poll",
      );
    }
    // Shipped but no tracking number yet: the supplier has the order; the number comes at a later poll.
    const numberToCome = (status.status === 'shipped' || status.status === 'delivered') && !status.trackingNumber;
    if (numberToCome) fulfillment.log.warn({ orderId, supplier: order.supplier, externalOrderId, status: status.status }, 'supplier reports its part shipped without a tracking number; asking again at the next poll');
    if ((status.status === 'confirmed' || disbelieved || numberToCome) && order.status === 'placed') {
      await updateSupplierOrder(tx, order.id, { status: 'confirmed' }, now);
      await supplierOrderEvent(tx, order, 'confirmed', null, now);
      order.status = 'confirmed';
      changed = true;
    } else if (status.status === 'rejected' || status.status === 'cancelled') {
      const reason = status.reason ?? `${status.status} by the supplier`;
      await updateSupplierOrder(tx, order.id, { status: 'rejected', reason }, now);
      await supplierOrderEvent(tx, order, 'rejected', reason, now);
      order.status = 'rejected';
      changed = true;
      refused.push({ order, reason });
    }
    await escalateIfOverdue(tx, fulfillment, order, { status, disbelieved }, now);
  }

  for (const { order, reason } of refused) await failPart(tx, fulfillment, order, { cause: 'refused', reason }, now);
  const timedOut = await timeOutUnanswered(tx, fulfillment, orderId, orders, now);
  if (timedOut === 'alone') changed = true;
  // The last part going is silent after the workflow moved on (a re-routed order placed after the
  // others answered, and they failed since): cancelled at its supplier, then failed as a refusal would.
  // Before that (placed_with_supplier) the machine's delay times the order out.
  if (timedOut === 'whole' && !awaitsConfirmation((await loadWorkflow(tx, fulfillment, orderId))!.snapshot)) {
    const silent = await tx.supplierOrder.findMany({ where: { orderId, attempt, status: 'placed' } });
    for (const order of silent) await cancelAtSupplier(tx, fulfillment, order, now);
    await sendWorkflowEvent(tx, fulfillment, orderId, { type: 'SUPPLIER_REJECTED', reason: noAnswer(fulfillment, silent.map((o) => o.supplier).join(', ')) });
  }
  // The poll's own list is what the rows hold, unless a part failed: a re-route places supplier
  // orders anew, a timeout cancels some. Reading them again at every poll, with the overdue ones and
  // a count of the live ones, was three statements a poll (docs/performance.md, twentieth round).
  const standing = refused.length === 0 && timedOut === 'none' ? orders : await selectAttemptSupplierOrders(tx, orderId, attempt);
  await moveOnWithAnswers(tx, fulfillment, orderId, standing);

  // Read again: events parked for this order may have moved it further.
  const after = await loadWorkflow(tx, fulfillment, orderId);
  if (after?.snapshot.hasTag('polled') && standing.some((o) => LIVE.includes(o.status))) {
    await scheduleSupplierPoll(tx, fulfillment, orderId, now, nextPollIntervalMs(fulfillment.settings.supplierPoll, previousIntervalMs, changed));
  }
}

/**
 * A supplier order still `confirmed` past the shipping deadline (the supplier has it but no
 * parcel of its own has left) gets an ops task, once (`openSupplierOverdueTask`); the poll goes on.
 * Placed ones are the supplier timeout's. Decided in memory first: an order within its deadline
 * costs no statement.
 */
async function escalateIfOverdue(
  tx: Transaction,
  fulfillment: Fulfillment,
  order: SupplierOrder,
  answer: { status: SupplierOrderStatus; disbelieved: boolean } | null,
  now: Date,
): Promise<void> {
  if (order.status !== 'confirmed' || !pastShippingDeadline(fulfillment, order, now)) return;
  const lastAnswer = !answer
    ? 'its API did not answer the last status request'
    : answer.disbelieved
      ? `it reports tracking number ${answer.status.trackingNumber}, one of the order's own parcels, and none of its own`
      : (answer.status.status === 'shipped' || answer.status.status === 'delivered') && !answer.status.trackingNumber
        ? `it reports the order ${answer.status.status} but gives no tracking number`
        : `it answers ${answer.status.status}`;
  const reason = `${order.supplier} has not shipped its part within ${shippingDeadline(fulfillment)} of placement (order ${order.externalOrderId}); ${lastAnswer}`;
  await openSupplierOverdueTask(tx, fulfillment, order, reason, now);
}

/**
 * `fulfillment.supplier-timeout` (the machine's 24 h delay in placed_with_supplier): the supplier
 * orders still unanswered fail alone when another part goes on; when none does, the whole order
 * times out as designed (the delay's event: failed, no automatic retry). While the workflow still
 * waits for a supplier order placed later (a re-routed part), the delay is armed again for that
 * order's own deadline.
 */
export async function supplierTimeoutElapsed(tx: Transaction, fulfillment: Fulfillment, orderId: string, now: Date, event: string): Promise<void> {
  const locked = await loadWorkflow(tx, fulfillment, orderId, { lock: true });
  if (!locked) return;
  const attempt = locked.snapshot.context.retryCount + 1;
  const outcome = await timeOutUnanswered(tx, fulfillment, orderId, await selectAttemptSupplierOrders(tx, orderId, attempt), now);
  if (outcome === 'whole') {
    await sendWorkflowEvent(tx, fulfillment, orderId, { type: event });
    return;
  }
  if (outcome === 'alone') await moveOnWithAnswers(tx, fulfillment, orderId, await selectAttemptSupplierOrders(tx, orderId, attempt));
  const workflow = await loadWorkflow(tx, fulfillment, orderId);
  if (!workflow || !awaitsConfirmation(workflow.snapshot)) return;
  const next = await tx.supplierOrder.findFirst({ where: { orderId, attempt: workflow.snapshot.context.retryCount + 1, status: 'placed' }, orderBy: { createdAt: 'asc' } });
  if (next) {
    const fireAt = new Date(next.createdAt.getTime() + fulfillment.settings.supplierTimeoutMs);
    await scheduleTimer(tx, { kind: TIMER_KINDS.supplierTimeout, key: orderId, fireAt, payload: { event } });
  }
}

/** placed_with_supplier: the machine's own delay times the whole order out there. */
const awaitsConfirmation = (snapshot: WorkflowSnapshot) => snapshot.can({ type: 'SUPPLIER_CONFIRMED', supplierOrderId: '' });

/**
 * The per-supplier-order timeout: each supplier order of the attempt still only `placed`
 * `SUPPLIER_TIMEOUT_MS` after it was placed is cancelled at its supplier and fails alone
 * (`failPart`, cause timeout), provided another part goes on (answered, within its own time, or
 * hub stock): `alone`. `whole` when nothing else goes on (nothing done: the order times out),
 * `none` when nothing is overdue. `orders`: the attempt's supplier orders as they stand in this
 * transaction (one placed anew in it is not overdue).
 */
async function timeOutUnanswered(tx: Transaction, fulfillment: Fulfillment, orderId: string, orders: SupplierOrder[], now: Date): Promise<'none' | 'alone' | 'whole'> {
  const workflow = await loadWorkflow(tx, fulfillment, orderId);
  if (!workflow?.snapshot.hasTag('polled')) return 'none';
  const attempt = workflow.snapshot.context.retryCount + 1;
  const deadline = now.getTime() - fulfillment.settings.supplierTimeoutMs;
  const overdue = orders.filter((o) => o.status === 'placed' && o.createdAt.getTime() <= deadline);
  if (overdue.length === 0) return 'none';
  if (!(await partsGoingOn(tx, orderId, attempt, overdue.map((o) => o.id)))) return 'whole';
  for (const order of overdue) {
    await cancelAtSupplier(tx, fulfillment, order, now);
    await failPart(tx, fulfillment, order, { cause: 'timeout', reason: noAnswer(fulfillment, order.supplier) }, now);
  }
  return 'alone';
}

const noAnswer = (fulfillment: Fulfillment, supplier: string) => `No answer from ${supplier} within ${Math.round(fulfillment.settings.supplierTimeoutMs / 3_600_000)} h`;

/** Whether any part of the attempt other than `except` is still going: a supplier order not failed, or a hub fulfillment order not cancelled. */
async function partsGoingOn(tx: Transaction, orderId: string, attempt: number, except: string[]): Promise<boolean> {
  const [suppliers, hubs] = await Promise.all([
    tx.supplierOrder.count({ where: { orderId, attempt, status: { in: GOING }, id: { notIn: except } } }),
    tx.fulfillmentOrder.count({ where: { orderId, attempt, status: { not: 'cancelled' } } }),
  ]);
  return suppliers + hubs > 0;
}

/**
 * One source's part failed (the supplier refused at placement or later, or never answered) —
 * docs/requirements.md#ful-05-mixed-sources. While another part goes on, only its units fail:
 * under the ops policy (`supplier-failure`) they are refunded (`cancelItems`:
 * `fulfillment.items.cancelled`), or re-routed (hub stock reserved as a hub fulfillment order,
 * or a supplier order at a supplier declared for the SKU), refunded where no source has them;
 * PART_FAILED records where each unit went (history row). A re-routed order the new supplier
 * refuses at once fails the same way. When nothing else goes on, the refusal is the whole
 * order's, as before: SUPPLIER_REJECTED (failed, retried while allowed).
 */
async function failPart(
  tx: Transaction,
  fulfillment: Fulfillment,
  failed: SupplierOrder,
  failure: { cause: PartFailure['cause']; reason: string },
  now: Date,
): Promise<void> {
  const workflow = await loadWorkflow(tx, fulfillment, failed.orderId);
  if (!workflow?.snapshot.hasTag('polled')) return;
  const { context } = workflow.snapshot;
  const { orderId } = context;
  const source = failed.supplier as SupplierName;
  const lines = orderLinesOf(context, failed);
  const mode = await supplierFailureMode(tx);
  const moves =
    mode === 'reroute'
      ? planReroute(lines, context.failedParts, source, await rerouteOptions(tx, lines.map((l) => l.sku), now))
      : lines.map(({ sku, variantId, quantity }) => ({ sku, variantId, quantity, to: null }));
  const rerouted = moves.some((m) => m.to !== null);
  if (!rerouted && !(await partsGoingOn(tx, orderId, context.retryCount + 1, [failed.id]))) {
    await sendWorkflowEvent(tx, fulfillment, orderId, { type: 'SUPPLIER_REJECTED', reason: `Supplier rejected the order (${source}: ${failure.reason})` });
    return;
  }

  const movedLines = (to: SupplierSource) =>
    moves.flatMap((move) => (move.to === to ? [{ ...lines.find((l) => l.sku === move.sku && l.variantId === move.variantId)!, quantity: move.quantity, supplierSource: to }] : []));
  const toHubs = movedLines('own_stock');
  if (toHubs.length > 0) {
    const reserved = await reserveAtHubs(tx, fulfillment, context, toHubs, now);
    // The free stock was read in this transaction; only a concurrent reservation can take it: try again.
    if (!reserved.ok) throw new Error(`re-routing ${source}'s part to hub stock failed (${reserved.reason}); will retry`);
    await confirmReservations(tx, orderId, now);
  }
  const placed: SupplierOrder[] = [];
  for (const supplier of SUPPLIERS) {
    const part = movedLines(supplier);
    if (part.length > 0) placed.push(await placeAtSupplier(tx, fulfillment, context, { supplier, lines: part, replaces: failed.id }, now));
  }
  // Recorded before the refund: cancelling the last open units may deliver the workflow, which then takes nothing more.
  await sendWorkflowEvent(tx, fulfillment, orderId, { type: 'PART_FAILED', source, cause: failure.cause, reason: failure.reason, moves }, { supplierOrderId: failed.id, mode });
  const refunded = moves.filter((m) => m.to === null);
  if (refunded.length > 0) {
    await cancelItems(tx, fulfillment, {
      orderId,
      cause: failure.cause === 'refused' ? 'supplier_refused' : 'supplier_timeout',
      source,
      reason: failure.reason,
      items: refunded.map(({ sku, variantId, quantity }) => ({ sku, variantId, vendorId: lines.find((l) => l.sku === sku && l.variantId === variantId)!.vendorId, quantity })),
    });
  }
  if (placed.some((o) => o.status === 'placed')) await scheduleSupplierPoll(tx, fulfillment, orderId, now, fulfillment.settings.supplierPoll.baseMs);
  for (const order of placed.filter((o) => o.status === 'rejected')) {
    await failPart(tx, fulfillment, order, { cause: 'refused', reason: order.reason ?? 'rejected by the supplier' }, now);
  }
}

/** The order lines a supplier order carries (its items, with the vendor and price of the order's line). */
function orderLinesOf(context: WorkflowContext, order: SupplierOrder): OrderLine[] {
  const items = order.items as Array<{ sku: string; variantId: string; name: string; quantity: number; vendorId?: string }>;
  return items.map((item) => {
    const line = context.order.items.find((l) => l.sku === item.sku && l.variantId === item.variantId && (!item.vendorId || l.vendorId === item.vendorId));
    if (!line) throw new Error(`supplier order ${order.id} carries ${item.sku}, which order ${context.orderId} does not have`);
    return { ...line, quantity: item.quantity, supplierSource: order.supplier as SupplierName };
  });
}

/**
 * `fulfillment.cancel-supplier-orders`: after a cancel (every attempt) or a failed attempt
 * (`upToAttempt`: that one and older), cancels the live supplier orders at their suppliers.
 * Unavailable → the timer retries; a supplier that cannot cancel (no cancel API) or refuses
 * (already shipped) leaves its order `cancellation_pending` with an ops task. A cancelled
 * order whose supplier side is then clear is settled (`fulfillment.cancellation.settled`).
 */
export async function cancelSupplierOrders(
  tx: Transaction,
  fulfillment: Fulfillment,
  orderId: string,
  now: Date,
  upToAttempt: number | null,
): Promise<void> {
  const live = await tx.supplierOrder.findMany({
    where: { orderId, status: { in: LIVE }, ...(upToAttempt === null ? {} : { attempt: { lte: upToAttempt } }) },
  });
  for (const order of live) await cancelAtSupplier(tx, fulfillment, order, now);
  await settleCancellationIfClear(tx, fulfillment, orderId, now);
}

/** Cancels one supplier order at its supplier; one the supplier cannot cancel becomes `cancellation_pending` with an ops task. */
async function cancelAtSupplier(tx: Transaction, fulfillment: Fulfillment, order: SupplierOrder, now: Date): Promise<void> {
  if (!order.externalOrderId) return;
  const externalOrderId = order.externalOrderId;
  const answer = await onBehalfOf(order.orderId, () => fulfillment.suppliers[order.supplier as SupplierName].cancelOrder(externalOrderId));
  if (answer.cancelled) {
    await updateSupplierOrder(tx, order.id, { status: 'cancelled', reason: answer.reason }, now);
    await supplierOrderEvent(tx, order, 'cancelled', answer.reason, now);
  } else {
    await openSupplierCancellationTask(tx, fulfillment, order, `Cancellation refused: ${answer.reason ?? 'no reason given'}`, now);
  }
}
