/**
 * A JetStream cluster of nats-server processes on loopback (three by default), for tests that
 * kill a node under load: each node has its own store dir, client, cluster and monitoring port,
 * a `server_name`, and routes to every member, as deploy/k8s/base/nats/nats.conf sets them up.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsConnectionOptions } from '@platform/runtime/nats';
import { pollUntil, stopChild } from './child';
import { spawnNatsServer } from './nats';
import { authorizationConfig, localNatsUser, natsPasswordEnv } from './nats-auth';
import { freePorts } from './ports';

export interface NatsClusterOptions {
  /** Root for the nodes' config files and store dirs (`<dir>/<node>/`). */
  dir: string;
  /** Nodes (default 3). */
  size?: number;
  /** The cluster's name (default `devstack`). */
  name?: string;
  /** Write `<logDir>/<node>.log` per node; otherwise only the last lines are kept for error messages. */
  logDir?: string;
  /** How long to wait for a node to report healthy (default 30 s). */
  readyTimeoutMs?: number;
  /**
   * The platform's NATS users on every node, with the local stack's passwords (as deployed:
   * docs/nats-security.md); the helper's own connection (leaders, step-downs) signs in as `operator`.
   */
  users?: boolean;
}

export interface NatsClusterNode {
  /** Its `server_name`, e.g. `n1`: what JetStream reports as a stream's leader. */
  name: string;
  /** nats://127.0.0.1:<port> */
  url: string;
  port: number;
  clusterPort: number;
  /** http://127.0.0.1:<monitorPort> */
  monitorUrl: string;
  /** pid of the running server (undefined while down). */
  pid(): number | undefined;
  /** SIGKILL, as a crash: no lame duck, no leadership hand-over. Resolves once it has exited. Idempotent. */
  kill(): Promise<void>;
  /** Starts it again (same ports, same store dir); resolves when it reports healthy. */
  start(): Promise<void>;
  /** SIGTERM, waits for the exit (SIGKILL after 10 s). Idempotent. */
  stop(): Promise<void>;
  /** Names of the client connections it serves right now (clients set them with `connect({ name })`). */
  connectionNames(): Promise<string[]>;
}

export interface NatsClusterHandle {
  nodes: NatsClusterNode[];
  /** Every node's client URL. */
  urls: string[];
  /** The client URLs comma separated, as `NATS_URL` takes them. */
  url: string;
  node(name: string): NatsClusterNode;
  /** `server_name` of the node leading `stream` now (undefined while it has none, e.g. mid-election). */
  streamLeader(stream: string): Promise<string | undefined>;
  /**
   * Waits until `stream` has a leader other than `except` (and, with `allCurrent`, every replica
   * online and caught up); resolves to the leader's name.
   */
  waitForStreamLeader(stream: string, options?: { except?: string; allCurrent?: boolean; timeoutMs?: number }): Promise<string>;
  /** Asks `stream`'s leader to step down; the replicas elect another (any but it). */
  stepDownStreamLeader(stream: string): Promise<void>;
  /** Stops every node. Idempotent. */
  stop(): Promise<void>;
}

