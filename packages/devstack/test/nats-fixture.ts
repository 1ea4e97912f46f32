import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll } from 'vitest';

export interface NatsFixture<Server> {
  /** The temp dir the servers keep their files in (deleted after the file's tests). */
  readonly root: string;
  readonly server: Server;
  /** A client connection, closed after the file's tests. */
  connect(options: ConnectionOptions): Promise<NatsConnection>;
}

/**
 * The devstack NATS tests' setup: a temp dir, the server(s) `start` runs in it before the file's
 * tests, and afterwards every connection closed, the server(s) stopped and the dir removed.
 */
export function natsFixture<Server extends { stop(): Promise<void> }>(
  prefix: string,
  start: (root: string) => Promise<Server>,
  timeoutMs = 60_000,
): NatsFixture<Server> {
  let root: string | undefined;
  let server: Server | undefined;
  const connections: NatsConnection[] = [];
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), prefix));
    server = await start(root);
  }, timeoutMs);
  afterAll(async () => {
    await Promise.all(connections.map((nc) => nc.close().catch(() => {})));
    await server?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });
  return {
    get root() {
      if (!root) throw new Error('the NATS fixture is not started yet');
      return root;
    },
    get server() {
      if (!server) throw new Error('the NATS fixture is not started yet');
      return server;
    },
    async connect(options) {
      const nc = await connect(options);
      connections.push(nc);
      return nc;
    },
  };
}
