import { randomBytes, randomInt } from 'node:crypto';
import { request } from 'node:http';
import { loadEnv } from '@platform/config/env';
import type { Problem } from '@platform/contracts/api/problem';
import type { ManagementServer, PlatformHttpServer } from '@platform/runtime/http';
import { ServiceRuntime } from '@platform/runtime/service';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
// The vitest context the global setup provides (natsUrl).
import type {} from '@platform/test-support/infrastructure';
import { buildGatewayServers } from '../src/app';
import { gatewayEnv } from '../src/config';
import { eventually } from '@platform/test-support/eventually';
import { connectMessaging, quietLog } from '@platform/test-support/messaging';
import { Kvm } from '@nats-io/kv';
import { keyValueBuckets } from '@platform/contracts';
import { Counter } from 'prom-client';
import { SharedCounter } from '../src/adapters/rate-limit-store';

/**
 * Rate limits over real HTTP, counted in the test NATS' KV bucket as replicas count them. Every
 * test uses key ids and client addresses of its own (the bucket outlives a test), and limits are
 * counted per window that starts at a key's first request, so no test depends on the clock.
 */

let upstream: FastifyInstance;
let upstreamUrl: string;
const started: Array<{ app: PlatformHttpServer; management: ManagementServer }> = [];

const unique = () => randomBytes(4).toString('hex');
/** A documentation-range address nobody else in this run uses. */
const clientAddress = () => `203.0.${randomInt(0, 256)}.${randomInt(1, 255)}`;

interface Gateway {
  url: string;
  management: ManagementServer;
}

/** A gateway on the test NATS, once its connection is up (`/readyz` reports it): from then on every request counts. */
async function startGateway(variables: Record<string, string>): Promise<Gateway> {
  const gateway = await startGatewayOn(variables);
  await eventually(
    async () => ((await gateway.management.inject({ method: 'GET', url: '/readyz' })).json() as { checks: Record<string, string> }).checks.nats,
    (state) => state === 'ok',
  );
  return gateway;
}

async function startGatewayOn(variables: Record<string, string>): Promise<Gateway> {
  const env = loadEnv(gatewayEnv, {
    LOG_LEVEL: 'silent',
    NATS_URL: inject('natsUrl'),
    ORDERS_URL: upstreamUrl,
    TRACKING_URL: upstreamUrl,
    BILLING_URL: upstreamUrl,
    FULFILLMENT_URL: upstreamUrl,
    NOTIFICATIONS_URL: upstreamUrl,
    ...variables,
  });
  const servers = await buildGatewayServers(await ServiceRuntime.start('gateway', env, { messaging: false }), env);
  started.push(servers);
  return { url: await servers.app.listen({ host: '127.0.0.1', port: 0 }), management: servers.management };
}

beforeAll(async () => {
  upstream = Fastify();
  upstream.get('/orders/overview', async () => ({ counts: {} }));
  upstream.get('/tracking/:number', async () => ({ events: [] }));
  upstream.post('/webhooks/stripe', async () => ({ received: true }));
  upstreamUrl = await upstream.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  for (const servers of started) {
    await servers.app.close();
    await servers.management.close();
  }
  await upstream?.close();
});

const get = (gateway: Gateway, path: string, headers: Record<string, string> = {}) => fetch(`${gateway.url}${path}`, { headers });

/**
 * A GET sent from the loopback address `localAddress` (fetch cannot choose its source address;
 * Linux, where the tests run, routes all of 127.0.0.0/8 to loopback), answered as a `Response`.
 */
function getFrom(localAddress: string, gateway: Gateway, path: string, headers: Record<string, string>): Promise<Response> {
  return new Promise((resolve, reject) => {
    request(`${gateway.url}${path}`, { localAddress, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      const answered = new Headers(Object.entries(response.headers).flatMap(([name, value]) => (typeof value === 'string' ? [[name, value] as [string, string]] : [])));
      response.on('end', () => resolve(new Response(body, { status: response.statusCode ?? 0, headers: answered })));
    })
      .on('error', reject)
      .end();
  });
}

async function expectRateLimited(response: Response): Promise<Problem> {
  expect(response.status).toBe(429);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
  const problem = (await response.json()) as Problem;
  expect(problem.code).toBe('RATE_LIMITED');
  return problem;
}

function apiKeys(...ids: string[]): { API_KEYS: string; bearer: Record<string, Record<string, string>> } {
  const entries = ids.map((id) => ({ id, key: `${id}-secret-key-0123456789`, role: 'ops' }));
  return {
    API_KEYS: JSON.stringify(entries),
    bearer: Object.fromEntries(entries.map((entry) => [entry.id, { authorization: `Bearer ${entry.key}` }])),
  };
}

