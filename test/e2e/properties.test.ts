import { randomUUID } from 'node:crypto';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { streams as platformStreams } from '@platform/contracts';
import type { Order } from '@platform/contracts/api/orders';
import fc from 'fast-check';
import got from 'got';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The gateway's request typing (its `principal`), for the type-checker only.
import type {} from '../../apps/gateway/src/http/auth';
import { FORWARD_ROUTES } from '../../apps/gateway/src/http/route-table';
import { WEBHOOK_ROUTES } from '../../apps/gateway/src/http/webhook-routes';
import { type Platform, sampleOrder, sleep, startPlatform } from '@platform/test-support/platform';

/**
 * Properties over the public surface, against the whole platform:
 * 1. Any request to any public route or webhook (generated and mutated bodies, headers, query
 *    strings) is answered with a success or a 4xx problem+json, never a 5xx; and a rejected
 *    request changes no table of any service and publishes no event.
 * 2. For any two customers and every customer route, one never reads or changes the other's
 *    orders, preferences, devices or idempotency keys.
 *
 * Seeded: PROPERTY_SEED (default below) and PROPERTY_RUNS (cases per property) change the run;
 * the seed is printed with every failure so a run can be repeated exactly.
 */

const SEED = Number(process.env.PROPERTY_SEED ?? 1313);
const RUNS = Number(process.env.PROPERTY_RUNS ?? 200);
/** Ordered pairs of distinct customers sampled by the pair properties (there are 12). */
const PAIR_RUNS = Math.max(6, Math.round(RUNS / 30));

const CUSTOMERS = ['cust-prop-a', 'cust-prop-b', 'cust-prop-c', 'cust-prop-d'] as const;
type CustomerId = (typeof CUSTOMERS)[number];
const KEYS = {
  admin: 'prop-admin-key-0123456789',
  ops: 'prop-ops-key-0123456789',
  vendor: 'prop-vendor-key-0123456789',
  ...Object.fromEntries(CUSTOMERS.map((id) => [id, `prop-key-${id}-0123456789`])),
} as Record<'admin' | 'ops' | 'vendor' | CustomerId, string>;
const API_KEYS = JSON.stringify([
  { id: 'prop-admin', key: KEYS.admin, role: 'admin' },
  { id: 'prop-ops', key: KEYS.ops, role: 'ops' },
  { id: 'prop-vendor', key: KEYS.vendor, role: 'vendor', vendorId: 'acme' },
  ...CUSTOMERS.map((id) => ({ id: `key-${id}`, key: KEYS[id], role: 'customer', customerId: id })),
]);

const DATABASES = ['orders', 'billing', 'fulfillment', 'tracking', 'notifications'] as const;
/**
 * Columns that change without any request: the timer worker stamps `fired_at`/`attempts`/
 * `last_error` (and moves `fire_at` on a retry) of timers that were already there. A new timer
 * still counts, as does any other change to those rows. (Outbox rows need no exception: the
 * relay deletes each once published, and what it published shows in the streams' sequences.)
 */
const SELF_CHANGING: Record<string, string[]> = {
  timers: ['fired_at', 'attempts', 'last_error', 'fire_at'],
};

let platform: Platform;
let nc: NatsConnection;
let jsm: JetStreamManager;
const pools = new Map<string, pg.Pool>();
const checksumSql = new Map<string, string>();