export async function startNatsCluster(options: NatsClusterOptions): Promise<NatsClusterHandle> {
  const size = options.size ?? 3;
  const clusterName = options.name ?? 'devstack';
  const root = resolve(options.dir);
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const ports = await freePorts(size * 3);
  const specs = Array.from({ length: size }, (_, i) => ({
    name: `n${i + 1}`,
    port: ports[i * 3]!,
    clusterPort: ports[i * 3 + 1]!,
    monitorPort: ports[i * 3 + 2]!,
  }));
  const routes = specs.map((s) => `nats://127.0.0.1:${s.clusterPort}`);

  const nodes = specs.map((spec): NatsClusterNode => {
    const nodeDir = join(root, spec.name);
    const storeDir = join(nodeDir, 'store');
    const configFile = join(nodeDir, 'nats.conf');
    mkdirSync(storeDir, { recursive: true });
    writeFileSync(
      configFile,
      [
        `server_name: ${spec.name}`,
        `listen: "127.0.0.1:${spec.port}"`,
        `http: "127.0.0.1:${spec.monitorPort}"`,
        `jetstream { store_dir: ${JSON.stringify(storeDir)} }`,
        // Every member lists all routes; a server skips the one to itself.
        `cluster {`,
        `  name: ${clusterName}`,
        `  listen: "127.0.0.1:${spec.clusterPort}"`,
        `  routes: [${routes.map((r) => JSON.stringify(r)).join(', ')}]`,
        `}`,
        options.users ? authorizationConfig() : '',
      ].join('\n'),
    );
    const monitorUrl = `http://127.0.0.1:${spec.monitorPort}`;
    let child: ChildProcess | undefined;

    const halt = async (signal: NodeJS.Signals): Promise<void> => {
      const proc = child;
      if (!proc) return;
      await stopChild(proc, signal, 10_000);
      if (child === proc) child = undefined;
    };

    const start = async (): Promise<void> => {
      if (child) return;
      // Healthy: connected to the JetStream meta group and every stream and consumer it holds is current.
      await spawnNatsServer({
        args: ['-c', configFile],
        env: options.users ? natsPasswordEnv() : undefined,
        logFile: options.logDir ? join(options.logDir, `${spec.name}.log`) : undefined,
        what: `nats-server ${spec.name} healthy`,
        ready: () => isHealthy(monitorUrl),
        readyTimeoutMs,
        intervalMs: 200,
        onSpawn: (proc) => (child = proc),
        onExit: (proc) => {
          if (child === proc) child = undefined;
        },
      });
    };

    return {
      name: spec.name,
      url: `nats://127.0.0.1:${spec.port}`,
      port: spec.port,
      clusterPort: spec.clusterPort,
      monitorUrl,
      pid: () => child?.pid,
      kill: () => halt('SIGKILL'),
      stop: () => halt('SIGTERM'),
      start,
      async connectionNames() {
        const connz = (await (await fetch(`${monitorUrl}/connz?limit=4096`, { signal: AbortSignal.timeout(2_000) })).json()) as {
          connections?: Array<{ name?: string }>;
        };
        return (connz.connections ?? []).map((c) => c.name ?? '');
      },
    };
  });

  const urls = nodes.map((n) => n.url);
  let admin: NatsConnection | undefined;
  const adminConnection = async (): Promise<NatsConnection> => {
    if (!admin || admin.isClosed()) {
      admin = await connect({
        ...natsConnectionOptions(options.users ? localNatsUser('operator', urls.join(',')) : { NATS_URL: urls.join(',') }, 'devstack-cluster-admin'),
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
      });
    }
    return admin;
  };
  const streamLeader = async (stream: string): Promise<string | undefined> => {
    const jsm = await jetstreamManager(await adminConnection(), { timeout: 2_000 });
    return (await jsm.streams.info(stream)).cluster?.leader || undefined;
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await admin?.close().catch(() => {});
      await Promise.all(nodes.map((n) => n.stop()));
    })());

  try {
    // All at once: a node reports healthy only once the meta group has a leader, which takes a quorum.
    const started = await Promise.allSettled(nodes.map((n) => n.start()));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    nodes,
    urls,
    url: urls.join(','),
    node(name) {
      const found = nodes.find((n) => n.name === name);
      if (!found) throw new Error(`no node ${name} in the cluster (${nodes.map((n) => n.name).join(', ')})`);
      return found;
    },
    streamLeader,
    async waitForStreamLeader(stream, { except, allCurrent = false, timeoutMs = 30_000 } = {}) {
      let leader: string | undefined;
      // What the last poll saw, for the timeout's message: a failover that takes too long says why.
      let lastSeen = 'no answer';
      try {
        await pollUntil(
          async () => {
            const cluster = await jetstreamManager(await adminConnection(), { timeout: 2_000 })
              .then((jsm) => jsm.streams.info(stream))
              .then(
                (info) => info.cluster,
                (error: unknown) => {
                  lastSeen = String(error);
                  throw error;
                },
              );
            lastSeen = JSON.stringify(cluster ?? {});
            leader = cluster?.leader || undefined;
            if (leader === undefined || leader === except) return false;
            return !allCurrent || (cluster?.replicas ?? []).every((r) => r.current && !r.offline);
          },
          { timeoutMs, intervalMs: 250, what: `a leader of stream ${stream}${except ? ` other than ${except}` : ''}` },
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}; last seen: ${lastSeen}`, { cause: error });
      }
      return leader!;
    },
    async stepDownStreamLeader(stream) {
      const answer = await (await adminConnection()).request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, undefined, { timeout: 5_000 });
      const body = answer.json<{ success?: boolean; error?: { description?: string } }>();
      if (!body.success) throw new Error(`stepping down the leader of ${stream} failed: ${body.error?.description ?? JSON.stringify(body)}`);
    },
    stop,
  };
}

async function isHealthy(monitorUrl: string): Promise<boolean> {
  const health = await fetch(`${monitorUrl}/healthz`, { signal: AbortSignal.timeout(1_000) });
  await health.body?.cancel();
  return health.ok;
}
