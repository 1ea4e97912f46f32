import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer, type PlatformHttpServer } from '../src/http';
import { createLogger } from '../src/logger';
import { createMetrics } from '../src/metrics';

/** The admission limit on a real socket: a client that leaves while queued gives its turn back. */

let app: PlatformHttpServer;
let base: string;
let gate: Promise<void> = Promise.resolve();
let arrived = 0;
let aborted = 0;

beforeAll(async () => {
  app = createHttpServer({
    log: createLogger('admission-test', 'silent'),
    metrics: createMetrics('admission-test'),
    readiness: {},
    admission: { maxInFlight: 1, maxQueue: 1, maxWaitMs: 60_000 },
  });
  app.addHook('preValidation', async () => {
    arrived += 1;
  });
  app.addHook('onRequestAbort', (_request, done) => {
    aborted += 1;
    done();
  });
  app.get('/work', async () => {
    await gate;
    return { done: true };
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app?.close();
});

describe('admission', () => {
  it('gives the turn of a client that left while queued back, so later requests are still served', async () => {
    let open!: () => void;
    gate = new Promise<void>((resolve) => (open = resolve));
    const first = fetch(`${base}/work`);
    // A raw client queued behind it, then gone.
    const { port } = new URL(base);
    const leaving = connect({ host: '127.0.0.1', port: Number(port) });
    await new Promise<void>((resolve) => leaving.once('connect', () => resolve()));
    leaving.write('GET /work HTTP/1.1\r\nHost: test\r\n\r\n');
    // Once both passed validation the next step is the admission queue.
    await expect.poll(() => arrived).toBe(2);
    await new Promise((resolve) => setImmediate(resolve));
    leaving.destroy();
    // The server has seen it go before its turn comes.
    await expect.poll(() => aborted).toBe(1);
    open();
    expect((await first).status).toBe(200);
    // With the turn leaked, this one would wait in the queue until the test times out.
    expect((await fetch(`${base}/work`)).status).toBe(200);
    expect((await fetch(`${base}/work`)).status).toBe(200);
  });
});
