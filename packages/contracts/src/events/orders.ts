import { orderSchema } from '../api/orders';
import { defineEvent } from '../envelope';

/** An order was accepted: priced, validated and stored. Carries the whole order so consumers need no read-back. */
export const orderCreated = defineEvent({
  type: 'orders.order.created',
  version: 1,
  stream: 'ORDERS',
  description: 'An order was accepted (priced, validated, stored).',
  data: orderSchema,
});

export const orderEvents = [orderCreated] as const;
