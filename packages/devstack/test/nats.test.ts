import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { findNatsServer, freePort, isListening, startNats } from '../src/index';
import { natsFixture } from './nats-fixture';

describe('startNats', () => {
  const fixture = natsFixture('devstack-nats-', (dir) => startNats({ storeDir: join(dir, 'store'), logFile: join(dir, 'nats.log') }));
  let nc: NatsConnection | undefined;

  it('finds the binary and runs JetStream on loopback', async () => {
    const { root, server: nats } = fixture;
    expect(findNatsServer()).toMatch(/nats-server$/);
    expect(nats.url).toBe(`nats://127.0.0.1:${nats.port}`);
    const health = await fetch(`${nats.monitorUrl}/healthz?js-enabled-only=true`);
    expect(health.status).toBe(200);
    const jsz = (await (await fetch(`${nats.monitorUrl}/jsz`)).json()) as { config: { store_dir: string } };
    expect(jsz.config.store_dir).toBe(join(root, 'store', 'jetstream'));
    expect(readFileSync(join(root, 'nats.log'), 'utf8')).toMatch(/Server is ready/);
  });

  it('restart() keeps stream data and clients reconnect, even while publishing', async () => {
    const nats = fixture.server;
    nc = await fixture.connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'DEVSTACK_TEST', subjects: ['devstack.>'], storage: StorageType.File });
    const js = jetstream(nc, { timeout: 2_000 });
    for (let i = 0; i < 200; i++) await js.publish('devstack.before', String(i), { msgID: `before-${i}` });

    // A publisher keeps going through the restart; msgID dedupe makes retries safe.
    let stopPublishing = false;
    let published = 0;
    const publisher = (async () => {
      for (let i = 0; !stopPublishing || i < 50; i++) {
        for (;;) {
          try {
            await js.publish('devstack.during', String(i), { msgID: `during-${i}` });
            break;
          } catch {
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
        published = i + 1;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const pidBefore = nats.pid();
    await nats.restart();
    expect(nats.pid()).not.toBe(pidBefore);
    stopPublishing = true;
    await publisher;

    const info = await (await jetstreamManager(nc)).streams.info('DEVSTACK_TEST');
    expect(info.state.messages).toBe(200 + published);
    const before = await (await jetstreamManager(nc)).streams.getMessage('DEVSTACK_TEST', { seq: 1 });
    expect(before?.string()).toBe('0');
  }, 60_000);

  it('stop() ends the server and frees the port; restart() brings it back', async () => {
    const nats = fixture.server;
    await nc?.close();
    nc = undefined;
    await nats.stop();
    expect(nats.pid()).toBeUndefined();
    expect(await isListening(nats.port)).toBe(false);
    await nats.restart();
    expect(await isListening(nats.port)).toBe(true);
    nc = await fixture.connect({ servers: nats.url });
    const info = await (await jetstreamManager(nc)).streams.info('DEVSTACK_TEST');
    expect(info.state.messages).toBeGreaterThanOrEqual(250);
  }, 60_000);

  it('fails clearly when the client port is taken by another server', async () => {
    await expect(
      startNats({ port: fixture.server.port, storeDir: join(fixture.root, 'other'), readyTimeoutMs: 10_000 }),
    ).rejects.toThrow(/nats-server exited during startup[\s\S]*address already in use/);
  }, 30_000);

  it('reports a missing binary with the install command', () => {
    expect(() => findNatsServer('/nonexistent', [])).toThrow(/apt-get install -y nats-server/);
    expect(findNatsServer('/nonexistent')).toMatch(/^\/usr\/(local\/)?s?bin\/nats-server$/);
  });

  it('stop() is idempotent and frees the port', async () => {
    const port = await freePort();
    const other = await startNats({ port, storeDir: join(fixture.root, 'second') });
    await other.stop();
    await other.stop(); // idempotent
    expect(await isListening(port)).toBe(false);
  }, 30_000);
});
