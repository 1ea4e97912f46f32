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
 * Replicas of fulfillment on one database and one NATS server of the test's own. One replica
 * takes all three consumers' leases; a second one starting makes them spread (the first hands
 * the order consumer back after settling what it had in hand) while orders flow, and each order's events
 * still apply as in stream order, an older modification published after a newer one changing
 * nothing. When a replica stops, the other takes every consumer (docs/ordering.md).
 */

const CONSUMER = 'fulfillment--order-events';
/** Short: a hand-back that lost a delivery at close keeps the lease this long (see `EventConsumer`). */
const ACK_WAIT_MS = 5_000;
const CONSUMERS = ['fulfillment--billing-events', CONSUMER, 'fulfillment--tracking-updates'];
let root: string;
let nats: NatsHandle;
let nc: NatsConnection;
let replicas: Composition[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'fulfillment-replicas-'));
  nats = await startNats({ storeDir: join(root, 'nats') });
  nc = await connect({ servers: nats.url });
  await provisionNats({ NATS_URL: nats.url });
  replicas = [await compose({ natsUrl: nats.url, workers: true, ackWaitMs: ACK_WAIT_MS })];
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

/** The consumers whose lease one replica holds. */
async function leasesOf(replica: Composition): Promise<string[]> {
  const metric = await replica.runtime.metrics.consumerLeaseHeld.get();
  return metric.values.filter((value) => value.value === 1).map((value) => String(value.labels.consumer)).sort();
}
const leasesOfAll = () => Promise.all(replicas.map(leasesOf));

/** What the consumer settled on one replica, by outcome. */
async function settled(replica: Composition): Promise<Record<string, number>> {
  const metric = await replica.runtime.metrics.eventsConsumed.get();
  const outcomes: Record<string, number> = {};
  for (const value of metric.values) if (value.labels.consumer === CONSUMER) outcomes[String(value.labels.outcome)] = (outcomes[String(value.labels.outcome)] ?? 0) + value.value;
  return outcomes;
}
const sum = (all: Array<Record<string, number>>, outcome: string) => all.reduce((n, outcomes) => n + (outcomes[outcome] ?? 0), 0);

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

describe('consumers with two replicas', () => {
  it("spread when a second replica starts, each order's events applied in order through the handover", async () => {
    await eventually(leasesOfAll, (held) => held[0]!.length === CONSUMERS.length);
    const orders = Array.from({ length: 16 }, () => sampleOrder([{ sku: 'MUG', quantity: 1, supplierSource: 'cj' }]));
    // Interleaved, as orders arrive on the stream: created and the first modification before the
    // second replica starts, the second modification while the leases move, the rest after.
    const streams = orders.map(journey);
    const steps = streams[0]!.map((_, step) => streams.map((events) => events[step]!));
    await publish(steps.slice(0, 2).flat());
    const [first] = replicas as [Composition];
    replicas.push(await compose({ natsUrl: nats.url, workers: true, ackWaitMs: ACK_WAIT_MS, databaseUrl: first.databaseUrl, clock: first.clock }));
    await publish(steps[2]!);

    // Each replica holds some leases, every consumer is held, none twice. The first consumer the
    // service declares is the one handed over: the order events.
    const held = await eventually(leasesOfAll, ([one, two]) => one!.length > 0 && two!.length > 0 && one!.length + two!.length === CONSUMERS.length);
    expect(held).toEqual([['fulfillment--billing-events', 'fulfillment--tracking-updates'], [CONSUMER]]);
    await publish(steps.slice(3).flat());

    const outcomes = await eventually(() => Promise.all(replicas.map(settled)), (all) => sum(all, 'processed') + sum(all, 'stale') >= orders.length * 5);
    // Every event applied once (a message handed back unsettled is redelivered, never applied twice).
    expect({ processed: sum(outcomes, 'processed'), stale: sum(outcomes, 'stale') }).toEqual({ processed: orders.length * 4, stale: orders.length });
    // The second replica took the late copies and the cancels: it skipped each late copy as older
    // than the modification the first replica had applied, and cancelled after it.
    expect({ processed: outcomes[1]!.processed! >= orders.length, stale: outcomes[1]!.stale }).toEqual({ processed: true, stale: orders.length });
    for (const order of orders) expect(await workflowOf(first, order.id)).toEqual({ state: 'cancelled', total: 2200 });
    expect((await leasesOfAll()).flat().sort()).toEqual(CONSUMERS);
  });

  it('gives every consumer to the other replica when one stops', async () => {
    const [stopping, staying] = replicas as [Composition, Composition];
    await stopping.stop();
    replicas = [staying];
    const order = sampleOrder([{ sku: 'MUG', quantity: 1, supplierSource: 'cj' }]);
    await publish(journey(order));
    await eventually(leasesOfAll, ([held]) => held!.length === CONSUMERS.length);
    await eventually(() => workflowOf(staying, order.id), (workflow) => workflow.state === 'cancelled');
    expect(await workflowOf(staying, order.id)).toEqual({ state: 'cancelled', total: 2200 });
  });
});
