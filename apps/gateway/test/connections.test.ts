import { connect, type Socket } from 'node:net';
import { loadEnv } from '@platform/config/env';
import type { PlatformHttpServer } from '@platform/runtime/http';
import { ServiceRuntime } from '@platform/runtime/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway } from '../src/app';
import { BackgroundNats } from '@platform/runtime/background-nats';
import { gatewayEnv } from '../src/config';

/**
 * Slow and greedy clients against the gateway listening on a real socket, wired as `main.ts`
 * wires it, with small limits so the test waits for events, not minutes.
 */

let gateway: PlatformHttpServer;
let port: number;

beforeAll(async () => {
  const env = loadEnv(gatewayEnv, {
    LOG_LEVEL: 'silent',
    HTTP_REQUEST_TIMEOUT_MS: '300',
    HTTP_HEADERS_TIMEOUT_MS: '200',
    HTTP_MAX_CONNECTIONS: '3',
  });
  const runtime = await ServiceRuntime.start('gateway', env, { messaging: false });
  gateway = await buildGateway(runtime.createHttpServer(), env, { metrics: runtime.metrics, nats: new BackgroundNats(env, 'gateway', runtime.log) });
  await gateway.listen({ host: '127.0.0.1', port: 0 });
  port = (gateway.server.address() as { port: number }).port;
});

afterAll(async () => {
  await gateway?.close();
});

/** Opens a connection and collects what the server sends until it closes the connection. */
function open(): { socket: Socket; connected: Promise<void>; closed: Promise<string> } {
  const socket = connect({ host: '127.0.0.1', port });
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString('latin1')));
  socket.on('error', () => {});
  return {
    socket,
    connected: new Promise((resolve) => socket.once('connect', () => resolve())),
    closed: new Promise((resolve) => socket.once('close', () => resolve(received))),
  };
}

describe('connections', () => {
  it('answers 408 and closes a request whose body never completes', async () => {
    const client = open();
    await client.connected;
    client.socket.write(
      'POST /v1/webhooks/stripe HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"id":"evt_',
    );
    expect(await client.closed).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a connection whose headers never complete', async () => {
    const client = open();
    await client.connected;
    client.socket.write('GET /healthz HTTP/1.1\r\nHost: gateway\r\nX-Slow: ');
    expect(await client.closed).toMatch(/^(HTTP\/1\.1 408 |$)/);
  });

  it('refuses connections over the cap while the ones it holds still work', async () => {
    const held = [open(), open(), open()];
    await Promise.all(held.map((client) => client.connected));
    // Each held connection completes a request, so the server has surely accepted all three.
    for (const client of held) {
      const answered = new Promise<void>((resolve) => client.socket.once('data', () => resolve()));
      client.socket.write('GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n');
      await answered;
    }
    const extra = open();
    expect(await extra.closed).toBe('');
    for (const client of held) client.socket.destroy();
  });
});
