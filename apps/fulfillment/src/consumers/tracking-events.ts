import { on } from '@platform/runtime/consumer';
import { trackingStatusChanged } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import type { Fulfillment } from '../application/context';
import { deliverWorkflowEvent, loadWorkflow } from '../application/workflows';

/**
 * `fulfillment--tracking-updates`: tracking.shipment.status_changed moves the shipment and
 * the workflow: in_transit → IN_TRANSIT_UPDATE, out_for_delivery → OUT_FOR_DELIVERY_UPDATE,
 * delivered → DELIVERED once every shipment of the order is delivered. A parcel reported
 * further along while the workflow is still `shipped` is in transit first.
 */
export function trackingEventSubscriptions(fulfillment: Fulfillment) {
  return [
    on(trackingStatusChanged, async (event, tx: Transaction) => {
      const { orderId, shipmentId, status } = event.data;
      if (status !== 'in_transit' && status !== 'out_for_delivery' && status !== 'delivered') return;
      const shipment = await tx.shipment.findUnique({ where: { id: shipmentId } });
      if (!shipment || shipment.orderId !== orderId) {
        fulfillment.log.warn({ orderId, shipmentId }, 'tracking update for an unknown shipment; ignored');
        return;
      }
      const at = new Date(event.data.event?.time ?? event.data.at);
      const now = fulfillment.clock.now();
      if (status === 'delivered') {
        await tx.shipment.update({ where: { id: shipmentId }, data: { status: 'delivered', deliveredAt: at, updatedAt: now } });
      }
      const workflow = await loadWorkflow(tx, fulfillment, orderId);
      if (!workflow) return;
      const details = { shipmentId, trackingNumber: event.data.trackingNumber };
      if (workflow.snapshot.value === 'shipped' && status !== 'in_transit') {
        await deliverWorkflowEvent(tx, fulfillment, orderId, { type: 'IN_TRANSIT_UPDATE', location: null }, details);
      }
      if (status === 'in_transit') {
        await deliverWorkflowEvent(tx, fulfillment, orderId, { type: 'IN_TRANSIT_UPDATE', location: event.data.event?.location ?? null }, details);
      } else if (status === 'out_for_delivery') {
        await deliverWorkflowEvent(tx, fulfillment, orderId, { type: 'OUT_FOR_DELIVERY_UPDATE' }, details);
      } else {
        const undelivered = await tx.shipment.count({ where: { orderId, status: { notIn: ['delivered', 'cancelled'] } } });
        if (undelivered === 0) await deliverWorkflowEvent(tx, fulfillment, orderId, { type: 'DELIVERED', deliveredAt: at.toISOString() }, details);
      }
    }),
  ];
}
