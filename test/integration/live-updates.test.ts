import { randomUUID } from 'node:crypto';
import { loadEnv } from '@platform/config/env';
import { signOrderLink } from '@platform/config/order-links';
import { type Envelope, notificationSent, orderTimelineFilter, streams, timelineEntryRecorded, trackingScanned, workflowTransitioned } from '@platform/contracts';
import type { TimelineEntry } from '@platform/contracts/api/timeline';
import { AdjustableClock } from '@platform/runtime/clock';
import { createHttpServer, type PlatformHttpServer } from '@platform/runtime/http';
import { createLogger } from '@platform/runtime/logger';
import { createMetrics } from '@platform/runtime/metrics';
import { publishEnvelope } from '@platform/runtime/nats';
import { httpServerSettings } from '@platform/runtime/service';
import { eventually } from '@platform/test-support/eventually';
import { LiveClient } from '@platform/test-support/live';
import { connectMessaging, type Messaging } from '@platform/test-support/messaging';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BackgroundNats } from '@platform/runtime/background-nats';
import { buildGateway } from '../../apps/gateway/src/app';
import { gatewayEnv } from '../../apps/gateway/src/config';
import { onNotificationOutcome } from '../../apps/orders/src/consumers/notification-outcomes-consumer';
import { onTrackingScanned, onWorkflowTransitioned } from '../../apps/orders/src/consumers/order-progress-consumers';
import { orderBody, type OrdersService, placeOrder, startOrdersService } from '../../apps/orders/test/orders-service';

/**
 * Live updates (GW-03) end to end inside one process: the real orders service records timeline
 * entries (here from carrier scans and workflow steps, through its consumers' handlers), its
 * outbox rows are published exactly as the relay publishes them (`publishEnvelope`: the subject
 * comes from the event's definition), and the real gateway streams them from JetStream to
 * server-sent-event clients over HTTP.
 */

const LINK_SECRET = 'a-test-order-link-secret-of-at-least-32-chars';
const customerA = `cust-${randomUUID()}`;
const customerB = `cust-${randomUUID()}`;
const KEYS = { a: 'key-customer-a-0123456789', b: 'key-customer-b-0123456789', ops: 'key-ops-0123456789', aExpiring: 'key-customer-a-expiring-0123' };
const HOUR = 60 * 60 * 1000;

let orders: OrdersService;
let messaging: Messaging;
let gateway: PlatformHttpServer;
/** Two replicas of the gateway: a client may reconnect to either. */
let gatewayUrl: string;
let otherReplicaUrl: string;
const gateways: PlatformHttpServer[] = [];
const clock = new AdjustableClock();

async function startGateway(variables: Record<string, string> = {}): Promise<{ app: PlatformHttpServer; url: string }> {
  const env = loadEnv(gatewayEnv, {
    API_KEYS: JSON.stringify([
      { id: 'a', key: KEYS.a, role: 'customer', customerId: customerA },
      { id: 'b', key: KEYS.b, role: 'customer', customerId: customerB },
      { id: 'desk', key: KEYS.ops, role: 'ops' },
      { id: 'a-expiring', key: KEYS.aExpiring, role: 'customer', customerId: customerA, expiresAt: new Date(Date.now() + 24 * HOUR).toISOString() },
    ]),
    ORDERS_URL: orders.url,
    NATS_URL: inject('natsUrl'),
    ORDER_LINK_SECRET: LINK_SECRET,
    LIVE_HEARTBEAT_MS: '100',
    ...variables,
  });
  const [log, metrics] = [createLogger('gateway', 'silent'), createMetrics('gateway')];
  const app = createHttpServer({ log, metrics, readiness: {}, ...httpServerSettings(env) });
  await buildGateway(app, env, { metrics, clock, nats: new BackgroundNats(env, 'gateway', log) });
  gateways.push(app);
  return { app, url: await app.listen({ host: '127.0.0.1', port: 0 }) };
}

beforeAll(async () => {
  orders = await startOrdersService();
  messaging = await connectMessaging();
  ({ app: gateway, url: gatewayUrl } = await startGateway());
  ({ url: otherReplicaUrl } = await startGateway());
});

afterAll(async () => {
  for (const app of gateways) await app.close();
  await messaging?.nc.close();
  await orders?.stop();
});

/** What the outbox relay does for the order's timeline entries: publish the waiting ones in order, on their subjects, and delete them. */
async function relayTimeline(): Promise<void> {
  const rows = await orders.db.outboxEvent.findMany({ where: { type: timelineEntryRecorded.type }, orderBy: { seq: 'asc' } });
  for (const row of rows) await publishEnvelope(messaging.js, row.envelope as unknown as Envelope);
  await orders.db.outboxEvent.deleteMany({ where: { id: { in: rows.map((row) => row.id) } } });
}

async function placeFor(customerId: string) {
  const order = await placeOrder(orders, orderBody({ customer: { id: customerId, email: 'ana@example.com', name: 'Ana' } }));
  await relayTimeline();
  return order;
}

