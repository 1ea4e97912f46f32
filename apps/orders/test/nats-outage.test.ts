import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Envelope, orderCreated, streams } from '@platform/contracts';
import { startNats, type NatsHandle } from '@platform/devstack';
import { provisionNats } from '@platform/runtime/nats-provisioning';
import { eventually } from '@platform/test-support/eventually';
import { startService } from '@platform/test-support/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOrders } from '../src/app';
import { ordersEnv } from '../src/config';
import { orderBody } from './orders-service';

/**
 * A NATS outage the outbox absorbs (docs/probes.md): the service stays ready and keeps taking
 * orders while its own NATS server is down, and publishes what waited once it is back.
 */

let root: string;
let nats: NatsHandle;
let orders: Awaited<ReturnType<typeof startOrders>>;

const startOrders = (natsUrl: string) => startService(buildOrders, { name: 'orders', env: ordersEnv, variables: { NATS_URL: natsUrl } });

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'orders-nats-outage-'));
  nats = await startNats({ storeDir: join(root, 'nats') });
  await provisionNats({ NATS_URL: nats.url });
  orders = await startOrders(nats.url);
});

afterAll(async () => {
  // NATS first back (if a test left it down), so the service's shutdown can drain.
  await nats?.restart();
  await orders?.stop();
  await nats?.stop();
  rmSync(root, { recursive: true, force: true });
});

const readiness = async () => {
  const response = await orders.app.inject({ method: 'GET', url: '/readyz' });
  return { status: response.statusCode, body: response.json() as { status: string; checks: Record<string, string>; degraded?: Record<string, string> } };
};

describe('readiness during a NATS outage', () => {
  it('reports NATS but stays ready, and the outbox holds the events until NATS is back', async () => {
    expect(await readiness()).toEqual({ status: 200, body: { status: 'ok', checks: { database: 'ok', nats: 'ok' } } });

    await nats.stop();
    const during = await eventually(readiness, (answer) => answer.body.degraded?.nats !== undefined);
    expect(during.status).toBe(200);
    expect(during.body).toMatchObject({ status: 'ok', checks: { database: 'ok' } });

    const placed = await orders.app.inject({ method: 'POST', url: '/orders', payload: orderBody() });
    expect(placed.statusCode).toBe(201);
    const orderId = (placed.json() as { id: string }).id;
    const waiting = () => orders.db.outboxEvent.count({ where: { aggregateId: orderId } });
    expect(await waiting()).toBeGreaterThan(0);

    await nats.restart();
    // The relay deletes a row once JetStream has stored its event.
    await eventually(waiting, (count) => count === 0);
    const stored = await orders.runtime.messaging.jsm.streams.getMessage(streams.ORDERS.name, { last_by_subj: orderCreated.type });
    expect(stored?.json<Envelope>().aggregateId).toBe(orderId);
    expect((await readiness()).body.degraded).toBeUndefined();
  });
});