beforeAll(async () => {
  platform = await startPlatform({
    // Rate limits are the gateway's to test elsewhere: here they would turn most cases into 429s.
    serviceEnv: { gateway: { API_KEYS, RATE_LIMIT_PER_MINUTE: '1000000', WEBHOOK_RATE_LIMIT_PER_MINUTE: '1000000' } },
  });
  nc = await platform.connectNats();
  jsm = await jetstreamManager(nc);
  for (const service of DATABASES) {
    const pool = new pg.Pool({ connectionString: platform.stack.env[`${service.toUpperCase()}_DATABASE_URL`], max: 1 });
    pools.set(service, pool);
    const { rows } = await pool.query<{ table: string }>(
      `SELECT table_name AS table FROM information_schema.tables
       WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations' ORDER BY 1`,
    );
    checksumSql.set(
      service,
      rows
        .map(({ table }) => {
          const without = (SELF_CHANGING[table] ?? []).map((column) => ` - '${column}'`).join('');
          return `SELECT '${table}' AS t, count(*)::int AS n, coalesce(md5(string_agg(h, '' ORDER BY h)), '') AS sum
                  FROM (SELECT md5((to_jsonb(x)${without})::text) AS h FROM "${table}" x) s`;
        })
        .join(' UNION ALL '),
    );
  }
});
afterAll(async () => {
  await Promise.all([...pools.values()].map((pool) => pool.end()));
  await nc?.close();
  await platform?.stop();
});

/** Every table of every service (row count and checksum), every stream's last sequence, every email sent. */
async function snapshot(): Promise<Record<string, unknown>> {
  const tables = await Promise.all(
    DATABASES.map(async (service) => {
      const { rows } = await pools.get(service)!.query<{ t: string; n: number; sum: string }>(checksumSql.get(service)!);
      return rows.map((row) => [`${service}.${row.t}`, `${row.n}:${row.sum}`] as const);
    }),
  );
  // The platform's event streams; the gateway's rate-limit bucket counts every request, by design.
  const streams = await Promise.all(
    Object.values(platformStreams).map(async ({ name }) => [`stream ${name}`, (await jsm.streams.info(name)).state.last_seq] as const),
  );
  return Object.fromEntries([...tables.flat(), ...streams, ['emails', platform.stack.smtp!.messages().length]]);
}

/** Events still on their way: outbox rows (each not yet published), and messages no consumer has acknowledged yet. */
async function inFlight(): Promise<number> {
  const counts = await Promise.all(
    DATABASES.map(async (service) => (await pools.get(service)!.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox_events')).rows[0]!.n),
  );
  for await (const stream of jsm.streams.list()) {
    for await (const consumer of jsm.consumers.list(stream.config.name)) counts.push(consumer.num_pending + consumer.num_ack_pending);
  }
  return counts.reduce((a, b) => a + b, 0);
}

/** Waits until what an accepted request set off has run its course: nothing in flight, nothing moving. */
async function settle(): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 30_000;
  let previous = await snapshot();
  for (;;) {
    await sleep(300);
    const current = await snapshot();
    if (JSON.stringify(current) === JSON.stringify(previous) && (await inFlight()) === 0) return current;
    if (Date.now() > deadline) throw new Error('the platform did not settle within 30 s');
    previous = current;
  }
}

const differences = (before: Record<string, unknown>, after: Record<string, unknown>) =>
  Object.keys({ ...before, ...after }).filter((key) => before[key] !== after[key]).map((key) => `${key}: ${String(before[key])} → ${String(after[key])}`);

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}
interface Received {
  status: number;
  contentType: string;
  body: string;
}

async function send(request: Sent): Promise<Received> {
  const response = await got(`${platform.stack.gatewayUrl}${request.path}`, {
    method: request.method as 'GET',
    headers: request.headers,
    ...(request.body !== undefined && request.method !== 'GET' && { body: request.body }),
    throwHttpErrors: false,
    retry: { limit: 0 },
    followRedirect: false,
    responseType: 'text',
  });
  return { status: response.statusCode, contentType: String(response.headers['content-type'] ?? ''), body: response.body };
}

