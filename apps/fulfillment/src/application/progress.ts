import { randomUUID } from 'node:crypto';
import { newEvent, recordEvent } from '@platform/runtime/outbox';
import { type EventData, itemsCancelled, progressChanged, type ReturnStatus, type ShipmentStatus, type SupplierSource } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { selectProgressRows } from '../adapters/progress-rows';
import { selectParkedEvents } from '../adapters/workflow-rows';
import { assertCancellableUnits, type LineUnits, orderProgress, type ProgressInput } from '../domain/parcels';
import { returnedUnits } from '../domain/returns';
import { type OrderLine, UNKNOWN_VENDOR, type WorkflowEvent } from '../domain/order-workflow';
import { type Fulfillment, SERVICE } from './context';
import { UNSHIPPED } from './inventory';
import { LIVE } from './placement';
import { loadWorkflow, WorkflowNotFoundError } from './workflow-store';
import { deliverWorkflowEvent, sendWorkflowEvent } from './workflows';

export type ProgressCause = EventData<typeof progressChanged>['cause'];

/**
 * The units of `items` with their vendor: shipment items stored before `vendorId` was kept
 * take the vendor of the order line with the same SKU.
 */
export function withVendors(items: Array<{ sku: string; quantity: number; vendorId?: string }>, lines: OrderLine[]): LineUnits[] {
  return items.map(({ sku, quantity, vendorId }) => ({ sku, quantity, vendorId: vendorId ?? lines.find((l) => l.sku === sku)?.vendorId ?? UNKNOWN_VENDOR }));
}

/** What the parcels domain needs, read from this order's rows. */
export async function progressInput(tx: Transaction, orderId: string, lines: OrderLine[]): Promise<ProgressInput> {
  const rows = await selectProgressRows(tx, orderId, LIVE, UNSHIPPED);
  return {
    lines: lines.map(({ sku, vendorId, quantity }) => ({ sku, vendorId, quantity })),
    shipments: rows.shipments.map((s) => ({
      id: s.id,
      source: s.source as SupplierSource,
      status: s.status as ShipmentStatus,
      trackingNumber: s.trackingNumber,
      carrier: s.carrier,
      items: withVendors(s.items, lines),
      shippedAt: s.shippedAt,
      deliveredAt: s.deliveredAt,
    })),
    openSources: rows.liveSupplierOrders + rows.openHubOrders,
    cancelled: rows.cancelled.flatMap((items) => withVendors(items, lines)),
    returned: returnedUnits(rows.returns.map((r) => ({ status: r.status as ReturnStatus, items: r.items }))),
  };
}

/**
 * Where the order's units are now (`fulfillment.progress.changed`, with every parcel and each
 * vendor's part), after a parcel shipped or was delivered or units were cancelled; when every
 * unit is delivered or cancelled, the workflow is delivered (docs/requirements.md#ful-04-fulfillment-orders-and-shipments).
 * In the caller's transaction, after it wrote the change.
 */
export async function recordProgress(tx: Transaction, fulfillment: Fulfillment, orderId: string, cause: ProgressCause): Promise<void> {
  const workflow = await loadWorkflow(tx, fulfillment, orderId);
  if (!workflow) throw new WorkflowNotFoundError(orderId);
  const progress = orderProgress(await progressInput(tx, orderId, workflow.snapshot.context.order.items));
  const now = fulfillment.clock.now();
  const { everyUnitSettled: _settled, ...data } = progress;
  await recordEvent(
    tx,
    newEvent(progressChanged, { aggregateId: orderId, source: SERVICE, occurredAt: now, data: { orderId, ...data, cause, at: now.toISOString() } }),
  );
  if (!progress.everyUnitSettled) return;
  const lastDelivery = progress.parcels.map((p) => p.deliveredAt ?? '').sort().at(-1) || now.toISOString();
  const delivered: WorkflowEvent = { type: 'DELIVERED', deliveredAt: lastDelivery };
  const details = { parcels: progress.parcels.length, ...(cause.shipmentId && { shipmentId: cause.shipmentId }) };
  if (workflow.snapshot.can(delivered)) {
    await sendWorkflowEvent(tx, fulfillment, orderId, delivered, details);
  } else if (workflow.snapshot.hasTag('polled') && progress.units.delivered > 0 && !(await deliveryParked(tx, orderId))) {
    // The parcel arrived before the workflow was in transit (a supplier that joined a parcel
    // already delivered; before it ever confirmed, the workflow still waits for that): no scan is
    // left to come, so the workflow is carried on its own, now from `shipped`, else parked until
    // the poll's answers take it to `shipped`. Only while it waits for its suppliers: a failed or
    // refunding workflow has no parcel to deliver.
    await deliverWorkflowEvent(tx, fulfillment, orderId, { type: 'IN_TRANSIT_UPDATE', location: null }, details);
    await deliverWorkflowEvent(tx, fulfillment, orderId, delivered, details);
  }
}

const deliveryParked = async (tx: Transaction, orderId: string) => (await selectParkedEvents(tx, orderId)).some((e) => e.eventType === 'DELIVERED');

export interface CancelItemsInput {
  orderId: string;
  cause: 'supplier_refused' | 'supplier_timeout' | 'stock_short';
  source: SupplierSource;
  reason: string;
  items: Array<{ sku: string; variantId: string; vendorId: string; quantity: number }>;
  /** Given by a caller that may repeat itself (a retried timer): the same id cancels once. */
  cancellationId?: string;
}

/**
 * Units that will not ship, and are to be refunded, while the rest of the order goes on:
 * recorded once per cancellation id (`item_cancellations`, `fulfillment.items.cancelled`),
 * never more than remain unshipped, then the order's progress.
 */
export async function cancelItems(tx: Transaction, fulfillment: Fulfillment, input: CancelItemsInput): Promise<{ cancellationId: string }> {
  const cancellationId = input.cancellationId ?? randomUUID();
  if (await tx.itemCancellation.findUnique({ where: { id: cancellationId }, select: { id: true } })) return { cancellationId };
  const workflow = await loadWorkflow(tx, fulfillment, input.orderId, { lock: true });
  if (!workflow) throw new WorkflowNotFoundError(input.orderId);
  const lines = workflow.snapshot.context.order.items;
  assertCancellableUnits(await progressInput(tx, input.orderId, lines), input.items);
  const now = fulfillment.clock.now();
  await tx.itemCancellation.create({
    data: { id: cancellationId, orderId: input.orderId, cause: input.cause, source: input.source, reason: input.reason, items: input.items, createdAt: now },
  });
  await recordEvent(
    tx,
    newEvent(itemsCancelled, {
      aggregateId: input.orderId,
      source: SERVICE,
      occurredAt: now,
      data: { orderId: input.orderId, cancellationId, reason: input.reason, cause: input.cause, source: input.source, items: input.items, at: now.toISOString() },
    }),
  );
  await recordProgress(tx, fulfillment, input.orderId, { kind: 'units_cancelled', shipmentId: null });
  return { cancellationId };
}
