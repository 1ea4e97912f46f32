import type { Problem } from '@platform/contracts/api/problem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, orderBody, type OrdersService, startOrdersService } from './orders-service';

let service: OrdersService;
beforeAll(async () => {
  service = await startOrdersService();
});
afterAll(async () => service?.stop());

async function stored() {
  return { orders: await service.db.order.count(), outbox: await service.db.outboxEvent.count(), keys: await service.db.idempotencyKey.count() };
}

/** The body as JSON text with `marker` replaced by raw JSON escapes (JSON.stringify would re-escape them). */
function withEscape(body: unknown, marker: string, escape: string): string {
  return JSON.stringify(body).replace(marker, escape);
}

describe('text that PostgreSQL cannot store', () => {
  const cases = [
    { field: '/customer/name', put: (b: ReturnType<typeof orderBody>) => (b.customer.name = 'Fu@@zz') },
    { field: '/shippingAddress/line1', put: (b: ReturnType<typeof orderBody>) => (b.shippingAddress.line1 = 'Calle @@ 1') },
    { field: '/items/0/name', put: (b: ReturnType<typeof orderBody>) => (b.items[0]!.name = 'Mug @@') },
  ];
  for (const { field, put } of cases) {
    for (const escape of ['\\ud800', '\\udfff', '\\u0000']) {
      it(`answers 400 with the pointer ${field} for ${escape}, and stores nothing`, async () => {
        const body = orderBody();
        put(body);
        const before = await stored();
        const answer = await service.app.inject({
          method: 'POST',
          url: '/orders',
          headers: { ...as.customer(body.customer.id), 'content-type': 'application/json', 'idempotency-key': `hostile-${field}-${escape}` },
          payload: withEscape(body, '@@', escape),
        });
        expect(answer.statusCode).toBe(400);
        expect(answer.headers['content-type']).toContain('application/problem+json');
        const problem = answer.json() as Problem;
        expect(problem.code).toBe('VALIDATION_FAILED');
        expect(problem.errors?.[0]?.pointer).toBe(field);
        expect(await stored()).toEqual(before);
      });
    }
  }

  it('accepts a well-formed surrogate pair (an emoji written as escapes)', async () => {
    const body = orderBody();
    body.customer.name = 'Ana @@';
    const answer = await service.app.inject({
      method: 'POST',
      url: '/orders',
      headers: { 'content-type': 'application/json' },
      payload: withEscape(body, '@@', '\\ud83d\\ude00'),
    });
    expect(answer.statusCode).toBe(201);
    expect(answer.json().customer.name).toBe('Ana 😀');
  });
});
