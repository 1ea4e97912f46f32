import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { natsConnectionOptions } from '@platform/runtime/nats';
import { provisionStreams } from '@platform/runtime/nats-provisioning';
import { streams } from '@platform/contracts';
import { startNatsCluster } from '../src/index';
import { localNatsUser } from '../src/nats-auth';
import { natsFixture } from './nats-fixture';

describe('startNatsCluster', () => {
  // With the platform's users, as deployed: the operator makes a stream of its own, provisioners the platform's.
  const fixture = natsFixture(
    'devstack-nats-cluster-',
    (root) =>
      startNatsCluster({
        dir: join(root, 'nodes'),
        logDir: join(root, 'logs'),
        users: true,
      }),
    90_000,
  );
  const as = (user: 'operator' | 'provisioner', name: string) => natsConnectionOptions(localNatsUser(user, fixture.server.url), name);

  it('runs three routed JetStream nodes; a replicated stream survives SIGKILL of its leader, which then catches up', async () => {
    const { root, server: cluster } = fixture;
    expect(cluster.nodes.map((n) => n.name)).toEqual(['n1', 'n2', 'n3']);
    expect(cluster.url.split(',')).toEqual(cluster.urls);
    const jsz = (await (await fetch(`${cluster.nodes[0]!.monitorUrl}/jsz`)).json()) as { meta_cluster?: { name?: string; cluster_size?: number } };
    expect(jsz.meta_cluster).toMatchObject({ name: 'devstack', cluster_size: 3 });
    for (const node of cluster.nodes) expect(readFileSync(join(root, 'logs', `${node.name}.log`), 'utf8')).toMatch(/Server is ready/);

    await expect(fixture.connect({ servers: cluster.urls, maxReconnectAttempts: 0 }), 'no user').rejects.toThrow(/Authorization Violation/);
    const nc = await fixture.connect({ ...as('operator', 'cluster-test'), maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'CLUSTER_TEST', subjects: ['cluster.>'], storage: StorageType.File, num_replicas: 3 });
    const leader = await cluster.waitForStreamLeader('CLUSTER_TEST', { allCurrent: true });
    expect(cluster.nodes.map((n) => n.name)).toContain(leader);

    const js = jetstream(nc, { timeout: 2_000 });
    const publish = async (id: string) => {
      // Retried through the election; msgID makes a retry of an accepted publish a no-op.
      for (;;) {
        try {
          return await js.publish('cluster.msg', id, { msgID: id });
        } catch {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    };
    for (let i = 0; i < 50; i++) await publish(`before-${i}`);

    const victim = cluster.node(leader);
    await victim.kill();
    expect(victim.pid()).toBeUndefined();
    // An election usually takes seconds; a 2-core machine running the whole suite once took over 30 s.
    const next = await cluster.waitForStreamLeader('CLUSTER_TEST', { except: leader, timeoutMs: 60_000 });
    expect(next).not.toBe(leader);
    for (let i = 0; i < 50; i++) await publish(`after-${i}`);

    await victim.start();
    await cluster.waitForStreamLeader('CLUSTER_TEST', { allCurrent: true });
    expect((await jsm.streams.info('CLUSTER_TEST')).state.messages).toBe(100);
    // The restarted node catches up: it holds every message, including those written while it was down.
    const local = async () => {
      const jsz = (await (await fetch(`${victim.monitorUrl}/jsz?streams=true`)).json()) as {
        account_details?: Array<{ stream_detail?: Array<{ name: string; state: { messages: number } }> }>;
      };
      return jsz.account_details?.flatMap((a) => a.stream_detail ?? []).find((s) => s.name === 'CLUSTER_TEST')?.state.messages;
    };
    await expect.poll(local, { timeout: 30_000, interval: 250 }).toBe(100);
  }, 150_000);

  it('five provisioners creating the replicated streams at once all succeed (the server answers only one creation; the rest retry)', async () => {
    const connections = await Promise.all([1, 2, 3, 4, 5].map((i) => fixture.connect(as('provisioner', `provisioner-${i}`))));
    try {
      // The server leaves all but one of simultaneous creations of a stream unanswered, so each
      // provisioner's calls keep the default 5 s timeout, which provisioning retries. The test's own
      // calls are not retried: on a busy 2-core machine they get 30 s (checkAPI off: its account
      // lookup would be one more unretried call).
      await Promise.all(connections.map(async (conn) => provisionStreams(await jetstreamManager(conn, { checkAPI: false }), 3)));
      const jsm = await jetstreamManager(connections[0]!, { timeout: 30_000, checkAPI: false });
      for (const definition of Object.values(streams)) {
        expect((await jsm.streams.info(definition.name)).config.num_replicas, definition.name).toBe(3);
      }
      // Again, as the next deployment's provisioning step does: nothing to change, nothing proposed.
      expect(Object.values(await provisionStreams(jsm, 3))).toEqual(Object.values(streams).map(() => 'unchanged'));
    } finally {
      await Promise.all(connections.map((conn) => conn.close()));
    }
  }, 120_000);
});