/** What is wrong with an answer's form: a 5xx, or a 4xx that is not problem+json with its status and code. */
function formProblem(answer: Received): string | undefined {
  if (answer.status >= 500) return `answered ${answer.status}: ${answer.body.slice(0, 300)}`;
  if (answer.status < 400) return undefined;
  if (!answer.contentType.startsWith('application/problem+json')) return `answered ${answer.status} as ${answer.contentType}: ${answer.body.slice(0, 200)}`;
  try {
    const problem = JSON.parse(answer.body) as { status?: unknown; code?: unknown };
    if (problem.status !== answer.status || typeof problem.code !== 'string') return `problem without its status/code: ${answer.body.slice(0, 200)}`;
  } catch {
    return `problem+json that is not JSON: ${answer.body.slice(0, 200)}`;
  }
  return undefined;
}

const describeRequest = (request: Sent) =>
  `${request.method} ${request.path} ${JSON.stringify(request.headers)} ${request.body === undefined ? '' : request.body.slice(0, 300)}`;

function report(property: string, failures: string[]) {
  if (failures.length > 0) {
    console.error(`${property}: ${failures.length} failing case(s); repeat with PROPERTY_SEED=${SEED} PROPERTY_RUNS=${RUNS}\n${failures.join('\n')}`);
  }
  expect(failures, `seed ${SEED}`).toEqual([]);
}

// ---------------------------------------------------------------------------------------------
// The public surface: every route of the gateway's table, the composed order detail, every webhook.

interface PublicRoute {
  method: string;
  path: string;
}
const PUBLIC_ROUTES: PublicRoute[] = [
  ...FORWARD_ROUTES.map(({ method, path }) => ({ method, path })),
  { method: 'GET', path: '/v1/orders/:id' },
  // The order's timeline (its own route: it also takes a signed link); the live streams stay open, so they are not sent here.
  { method: 'GET', path: '/v1/orders/:id/timeline' },
  ...WEBHOOK_ROUTES.map(({ path }) => ({ method: 'POST', path })),
];

/** The resources that exist when the properties run. */
interface World {
  orderId: string;
  customerId: CustomerId;
}

/** A valid body for a route, to mutate; a route not listed starts from `{}`. */
function validBody(route: PublicRoute, world: World): unknown {
  const key = `${route.method} ${route.path}`;
  switch (key) {
    case 'POST /v1/orders':
      return sampleOrder({ customer: { id: world.customerId, email: 'prop@example.com', name: 'Ana García', locale: 'en' } });
    case 'PATCH /v1/orders/:id':
      return { notes: 'ring twice' };
    case 'POST /v1/orders/:id/cancel':
      return { reason: 'changed my mind' };
    case 'POST /v1/orders/:id/returns':
      return { items: [{ sku: 'MUG-BLUE', quantity: 1 }], reason: 'changed my mind' };
    case 'POST /v1/orders/:id/refunds':
      return { amount: 100, reason: 'goodwill' };
    case 'POST /v1/orders/:id/status':
      return { status: 'confirmed', reason: 'checked by phone' };
    case 'POST /v1/quotes':
      return { country: 'ES', currency: 'EUR', items: [{ sku: 'MUG-BLUE', variantId: 'mug-blue-350', quantity: 1 }] };
    case 'PUT /v1/price-book/entries':
      return { entries: [{ sku: 'PROP-SKU', source: 'PRICEBOOK_GLOBAL', currency: 'EUR', unitPrice: 999 }] };
    case 'POST /v1/orders/:id/shipments':
      return { trackingNumber: '1Z999AA10123456784', carrier: 'ups' };
    case 'POST /v1/fulfillment-orders/:id/shipments':
      return { items: [{ sku: 'MUG-BLUE', quantity: 1 }], carrier: 'ups' };
    case 'PATCH /v1/shipments/:id':
      return { carrier: 'dhl' };
    case 'POST /v1/shipments/:id/status':
      return { status: 'ready', trackingNumber: '1Z999AA10123456784', carrier: 'ups' };
    case 'POST /v1/automation-steps/:id/fallback':
      return { note: 'activated by hand' };
    case 'PUT /v1/automation-rules/:sku':
      return { scenarios: ['sensor_return'] };
    case 'POST /v1/hubs':
      return { id: 'hub-prop', name: 'Property hub', country: 'PT', costPerItem: 100 };
    case 'PATCH /v1/hubs/:id':
      return { priority: 1 };
    case 'PUT /v1/hubs/:id/stock/:sku':
      return { onHand: 10 };
    case 'POST /v1/customers/:customerId/feed/read':
      return { all: true };
    case 'PUT /v1/inventory/policies/:sku':
      return { policy: 'substitute', substituteSku: 'MUG-BLUE' };
    case 'PUT /v1/customers/:customerId/preferences':
      return { language: 'es' };
    case 'PUT /v1/customers/:customerId/devices':
      return { token: `prop-token-${world.customerId}-0001`, platform: 'android' };
    case 'POST /v1/templates/:name/preview':
      return { locale: 'en', data: { customerName: 'Ana' } };
    case 'POST /v1/webhooks/stripe':
      return { id: 'evt_1', type: 'checkout.session.completed', data: { object: { id: 'cs_1', metadata: { orderId: world.orderId } } } };
    case 'POST /v1/webhooks/17track':
      return { event: 'TRACKING_UPDATED', data: { number: '1Z999AA10123456784', track_info: {} } };
    case 'POST /v1/webhooks/aftership':
      return { event_id: 'e1', event: 'tracking_update', msg: { tracking_number: '1Z999AA10123456784' } };
    default:
      return {};
  }
}

