import { randomUUID } from 'node:crypto';
import { DomainError } from '@platform/contracts/errors';
import { newEvent, recordEvent } from '@platform/runtime/outbox';
import { type EventData, shipmentShipped, type ShipmentStatus, type SupplierSource, type trackingStatusChanged, type WorkflowState } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { allocateShipment } from '../domain/allocation';
import { type ShippingAddress, stateOf } from '../domain/order-workflow';
import { type FulfillmentOrderStatus, fulfillmentOrderTransitions, isLastParcel, type LineUnits, shipmentTransitions } from '../domain/parcels';
import { startAutomationSteps } from './automation';
import { type Fulfillment, SERVICE } from './context';
import { consumeReservation } from './inventory';
import { progressInput, recordProgress, withVendors } from './progress';
import { loadWorkflow, WorkflowNotFoundError } from './workflow-store';
import { deliverWorkflowEvent, sendWorkflowEvent } from './workflows';

export interface NewShipment {
  orderId: string;
  source: SupplierSource;
  supplierOrderId: string | null;
  fulfillmentOrderId: string | null;
  trackingNumber: string;
  carrier: string | null;
  address: ShippingAddress;
  /** The units it carries, each with its vendor. */
  items: LineUnits[];
  now: Date;
}

/**
 * A parcel handed to a carrier: the shipment row (`in_transit`: a parcel is recorded once a
 * carrier has it), `fulfillment.shipment.shipped` and the order's progress, once per tracking number.
 */
export async function recordShipment(tx: Transaction, fulfillment: Fulfillment, shipment: NewShipment): Promise<{ id: string; created: boolean }> {
  const existing = await tx.shipment.findUnique({ where: { orderId_trackingNumber: { orderId: shipment.orderId, trackingNumber: shipment.trackingNumber } } });
  if (existing) return { id: existing.id, created: false };
  const id = randomUUID();
  const { now } = shipment;
  await tx.shipment.create({
    data: {
      id,
      orderId: shipment.orderId,
      source: shipment.source,
      fulfillmentOrderId: shipment.fulfillmentOrderId,
      supplierOrderId: shipment.supplierOrderId,
      status: 'in_transit',
      trackingNumber: shipment.trackingNumber,
      carrier: shipment.carrier,
      address: shipment.address as object,
      items: shipment.items.map(({ sku, vendorId, quantity }) => ({ sku, vendorId, quantity })),
      shippedAt: now,
      createdAt: now,
      updatedAt: now,
    },
  });
  await recordEvent(
    tx,
    newEvent(shipmentShipped, {
      aggregateId: shipment.orderId,
      source: SERVICE,
      occurredAt: now,
      data: {
        orderId: shipment.orderId,
        shipmentId: id,
        trackingNumber: shipment.trackingNumber,
        carrierHint: shipment.carrier,
        supplier: shipment.source,
        destinationCountry: shipment.address.country,
        shippedAt: now.toISOString(),
      },
    }),
  );
  await recordProgress(tx, fulfillment, shipment.orderId, { kind: 'parcel_shipped', shipmentId: id });
  return { id, created: true };
}

/**
 * `POST /orders/:orderId/shipments`: the hub handed the own-stock items to a carrier.
 * Allocates what remains of the hub fulfillment orders (never more), consumes the
 * reservations and sends TRACKING_RECEIVED when the workflow is waiting for it.
 */
export function shipFromHub(
  fulfillment: Fulfillment,
  orderId: string,
  input: { trackingNumber: string; carrier: string | null; items?: Array<{ sku: string; quantity: number }>; actor: string },
): Promise<{ shipmentId: string; state: WorkflowState }> {
  return fulfillment.db.$transaction(async (tx) => {
    const now = fulfillment.clock.now();
    const workflow = await loadWorkflow(tx, fulfillment, orderId, { lock: true });
    if (!workflow) throw new WorkflowNotFoundError(orderId);
    if (!workflow.snapshot.hasTag('awaiting-shipment')) {
      throw new DomainError('conflict', 'WORKFLOW_NOT_SHIPPABLE', `The order is ${stateOf(workflow.snapshot)}; hub shipments start once it is supplier_confirmed`);
    }
    const duplicate = await tx.shipment.findUnique({ where: { orderId_trackingNumber: { orderId, trackingNumber: input.trackingNumber } } });
    if (duplicate) throw new DomainError('conflict', 'TRACKING_NUMBER_ALREADY_USED', `Tracking number ${input.trackingNumber} is already a shipment of this order`);

    const hubOrders = await tx.fulfillmentOrder.findMany({
      where: { orderId, status: { in: ['awaiting_shipment', 'in_transit'] } },
      include: { items: true },
      orderBy: { createdAt: 'asc' },
    });
    const hubOrder = hubOrders.find((o) => o.items.some((i) => i.remainingQuantity > 0));
    if (!hubOrder) throw new DomainError('conflict', 'NOTHING_TO_SHIP', 'No hub fulfillment order of this order has items left to ship');
    const allocations = allocateShipment(hubOrder.items, input.items);

    for (const allocation of allocations) {
      // Conditional: a concurrent shipment can't take the same units twice.
      const taken = await tx.$executeRaw`
        UPDATE fulfillment_order_items SET remaining_quantity = remaining_quantity - ${allocation.quantity}
        WHERE id = ${allocation.itemId}::uuid AND remaining_quantity >= ${allocation.quantity}`;
      if (taken === 0) throw new DomainError('conflict', 'ALLOCATION_EXCEEDS_REMAINING', `${allocation.sku} no longer has ${allocation.quantity} left to ship`);
      await consumeReservation(tx, orderId, hubOrder.hubId, allocation.sku, allocation.quantity, now);
    }
    const remaining = await tx.fulfillmentOrderItem.aggregate({ where: { fulfillmentOrderId: hubOrder.id }, _sum: { remainingQuantity: true } });
    // Everything of it has left (in one parcel or several): it is on its way.
    if ((remaining._sum.remainingQuantity ?? 0) === 0 && hubOrder.status !== 'in_transit') {
      fulfillmentOrderTransitions.assertTransition(hubOrder.status as FulfillmentOrderStatus, 'in_transit');
      await tx.fulfillmentOrder.update({ where: { id: hubOrder.id }, data: { status: 'in_transit', updatedAt: now } });
    }
    const shipment = await recordShipment(tx, fulfillment, {
      orderId,
      source: 'own_stock',
      supplierOrderId: null,
      fulfillmentOrderId: hubOrder.id,
      trackingNumber: input.trackingNumber,
      carrier: input.carrier,
      address: workflow.snapshot.context.order.shippingAddress,
      // A substitute's units count for the order line they stand for (FUL-03).
      items: withVendors(
        allocations.map((a) => {
          const item = hubOrder.items.find((i) => i.id === a.itemId);
          return { ...a, sku: item?.substituteFor ?? a.sku, ...(item?.vendorId && { vendorId: item.vendorId }) };
        }),
        workflow.snapshot.context.order.items,
      ),
      now,
    });
    // Only the first parcel moves the workflow to shipped (later ones are not accepted there; they are in the progress).
    const result = await sendWorkflowEvent(
      tx,
      fulfillment,
      orderId,
      { type: 'TRACKING_RECEIVED', trackingNumber: input.trackingNumber, carrier: input.carrier },
      { actor: input.actor, hubId: hubOrder.hubId },
    );
    return { shipmentId: shipment.id, state: result.step.to };
  });
}

