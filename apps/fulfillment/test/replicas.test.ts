import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type Envelope, orderCancelled, orderModified } from '@platform/contracts';
import type { Order } from '@platform/contracts/api/orders';
import { startNats, type NatsHandle } from '@platform/devstack';
import { publishEnvelope } from '@platform/runtime/nats';
import { provisionNats } from '@platform/runtime/nats-provisioning';
import { eventually } from '@platform/test-support/eventually';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Composition, compose, createdEvent, event, sampleOrder } from './support/composition';

/**
 * Two replicas of fulfillment on one database and one durable consumer (`fulfillment--order-events`),
 * on a NATS server of the test's own: each order's events apply as in stream order, an older
 * modification published after a newer one changes nothing, and when the replica handling the
 * consumer stops, the other takes over (docs/ordering.md).
 */

const CONSUMER = 'fulfillment--order-events';
let root: string;
let nats: NatsHandle;
let nc: NatsConnection;
let replicas: Composition[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'fulfillment-replicas-'));
  nats = await startNats({ storeDir: join(root, 'nats') });
  nc = await connect({ servers: nats.url });
  await provisionNats({ NATS_URL: nats.url });
  const first = await compose({ natsUrl: nats.url, workers: true });
  const second = await compose({ natsUrl: nats.url, workers: true, databaseUrl: first.databaseUrl, clock: first.clock });
  replicas = [first, second];
});

afterAll(async () => {
  for (const replica of replicas) await replica.stop();
  await nc?.close();
  await nats?.stop();
  rmSync(root, { recursive: true, force: true });
});

const publish = async (events: Envelope[]) => {
  const js = jetstream(nc);
  for (const envelope of events) await publishEnvelope(js, envelope);
};

/** What the consumer settled on one replica, by outcome. */
async function settled(replica: Composition): Promise<Record<string, number>> {
  const metric = await replica.runtime.metrics.eventsConsumed.get();
  const outcomes: Record<string, number> = {};
  for (const value of metric.values) if (value.labels.consumer === CONSUMER) outcomes[String(value.labels.outcome)] = (outcomes[String(value.labels.outcome)] ?? 0) + value.value;
  return outcomes;
}
const total = (outcomes: Record<string, number>) => Object.values(outcomes).reduce((sum, n) => sum + n, 0);

/** created, modified to version 1 and 2, version 1 again (a late copy), then cancelled: one order's stream. */
function journey(order: Order): Envelope[] {
  const modification = (version: number, total: number) =>
    event(orderModified, order.id, { order: { ...order, version, totals: { ...order.totals, total } }, previousTotal: 2000, changes: ['items'], actor: 'customer:cust-1' });
  return [
    createdEvent(order),
    modification(1, 2100),
    modification(2, 2200),
    modification(1, 9999),
    event(orderCancelled, order.id, { orderId: order.id, reason: 'customer asked', actor: 'customer:cust-1', previousStatus: 'pending', cancelledAt: new Date().toISOString() }),
  ];
}

async function workflowOf(replica: Composition, orderId: string) {
  const row = await replica.db.workflow.findUnique({ where: { orderId } });
  const snapshot = row?.snapshot as { context?: { order?: { total?: number } } } | undefined;
  return { state: row?.state, total: snapshot?.context?.order?.total };
}

describe('a consumer with two replicas', () => {
  it("applies each order's events in order, skips the late older modification, on one replica at a time", async () => {
    const orders = Array.from({ length: 8 }, () => sampleOrder([{ sku: 'MUG', quantity: 1, supplierSource: 'cj' }]));
    // Interleaved, as orders arrive on the stream.
    const streams = orders.map(journey);
    await publish(streams[0]!.flatMap((_, step) => streams.map((events) => events[step]!)));

    const [first, second] = replicas as [Composition, Composition];
    await eventually(async () => total(await settled(first)) + total(await settled(second)), (n) => n === orders.length * 5);
    for (const order of orders) expect(await workflowOf(first, order.id)).toEqual({ state: 'cancelled', total: 2200 });
    const [one, two] = [await settled(first), await settled(second)];
    // One replica held the consumer's lease and handled everything; the other stood by.
    expect([total(one), total(two)].sort((a, b) => a - b)).toEqual([0, orders.length * 5]);
    expect((one.stale ?? 0) + (two.stale ?? 0)).toBe(orders.length);
  });

  it('hands the consumer to the other replica when the one handling it stops', async () => {
    const active = (await Promise.all(replicas.map(async (replica) => total(await settled(replica))))).findIndex((n) => n > 0);
    const [stopping, standby] = [replicas[active]!, replicas[1 - active]!];
    await stopping.stop();
    replicas = [standby];
    const order = sampleOrder([{ sku: 'MUG', quantity: 1, supplierSource: 'cj' }]);
    await publish(journey(order));
    await eventually(() => workflowOf(standby, order.id), (workflow) => workflow.state === 'cancelled');
    expect(await workflowOf(standby, order.id)).toEqual({ state: 'cancelled', total: 2200 });
  });
});