describe('rate limits', () => {
  it('answers 429 problem+json with Retry-After once a key used its minute; another key has its own', async () => {
    const [first, second] = [`ops-${unique()}`, `ops-${unique()}`];
    const keys = apiKeys(first, second);
    const gateway = await startGateway({ API_KEYS: keys.API_KEYS, RATE_LIMIT_PER_MINUTE: '2' });
    expect((await get(gateway, '/v1/orders/overview', keys.bearer[first])).status).toBe(200);
    expect((await get(gateway, '/v1/orders/overview', keys.bearer[first])).status).toBe(200);
    const problem = await expectRateLimited(await get(gateway, '/v1/orders/overview', keys.bearer[first]));
    expect(problem.detail ?? problem.title).toMatch(/2 requests per minute/);
    expect((await get(gateway, '/v1/orders/overview', keys.bearer[second])).status).toBe(200);
  });

  it('counts anonymous callers per address, and webhooks on a budget of their own', async () => {
    const gateway = await startGateway({ RATE_LIMIT_PER_MINUTE: '2', WEBHOOK_RATE_LIMIT_PER_MINUTE: '3' });
    // The test runs on loopback, a trusted proxy by default: each client is its forwarded address.
    const client = { 'x-forwarded-for': clientAddress() };
    const webhook = () => fetch(`${gateway.url}/v1/webhooks/stripe`, { method: 'POST', headers: { ...client, 'content-type': 'application/json' }, body: '{}' });
    expect((await get(gateway, '/v1/tracking/LX123456789CN', client)).status).toBe(200);
    expect((await get(gateway, '/v1/tracking/LX123456789CN', client)).status).toBe(200);
    await expectRateLimited(await get(gateway, '/v1/tracking/LX123456789CN', client));
    for (let i = 0; i < 3; i++) expect((await webhook()).status).toBe(200);
    await expectRateLimited(await webhook());
  });

  it('limits two clients behind a trusted proxy each by their own address', async () => {
    const gateway = await startGateway({ RATE_LIMIT_PER_MINUTE: '2', TRUSTED_PROXIES: '127.0.0.0/8' });
    const [alice, bob] = [clientAddress(), clientAddress()];
    // What the proxy appends is the client it saw; anything before it is the client's own claim.
    const viaProxy = (address: string) => ({ 'x-forwarded-for': `198.51.100.9, ${address}` });
    for (let i = 0; i < 2; i++) expect((await get(gateway, '/v1/tracking/LX123456789CN', viaProxy(alice))).status).toBe(200);
    await expectRateLimited(await get(gateway, '/v1/tracking/LX123456789CN', viaProxy(alice)));
    expect((await get(gateway, '/v1/tracking/LX123456789CN', viaProxy(bob))).status).toBe(200);
  });

  it('does not let an untrusted caller escape its limit with made-up X-Forwarded-For', async () => {
    // Loopback is not trusted here: the caller is the loopback address it connects from, whatever
    // it claims. Other test files' gateways count 127.0.0.1 in the same bucket, so this caller
    // connects from a loopback address of its own.
    const gateway = await startGateway({ RATE_LIMIT_PER_MINUTE: '2', TRUSTED_PROXIES: '10.0.0.0/8' });
    const caller = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    const claiming = () => getFrom(caller, gateway, '/v1/tracking/LX123456789CN', { 'x-forwarded-for': clientAddress() });
    expect((await claiming()).status).toBe(200);
    expect((await claiming()).status).toBe(200);
    await expectRateLimited(await claiming());
  });

  it('enforces one limit across two gateway replicas on the same NATS', async () => {
    const id = `ops-${unique()}`;
    const keys = apiKeys(id);
    const variables = { API_KEYS: keys.API_KEYS, RATE_LIMIT_PER_MINUTE: '3' };
    const [one, two] = [await startGateway(variables), await startGateway(variables)];
    const statuses = [];
    for (const replica of [one, two, one, two, one]) statuses.push((await get(replica, '/v1/orders/overview', keys.bearer[id])).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });

  it('counts every request once when replicas count the same key at the same moment', async () => {
    const id = `ops-${unique()}`;
    const keys = apiKeys(id);
    const variables = { API_KEYS: keys.API_KEYS, RATE_LIMIT_PER_MINUTE: '10' };
    const [one, two] = [await startGateway(variables), await startGateway(variables)];
    // 24 at once, half on each replica: their compare-and-set updates race on one entry.
    const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => get(i % 2 ? one : two, '/v1/orders/overview', keys.bearer[id])));
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(10);
    expect(answers.filter((answer) => answer.status === 429)).toHaveLength(14);
  });

  it('lets requests through uncounted while NATS is unreachable, and says so in its metrics', async () => {
    const gateway = await startGatewayOn({ RATE_LIMIT_PER_MINUTE: '1', NATS_URL: 'nats://127.0.0.1:1' });
    const ready = (await gateway.management.inject({ method: 'GET', url: '/readyz' })).json() as { status: string; degraded: Record<string, string> };
    expect(ready).toMatchObject({ status: 'ok', degraded: { nats: 'not connected' } });
    const client = { 'x-forwarded-for': clientAddress() };
    for (let i = 0; i < 3; i++) expect((await get(gateway, '/v1/tracking/LX123456789CN', client)).status).toBe(200);
    const metrics = await gateway.management.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/^gateway_rate_limit_store_failures_total\{reason="nats_unavailable"[^}]*\} 3$/m);
  });
});

describe('shared counter', () => {
  it('adds the requests that come while a write is in flight in one more write, each with its own count', async () => {
    const { nc, js } = await connectMessaging();
    try {
      const counter = new SharedCounter({ nats: { connection: nc }, log: quietLog, failures: new Counter({ name: 'failures', help: 'test', labelNames: ['reason'], registers: [] }) });
      // Binds the bucket, so what follows sends only the counts' reads and writes.
      await counter.increment(`test.${unique()}`, 60_000);
      const key = `test.${unique()}`;
      const sentBefore = nc.stats().outMsgs;
      const counts = await Promise.all(Array.from({ length: 24 }, () => counter.increment(key, 60_000)));
      expect(counts.map((count) => count.current)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
      // One at a time that is 48 messages, a read and a write each: here the first request's, then one for the 23 that waited.
      expect(nc.stats().outMsgs - sentBefore).toBeLessThanOrEqual(4);
      const stored = await (await new Kvm(js).open(keyValueBuckets.GATEWAY_RATE_LIMITS.name)).get(key);
      expect(stored?.string()).toMatch(/^24 \d+$/);
    } finally {
      await nc.close();
    }
  });
});