const LONE_SURROGATES = ['\ud800', '\udfff', 'Fu\ud800zz', 'a\u0000b'];
const HUGE_NUMBERS = [1e308, -1e308, 2 ** 53 + 2, 2 ** 31, -(2 ** 31) - 1, -1, 0.5, Number.MAX_SAFE_INTEGER];

/** A value nested `depth` levels deep. */
const nested = (depth: number, leaf: unknown): unknown => (depth === 0 ? leaf : depth % 2 ? [nested(depth - 1, leaf)] : { a: nested(depth - 1, leaf) });

const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.constantFrom(...LONE_SURROGATES),
  fc.constantFrom(...HUGE_NUMBERS),
  fc.constantFrom('', ' ', 'x'.repeat(5_000), null, true, [], {}, '2026-02-30T25:61:00Z', '../../etc/passwd', "' OR 1=1 --"),
  fc.integer({ min: 1, max: 2_000 }).map((depth) => nested(depth, 'deep')),
);

type Path = Array<string | number>;
/** Where a mutation may land; a hostile nest (2 000 levels) is one place, not a path per level (the stack would not hold). */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (prefix.length >= 32) return [prefix];
  if (Array.isArray(value)) return [prefix, ...value.flatMap((item, index) => pathsOf(item, [...prefix, index]))];
  if (value !== null && typeof value === 'object') return [prefix, ...Object.entries(value).flatMap(([name, item]) => pathsOf(item, [...prefix, name]))];
  return [prefix];
}

type Mutation = { kind: 'drop' | 'replace' | 'add'; at: number; value: unknown; name: string };

function mutate(document: unknown, mutations: Mutation[]): unknown {
  let result = structuredClone(document);
  for (const mutation of mutations) {
    const paths = pathsOf(result);
    const path = paths[mutation.at % paths.length]!;
    if (path.length === 0) {
      result = mutation.kind === 'replace' ? mutation.value : result;
      continue;
    }
    const parent = path.slice(0, -1).reduce<any>((node, step) => node[step], result);
    const last = path[path.length - 1]!;
    if (mutation.kind === 'drop') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (mutation.kind === 'replace') {
      parent[last] = mutation.value;
    } else if (parent && typeof parent === 'object' && !Array.isArray(parent)) {
      parent[mutation.name] = mutation.value;
    }
  }
  return result;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('drop', 'replace', 'add'),
  at: fc.nat(),
  value: hostileValue,
  name: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('__proto__', 'constructor', '\ud800', 'id', 'customerId')),
});

