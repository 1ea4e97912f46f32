/**
 * An overload run against a running platform (not part of the test suite):
 *
 *   pnpm overload [URL] [CONNECTIONS] [SECONDS] [API_KEY]
 *
 * CONNECTIONS clients (default 200) each POST /v1/orders in a closed loop for SECONDS (default
 * 30) against URL (default http://127.0.0.1:8080). Prints, per status, the count, p50/p99 latency
 * and how many carried Retry-After. Start the platform with a rate limit it will not hit
 * (`RATE_LIMIT_PER_MINUTE=1000000`) to see back-pressure rather than the rate limit.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

const [url = 'http://127.0.0.1:8080', connections = '200', seconds = '30', apiKey = 'dev-admin-key'] = process.argv.slice(2);
const agent = new Agent({ keepAlive: true, maxSockets: Number(connections) });
const target = new URL('/v1/orders', url);
const deadline = performance.now() + Number(seconds) * 1000;
const byStatus = new Map<string, { latencies: number[]; withRetryAfter: number }>();
let sent = 0;

function orderBody(n: number): string {
  return JSON.stringify({
    customer: { id: `overload-${n}`, email: `overload${n}@example.com`, name: 'Ana' },
    shippingAddress: { name: 'Ana', line1: 'Calle 1', city: 'Madrid', postalCode: '28001', country: 'ES' },
    items: [{ sku: 'MUG-WHT', variantId: 'mug-wht-350', name: 'White mug', quantity: 1, vendor: { id: 'acme', type: 'brand' } }],
    currency: 'EUR',
  });
}

function post(): Promise<{ status: string; ms: number; retryAfter: boolean }> {
  sent += 1;
  const payload = orderBody(sent);
  const started = performance.now();
  return new Promise((resolve) => {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}`, 'content-length': Buffer.byteLength(payload) };
    const outgoing = request(target, { method: 'POST', agent, headers }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: String(response.statusCode), ms: performance.now() - started, retryAfter: Boolean(response.headers['retry-after']) }));
    });
    outgoing.on('error', (error: NodeJS.ErrnoException) => resolve({ status: `error ${error.code}`, ms: performance.now() - started, retryAfter: false }));
    outgoing.end(payload);
  });
}

async function client(): Promise<void> {
  while (performance.now() < deadline) {
    const { status, ms, retryAfter } = await post();
    const entry = byStatus.get(status) ?? { latencies: [], withRetryAfter: 0 };
    entry.latencies.push(ms);
    if (retryAfter) entry.withRetryAfter += 1;
    byStatus.set(status, entry);
  }
}

await Promise.all(Array.from({ length: Number(connections) }, client));
agent.destroy();
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(0);
for (const [status, { latencies, withRetryAfter }] of [...byStatus].sort(([a], [b]) => a.localeCompare(b))) {
  latencies.sort((a, b) => a - b);
  process.stdout.write(`${status}: ${latencies.length} requests, p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, with Retry-After ${withRetryAfter}\n`);
}