/**
 * `tracking.shipment.status_changed` moves the shipment and the workflow: in_transit →
 * IN_TRANSIT_UPDATE; out_for_delivery → OUT_FOR_DELIVERY_UPDATE when this parcel is the last
 * thing outstanding; delivered → the shipment is delivered and the order's progress recorded,
 * which delivers the workflow once every unit is (`recordProgress`). A parcel reported further
 * along while the workflow is still `shipped` is in transit first.
 */
export async function applyTrackingUpdate(tx: Transaction, fulfillment: Fulfillment, update: EventData<typeof trackingStatusChanged>): Promise<void> {
  const { orderId, shipmentId, status } = update;
  if (status !== 'in_transit' && status !== 'out_for_delivery' && status !== 'delivered') return;
  const shipment = await tx.shipment.findUnique({ where: { id: shipmentId } });
  if (!shipment || shipment.orderId !== orderId) {
    fulfillment.log.warn({ orderId, shipmentId }, 'tracking update for an unknown shipment; ignored');
    return;
  }
  const workflow = await loadWorkflow(tx, fulfillment, orderId);
  if (!workflow) return;
  const details = { shipmentId, trackingNumber: update.trackingNumber };
  if (workflow.snapshot.matches('shipped') && status !== 'in_transit') {
    await deliverWorkflowEvent(tx, fulfillment, orderId, { type: 'IN_TRANSIT_UPDATE', location: null }, details);
  }
  if (status === 'in_transit') {
    await deliverWorkflowEvent(tx, fulfillment, orderId, { type: 'IN_TRANSIT_UPDATE', location: update.event?.location ?? null }, details);
  } else if (status === 'out_for_delivery') {
    const input = await progressInput(tx, orderId, workflow.snapshot.context.order.items);
    if (isLastParcel(input, shipmentId)) await deliverWorkflowEvent(tx, fulfillment, orderId, { type: 'OUT_FOR_DELIVERY_UPDATE' }, details);
  } else {
    // A repeated delivery scan changes nothing.
    if (!shipmentTransitions.canTransition(shipment.status as ShipmentStatus, 'delivered')) return;
    const now = fulfillment.clock.now();
    await tx.shipment.update({ where: { id: shipmentId }, data: { status: 'delivered', deliveredAt: new Date(update.event?.time ?? update.at), updatedAt: now } });
    await startAutomationSteps(tx, fulfillment, shipmentId);
    if (shipment.fulfillmentOrderId) await completeIfDelivered(tx, shipment.fulfillmentOrderId, now);
    await recordProgress(tx, fulfillment, orderId, { kind: 'parcel_delivered', shipmentId });
  }
}

/** A hub fulfillment order is completed once all of it left and every parcel of it arrived. */
async function completeIfDelivered(tx: Transaction, fulfillmentOrderId: string, now: Date): Promise<void> {
  const order = await tx.fulfillmentOrder.findUnique({ where: { id: fulfillmentOrderId } });
  // Not while units of it remain to ship (awaiting_shipment), nor twice.
  if (!order || !fulfillmentOrderTransitions.canTransition(order.status as FulfillmentOrderStatus, 'completed')) return;
  const undelivered = await tx.shipment.count({ where: { fulfillmentOrderId, status: { notIn: ['delivered', 'cancelled'] } } });
  if (undelivered > 0) return;
  await tx.fulfillmentOrder.update({ where: { id: fulfillmentOrderId }, data: { status: 'completed', updatedAt: now } });
}
