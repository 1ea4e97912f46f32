import { createHash } from 'node:crypto';
import { newEvent, recordEvent } from '@platform/runtime/outbox';
import { type SupplierName, supplierOrderChanged } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { onBehalfOf } from '../adapters/supplier-call-log';
import { type PlacementResult, type SupplierOrderStatus, SupplierUnavailableError } from '../adapters/suppliers/supplier-client';
import type { WorkflowEvent } from '../domain/order-workflow';
import { groupBySupplier, nextPollIntervalMs } from '../domain/supplier-placement';
import { type Fulfillment, SERVICE } from './context';
import { confirmReservations, ensureReservations } from './inventory';
import { openSupplierCancellationTask, settleCancellationIfClear } from './ops-tasks';
import { withVendors } from './progress';
import { recordShipment } from './shipments';
import { loadWorkflow } from './workflow-store';
import { scheduleSupplierPoll, sendWorkflowEvent } from './workflows';

/** Supplier orders that exist at the supplier and are not finished. */
export const LIVE = ['placed', 'confirmed'];

/**
 * The same reference on every attempt of the same placement (a timer retried after the
 * supplier was unavailable): the supplier recognises the order it may already have.
 */
export function supplierOrderReference(orderId: string, supplier: SupplierName, attempt: number): string {
  const bytes = createHash('sha1').update(`fulfillment/supplier-order/${orderId}/${supplier}/${attempt}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

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
}

/**
 * `fulfillment.place-supplier-orders`: runs after the transition to processing committed.
 * Holds the workflow row lock across the supplier calls, so a cancel arriving meanwhile
 * waits and then sees (and cancels) what was placed. All accepted → PLACE_ORDER; any refusal
 * → FAIL with the reason (the failed state cancels what the others accepted);
 * `SupplierUnavailableError` propagates: the transaction rolls back and the timer retries
 * with backoff, placing again under the same references.
 */
export async function placeSupplierOrders(tx: Transaction, fulfillment: Fulfillment, orderId: string, now: Date): Promise<void> {
  const workflow = await loadWorkflow(tx, fulfillment, orderId, { lock: true });
  // Only while the workflow waits for this placement (a cancel may have come first).
  if (!workflow?.snapshot.can({ type: 'PLACE_ORDER' })) return;
  const context = workflow.snapshot.context;
  const attempt = context.retryCount + 1;

  const stock = await ensureReservations(tx, fulfillment, context, now);
  if (!stock.ok) {
    await sendWorkflowEvent(tx, fulfillment, orderId, { type: 'FAIL', error: stock.reason });
    return;
  }

  const { order } = context;
  const groups = groupBySupplier(order.items);
  const outcomes: Array<{ supplier: SupplierName; id: string; items: object; result: PlacementResult }> = [];
  for (const group of groups) {
    const id = supplierOrderReference(orderId, group.supplier, attempt);
    const items = group.items.map(({ sku, variantId, name, quantity }) => ({ sku, variantId, name, quantity }));
    const result = await onBehalfOf(orderId, () =>
      fulfillment.suppliers[group.supplier].placeOrder({
        reference: id,
        orderId,
        items,
        shippingAddress: order.shippingAddress,
        customer: { name: order.customer.name, email: order.customer.email, ...(order.customer.phone && { phone: order.customer.phone }) },
      }),
    );
    outcomes.push({ supplier: group.supplier, id, items, result });
  }

  for (const { supplier, id, items, result } of outcomes) {
    const placed = result.outcome === 'placed';
    const row = {
      id,
      orderId,
      supplier,
      attempt,
      status: placed ? 'placed' : 'rejected',
      externalOrderId: placed ? result.externalOrderId : null,
      items,
      reason: placed ? null : result.reason,
      createdAt: now,
      updatedAt: now,
    };
    await tx.supplierOrder.upsert({ where: { id }, create: row, update: { ...row, createdAt: undefined } });
    await supplierOrderEvent(tx, row, placed ? 'placed' : 'rejected', row.reason, now);
  }

  const refusals = outcomes.flatMap((o) => (o.result.outcome === 'rejected' ? [`${o.supplier}: ${o.result.reason}`] : []));
  if (refusals.length > 0) {
    await sendWorkflowEvent(tx, fulfillment, orderId, { type: 'FAIL', error: `Supplier rejected the order (${refusals.join('; ')})` });
    return;
  }
  await confirmReservations(tx, orderId, now);
  await sendWorkflowEvent(tx, fulfillment, orderId, { type: 'PLACE_ORDER', ...(groups.length > 0 && { supplierId: groups.map((g) => g.supplier).join(',') }) });
  if (groups.length === 0) {
    // Own stock only: the hub's fulfillment order counts as placed and confirmed at once.
    const hubOrders = await tx.fulfillmentOrder.findMany({ where: { orderId, status: 'awaiting_shipment' }, select: { id: true } });
    await sendWorkflowEvent(tx, fulfillment, orderId, { type: 'SUPPLIER_CONFIRMED', supplierOrderId: hubOrders.map((o) => o.id).join(',') });
  }
}

/**
 * `fulfillment.supplier-poll`: asks each live supplier order for its status. Confirmed by
 * all → SUPPLIER_CONFIRMED; refused → SUPPLIER_REJECTED; shipped with a tracking number →
 * a shipment, `fulfillment.shipment.shipped` and TRACKING_RECEIVED (when the workflow waits
 * for it). A supplier that does not answer is asked again at the next poll; polling goes on
 * while a supplier order is live, also after another parcel was delivered (the workflow is
 * delivered only once every unit is), and stops once none is. Polls back off while nothing changes (`nextPollIntervalMs`):
 * `previousIntervalMs` is the wait that led to this poll.
 */
export async function pollSupplierOrders(tx: Transaction, fulfillment: Fulfillment, orderId: string, now: Date, previousIntervalMs: number | null): Promise<void> {
  const workflow = await loadWorkflow(tx, fulfillment, orderId, { lock: true });
  if (!workflow?.snapshot.hasTag('polled')) return;
  const attempt = workflow.snapshot.context.retryCount + 1;
  const orders = await tx.supplierOrder.findMany({ where: { orderId, attempt }, orderBy: { supplier: 'asc' } });

  let rejection: string | null = null;
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
      continue;
    }
    if (status.status === 'confirmed' && order.status === 'placed') {
      await tx.supplierOrder.update({ where: { id: order.id }, data: { status: 'confirmed', updatedAt: now } });
      await supplierOrderEvent(tx, order, 'confirmed', null, now);
      order.status = 'confirmed';
      changed = true;
    } else if ((status.status === 'shipped' || status.status === 'delivered') && status.trackingNumber) {
      await tx.supplierOrder.update({
        where: { id: order.id },
        data: { status: 'shipped', trackingNumber: status.trackingNumber, carrier: status.carrier, updatedAt: now },
      });
      await supplierOrderEvent(tx, order, 'shipped', null, now);
      Object.assign(order, { status: 'shipped', trackingNumber: status.trackingNumber, carrier: status.carrier });
      changed = true;
      await recordShipment(tx, fulfillment, {
        orderId,
        source: order.supplier as SupplierName,
        supplierOrderId: order.id,
        fulfillmentOrderId: null,
        trackingNumber: status.trackingNumber,
        carrier: status.carrier,
        address: workflow.snapshot.context.order.shippingAddress,
        items: withVendors(order.items as Array<{ sku: string; quantity: number }>, workflow.snapshot.context.order.items),
        now,
      });
    } else if (status.status === 'rejected' || status.status === 'cancelled') {
      const reason = status.reason ?? `${status.status} by the supplier`;
      await tx.supplierOrder.update({ where: { id: order.id }, data: { status: 'rejected', reason, updatedAt: now } });
      await supplierOrderEvent(tx, order, 'rejected', reason, now);
      order.status = 'rejected';
      changed = true;
      rejection ??= `${order.supplier}: ${reason}`;
    }
  }

  // Only what the workflow waits for now; later news (a second parcel) is in the shipments.
  let current = workflow.snapshot;
  if (rejection) {
    await sendWorkflowEvent(tx, fulfillment, orderId, { type: 'SUPPLIER_REJECTED', reason: `Supplier rejected the order (${rejection})` });
  } else {
    const accepted = orders.every((o) => o.status === 'confirmed' || o.status === 'shipped');
    const confirmed: WorkflowEvent = { type: 'SUPPLIER_CONFIRMED', supplierOrderId: orders.map((o) => o.externalOrderId).join(',') };
    if (accepted && orders.length > 0 && current.can(confirmed)) {
      current = (await sendWorkflowEvent(tx, fulfillment, orderId, confirmed)).step.snapshot;
    }
    const shipped = orders.find((o) => o.status === 'shipped');
    if (shipped) {
      const tracking: WorkflowEvent = { type: 'TRACKING_RECEIVED', trackingNumber: shipped.trackingNumber!, carrier: shipped.carrier };
      if (current.can(tracking)) await sendWorkflowEvent(tx, fulfillment, orderId, tracking);
    }
  }

  // Read again: events parked for this order may have moved it further.
  const after = await loadWorkflow(tx, fulfillment, orderId);
  const stillLive = await tx.supplierOrder.count({ where: { orderId, attempt, status: { in: LIVE } } });
  if (after?.snapshot.hasTag('polled') && stillLive > 0) {
    await scheduleSupplierPoll(tx, fulfillment, orderId, now, nextPollIntervalMs(fulfillment.settings.supplierPoll, previousIntervalMs, changed));
  }
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
  for (const order of live) {
    if (!order.externalOrderId) continue;
    const externalOrderId = order.externalOrderId;
    const answer = await onBehalfOf(orderId, () => fulfillment.suppliers[order.supplier as SupplierName].cancelOrder(externalOrderId));
    if (answer.cancelled) {
      await tx.supplierOrder.update({ where: { id: order.id }, data: { status: 'cancelled', reason: answer.reason, updatedAt: now } });
      await supplierOrderEvent(tx, order, 'cancelled', answer.reason, now);
    } else {
      await openSupplierCancellationTask(tx, fulfillment, order, `Cancellation refused: ${answer.reason ?? 'no reason given'}`, now);
    }
  }
  await settleCancellationIfClear(tx, fulfillment, orderId, now);
}
