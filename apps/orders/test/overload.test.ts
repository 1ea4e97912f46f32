import { DEFAULT_DATABASE_POOL_SIZE } from '@platform/config/env';
import type { Problem } from '@platform/contracts/api/problem';
import { holdTransaction } from '@platform/test-support/held-transaction';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../src/adapters/database';
import { databasePoolSize } from '../src/app';
import { orderBody, type OrdersService, startOrdersService } from './orders-service';

/**
 * Back-pressure: far more concurrent orders than the database pool can serve. A lock held on
 * `orders` keeps every admitted request waiting inside its transaction, so what happens to
 * the others does not depend on how fast the machine is.
 */

/** The test service's pool: the default, as is its admission limit. */
const POOL_SIZE = DEFAULT_DATABASE_POOL_SIZE;

let service: OrdersService;

beforeAll(async () => {
  service = await startOrdersService();
});

afterAll(async () => {
  await service?.stop();
});

/** Holds a lock that blocks every insert into `orders` until `release()`. */
async function lockOrdersTable() {
  const locker = createDatabase(service.databaseUrl);
  const lock = await holdTransaction(locker, (tx) => tx.$executeRaw`LOCK TABLE orders IN EXCLUSIVE MODE`, 120_000);
  return {
    async release() {
      await lock.release();
      await locker.$disconnect();
    },
  };
}

type Answer = Awaited<ReturnType<OrdersService['app']['inject']>>;

function expectShed(answer: Answer) {
  expect(answer.statusCode).toBe(503);
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
  expect((answer.json() as Problem).code).toBe('OVERLOADED');
}

describe('overload', () => {
  it('answers what the pool cannot serve with 503 OVERLOADED and Retry-After, never 500; health and metrics stay up', async () => {
    const lock = await lockOrdersTable();
    const total = POOL_SIZE * 6;
    const answered: Answer[] = [];
    let othersAnswered!: () => void;
    const allButAdmitted = new Promise<void>((resolve) => (othersAnswered = resolve));
    const requests = Array.from({ length: total }, () =>
      service.app.inject({ method: 'POST', url: '/orders', payload: orderBody() }).then((answer) => {
        answered.push(answer);
        if (answered.length === total - POOL_SIZE) othersAnswered();
        return answer;
      }),
    );
    // At most a pool's worth of requests can be inside a transaction; every other one is answered meanwhile.
    await allButAdmitted;
    expect((await service.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const metrics = await service.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toMatch(/^http_requests_shed_total\{.*\} [1-9]/m);
    await lock.release();

    const answers = await Promise.all(requests);
    const statuses = answers.map((answer) => answer.statusCode);
    expect(statuses.filter((status) => status !== 201 && status !== 503)).toEqual([]);
    for (const answer of answers.filter((a) => a.statusCode === 503)) expectShed(answer);
    expect(statuses.filter((status) => status === 201).length).toBeGreaterThan(0);
    // Nothing half-done: an order for every 201 and none for the 503s.
    expect(await service.db.order.count()).toBe(statuses.filter((status) => status === 201).length);
  });

  it('answers 503 OVERLOADED, not 500, when a transaction cannot get a connection in time', async () => {
    // Every connection of the pool taken by transactions that wait.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    let allStarted!: () => void;
    const poolTaken = new Promise<void>((resolve) => (allStarted = resolve));
    const connections = databasePoolSize(POOL_SIZE);
    const holders = Array.from({ length: connections }, () =>
      service.db.$transaction(
        async () => {
          if (++started === connections) allStarted();
          await released;
        },
        { timeout: 120_000, maxWait: 60_000 },
      ),
    );
    await poolTaken;
    const answer = await service.app.inject({ method: 'POST', url: '/orders', payload: orderBody() });
    release();
    await Promise.all(holders);
    expectShed(answer);
  });
});
