import { newEvent, recordEvent } from '@platform/runtime/outbox';
import type { Actor } from '@platform/runtime/actor';
import { orderModified } from '@platform/contracts';
import type { ModifyOrderRequest, Order } from '@platform/contracts/api/orders';
import { getOrderRow, type OrderRow, replaceItems, toOrder, updateOrderAtVersion } from '../adapters/order-repository';
import type { Transaction } from '../adapters/database';
import { assertStaff, mayPriceBespoke } from '../domain/actor';
import { assertOrderRules } from '../domain/order-rules';
import { assertModifiable, type OrderStatus } from '../domain/order-status';
import { priceOrder } from '../domain/pricing';
import { applyStatusChange, cancelOrderInTransaction, withCurrentOrder } from './change-status';
import { type OrdersDeps, SERVICE } from './dependencies';
import { remakePromise } from './delivery-promise';
import { itemRows, priceOrderItems } from './price-items';
import { resplitOrder } from './sub-orders';

export function cancelOrder(
  deps: OrdersDeps,
  input: { orderId: string; reason: string; actor: Actor; expectedVersion?: number | undefined },
): Promise<Order> {
  return deps.db.$transaction((tx) => cancelOrderInTransaction(tx, deps, input));
}

/**
 * An ops/admin status change with a reason (ORD-08), through the same transition table; a
 * change to `cancelled` is a cancel (same rules, same events).
 */
export function changeStatusManually(
  deps: OrdersDeps,
  input: { orderId: string; status: OrderStatus; reason: string; actor: Actor; expectedVersion?: number | undefined },
): Promise<Order> {
  assertStaff(input.actor);
  if (input.status === 'cancelled') return cancelOrder(deps, input);
  return deps.db.$transaction((tx) =>
    withCurrentOrder(tx, input.orderId, input, (row, version) =>
      applyStatusChange(tx, deps, row, version, { to: input.status, details: input.reason, actor: input.actor.name }),
    ),
  );
}

function existingItems(row: OrderRow) {
  return row.items.map((item) => ({ quantity: item.quantity, unitPrice: item.unitPrice, ageRestricted: item.ageRestricted }));
}

/**
 * Changes items, address or notes before fulfillment (ORD-04). New items are priced again with
 * the rules of a new order and the totals recalculated; `orders.order.modified` carries the
 * order after the change so billing and fulfillment adjust.
 */
export function modifyOrder(
  deps: OrdersDeps,
  input: { orderId: string; expectedVersion: number; changes: ModifyOrderRequest; actor: Actor },
): Promise<Order> {
  const { changes, actor } = input;
  return deps.db.$transaction((tx) =>
    withCurrentOrder(tx, input.orderId, input, async (row, version) => {
      assertModifiable({ status: row.status as OrderStatus, fulfillmentStarted: row.fulfillmentStarted });
      const now = deps.clock.now();
      const shippingAddress = changes.shippingAddress ?? (row.shippingAddress as Order['shippingAddress']);
      const newItems = changes.items
        ? await priceOrderItems(tx, changes.items, {
            customerId: row.customerId,
            country: shippingAddress.country,
            currency: row.currency,
            at: now,
            allowBespoke: mayPriceBespoke(actor),
          })
        : null;
      const items = newItems ?? existingItems(row);
      const deliveryWindow =
        row.deliveryWindowStart && row.deliveryWindowEnd
          ? { start: row.deliveryWindowStart.toISOString(), end: row.deliveryWindowEnd.toISOString() }
          : null;
      assertOrderRules({ items, ageVerified: row.ageVerified, deliveryType: row.deliveryType as Order['deliveryType'], deliveryWindow }, now);
      const totals = priceOrder({ items, deliveryType: row.deliveryType as Order['deliveryType'] });

      // The lock first: a concurrent modification loses here, before touching the items.
      await updateOrderAtVersion(tx, row.id, version, {
        shippingAddress,
        ...(changes.notes !== undefined && { notes: changes.notes }),
        subtotal: totals.subtotal,
        shippingTotal: totals.shipping,
        taxTotal: totals.tax,
        discountTotal: totals.discount,
        total: totals.total,
        updatedAt: now,
      });
      if (newItems) await replaceItems(tx, row.id, itemRows(row.id, newItems, now));
      const order = toOrder(await getOrderRow(tx, row.id));
      if (newItems) await resplitOrder(tx, deps.clock, order, actor.name);

      const described: string[] = [];
      if (newItems) described.push(`items: ${row.items.length} → ${newItems.length} lines`);
      if (changes.shippingAddress) described.push('shippingAddress');
      if (changes.notes !== undefined) described.push('notes');
      if (totals.total !== row.total) described.push(`total: ${row.total} → ${totals.total}`);
      await recordEvent(
        tx,
        newEvent(orderModified, {
          aggregateId: order.id,
          source: SERVICE,
          occurredAt: now,
          data: { order, previousTotal: row.total, changes: described, actor: actor.name },
        }),
      );
      const promised = await remakePromise(tx, order, deps.leadTimes, now);
      if (promised) await recordEvent(tx, promised);
      return order;
    }),
  );
}
