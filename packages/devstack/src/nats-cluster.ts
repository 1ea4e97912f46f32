/**
 * A JetStream cluster of nats-server processes on loopback (three by default), for tests that
 * kill a node under load: each node has its own store dir, client, cluster and monitoring port,
 * a `server_name`, and routes to every member, as deploy/k8s/nats/nats.conf sets them up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { closeLog, exitOf, LogTail, onLines, openLog, pollUntil, stopChild } from './child';
import { findNatsServer } from './nats';
import { freePorts } from './ports';
import { guardChild } from './process-guard';

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
  const binary = findNatsServer();
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
        '',
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
      const log = options.logDir ? openLog(join(options.logDir, `${spec.name}.log`)) : undefined;
      const tail = new LogTail();
      const proc = spawn(binary, ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      const spawnError = new Promise<never>((_, reject) => proc.once('error', reject));
      spawnError.catch(() => {});
      const release = proc.pid ? guardChild(proc.pid, 'SIGTERM') : () => {};
      const onLine = (line: string): void => {
        tail.push(line);
        log?.write(line + '\n');
      };
      onLines(proc.stdout, onLine);
      onLines(proc.stderr, onLine);
      const exited = exitOf(proc).then(() => {
        release();
        if (child === proc) child = undefined;
        return closeLog(log);
      });
      child = proc;
      const died = Promise.race([
        spawnError,
        exited.then(() => {
          throw new Error(`nats-server ${spec.name} exited during startup (code ${proc.exitCode ?? proc.signalCode}):\n${tail.text()}`);
        }),
      ]) as Promise<never>;
      try {
        // Healthy: connected to the JetStream meta group and every stream and consumer it holds is current.
        await pollUntil(() => isHealthy(monitorUrl), { timeoutMs: readyTimeoutMs, intervalMs: 200, what: `nats-server ${spec.name} healthy`, abort: died });
      } catch (error) {
        await stopChild(proc, 'SIGKILL', 5_000);
        throw error;
      }
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
      admin = await connect({ servers: urls, name: 'devstack-cluster-admin', maxReconnectAttempts: -1, reconnectTimeWait: 250 });
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
      await pollUntil(
        async () => {
          const jsm = await jetstreamManager(await adminConnection(), { timeout: 2_000 });
          const cluster = (await jsm.streams.info(stream)).cluster;
          leader = cluster?.leader || undefined;
          if (leader === undefined || leader === except) return false;
          return !allCurrent || (cluster?.replicas ?? []).every((r) => r.current && !r.offline);
        },
        { timeoutMs, intervalMs: 250, what: `a leader of stream ${stream}${except ? ` other than ${except}` : ''}` },
      );
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
