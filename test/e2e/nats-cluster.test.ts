import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { streams } from '@platform/contracts';
import { type NatsClusterHandle, SERVICE_NAMES, type ServiceName, type SinkMessage, startNatsCluster } from '@platform/devstack';
import { getBilling, getOrder, pay, placeOrder, withoutQuietHours } from '@platform/test-support/lifecycle';
import { eventually, natsViolations, type Platform, sampleOrder, sleep, startPlatform } from '@platform/test-support/platform';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The platform on a three-node JetStream cluster (three nats-server processes on loopback, with
 * the platform's NATS users) with every stream replicated three times (provisioned with
 * NATS_STREAM_REPLICAS=3). Orders are placed and paid
 * continuously; the node leading the ORDERS stream is SIGKILLed mid-run. Afterwards every order
 * is confirmed exactly once (one payment, one paid invoice, one confirmation email), no service
 * was restarted, each is ready again, and ORDERS has another leader. See docs/nats-cluster.md.
 */

const STREAM = 'ORDERS';
/** The services that hold a NATS connection (named after the service: `connect({ name })`). */
const MESSAGING: readonly ServiceName[] = SERVICE_NAMES.filter((name) => name !== 'gateway');

let dir: string | undefined;
let cluster: NatsClusterHandle | undefined;
let platform: Platform | undefined;
afterAll(async () => {
  if (platform && process.env.KEEP_LOGS) await cp(platform.logDir, process.env.KEEP_LOGS, { recursive: true });
  if (dir && process.env.KEEP_LOGS) await cp(join(dir, 'nats-logs'), join(process.env.KEEP_LOGS, 'nats'), { recursive: true });
  await platform?.stop();
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Placed {
  orderId: string;
  /** `ORD-…`: the confirmation email's subject names it. */
  number: string;
  email: string;
  /** Placed after the leader was killed. */
  afterKill: boolean;
  /** Paid (the simulator sent the webhook); rejects when a step failed. */
  paid: Promise<void>;
}

/**
 * `pay` with a longer wait for billing's checkout: an order placed just before the kill reaches
 * billing only once billing's pull consumer noticed the lost pull (missed heartbeats) and pulled again.
 */
async function payWhenBillingHasIt(p: Platform, orderId: string): Promise<void> {
  await eventually(() => getBilling(p, orderId), (b) => Boolean(b?.payments?.[0]?.checkoutSessions?.some((s) => s.status === 'open')), 120_000);
  await pay(p, orderId);
}

describe('NATS JetStream cluster', () => {
  it('the leader node of ORDERS is SIGKILLed while orders are placed and paid: every order is confirmed once, services reconnect on their own', { timeout: 300_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'nats-cluster-e2e-'));
    cluster = await startNatsCluster({
      dir: join(dir, 'nodes'),
      logDir: join(dir, 'nats-logs'),
      users: true,
    });
    // info: the services' "NATS reconnected" lines are part of the evidence.
    platform = await startPlatform({
      env: { NATS_URL: cluster.url, NATS_STREAM_REPLICAS: '3' },
      // The test polls every order's billing while placing more: above the admin key's 600 a minute.
      serviceEnv: { gateway: { RATE_LIMIT_PER_MINUTE: '1000000' } },
      logLevel: 'info',
    });
    const p = platform;
    const c = cluster;
    expect(p.stack.nats).toBeUndefined(); // no single server of its own: the cluster is its NATS

    // Every stream the provisioner created is replicated on all three nodes.
    const nc = await p.connectNats('nats-cluster-test');
    try {
      const jsm = await jetstreamManager(nc);
      for (const definition of Object.values(streams)) {
        const info = await jsm.streams.info(definition.name);
        expect(info.config.num_replicas, definition.name).toBe(3);
        expect(info.cluster?.replicas ?? [], definition.name).toHaveLength(2); // plus the leader
      }
    } finally {
      await nc.close();
    }
    const pids = Object.fromEntries(MESSAGING.map((name) => [name, p.stack.services[name]!.pid]));

    // The victim: the node leading ORDERS, with services connected to it (clients pick a random
    // server; when none of them sits on the leader, leadership is handed on until one does).
    let leader = await c.waitForStreamLeader(STREAM, { allCurrent: true });
    let onVictim: ServiceName[] = [];
    for (let attempt = 0; ; attempt++) {
      onVictim = (await c.node(leader).connectionNames()).filter((name): name is ServiceName => (MESSAGING as string[]).includes(name));
      if (onVictim.length > 0 || attempt >= 8) break;
      await c.stepDownStreamLeader(STREAM);
      leader = await c.waitForStreamLeader(STREAM, { except: leader, allCurrent: true });
    }
    expect(onVictim.length, `no service connected to the leader ${leader}`).toBeGreaterThan(0);
    const victim = c.node(leader);

    // Orders placed and paid continuously, one after another, until told to stop.
    const placed: Placed[] = [];
    let killed = false;
    let stopPlacing = false;
    let placerFailed: unknown;
    const placer = (async () => {
      while (!stopPlacing && placerFailed === undefined) {
        const body = sampleOrder();
        const order = await placeOrder(p, body); // the order is committed with its event in the outbox: no NATS needed
        await withoutQuietHours(p, body.customer.id);
        const paid = payWhenBillingHasIt(p, order.id);
        paid.catch(() => {});
        placed.push({ orderId: order.id, number: order.number, email: body.customer.email, afterKill: killed, paid });
        await sleep(250);
      }
    })().catch((error: unknown) => {
      placerFailed = error;
    });
    const placedAtLeast = (n: number) => eventually(async () => (placerFailed ? n : placed.length), (count) => count >= n, 60_000);

    // Some orders before the kill, with the first ones already through.
    await placedAtLeast(8);
    await placed[0]!.paid;
    await victim.kill();
    killed = true;
    const newLeader = await c.waitForStreamLeader(STREAM, { except: leader, timeoutMs: 60_000 });
    // And more while the node stays down.
    const atKill = placed.length;
    await placedAtLeast(atKill + 8);
    stopPlacing = true;
    await placer;
    if (placerFailed) throw placerFailed; // placing (which needs no NATS) failed while a node was down
    await Promise.all(placed.map((o) => o.paid));

    // Every order confirmed, each by exactly one payment and one paid invoice.
    for (const order of placed) {
      await eventually(() => getOrder(p, order.orderId), (o) => o?.status === 'confirmed', 60_000);
    }
    const sink = p.stack.smtp!;
    const confirmation = (o: Placed) => (m: SinkMessage) => m.to.includes(o.email) && m.subject === `Order ${o.number} confirmed`;
    await sink.waitForMessages((m) => placed.some((o) => confirmation(o)(m)), { count: placed.length, timeoutMs: 60_000 });
    // Longer than the e2e ack wait (2 s): a redelivered or re-published event would show up now.
    await sleep(4_000);
    const perOrder = async (service: ServiceName, sql: string) => Promise.all(placed.map((o) => p.count(service, sql, [o.orderId])));
    const ones = placed.map(() => 1);
    const zeros = placed.map(() => 0);
    expect(placed.map((o) => sink.messages().filter(confirmation(o)).length), 'confirmation emails per order').toEqual(ones);
    // Orders older than fulfillment's payment-confirmed delay (60 s) may have had a later email too; none twice.
    const repeatedSubjects = (o: Placed) => {
      const subjects = sink.messages().filter((m) => m.to.includes(o.email)).map((m) => m.subject);
      return subjects.length - new Set(subjects).size;
    };
    expect(placed.map(repeatedSubjects), 'emails sent twice per order').toEqual(zeros);
    expect(await perOrder('orders', "SELECT count(*) FROM order_status_history WHERE order_id = $1 AND status = 'confirmed'"), 'confirmations').toEqual(ones);
    expect(await perOrder('billing', 'SELECT count(*) FROM payments WHERE order_id = $1'), 'payments').toEqual(ones);
    expect(await perOrder('billing', 'SELECT count(*) FROM invoices WHERE order_id = $1'), 'invoices').toEqual(ones);
    expect(await perOrder('billing', "SELECT count(*) FROM invoices WHERE order_id = $1 AND status = 'paid'"), 'paid invoices').toEqual(ones);
    expect(
      await perOrder('notifications', "SELECT count(*) FROM notifications WHERE order_id = $1 AND channel = 'email' AND notice = 'confirmed'"),
      'confirmation notifications',
    ).toEqual(ones);
    expect(
      await perOrder('notifications', 'SELECT count(*) FROM (SELECT 1 FROM notifications WHERE order_id = $1 GROUP BY notice, channel HAVING count(*) > 1) AS repeated'),
      'notifications recorded twice',
    ).toEqual(zeros);
    // One `orders.order.created` per order in the stream: retried publishes were deduplicated.
    expect(await p.streamMessages(STREAM, 'orders.order.created')).toBe(placed.length);
    expect(placed.filter((o) => o.afterKill).length).toBeGreaterThanOrEqual(8);

    // The leader moved, and no service was restarted: the same processes reconnected by themselves.
    expect(newLeader).not.toBe(leader);
    expect(await c.streamLeader(STREAM)).not.toBe(leader);
    for (const name of MESSAGING) {
      expect(p.stack.services[name]!.pid, name).toBe(pids[name]);
      const ready = await eventually(() => p.service(name).get('readyz'), (answer) => answer.statusCode === 200, 30_000);
      expect((ready.body as { checks?: Record<string, string> }).checks?.nats, name).toBe('ok');
    }
    for (const name of onVictim) {
      expect(p.logLines(name).some((line) => line.msg === 'NATS reconnected'), `${name} logged its reconnect`).toBe(true);
    }
    // Those services now sit on the surviving nodes.
    const survivors = c.nodes.filter((n) => n !== victim);
    const connected = (await Promise.all(survivors.map((n) => n.connectionNames()))).flat();
    for (const name of MESSAGING) expect(connected, name).toContain(name);

    console.info(
      `nats-cluster: ${placed.length} orders (${placed.filter((o) => o.afterKill).length} after the kill); ` +
        `killed ${leader} (ORDERS leader; ${onVictim.join(', ')} connected to it), new leader ${newLeader}`,
    );

    // The killed node comes back and catches up: all three replicas current again.
    await victim.start();
    await c.waitForStreamLeader(STREAM, { allCurrent: true, timeoutMs: 60_000 });
    // Through all of it, no service needed more than its NATS permissions.
    expect(c.nodes.flatMap((node) => natsViolations(join(dir!, 'nats-logs', `${node.name}.log`)))).toEqual([]);
  });
});
