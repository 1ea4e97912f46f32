import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import got from 'got';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StackHandle } from '../stack';
import { FulfillmentClock } from './run';

/** A service's `/_test/clock` as the runtime answers it; `restart()` brings its offset back to 0. */
function clockService() {
  let offsetMs = 0;
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      if (request.method === 'POST') offsetMs += (JSON.parse(body) as { advanceMs: number }).advanceMs;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ now: new Date(Date.now() + offsetMs).toISOString(), offsetMs }));
    });
  });
  return { server, offset: () => offsetMs, restart: () => void (offsetMs = 0) };
}

describe('FulfillmentClock', () => {
  const service = clockService();
  let stack: StackHandle;
  beforeAll(async () => {
    await new Promise<void>((resolve) => service.server.listen(0, '127.0.0.1', resolve));
    stack = { services: { fulfillment: { url: `http://127.0.0.1:${(service.server.address() as AddressInfo).port}` } } } as unknown as StackHandle;
  });
  afterAll(() => new Promise<void>((resolve) => service.server.close(() => resolve())));

  it('moves fulfillment by each step, and a restarted fulfillment back to where its clock stood', async () => {
    const clock = new FulfillmentClock(got, stack);
    await clock.advance(61_000);
    await clock.advance(61_000);
    expect(service.offset()).toBe(122_000);
    service.restart();
    await clock.advance(30 * 60_000);
    expect(service.offset()).toBe(122_000 + 30 * 60_000);
  });
});