/** Bodies that are not (or not quite) JSON, written out as text. */
const RAW_BODIES = [
  '',
  '{',
  'null',
  '"just a string"',
  '[]',
  '{"a":1,}',
  '1e999999',
  `{"quantity":${'9'.repeat(400)}}`,
  '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"admin":true}}}',
  `${'['.repeat(50_000)}${']'.repeat(50_000)}`,
  `{"customer":{"name":"Fu\\ud800zz"}}`,
  '{"a":"\\u0000"}',
  '\u0000\u0001\u0002',
  '<xml/>',
];

const visibleAscii = (maxLength: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });

const queryValue = fc.oneof(
  visibleAscii(20).map(encodeURIComponent),
  fc.string({ unit: 'grapheme', maxLength: 10 }).map(encodeURIComponent),
  fc.constantFrom('%ED%A0%80', '%00', '%', '%ZZ', '%C0%AF', 'pending', 'true', '0', '-1', '101', '1e9', 'x'.repeat(2_000), randomUUID()),
);
const queryArb = fc.option(
  fc
    .array(fc.tuple(fc.constantFrom('customerId', 'status', 'active', 'limit', 'cursor', 'state', 'orderId', 'number', 'hint', 'sku', 'currency', 'junk'), queryValue), { maxLength: 4 })
    .map((pairs) => `?${pairs.map(([name, value]) => `${name}=${value}`).join('&')}`),
  { nil: '' },
);

function paramValues(name: string, world: World): fc.Arbitrary<string> {
  const weird = fc.oneof(visibleAscii(40).map(encodeURIComponent), fc.constantFrom('%ED%A0%80', '%00', '..%2F..%2Fetc', 'x'.repeat(300), '%25'));
  switch (name) {
    case 'id':
      return fc.oneof(fc.constant(world.orderId), fc.uuid().map(String), fc.constantFrom('berlin', 'madrid'), weird);
    case 'customerId':
      return fc.oneof(fc.constantFrom(...CUSTOMERS), weird);
    case 'number':
      return fc.oneof(fc.constantFrom('1Z999AA10123456784', 'LX123456789DE', 'ORD-000001-1', 'ORD-000001-2'), weird);
    case 'name':
      return fc.oneof(fc.constantFrom('order-confirmation', 'order-shipped'), weird);
    case 'sku':
      return fc.oneof(fc.constantFrom('MUG-WHT', 'PROP-SKU'), weird);
    default:
      return weird;
  }
}

const authArb = fc.constantFrom<Record<string, string>>(
  {},
  { authorization: 'Bearer not-a-key' },
  { authorization: `Bearer ${KEYS.admin}` },
  { authorization: `Bearer ${KEYS.ops}` },
  { authorization: `Bearer ${KEYS.vendor}` },
  { authorization: `Bearer ${KEYS['cust-prop-a']}` },
  { 'x-api-key': KEYS['cust-prop-b'] },
  { authorization: 'Basic YWRtaW46YWRtaW4=' },
);
const contentTypeArb = fc.constantFrom<string | undefined>(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/xml',
  undefined,
);

