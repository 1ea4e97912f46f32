import { randomUUID } from 'node:crypto';
import type { ShipmentStatusRequest, ShipmentView } from '@platform/contracts/api/fulfillment';
import { DomainError } from '@platform/contracts/errors';
import { newEvent, recordEvent } from '@platform/runtime/outbox';
import { type EventData, shipmentShipped, type ShipmentStatus, type SupplierSource, type trackingStatusChanged, type WorkflowState } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import { completeHubOrderIfDelivered, insertSupplierShipment, markShipmentDelivered, selectShipment } from '../adapters/shipment-rows';
import { allocateShipment } from '../domain/allocation';
import { type OrderLine, type ShippingAddress, stateOf } from '../domain/order-workflow';
import { FULFILLMENT_ORDER_TRANSITIONS, type FulfillmentOrderStatus, fulfillmentOrderTransitions, isLastParcel, type LineUnits, shipmentTransitions, statusesBefore } from '../domain/parcels';
import { startAutomationSteps } from './automation';
import { type Fulfillment, SERVICE } from './context';
import { consumeReservation } from './inventory';
import { progressInput, recordProgress, withVendors } from './progress';
import { shipmentView } from './queries';
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
 * A supplier's parcel handed to a carrier: the shipment row (`in_transit`: the supplier hands
 * it over already on its way), `handedOver` (the caller marks its supplier order shipped: the
 * order's progress counts a live supplier order as a parcel still to come), then what every
 * parcel leaving does (`recordShipped`), once per tracking number. Another supplier's part in a
 * parcel already recorded (one tracking number) joins it: its units count as shipped in the
 * order's progress, without a second `shipped`. False, and nothing recorded, when the number is
 * one of the order's hub parcels: our own parcel cannot carry a supplier's units, so the report
 * is wrong (the caller asks the supplier again).
 */
export async function recordShipment(tx: Transaction, fulfillment: Fulfillment, shipment: NewShipment, handedOver: () => Promise<void>): Promise<boolean> {
  const id = randomUUID();
  const parcel = await insertSupplierShipment(tx, {
    id,
    orderId: shipment.orderId,
    source: shipment.source,
    fulfillmentOrderId: shipment.fulfillmentOrderId,
    supplierOrderId: shipment.supplierOrderId,
    trackingNumber: shipment.trackingNumber,
    carrier: shipment.carrier,
    address: shipment.address,
    items: shipment.items.map(({ sku, vendorId, quantity }) => ({ sku, vendorId, quantity })),
    now: shipment.now,
  });
  if (!parcel) return false;
  await handedOver();
  if (parcel.id === id) {
    await recordShipped(tx, fulfillment, { id, ...shipment });
    return true;
  }
  // Joined a parcel that arrived already: these units arrived with it, and get their automation steps (FUL-06).
  if (parcel.status === 'delivered') await startAutomationSteps(tx, fulfillment, { ...parcel, orderId: shipment.orderId, trackingNumber: shipment.trackingNumber });
  await recordProgress(tx, fulfillment, shipment.orderId, { kind: 'parcel_shipped', shipmentId: parcel.id });
  return true;
}

/** A parcel left (hub or supplier): `fulfillment.shipment.shipped` and the order's progress. */
async function recordShipped(
  tx: Transaction,
  fulfillment: Fulfillment,
  shipment: { id: string; orderId: string; source: SupplierSource; trackingNumber: string; carrier: string | null; address: ShippingAddress; now: Date },
): Promise<void> {
  const { id, orderId, now } = shipment;
  await recordEvent(
    tx,
    newEvent(shipmentShipped, {
      aggregateId: orderId,
      source: SERVICE,
      occurredAt: now,
      data: {
        orderId,
        shipmentId: id,
        trackingNumber: shipment.trackingNumber,
        carrierHint: shipment.carrier,
        supplier: shipment.source,
        destinationCountry: shipment.address.country,
        shippedAt: now.toISOString(),
      },
    }),
  );
  await recordProgress(tx, fulfillment, orderId, { kind: 'parcel_shipped', shipmentId: id });
}

/*
 * Hub parcels (docs/requirements.md#ful-04-fulfillment-orders-and-shipments): a `draft`
 * allocates units of one hub fulfillment order (its remaining quantity goes down then, so
 * never more is allocated than ordered); `ready` once the label is bought; `in_transit` when
 * the carrier has it (reservations consumed, the parcel recorded as shipped); `cancelled`
 * before that gives the units back (their reservations stay held for them).
 */

/** A hub shipment item: order-line units, with the fulfillment order item they were allocated from. */
interface HubShipmentItem extends LineUnits {
  itemId: string;
}

type ShipmentRow = NonNullable<Awaited<ReturnType<Transaction['shipment']['findUnique']>>>;

async function lockedShipment(tx: Transaction, shipmentId: string): Promise<ShipmentRow> {
  // Row lock: two status changes of one shipment run one after the other.
  await tx.$executeRaw`SELECT 1 FROM shipments WHERE id = ${shipmentId}::uuid FOR UPDATE`;
  const shipment = await tx.shipment.findUnique({ where: { id: shipmentId } });
  if (!shipment) throw new DomainError('not_found', 'SHIPMENT_NOT_FOUND', `Shipment ${shipmentId} not found`);
  return shipment;
}

async function hubOrderOf(tx: Transaction, fulfillmentOrderId: string) {
  const hubOrder = await tx.fulfillmentOrder.findUnique({ where: { id: fulfillmentOrderId }, include: { items: true } });
  if (!hubOrder) throw new DomainError('not_found', 'FULFILLMENT_ORDER_NOT_FOUND', `Fulfillment order ${fulfillmentOrderId} not found`);
  return hubOrder;
}

/** Takes units of the hub fulfillment order for a parcel; conditional, so concurrent parcels can't take the same units twice. */
async function allocate(
  tx: Transaction,
  hubOrder: Awaited<ReturnType<typeof hubOrderOf>>,
  requested: Array<{ sku: string; quantity: number }> | undefined,
  lines: OrderLine[],
): Promise<HubShipmentItem[]> {
  const allocations = allocateShipment(hubOrder.items, requested);
  for (const allocation of allocations) {
    const taken = await tx.$executeRaw`
      UPDATE fulfillment_order_items SET remaining_quantity = remaining_quantity - ${allocation.quantity}
      WHERE id = ${allocation.itemId}::uuid AND remaining_quantity >= ${allocation.quantity}`;
    if (taken === 0) throw new DomainError('conflict', 'ALLOCATION_EXCEEDS_REMAINING', `${allocation.sku} no longer has ${allocation.quantity} left to ship`);
  }
  // A substitute's units count for the order line they stand for (FUL-03).
  // Its units count for the vendor of the fulfillment order item (two vendors may sell one SKU).
  return allocations.map((a) => {
    const item = hubOrder.items.find((i) => i.id === a.itemId);
    const [unit] = withVendors([{ sku: item?.substituteFor ?? a.sku, quantity: a.quantity, ...(item?.vendorId && { vendorId: item.vendorId }) }], lines);
    return { ...unit!, itemId: a.itemId };
  });
}

async function unallocate(tx: Transaction, items: HubShipmentItem[]): Promise<void> {
  for (const item of items) {
    await tx.fulfillmentOrderItem.update({ where: { id: item.itemId }, data: { remainingQuantity: { increment: item.quantity } } });
  }
}

/** Moves a shipment from the status it was read in; the table says whether it may. */
async function moveShipment(tx: Transaction, shipment: ShipmentRow, to: ShipmentStatus, data: Record<string, unknown>, now: Date): Promise<void> {
  shipmentTransitions.assertTransition(shipment.status as ShipmentStatus, to);
  await tx.shipment.update({ where: { id: shipment.id }, data: { ...data, status: to, updatedAt: now } });
}

async function draftIn(
  tx: Transaction,
  fulfillment: Fulfillment,
  hubOrder: Awaited<ReturnType<typeof hubOrderOf>>,
  input: { items?: Array<{ sku: string; quantity: number }>; carrier: string | null },
): Promise<string> {
  if (hubOrder.status !== 'awaiting_shipment') {
    throw new DomainError('conflict', 'FULFILLMENT_ORDER_NOT_SHIPPABLE', `The fulfillment order is ${hubOrder.status}; parcels are prepared while it is awaiting_shipment`);
  }
  const workflow = await loadWorkflow(tx, fulfillment, hubOrder.orderId);
  if (!workflow) throw new WorkflowNotFoundError(hubOrder.orderId);
  const { order } = workflow.snapshot.context;
  const items = await allocate(tx, hubOrder, input.items, order.items);
  const id = randomUUID();
  const now = fulfillment.clock.now();
  await tx.shipment.create({
    data: {
      id,
      orderId: hubOrder.orderId,
      source: 'own_stock',
      fulfillmentOrderId: hubOrder.id,
      supplierOrderId: null,
      status: 'draft',
      trackingNumber: null,
      carrier: input.carrier,
      // The address as it is now: the parcel keeps it whatever happens to the order later.
      address: order.shippingAddress as object,
      items: items as object[],
      createdAt: now,
      updatedAt: now,
    },
  });
  return id;
}

async function markReady(tx: Transaction, fulfillment: Fulfillment, shipment: ShipmentRow, input: { trackingNumber: string; carrier?: string | null }): Promise<void> {
  shipmentTransitions.assertTransition(shipment.status as ShipmentStatus, 'ready');
  const duplicate = await tx.shipment.findUnique({ where: { orderId_trackingNumber: { orderId: shipment.orderId, trackingNumber: input.trackingNumber } } });
  if (duplicate) throw new DomainError('conflict', 'TRACKING_NUMBER_ALREADY_USED', `Tracking number ${input.trackingNumber} is already a shipment of this order`);
  await moveShipment(tx, shipment, 'ready', { trackingNumber: input.trackingNumber, carrier: input.carrier ?? shipment.carrier }, fulfillment.clock.now());
}

/** The carrier has the parcel: reservations consumed, the fulfillment order on its way once all of it left, shipped, TRACKING_RECEIVED. */
async function handOver(tx: Transaction, fulfillment: Fulfillment, shipmentId: string, actor: string): Promise<WorkflowState> {
  const shipment = await lockedShipment(tx, shipmentId);
  const workflow = await loadWorkflow(tx, fulfillment, shipment.orderId, { lock: true });
  if (!workflow) throw new WorkflowNotFoundError(shipment.orderId);
  if (!workflow.snapshot.hasTag('awaiting-shipment')) {
    throw new DomainError('conflict', 'WORKFLOW_NOT_SHIPPABLE', `The order is ${stateOf(workflow.snapshot)}; hub shipments start once it is supplier_confirmed`);
  }
  const now = fulfillment.clock.now();
  await moveShipment(tx, shipment, 'in_transit', { shippedAt: now }, now);
  const hubOrder = await hubOrderOf(tx, shipment.fulfillmentOrderId!);
  for (const item of shipment.items as unknown as HubShipmentItem[]) {
    const sku = hubOrder.items.find((i) => i.id === item.itemId)!.sku;
    await consumeReservation(tx, shipment.orderId, hubOrder.hubId, sku, item.quantity, now);
  }
  // Everything of it has left (in one parcel or several): it is on its way.
  const remaining = hubOrder.items.reduce((sum, i) => sum + i.remainingQuantity, 0);
  const preparing = await tx.shipment.count({ where: { fulfillmentOrderId: hubOrder.id, status: { in: ['draft', 'ready'] } } });
  if (remaining === 0 && preparing === 0 && hubOrder.status !== 'in_transit') {
    fulfillmentOrderTransitions.assertTransition(hubOrder.status as FulfillmentOrderStatus, 'in_transit');
    await tx.fulfillmentOrder.update({ where: { id: hubOrder.id }, data: { status: 'in_transit', updatedAt: now } });
  }
  const trackingNumber = shipment.trackingNumber!;
  await recordShipped(tx, fulfillment, {
    id: shipment.id,
    orderId: shipment.orderId,
    source: 'own_stock',
    trackingNumber,
    carrier: shipment.carrier,
    address: shipment.address as unknown as ShippingAddress,
    now,
  });
  // Only the first parcel moves the workflow to shipped (later ones are not accepted there; they are in the progress).
  const result = await sendWorkflowEvent(
    tx,
    fulfillment,
    shipment.orderId,
    { type: 'TRACKING_RECEIVED', trackingNumber, carrier: shipment.carrier },
    { actor, hubId: hubOrder.hubId },
  );
  return result.step.to;
}

/** `POST /fulfillment-orders/:id/shipments`: a parcel being prepared (`draft`), its units allocated now. */
export function createDraftShipment(
  fulfillment: Fulfillment,
  fulfillmentOrderId: string,
  input: { items?: Array<{ sku: string; quantity: number }>; carrier: string | null },
): Promise<ShipmentView> {
  return fulfillment.db.$transaction(async (tx) => {
    const id = await draftIn(tx, fulfillment, await hubOrderOf(tx, fulfillmentOrderId), input);
    return shipmentView(await tx.shipment.findUniqueOrThrow({ where: { id } }));
  });
}

/** `PATCH /shipments/:id`: a draft's units (given back, then allocated again) or carrier. */
export function updateDraftShipment(
  fulfillment: Fulfillment,
  shipmentId: string,
  input: { items?: Array<{ sku: string; quantity: number }>; carrier?: string | null },
): Promise<ShipmentView> {
  return fulfillment.db.$transaction(async (tx) => {
    const shipment = await lockedShipment(tx, shipmentId);
    if (shipment.status !== 'draft') throw new DomainError('conflict', 'SHIPMENT_NOT_DRAFT', `The shipment is ${shipment.status}; only a draft can be edited`);
    const data: { carrier?: string | null; items?: object[] } = {};
    if (input.carrier !== undefined) data.carrier = input.carrier;
    if (input.items) {
      await unallocate(tx, shipment.items as unknown as HubShipmentItem[]);
      const workflow = await loadWorkflow(tx, fulfillment, shipment.orderId);
      if (!workflow) throw new WorkflowNotFoundError(shipment.orderId);
      data.items = await allocate(tx, await hubOrderOf(tx, shipment.fulfillmentOrderId!), input.items, workflow.snapshot.context.order.items);
    }
    return shipmentView(await tx.shipment.update({ where: { id: shipmentId }, data: { ...data, updatedAt: fulfillment.clock.now() } }));
  });
}

/** `POST /shipments/:id/status`: a hub parcel moves on (ready, in_transit) or is cancelled before it leaves. */
export function changeShipmentStatus(fulfillment: Fulfillment, shipmentId: string, input: ShipmentStatusRequest & { actor: string }): Promise<ShipmentView> {
  return fulfillment.db.$transaction(async (tx) => {
    const shipment = await lockedShipment(tx, shipmentId);
    if (!shipment.fulfillmentOrderId) {
      throw new DomainError('conflict', 'SUPPLIER_SHIPMENT', 'A supplier parcel follows its carrier; only hub parcels are moved by hand');
    }
    if (input.status === 'ready') await markReady(tx, fulfillment, shipment, input);
    else if (input.status === 'in_transit') await handOver(tx, fulfillment, shipmentId, input.actor);
    else {
      // Once the carrier has it, its units are no longer the hub's to give back.
      if (!HUB_HELD.includes(shipment.status as ShipmentStatus)) {
        throw new DomainError('conflict', 'INVALID_SHIPMENT_TRANSITION', `A hub shipment ${shipment.status} is no longer cancelled by hand`);
      }
      await moveShipment(tx, shipment, 'cancelled', {}, fulfillment.clock.now());
      await unallocate(tx, shipment.items as unknown as HubShipmentItem[]);
    }
    return shipmentView(await tx.shipment.findUniqueOrThrow({ where: { id: shipmentId } }));
  });
}

/** Statuses in which a hub parcel is still at the hub. */
const HUB_HELD: readonly ShipmentStatus[] = ['draft', 'ready'];

/**
 * `POST /orders/:orderId/shipments`: the hub handed the own-stock items to a carrier, in one
 * call: a draft of what remains of the first hub fulfillment order with units left (or
 * `items`), ready with the tracking number, handed over.
 */
export function shipFromHub(
  fulfillment: Fulfillment,
  orderId: string,
  input: { trackingNumber: string; carrier: string | null; items?: Array<{ sku: string; quantity: number }>; actor: string },
): Promise<{ shipmentId: string; state: WorkflowState }> {
  return fulfillment.db.$transaction(async (tx) => {
    const workflow = await loadWorkflow(tx, fulfillment, orderId, { lock: true });
    if (!workflow) throw new WorkflowNotFoundError(orderId);
    if (!workflow.snapshot.hasTag('awaiting-shipment')) {
      throw new DomainError('conflict', 'WORKFLOW_NOT_SHIPPABLE', `The order is ${stateOf(workflow.snapshot)}; hub shipments start once it is supplier_confirmed`);
    }
    const hubOrders = await tx.fulfillmentOrder.findMany({ where: { orderId, status: 'awaiting_shipment' }, include: { items: true }, orderBy: { createdAt: 'asc' } });
    const hubOrder = hubOrders.find((o) => o.items.some((i) => i.remainingQuantity > 0));
    if (!hubOrder) throw new DomainError('conflict', 'NOTHING_TO_SHIP', 'No hub fulfillment order of this order has items left to ship');
    const shipmentId = await draftIn(tx, fulfillment, hubOrder, { items: input.items, carrier: input.carrier });
    await markReady(tx, fulfillment, await lockedShipment(tx, shipmentId), { trackingNumber: input.trackingNumber });
    return { shipmentId, state: await handOver(tx, fulfillment, shipmentId, input.actor) };
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
  const shipment = await selectShipment(tx, shipmentId);
  if (!shipment || shipment.orderId !== orderId) {
    fulfillment.log.warn({ orderId, shipmentId }, 'tracking update for an unknown shipment; ignored');
    return;
  }
  // Locked, as a poll or a cancel that settles the order's other units locks it: whichever of
  // them commits second sees what the other did, so the last unit settled delivers the workflow.
  const workflow = await loadWorkflow(tx, fulfillment, orderId, { lock: true });
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
    const deliveredAt = new Date(update.event?.time ?? update.at);
    await markShipmentDelivered(tx, shipmentId, deliveredAt, now);
    await startAutomationSteps(tx, fulfillment, { ...shipment, deliveredAt });
    if (shipment.fulfillmentOrderId) await completeIfDelivered(tx, shipment.fulfillmentOrderId, now);
    await recordProgress(tx, fulfillment, orderId, { kind: 'parcel_delivered', shipmentId });
  }
}

/** A hub fulfillment order is completed once all of it left and every parcel of it arrived (not while units of it remain to ship, nor twice). */
async function completeIfDelivered(tx: Transaction, fulfillmentOrderId: string, now: Date): Promise<void> {
  await completeHubOrderIfDelivered(tx, fulfillmentOrderId, statusesBefore(FULFILLMENT_ORDER_TRANSITIONS, 'completed'), now);
}