/** A carrier scan of the order's parcel at `place` (one timeline entry for the customer). */
async function scan(orderId: string, place: string): Promise<void> {
  const event = orders.event(trackingScanned, {
    orderId,
    shipmentId: randomUUID(),
    scanId: randomUUID(),
    trackingNumber: 'LX123456789DE',
    carrier: 'dhl',
    status: 'in_transit',
    location: place,
    description: 'Scanned',
    scannedAt: new Date().toISOString(),
  });
  await orders.db.$transaction((tx) => onTrackingScanned(event, tx));
  await relayTimeline();
}

/** A workflow step: an entry for ops only. */
async function workflowStep(orderId: string): Promise<void> {
  const event = orders.event(workflowTransitioned, {
    orderId,
    from: 'pending',
    to: 'pending',
    trigger: 'TEST',
    retryCount: 0,
    error: null,
    willRetry: false,
    tracking: null,
    at: new Date().toISOString(),
  });
  await orders.db.$transaction((tx) => onWorkflowTransitioned(orders.deps, event, tx));
  await relayTimeline();
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Ordered consumers reading one order's subjects: the streams still open on it. */
async function readersOf(orderId: string): Promise<number> {
  let count = 0;
  for await (const info of messaging.jsm.consumers.list(streams.TIMELINE.name)) {
    // A consumer deleted while the server pages the list comes back as null.
    if (!info) continue;
    const filters = [info.config.filter_subject, ...(info.config.filter_subjects ?? [])];
    if (filters.some((filter) => filter?.endsWith(`.${orderId}`))) count += 1;
  }
  return count;
}

describe('live updates by server-sent events (GW-03)', () => {
  it('replays exactly what a client missed after Last-Event-ID, then goes on live', async () => {
    const order = await placeFor(customerA);
    const first = await LiveClient.open(`${gatewayUrl}/v1/orders/${order.id}/live`, bearer(KEYS.a));
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toMatch(/^text\/event-stream/);
    // Without a cursor an order's stream starts with its story so far: the order placed.
    await eventually(async () => first.entries, (entries) => entries.some(({ entry }) => entry.kind === 'status'));
    await scan(order.id, 'Leipzig');
    await scan(order.id, 'Halle');
    await eventually(async () => first.places, (places) => places.length === 2);
    expect(first.places).toEqual(['Leipzig', 'Halle']);
    const cursor = first.entries.at(-1)!.id;
    first.close();
    // The reader (a JetStream consumer) goes with the client.
    await eventually(() => readersOf(order.id), (count) => count === 0);

    await scan(order.id, 'Berlin');
    await scan(order.id, 'Madrid');
    await scan(order.id, 'Valencia');

    // The client comes back through another replica: what it missed is read from JetStream, not from a replica's memory.
    const again = await LiveClient.open(`${otherReplicaUrl}/v1/orders/${order.id}/live`, { ...bearer(KEYS.a), 'last-event-id': cursor });
    await eventually(async () => again.places, (places) => places.length >= 3);
    await scan(order.id, 'Alicante');
    await eventually(async () => again.places, (places) => places.length >= 4);
    expect(again.places).toEqual(['Berlin', 'Madrid', 'Valencia', 'Alicante']);
    expect(again.entries).toHaveLength(4);
    expect(again.entries.every(({ id }) => Number(id) > Number(cursor))).toBe(true);
    // Heartbeats keep a quiet stream open.
    await eventually(async () => again.received, (received) => received.some((m) => m.comment === 'heartbeat'));
    again.close();
  });

  it("never carries another customer's entries, and refuses their order and their stream", async () => {
    const mine = await placeFor(customerA);
    const theirs = await placeFor(customerB);
    const stream = await LiveClient.open(`${gatewayUrl}/v1/customers/${encodeURIComponent(customerA)}/live`, bearer(KEYS.a));
    expect(stream.status).toBe(200);
    // Both customers' parcels move; theirs first, so a leak would arrive before my entry does.
    await workflowStep(mine.id);
    await scan(theirs.id, 'Porto');
    await scan(mine.id, 'Lisbon');
    await eventually(async () => stream.places, (places) => places.includes('Lisbon'));
    expect(stream.entries.map(({ entry }) => entry.orderId)).toEqual([mine.id]);
    // The customer's stream carries what the customer may see: not the workflow step.
    expect(stream.entries.map(({ entry }) => entry.kind)).toEqual(['carrier_scan']);
    stream.close();

    const ops = await LiveClient.open(`${gatewayUrl}/v1/orders/${mine.id}/live`, bearer(KEYS.ops));
    await eventually(async () => ops.entries, (entries) => entries.some(({ entry }) => entry.kind === 'workflow'));
    ops.close();

    const theirOrder = await LiveClient.open(`${gatewayUrl}/v1/orders/${theirs.id}/live`, bearer(KEYS.a));
    expect(theirOrder.status).toBe(404);
    const theirStream = await LiveClient.open(`${gatewayUrl}/v1/customers/${encodeURIComponent(customerB)}/live`, bearer(KEYS.a));
    expect(theirStream.status).toBe(403);
    const badCursor = await LiveClient.open(`${gatewayUrl}/v1/orders/${mine.id}/live`, { ...bearer(KEYS.a), 'last-event-id': 'yesterday' });
    expect(badCursor.status).toBe(400);
  });

  it("starts a customer's stream with its cursor, so a client that reconnects before any entry misses nothing", async () => {
    const order = await placeFor(customerA);
    const url = `${gatewayUrl}/v1/customers/${encodeURIComponent(customerA)}/live`;
    const first = await LiveClient.open(url, bearer(KEYS.a));
    const start = await eventually(async () => first.received.find((m) => m.id !== undefined && m.event === undefined), Boolean);
    first.close();
    await scan(order.id, 'Burgos');
    const again = await LiveClient.open(`${otherReplicaUrl}/v1/customers/${encodeURIComponent(customerA)}/live`, { ...bearer(KEYS.a), 'last-event-id': start!.id! });
    await eventually(async () => again.places, (places) => places.includes('Burgos'));
    expect(again.places).toEqual(['Burgos']);
    again.close();
  });

  it("tells the customer's stream when an item joins their in-app feed, so the app refreshes it (docs/in-app-feed.md)", async () => {
    const order = await placeFor(customerA);
    const stream = await LiveClient.open(`${gatewayUrl}/v1/customers/${encodeURIComponent(customerA)}/live`, bearer(KEYS.a));
    expect(stream.status).toBe(200);
    // What notifications records when it writes a feed item (apps/notifications/test/in-app-feed.test.ts), as orders' consumer applies it.
    const sent = orders.event(notificationSent, {
      notificationId: randomUUID(),
      orderId: order.id,
      template: 'order-confirmation',
      orderStatus: 'confirmed',
      notice: 'confirmed',
      channel: 'in_app',
      recipient: customerA,
      locale: 'es',
      providerMessageId: null,
      sentAt: new Date().toISOString(),
    });
    await orders.db.$transaction((tx) => onNotificationOutcome({ outcome: 'sent', event: sent }, tx));
    await relayTimeline();
    await eventually(async () => stream.entries, (entries) => entries.some(({ entry }) => entry.kind === 'notification'));
    expect(stream.entries.map(({ entry }) => entry)).toEqual([
      expect.objectContaining({ kind: 'notification', orderId: order.id, audience: 'customer', channel: 'in_app', notice: 'confirmed', outcome: 'sent' }),
    ]);
    stream.close();
  });

  it('serves the timeline and the stream to a signed order link, and ends them when the link or the key expires', async () => {
    const order = await placeFor(customerA);
    await workflowStep(order.id);
    await scan(order.id, 'Zaragoza');
    const token = signOrderLink(LINK_SECRET, order.id, new Date(clock.now().getTime() + HOUR));

    const timeline = await gateway.inject({ method: 'GET', url: `/v1/orders/${order.id}/timeline?t=${token}` });
    expect(timeline.statusCode).toBe(200);
    expect(timeline.json().entries.map((e: TimelineEntry) => e.kind)).toEqual(['status', 'carrier_scan']);
    const forged = await gateway.inject({ method: 'GET', url: `/v1/orders/${randomUUID()}/timeline?t=${token}` });
    expect(forged.statusCode).toBe(401);

    const byLink = await LiveClient.open(`${gatewayUrl}/v1/orders/${order.id}/live?t=${token}`);
    const byKey = await LiveClient.open(`${gatewayUrl}/v1/orders/${order.id}/live`, bearer(KEYS.aExpiring));
    await eventually(async () => [byLink.places, byKey.places], ([a, b]) => a!.includes('Zaragoza') && b!.includes('Zaragoza'));
    expect(byLink.entries.map(({ entry }) => entry.kind)).toEqual(['status', 'carrier_scan']);

    clock.advance(HOUR + 1);
    await eventually(async () => byLink.closedByServer, (closed) => closed);
    expect(byLink.received.at(-1)).toMatchObject({ event: 'end' });
    expect(byKey.closedByServer).toBe(false);
    expect((await gateway.inject({ method: 'GET', url: `/v1/orders/${order.id}/timeline?t=${token}` })).json()).toMatchObject({ status: 401, code: 'LINK_EXPIRED' });

    clock.advance(24 * HOUR);
    await eventually(async () => byKey.closedByServer, (closed) => closed);
    expect(byKey.received.at(-1)).toMatchObject({ event: 'end' });
    await eventually(() => readersOf(order.id), (count) => count === 0);
  });
});

describe('without NATS', () => {
  it('answers everything but the live streams', async () => {
    const { app, url } = await startGateway({ NATS_URL: 'nats://127.0.0.1:1' });
    const order = await placeFor(customerA);
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: `/v1/orders/${order.id}/timeline`, headers: bearer(KEYS.a) })).statusCode).toBe(200);
    const live = await LiveClient.open(`${url}/v1/orders/${order.id}/live`, bearer(KEYS.a));
    expect(live.status).toBe(503);
    expect(live.headers['retry-after']).toBeDefined();
    await eventually(async () => live.closedByServer, (closed) => closed);
  });
});

describe('the TIMELINE subjects', () => {
  it("filter one order under whichever customer it is", () => {
    expect(orderTimelineFilter('o-1')).toBe('timeline.*.o-1');
  });
});
