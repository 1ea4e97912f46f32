import type { Order } from '@platform/contracts/api/orders';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, orderBody, type OrdersService, startOrdersService } from './orders-service';

let service: OrdersService;
beforeAll(async () => {
  service = await startOrdersService();
});
afterAll(async () => service?.stop());

function place(body: unknown, headers: Record<string, string>) {
  return service.app.inject({ method: 'POST', url: '/orders', payload: body as object, headers });
}

describe('Idempotency-Key belongs to the caller', () => {
  it('two customers using the same key with different bodies each get their own order, and each replay returns their own', async () => {
    const key = 'shared-key-1';
    const bodyA = orderBody({ customer: { id: 'cust-key-a', email: 'a@example.com', name: 'Ana' } });
    const bodyB = orderBody({ customer: { id: 'cust-key-b', email: 'b@example.com', name: 'Bruno' }, notes: 'leave at the door' });
    const headersA = { ...as.customer('cust-key-a'), 'idempotency-key': key };
    const headersB = { ...as.customer('cust-key-b'), 'idempotency-key': key };

    const first = await place(bodyA, headersA);
    expect(first.statusCode).toBe(201);
    const second = await place(bodyB, headersB);
    // Before: 422 IDEMPOTENCY_KEY_REUSED, which told B that someone else had used the key.
    expect(second.statusCode).toBe(201);
    const orderA = first.json() as Order;
    const orderB = second.json() as Order;
    expect(orderB.id).not.toBe(orderA.id);
    expect(orderB.customer.id).toBe('cust-key-b');

    const replayA = await place(bodyA, headersA);
    const replayB = await place(bodyB, headersB);
    expect([replayA.statusCode, replayB.statusCode]).toEqual([201, 201]);
    expect(replayA.headers['idempotent-replayed']).toBe('true');
    expect(replayB.headers['idempotent-replayed']).toBe('true');
    expect((replayA.json() as Order).id).toBe(orderA.id);
    expect((replayB.json() as Order).id).toBe(orderB.id);
    expect(replayB.body).not.toContain('cust-key-a');
    expect(await service.db.order.count({ where: { customerId: { in: ['cust-key-a', 'cust-key-b'] } } })).toBe(2);
  });

  it('a key another customer used first does not block a customer, and its own reuse with another body is still a 422', async () => {
    const key = 'shared-key-2';
    const byB = await place(orderBody({ customer: { id: 'cust-key-d', email: 'd@example.com', name: 'Dan' } }), { ...as.customer('cust-key-d'), 'idempotency-key': key });
    expect(byB.statusCode).toBe(201);
    const bodyC = orderBody({ customer: { id: 'cust-key-c', email: 'c@example.com', name: 'Carla' } });
    const byA = await place(bodyC, { ...as.customer('cust-key-c'), 'idempotency-key': key });
    expect(byA.statusCode).toBe(201);
    expect((byA.json() as Order).customer.id).toBe('cust-key-c');

    const changed = await place({ ...bodyC, notes: 'another body' }, { ...as.customer('cust-key-c'), 'idempotency-key': key });
    expect(changed.statusCode).toBe(422);
    expect(changed.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
  });

  it('ops keys are callers of their own: one ops key does not replay another ops key\'s answer', async () => {
    const key = 'shared-key-3';
    const first = await place(orderBody(), { 'x-actor': 'ops:key-1', 'x-actor-role': 'ops', 'idempotency-key': key });
    const second = await place(orderBody(), { 'x-actor': 'ops:key-2', 'x-actor-role': 'ops', 'idempotency-key': key });
    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
  });
});
