import { on } from '@platform/runtime/consumer';
import { orderCancelled, orderCreated, orderModified, orderSnapshotVersion } from '@platform/contracts';
import type { Order } from '@platform/contracts/api/orders';
import type { Transaction } from '../adapters/database';
import type { Fulfillment } from '../application/context';
import { createWorkflow, deliverWorkflowEvent } from '../application/workflows';
import type { OrderDetails } from '../domain/order-workflow';

/** What the workflow keeps of an order. */
export function orderDetails(order: Order): OrderDetails {
  return {
    number: order.number,
    customer: { id: order.customer.id, name: order.customer.name, email: order.customer.email, ...(order.customer.phone && { phone: order.customer.phone }) },
    items: order.items.map(({ sku, variantId, name, quantity, unitPrice, supplierSource, vendor }) => ({ sku, variantId, name, quantity, unitPrice, supplierSource, vendorId: vendor.id })),
    shippingAddress: order.shippingAddress,
    deliveryType: order.deliveryType,
    deliveryWindow: order.deliveryWindow,
    currency: order.currency,
    total: order.totals.total,
    shortStockPolicy: order.shortStockPolicy ?? null,
  };
}

/**
 * `fulfillment--order-events` (ORDERS stream, in order): created → a workflow in `pending`;
 * modified → new details while not yet processing (ORDER_MODIFIED, ignored afterwards; one older
 * than a modification already applied is skipped);
 * cancelled → CANCEL. An event the state cannot take yet is parked (`deliverWorkflowEvent`).
 */
export function orderEventSubscriptions(fulfillment: Fulfillment) {
  return [
    on(orderCreated, async (event, tx: Transaction) => {
      const created = await createWorkflow(tx, fulfillment, event.data.id, orderDetails(event.data));
      if (!created) fulfillment.log.info({ orderId: event.data.id }, 'workflow already exists; order.created ignored');
    }),
    on(
      orderModified,
      async (event, tx: Transaction) => {
        await deliverWorkflowEvent(tx, fulfillment, event.data.order.id, { type: 'ORDER_MODIFIED', order: orderDetails(event.data.order) }, { changes: event.data.changes, actor: event.data.actor });
      },
      { version: orderSnapshotVersion },
    ),
    on(orderCancelled, async (event, tx: Transaction) => {
      await deliverWorkflowEvent(tx, fulfillment, event.data.orderId, { type: 'CANCEL', reason: event.data.reason }, { actor: event.data.actor });
    }),
  ];
}