function requestArb(route: PublicRoute, world: World): fc.Arbitrary<Sent> {
  const names = [...route.path.matchAll(/:([A-Za-z]+)/g)].map((match) => match[1]!);
  const params = fc.tuple(...names.map((name) => paramValues(name, world)));
  const seed = validBody(route, world);
  const body = fc.oneof(
    { weight: 2, arbitrary: fc.constant(JSON.stringify(seed)) },
    { weight: 6, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 3 }).map((mutations) => JSON.stringify(mutate(seed, mutations))) },
    { weight: 2, arbitrary: fc.constantFrom(...RAW_BODIES) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
  return fc
    .record({
      params: names.length > 0 ? params : fc.constant([] as string[]),
      query: queryArb,
      auth: authArb,
      contentType: contentTypeArb,
      idempotencyKey: fc.option(visibleAscii(300), { nil: undefined }),
      ifMatch: fc.option(fc.oneof(fc.nat({ max: 5 }).map((n) => `"${n}"`), visibleAscii(20)), { nil: undefined }),
      signature: fc.option(visibleAscii(80), { nil: undefined }),
      body,
    })
    .map(({ params: values, query, auth, contentType, idempotencyKey, ifMatch, signature, body: text }) => {
      let index = 0;
      const path = route.path.replace(/:([A-Za-z]+)/g, () => values[index++]!);
      const headers: Record<string, string> = { ...auth };
      if (contentType) headers['content-type'] = contentType;
      if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
      if (ifMatch !== undefined) headers['if-match'] = ifMatch;
      if (signature !== undefined) for (const name of ['stripe-signature', 'sign', 'aftership-hmac-sha256']) headers[name] = signature;
      return { method: route.method, path: `${path}${query}`, headers, ...(text !== undefined && { body: text }) };
    });
}

describe('the public surface under generated input', () => {
  it('answers every request with a success or a 4xx problem+json, and a rejected one changes nothing and publishes nothing', async () => {
    const created = await platform.as(KEYS['cust-prop-a']).post('v1/orders', {
      json: validBody({ method: 'POST', path: '/v1/orders' }, { orderId: '', customerId: 'cust-prop-a' }),
    });
    expect(created.statusCode).toBe(201);
    const world: World = { orderId: (created.body as Order).id, customerId: 'cust-prop-a' };

    // Every route gets its share of the cases, each from its own seed derived from SEED.
    const perRoute = Math.max(1, Math.ceil(RUNS / PUBLIC_ROUTES.length));
    const cases = PUBLIC_ROUTES.flatMap((route, index) => fc.sample(requestArb(route, world), { seed: SEED + index, numRuns: perRoute }));
    const failures: string[] = [];
    let before = await settle();
    for (const request of cases) {
      const answer = await send(request);
      const wrongForm = formProblem(answer);
      if (wrongForm) failures.push(`${describeRequest(request)}\n  → ${wrongForm}`);
      if (answer.status >= 400 && answer.status < 500) {
        const changed = differences(before, await snapshot());
        if (changed.length > 0) failures.push(`${describeRequest(request)}\n  → ${answer.status} but changed ${changed.join(', ')}`);
      }
      // An accepted request sets events off: wait for them before the next comparison.
      if (answer.status < 400 || answer.status >= 500 || failures.length > 0) before = await settle();
    }
    console.info(`public surface: ${cases.length} requests over ${PUBLIC_ROUTES.length} routes (seed ${SEED})`);
    report('public surface', failures);
  });
});

// ---------------------------------------------------------------------------------------------
// Authorization: customer B against customer A's resources.

interface Belongings {
  orderId: string;
  orderNumber: string;
  invoiceId: string | undefined;
  idempotencyKey: string;
  orderBody: unknown;
}

/** Everything A can see of its own, read as A: what B must never change. */
async function viewOf(customer: CustomerId, belongings: Belongings) {
  const as = platform.as(KEYS[customer]);
  const order = belongings.orderId;
  const reads = await Promise.all(
    [`v1/orders/${order}/timeline`, `v1/orders/${order}/billing`, `v1/orders/${order}/fulfillment`, `v1/orders/${order}/notifications`, `v1/orders/${order}/tracking`, `v1/customers/${customer}/preferences`].map(
      async (path) => [path, (await as.get(path)).body] as const,
    ),
  );
  const detail = (await as.get(`v1/orders/${order}`)).body as { order: Order };
  const devices = (await pools.get('notifications')!.query('SELECT token, platform FROM customer_devices WHERE customer_id = $1 ORDER BY token', [customer])).rows;
  return { order: detail.order, reads: Object.fromEntries(reads), devices };
}

const IDEMPOTENCY_KEY = 'the-same-key-for-everyone';

