import { randomUUID } from 'node:crypto';
import { paymentSucceeded } from '@platform/contracts';
import { holdTransaction } from '@platform/test-support/held-transaction';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateOrderAtVersion } from '../src/adapters/order-repository';
import { onPaymentSucceeded } from '../src/consumers/order-progress-consumers';
import { type OrdersService, placeOrder, startOrdersService } from './orders-service';

let service: OrdersService;
beforeAll(async () => {
  service = await startOrdersService();
});
afterAll(async () => service?.stop());

/**
 * Holds a transaction that bumped the order's version (another writer, uncommitted) while
 * `contender` runs, then commits it: the contender read the old version and meets the lock.
 */
async function whileAnotherWriterHoldsTheOrder<T>(orderId: string, contender: () => Promise<T>): Promise<T> {
  const writer = await holdTransaction(service.db, (tx) => updateOrderAtVersion(tx, orderId, 0, { notes: 'other writer', updatedAt: new Date() }));
  const contending = contender();
  await new Promise((resolve) => setTimeout(resolve, 300)); // the contender reads, then waits on the row lock
  await writer.release();
  return contending;
}

describe('optimistic locking', () => {
  it('answers 409 VERSION_CONFLICT to a modification that lost the race after reading', async () => {
    const order = await placeOrder(service);
    const answer = await whileAnotherWriterHoldsTheOrder(order.id, () =>
      service.app.inject({ method: 'PATCH', url: `/orders/${order.id}`, headers: { 'if-match': '"0"' }, payload: { notes: 'mine' } }),
    );
    expect(answer.statusCode).toBe(409);
    expect(answer.json().code).toBe('VERSION_CONFLICT');
    const stored = await service.db.order.findUniqueOrThrow({ where: { id: order.id } });
    expect(stored).toMatchObject({ notes: 'other writer', version: 1 });
  });

  it('lets a consumer that lost the race read the order again and apply its change', async () => {
    const order = await placeOrder(service);
    const event = service.event(paymentSucceeded, {
      orderId: order.id,
      paymentId: randomUUID(),
      provider: 'stripe',
      providerPaymentId: 'pi_2',
      amount: order.totals.total,
      currency: 'EUR',
      paidAt: new Date().toISOString(),
    });
    await whileAnotherWriterHoldsTheOrder(order.id, () => service.db.$transaction((tx) => onPaymentSucceeded(service.deps, event, tx)));
    const stored = await service.db.order.findUniqueOrThrow({ where: { id: order.id } });
    expect(stored).toMatchObject({ status: 'confirmed', notes: 'other writer', version: 2 });
  });
});
