import { randomUUID } from 'node:crypto';
import { newEvent, recordEvent } from '@platform/config';
import { orderCreated } from '@platform/contracts';
import type { CreateOrderRequest, Order } from '@platform/contracts/api/orders';
import type { Database } from '../adapters/database';
import { claimIdempotencyKey, requestHash, storeIdempotentResponse } from '../adapters/idempotency';
import { insertOrder } from '../adapters/order-repository';
import { assertOrderRules } from '../domain/order-rules';
import { lineTotal, priceOrder } from '../domain/pricing';

export const SERVICE = 'orders';
const IDEMPOTENCY_SCOPE = 'orders.create';

export interface CreateOrderDeps {
  db: Database;
  /** Wakes the outbox relay after commit. */
  onEventsRecorded: () => void;
  now?: () => Date;
}

export interface CreateOrderResult {
  status: number;
  body: Order;
  replayed: boolean;
}

/**
 * Validates, prices and stores an order, and records `orders.order.created` in the same
 * transaction. With an idempotency key, a retry returns the first answer unchanged.
 */
export async function createOrder(
  deps: CreateOrderDeps,
  request: CreateOrderRequest,
  idempotencyKey?: string,
): Promise<CreateOrderResult> {
  const now = deps.now?.() ?? new Date();
  const orderId = randomUUID();

  const result = await deps.db.$transaction(async (tx) => {
    if (idempotencyKey) {
      const earlier = await claimIdempotencyKey(tx, IDEMPOTENCY_SCOPE, idempotencyKey, requestHash(request));
      if (earlier) return { status: earlier.status, body: earlier.body as Order, replayed: true };
    }
    // After the claim, so a retry gets its first answer even if the rules would now refuse it
    // (a scheduled window that has come too close); a refusal rolls the claim back.
    assertOrderRules(request, now);
    const totals = priceOrder(request);
    const order = await insertOrder(tx, {
      order: {
        id: orderId,
        status: 'pending',
        fulfillmentStatus: 'not_fulfilled',
        customerId: request.customer.id,
        customer: request.customer,
        shippingAddress: request.shippingAddress,
        billingAddress: request.billingAddress ?? request.shippingAddress,
        deliveryType: request.deliveryType,
        deliveryWindowStart: request.deliveryWindow ? new Date(request.deliveryWindow.start) : null,
        deliveryWindowEnd: request.deliveryWindow ? new Date(request.deliveryWindow.end) : null,
        notes: request.notes ?? null,
        ageVerified: request.ageVerified,
        currency: request.currency,
        subtotal: totals.subtotal,
        shippingTotal: totals.shipping,
        taxTotal: totals.tax,
        discountTotal: totals.discount,
        total: totals.total,
      },
      items: request.items.map((item, position) => ({
        id: randomUUID(),
        orderId,
        position,
        sku: item.sku,
        variantId: item.variantId,
        name: item.name,
        quantity: item.quantity,
        unitPrice: item.unitPrice,
        lineTotal: lineTotal(item),
        vendorId: item.vendor.id,
        vendorType: item.vendor.type,
        supplierSource: item.supplierSource,
        ageRestricted: item.ageRestricted,
        imageUrl: item.imageUrl ?? null,
      })),
      history: { id: randomUUID(), orderId, status: 'pending', previousStatus: null, details: 'order placed', actor: `customer:${request.customer.id}` },
    });
    await recordEvent(tx, newEvent(orderCreated, { aggregateId: order.id, source: SERVICE, data: order, occurredAt: now }));
    if (idempotencyKey) await storeIdempotentResponse(tx, IDEMPOTENCY_SCOPE, idempotencyKey, { status: 201, body: order });
    return { status: 201, body: order, replayed: false };
  });

  if (!result.replayed) deps.onEventsRecorded();
  return result;
}