describe('one customer against another', () => {
  const belongings = new Map<CustomerId, Belongings>();

  /** A customer's own order (placed with the key every customer uses), preferences and device. */
  async function belongingsOf(customer: CustomerId): Promise<Belongings> {
    const existing = belongings.get(customer);
    if (existing) return existing;
    const as = platform.as(KEYS[customer]);
    const orderBody = sampleOrder({ customer: { id: customer, email: `${customer}@example.com`, name: customer, locale: 'en' } });
    const placed = await as.post('v1/orders', { json: orderBody, headers: { 'idempotency-key': IDEMPOTENCY_KEY } });
    expect(placed.statusCode, JSON.stringify(placed.body)).toBe(201);
    expect((placed.body as Order).customer.id).toBe(customer);
    expect((await as.put(`v1/customers/${customer}/preferences`, { json: { language: 'ro' } })).statusCode).toBe(200);
    expect((await as.put(`v1/customers/${customer}/devices`, { json: { token: `device-of-${customer}-0001`, platform: 'ios' } })).statusCode).toBe(200);
    await settle();
    const billing = (await as.get(`v1/orders/${(placed.body as Order).id}/billing`)).body as { invoices?: Array<{ id: string }> };
    const mine = { orderId: (placed.body as Order).id, orderNumber: (placed.body as Order).number, invoiceId: billing.invoices?.[0]?.id, idempotencyKey: IDEMPOTENCY_KEY, orderBody };
    belongings.set(customer, mine);
    return mine;
  }

  const CUSTOMER_ROUTES = [
    ...FORWARD_ROUTES.filter((route) => route.access === 'customer' || route.access === 'customer-or-vendor'),
    { method: 'GET', path: '/v1/orders/:id', scope: 'order' } as const,
    { method: 'GET', path: '/v1/orders/:id/timeline', scope: 'order' } as const,
  ];

  /** B's attempt on A's resource through one route, and what B may get back. */
  function attempt(route: (typeof CUSTOMER_ROUTES)[number], a: CustomerId, b: CustomerId, mine: Belongings): Sent {
    const path = route.path
      .replace(':customerId', a)
      .replace(':id', route.scope === 'invoice' ? (mine.invoiceId ?? randomUUID()) : mine.orderId)
      .replace(':number', route.scope === 'sub-order' ? `${mine.orderNumber}-1` : '1Z999AA10123456784')
      .replace(':token', `device-of-${a}-0001`);
    const world: World = { orderId: mine.orderId, customerId: a };
    let body = validBody({ method: route.method, path: route.path }, world);
    if (route.scope === 'own-quote') body = { ...(body as object), customerId: a };
    if (route.path === '/v1/customers/:customerId/devices') body = { token: `device-of-${a}-0001`, platform: 'android' };
    const headers: Record<string, string> = { authorization: `Bearer ${KEYS[b]}`, 'content-type': 'application/json' };
    if (route.method === 'PATCH') headers['if-match'] = '"0"';
    const query = route.scope === 'own-orders' ? `?customerId=${a}` : '';
    return { method: route.method, path: `${path}${query}`, headers, ...(route.method !== 'GET' && { body: JSON.stringify(body) }) };
  }

  it("never lets B read or change A's orders, invoices, preferences or idempotency keys, on any customer route", async () => {
    const perRoute = Math.max(2, Math.round(RUNS / 100));
    const failures: string[] = [];
    for (const [index, route] of CUSTOMER_ROUTES.entries()) {
      const pairs = fc.sample(fc.tuple(fc.constantFrom(...CUSTOMERS), fc.constantFrom(...CUSTOMERS)).filter(([a, b]) => a !== b), { seed: SEED + index, numRuns: perRoute });
      for (const [a, b] of pairs) {
        const mine = await belongingsOf(a);
        await belongingsOf(b);
        const viewBefore = await viewOf(a, mine);
        const before = await snapshot();
        const request = attempt(route, a, b, mine);
        const answer = await send(request);
        const label = `${b} on ${a}'s ${route.method} ${route.path}`;
        const wrongForm = formProblem(answer);
        if (wrongForm) failures.push(`${label}: ${wrongForm}`);
        // A problem's `instance` echoes the path B sent, A's order id included: that tells B nothing new.
        const shown = answer.contentType.startsWith('application/problem+json') ? JSON.stringify({ ...JSON.parse(answer.body), instance: undefined }) : answer.body;
        if (shown.includes(mine.orderId) || shown.includes(`${a}@example.com`)) failures.push(`${label}: B's answer shows A's data: ${answer.body.slice(0, 300)}`);
        if (route.scope === 'own-orders' && answer.status !== 200) failures.push(`${label}: B's own list answered ${answer.status}`);
        if (route.scope !== undefined && route.scope !== 'own-orders' && ![403, 404].includes(answer.status)) {
          failures.push(`${label}: answered ${answer.status}, not 403/404: ${answer.body.slice(0, 200)}`);
        }
        const changed = differences(before, await snapshot());
        if (changed.length > 0) failures.push(`${label}: changed ${changed.join(', ')}`);
        if (JSON.stringify(await viewOf(a, mine)) !== JSON.stringify(viewBefore)) failures.push(`${label}: A's view changed`);
      }
    }
    report('authorization', failures);
  });

  it("lets B use the Idempotency-Key A used: B gets its own order, A's replay still gets A's", async () => {
    const pairs = fc.sample(fc.tuple(fc.constantFrom(...CUSTOMERS), fc.constantFrom(...CUSTOMERS)).filter(([a, b]) => a !== b), { seed: SEED, numRuns: PAIR_RUNS });
    for (const [a, b] of pairs) {
      const mine = await belongingsOf(a);
      const theirs = await belongingsOf(b);
      // B's replay of its own first order, and B with A's body under the same key (refused: not B's customer).
      const replayB = await platform.as(KEYS[b]).post('v1/orders', { json: theirs.orderBody, headers: { 'idempotency-key': IDEMPOTENCY_KEY } });
      expect(replayB.statusCode).toBe(201);
      expect((replayB.body as Order).id).toBe(theirs.orderId);
      expect(replayB.headers['idempotent-replayed']).toBe('true');
      const replayA = await platform.as(KEYS[a]).post('v1/orders', { json: mine.orderBody, headers: { 'idempotency-key': IDEMPOTENCY_KEY } });
      expect((replayA.body as Order).id).toBe(mine.orderId);
      const aBodyAsB = await platform.as(KEYS[b]).post('v1/orders', { json: mine.orderBody, headers: { 'idempotency-key': IDEMPOTENCY_KEY } });
      expect(aBodyAsB.statusCode).toBe(403);
      expect(JSON.stringify(aBodyAsB.body)).not.toContain(mine.orderId);
    }
  });

  // Defect 2 of issue 13: a push token stayed with the customer who registered it last.
  it("never lets B take over A's push device", async () => {
    const pairs = fc.sample(fc.tuple(fc.constantFrom(...CUSTOMERS), fc.constantFrom(...CUSTOMERS)).filter(([a, b]) => a !== b), { seed: SEED, numRuns: PAIR_RUNS });
    for (const [a, b] of pairs) {
      const mine = await belongingsOf(a);
      await belongingsOf(b);
      const before = await viewOf(a, mine);
      // B registers A's token under B's own customer id: the route's scope lets it through.
      const answer = await platform.as(KEYS[b]).put(`v1/customers/${b}/devices`, { json: { token: `device-of-${a}-0001`, platform: 'android' } });
      expect(answer.statusCode).toBeLessThan(500);
      await settle();
      expect((await viewOf(a, mine)).devices, `${b} took over ${a}'s device`).toEqual(before.devices);
    }
  });
});
