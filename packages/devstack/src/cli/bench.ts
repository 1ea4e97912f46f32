/**
 * `pnpm bench`: an on-demand benchmark against a running platform (not part of the test suite).
 *
 *   pnpm bench [--orders N] [--concurrency C] [--gateway URL] [--orders-url URL] [--database-url URL]
 *              [--nats-url URL] [--sink-url URL] [--warmup W] [--email-timeout S] [--keep-sink]
 *
 * Phases, each on an otherwise quiet system (every phase that makes emails waits for them):
 *   1. platform:  N × `POST /v1/orders` on the gateway at concurrency C (got, keep-alive agent).
 *      Then POST→email: the SMTP sink's `receivedAt` of each order's confirmation email minus the
 *      moment its POST was sent (orders are matched by a unique customer email per run and order).
 *      Also the outbox relay pickup (outbox row created_at → published_at) of the same orders.
 *   2. baseline a: the same N bodies POSTed straight to the orders service (gateway overhead).
 *   3. baseline b: the same order written with raw `pg` (orders, order_items, order_status_history and
 *      outbox_events in one transaction), pool of C connections (ORM/service overhead).
 *   4. baseline c: raw JetStream publishes with msgID of an event-sized envelope to a throwaway
 *      stream BENCH_<RUNID> (subject bench.<runid>), deleted afterwards (relay overhead).
 *
 * Results go to stdout; progress to stderr. Exit 1 when the stack is not reachable.
 */
import { randomUUID } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { eventHeaders, newEvent } from '@platform/config';
import { type Envelope, orderCreated } from '@platform/contracts';
import { type CreateOrderInput, createOrderRequestSchema, type Order } from '@platform/contracts/api/orders';
import got, { type Got } from 'got';
import pg from 'pg';
import { sleep } from '../child';

// ---------------------------------------------------------------------------------------------
// Settings

const DEFAULTS = {
  orders: 500,
  concurrency: 16,
  gateway: 'http://127.0.0.1:8080',
  ordersUrl: 'http://127.0.0.1:8081',
  databaseUrl: 'postgresql://postgres:postgres@127.0.0.1:54329/orders',
  natsUrl: 'nats://127.0.0.1:4222',
  sinkUrl: 'http://127.0.0.1:8025',
  warmup: 20,
  emailTimeoutS: 120,
} as const;

const USAGE = `Usage: pnpm bench [options]

Benchmarks a running platform (start it first with \`pnpm start\` / \`pnpm platform\`).

  --orders N            orders per phase (default ${DEFAULTS.orders})
  --concurrency C       requests / transactions / publishes in flight (default ${DEFAULTS.concurrency})
  --gateway URL         gateway base URL (env GATEWAY_URL, default ${DEFAULTS.gateway})
  --orders-url URL      orders service base URL (env ORDERS_URL, default ${DEFAULTS.ordersUrl})
  --database-url URL    orders database (env ORDERS_DATABASE_URL, default ${DEFAULTS.databaseUrl})
  --nats-url URL        NATS server(s), comma separated (env NATS_URL, default ${DEFAULTS.natsUrl})
  --sink-url URL        SMTP sink web/JSON API (default ${DEFAULTS.sinkUrl})
  --warmup W            unmeasured operations before each phase (default ${DEFAULTS.warmup})
  --email-timeout S     seconds to wait for the confirmation emails (default ${DEFAULTS.emailTimeoutS})
  --keep-sink           do not empty the SMTP sink before the run (messages are filtered by run id anyway)
  -h, --help            this text
`;

interface Settings {
  orders: number;
  concurrency: number;
  gateway: string;
  ordersUrl: string;
  databaseUrl: string;
  natsUrl: string;
  sinkUrl: string;
  warmup: number;
  emailTimeoutMs: number;
  keepSink: boolean;
}

function fail(message: string): never {
  process.stderr.write(`\nbench: ${message}\n`);
  process.exit(1);
}

function parseSettings(argv: string[]): Settings {
  let values;
  try {
    ({ values } = parseArgs({
      // `pnpm bench -- --orders 10` passes the `--` through.
      args: argv[0] === '--' ? argv.slice(1) : argv,
      options: {
        orders: { type: 'string' },
        concurrency: { type: 'string' },
        gateway: { type: 'string' },
        'orders-url': { type: 'string' },
        'database-url': { type: 'string' },
        'nats-url': { type: 'string' },
        'sink-url': { type: 'string' },
        warmup: { type: 'string' },
        'email-timeout': { type: 'string' },
        'keep-sink': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(1);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const int = (name: string, raw: string | undefined, fallback: number, min: number): number => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) fail(`--${name} must be an integer >= ${min} (got "${raw}")`);
    return value;
  };
  const url = (name: string, raw: string | undefined, fallback: string, protocols: string[]): string => {
    const value = (raw ?? fallback).trim();
    for (const part of value.split(',')) {
      let parsed: URL;
      try {
        parsed = new URL(part.trim());
      } catch {
        fail(`--${name} is not a URL: ${value}`);
      }
      if (!protocols.includes(parsed.protocol)) fail(`--${name} must use ${protocols.join(' or ')} (got ${value})`);
    }
    return value.replace(/\/+$/, '');
  };
  const env = process.env;
  const orders = int('orders', values.orders, DEFAULTS.orders, 1);
  return {
    orders,
    concurrency: int('concurrency', values.concurrency, DEFAULTS.concurrency, 1),
    gateway: url('gateway', values.gateway ?? env.GATEWAY_URL, DEFAULTS.gateway, ['http:', 'https:']),
    ordersUrl: url('orders-url', values['orders-url'] ?? env.ORDERS_URL, DEFAULTS.ordersUrl, ['http:', 'https:']),
    databaseUrl: url('database-url', values['database-url'] ?? env.ORDERS_DATABASE_URL, DEFAULTS.databaseUrl, [
      'postgresql:',
      'postgres:',
    ]),
    natsUrl: url('nats-url', values['nats-url'] ?? env.NATS_URL, DEFAULTS.natsUrl, ['nats:', 'tls:', 'ws:', 'wss:']),
    sinkUrl: url('sink-url', values['sink-url'], DEFAULTS.sinkUrl, ['http:', 'https:']),
    warmup: int('warmup', values.warmup, DEFAULTS.warmup, 0),
    emailTimeoutMs: int('email-timeout', values['email-timeout'], DEFAULTS.emailTimeoutS, 1) * 1000,
    keepSink: values['keep-sink'],
  };
}

/** Hides the password of `scheme://user:password@host` URLs. */
function redact(text: string): string {
  return text.replace(/(\/\/[^/:@\s]+:)[^@\s]*@/g, '$1***@');
}

const say = (message: string): void => void process.stderr.write(`bench: ${message}\n`);

// ---------------------------------------------------------------------------------------------
// Statistics

interface Stats {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Exact nearest-rank percentiles. */
function stats(samples: readonly number[]): Stats | null {
  if (samples.length === 0) return null;
  const sorted = Float64Array.from(samples).sort();
  const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
  let sum = 0;
  for (const value of sorted) sum += value;
  return { count: sorted.length, p50: at(50), p95: at(95), p99: at(99), max: sorted[sorted.length - 1] ?? NaN, mean: sum / sorted.length };
}

interface PhaseResult {
  name: string;
  attempted: number;
  ok: number;
  failed: number;
  /** Wall time from the first start to the last completion, ms. */
  elapsedMs: number;
  /** Successful operations per second over elapsedMs. */
  rate: number;
  latency: Stats | null;
  /** A few distinct failure descriptions. */
  failures: string[];
}

/**
 * Runs `op(i)` for i in [0, n) with `concurrency` workers, after `warmup` unmeasured calls of
 * `warmupOp`. `op` returns nothing on success and throws (or returns a string) on failure.
 */
async function runPhase(
  name: string,
  n: number,
  concurrency: number,
  op: (i: number) => Promise<string | void>,
  warmup?: { count: number; op: (i: number) => Promise<string | void>; after?: () => Promise<void> },
): Promise<PhaseResult> {
  const failures = new Map<string, number>();
  const note = (what: string): void => void failures.set(what, (failures.get(what) ?? 0) + 1);
  const pool = async (count: number, fn: (i: number) => Promise<void>): Promise<void> => {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) await fn(next++);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  };

  if (warmup && warmup.count > 0) {
    say(`${name}: ${warmup.count} warm-up operation(s)`);
    await pool(warmup.count, async (i) => {
      try {
        const problem = await warmup.op(i);
        if (problem) note(`warm-up: ${problem}`);
      } catch (error) {
        note(`warm-up: ${describe(error)}`);
      }
    });
    await warmup.after?.();
  }

  say(`${name}: ${n} operation(s) at concurrency ${concurrency}`);
  const latencies: number[] = [];
  let failed = 0;
  const started = performance.now();
  await pool(n, async (i) => {
    const t0 = performance.now();
    let problem: string | void;
    try {
      problem = await op(i);
    } catch (error) {
      problem = describe(error);
    }
    if (problem) {
      failed += 1;
      note(problem);
    } else {
      latencies.push(performance.now() - t0);
    }
  });
  const elapsedMs = performance.now() - started;
  return {
    name,
    attempted: n,
    ok: latencies.length,
    failed,
    elapsedMs,
    rate: latencies.length / (elapsedMs / 1000),
    latency: stats(latencies),
    failures: [...failures].slice(0, 5).map(([what, times]) => `${times}× ${what}`),
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}`;
  }
  return String(error);
}

// ---------------------------------------------------------------------------------------------
// The order every phase places

/** Same body for every phase; only the customer email (the match key) differs. */
function orderBody(runId: string, tag: string, i: number): CreateOrderInput {
  return {
    customer: {
      id: `bench-${runId}`,
      email: `bench+${runId}-${tag}${i}@example.com`,
      name: 'Bench Customer',
      locale: 'en',
      timezone: 'UTC',
    },
    shippingAddress: {
      name: 'Bench Customer',
      line1: 'Calle de Alcalá 1',
      city: 'Madrid',
      postalCode: '28014',
      country: 'ES',
    },
    items: [
      {
        sku: 'BENCH-TSHIRT',
        variantId: 'BENCH-TSHIRT-M',
        name: 'Benchmark T-shirt',
        quantity: 2,
        unitPrice: 1999,
        vendor: { id: 'bench-brand', type: 'brand' },
        supplierSource: 'own_stock',
        ageRestricted: false,
      },
      {
        sku: 'BENCH-MUG',
        variantId: 'BENCH-MUG-STD',
        name: 'Benchmark mug',
        quantity: 1,
        unitPrice: 1250,
        vendor: { id: 'bench-distributor', type: 'distributor' },
        supplierSource: 'cj',
        ageRestricted: false,
      },
    ],
    deliveryType: 'standard',
    ageVerified: false,
    currency: 'EUR',
  };
}

const EMAIL_PATTERN = /^bench\+([a-z0-9]+)-([a-z]+)(\d+)@example\.com$/i;

// ---------------------------------------------------------------------------------------------
// HTTP phases (gateway, direct orders service)

interface PostRecord {
  /** Wall clock (ms since epoch) just before the POST was sent: compared with the sink's receivedAt. */
  sentAt: number;
  order?: Order;
}

function postPhaseOp(client: Got, url: string, runId: string, tag: string, records: PostRecord[]) {
  return async (i: number): Promise<string | void> => {
    const body = orderBody(runId, tag, i);
    const sentAt = Date.now();
    const response = await client.post(url, { json: body, responseType: 'json' });
    if (response.statusCode !== 201) return `HTTP ${response.statusCode}: ${JSON.stringify(response.body).slice(0, 300)}`;
    records[i] = { sentAt, order: response.body as Order };
  };
}

// ---------------------------------------------------------------------------------------------
// SMTP sink

interface SinkMessage {
  id: string;
  to: string[];
  subject: string;
  receivedAt: string;
}

async function fetchSink(client: Got, sinkUrl: string): Promise<SinkMessage[]> {
  const response = await client.get(`${sinkUrl}/api/messages`, { responseType: 'json', timeout: { request: 30_000 } });
  if (response.statusCode !== 200) throw new Error(`GET ${sinkUrl}/api/messages answered ${response.statusCode}`);
  return response.body as SinkMessage[];
}

interface EmailResult {
  expected: number;
  arrived: number;
  /** Extra emails for an order that already had one (redelivery that sent twice). */
  duplicates: number;
  /** Emails whose subject does not carry the order number the POST returned. */
  subjectMismatches: number;
  latency: Stats | null;
  /** Arrived emails per second from the first POST sent to the last email received. */
  rate: number;
  waitedMs: number;
}

/**
 * Polls the sink until an email arrived for every record of `tag` (or the timeout) and returns
 * POST-sent → received latencies. Only the first email per order counts.
 */
async function awaitEmails(
  client: Got,
  sinkUrl: string,
  runId: string,
  tag: string,
  records: readonly (PostRecord | undefined)[],
  timeoutMs: number,
): Promise<EmailResult> {
  const expected = records.filter((record) => record?.order).length;
  const started = Date.now();
  const deadline = started + timeoutMs;
  let lastReport = started;
  let matched = new Map<number, SinkMessage[]>();
  for (;;) {
    matched = new Map();
    for (const message of await fetchSink(client, sinkUrl)) {
      for (const address of message.to) {
        const match = EMAIL_PATTERN.exec(address);
        if (!match || match[1]?.toLowerCase() !== runId || match[2] !== tag) continue;
        const index = Number(match[3]);
        if (!records[index]?.order) continue;
        const list = matched.get(index) ?? [];
        list.push(message);
        matched.set(index, list);
      }
    }
    const now = Date.now();
    if (matched.size >= expected || now >= deadline) break;
    if (now - lastReport >= 10_000) {
      say(`  ${matched.size}/${expected} emails so far (${Math.round((now - started) / 1000)} s)`);
      lastReport = now;
    }
    await sleep(expected - matched.size > 50 ? 1_000 : 250);
  }

  const latencies: number[] = [];
  let duplicates = 0;
  let subjectMismatches = 0;
  let firstSent = Infinity;
  let lastReceived = -Infinity;
  for (const record of records) if (record?.order) firstSent = Math.min(firstSent, record.sentAt);
  for (const [index, messages] of matched) {
    const record = records[index];
    if (!record?.order) continue;
    const first = messages.map((message) => Date.parse(message.receivedAt)).sort((a, b) => a - b)[0] ?? NaN;
    latencies.push(first - record.sentAt);
    lastReceived = Math.max(lastReceived, first);
    duplicates += messages.length - 1;
    if (!messages.some((message) => message.subject.includes(record.order!.number))) subjectMismatches += 1;
  }
  return {
    expected,
    arrived: matched.size,
    duplicates,
    subjectMismatches,
    latency: stats(latencies),
    rate: matched.size > 0 ? matched.size / ((lastReceived - firstSent) / 1000) : 0,
    waitedMs: Date.now() - started,
  };
}

// ---------------------------------------------------------------------------------------------
// Raw pg baseline

const RAW_CUSTOMER_ID = 'bench-raw';

const INSERT_ORDER = `
  INSERT INTO orders (id, status, fulfillment_status, customer_id, customer, shipping_address, billing_address,
                      delivery_type, delivery_window_start, delivery_window_end, notes, age_verified, currency,
                      subtotal, shipping_total, tax_total, discount_total, total, version, created_at, updated_at)
  VALUES ($1, 'pending', 'not_fulfilled', $2, $3::jsonb, $4::jsonb, $5::jsonb,
          $6, NULL, NULL, $7, $8, $9, $10, $11, $12, $13, $14, 0, $15, $15)
  RETURNING number`;
const INSERT_HISTORY = `
  INSERT INTO order_status_history (id, order_id, status, previous_status, details, actor)
  VALUES ($1, $2, 'pending', NULL, 'order placed', $3)`;
/**
 * `published_at` is set at insert: the relay must not publish these rows (they would send emails for
 * orders no service knows and load the later phases). The row is otherwise what `recordEvent` writes.
 */
const INSERT_OUTBOX = `
  INSERT INTO outbox_events (id, type, aggregate_id, envelope, trace_headers, published_at)
  VALUES ($1, 'orders.order.created', $2, $3::jsonb, '{}'::jsonb, now())`;

function itemsInsert(count: number): string {
  const rows = Array.from({ length: count }, (_, r) => `(${Array.from({ length: 13 }, (_, c) => `$${r * 13 + c + 1}`).join(', ')})`);
  return `INSERT INTO order_items (id, order_id, position, sku, variant_id, name, quantity, unit_price, line_total,
                                    vendor_id, vendor_type, supplier_source, age_restricted) VALUES ${rows.join(', ')}`;
}

/**
 * One order + items + history + outbox row in one transaction, as the orders service writes them.
 * Totals come from `priced`, an order the service priced for the same body, so no pricing rule is copied here.
 */
function rawInsertOp(pool: pg.Pool, runId: string, priced: Order) {
  const { totals } = priced;
  const template = eventEnvelope(priced, 'bench-raw');
  const body = createOrderRequestSchema.parse(orderBody(runId, 'raw', 0));
  const customer = { ...body.customer, id: RAW_CUSTOMER_ID };
  const itemsSql = itemsInsert(body.items.length);
  const notes = `bench-raw ${runId}`;
  return async (): Promise<void> => {
    const orderId = randomUUID();
    const now = new Date();
    const items = body.items.map((item) => ({ ...item, unitPrice: item.unitPrice ?? 0, id: randomUUID(), lineTotal: item.quantity * (item.unitPrice ?? 0) }));
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const inserted = await client.query<{ number: number }>({
        name: 'bench-insert-order',
        text: INSERT_ORDER,
        values: [
          orderId,
          RAW_CUSTOMER_ID,
          JSON.stringify(customer),
          JSON.stringify(body.shippingAddress),
          JSON.stringify(body.shippingAddress),
          body.deliveryType,
          notes,
          body.ageVerified,
          body.currency,
          totals.subtotal,
          totals.shipping,
          totals.tax,
          totals.discount,
          totals.total,
          now,
        ],
      });
      const number = inserted.rows[0]?.number ?? 0;
      await client.query({
        name: 'bench-insert-items',
        text: itemsSql,
        values: items.flatMap((item, position) => [
          item.id,
          orderId,
          position,
          item.sku,
          item.variantId,
          item.name,
          item.quantity,
          item.unitPrice,
          item.lineTotal,
          item.vendor.id,
          item.vendor.type,
          item.supplierSource,
          item.ageRestricted,
        ]),
      });
      await client.query({ name: 'bench-insert-history', text: INSERT_HISTORY, values: [randomUUID(), orderId, `customer:${RAW_CUSTOMER_ID}`] });
      const order: Order = {
        id: orderId,
        number: `ORD-${String(number).padStart(6, '0')}`,
        status: 'pending',
        fulfillmentStatus: 'not_fulfilled',
        customer,
        shippingAddress: body.shippingAddress,
        billingAddress: body.shippingAddress,
        items,
        deliveryType: body.deliveryType,
        deliveryWindow: null,
        notes,
        ageVerified: body.ageVerified,
        currency: body.currency,
        totals,
        version: 0,
        createdAt: now.toISOString(),
        updatedAt: now.toISOString(),
      };
      const envelope = { ...withFreshId(template), aggregateId: orderId, data: order };
      await client.query({ name: 'bench-insert-outbox', text: INSERT_OUTBOX, values: [envelope.id, orderId, JSON.stringify(envelope)] });
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  };
}

/**
 * An `orders.order.created` envelope as the service builds it (`newEvent`). The data is
 * validated once here; each baseline operation only takes a fresh id, as raw code would.
 */
function eventEnvelope(order: Order, source: string): Envelope {
  return { ...newEvent(orderCreated, { aggregateId: order.id, source, data: order }), id: randomUUID() };
}

function withFreshId(envelope: Envelope): Envelope {
  const id = randomUUID();
  return { ...envelope, id, correlationId: id };
}

interface RelayPickup {
  found: number;
  latency: Stats | null;
  /** Rows claimed per second between the first row created and the last row claimed. */
  rate: number;
}

/** created_at → published_at of the outbox rows of the given orders (the relay's pickup delay). */
async function relayPickup(pool: pg.Pool, orderIds: string[]): Promise<RelayPickup> {
  if (orderIds.length === 0) return { found: 0, latency: null, rate: 0 };
  const { rows } = await pool.query<{ created_ms: number; published_ms: number | null }>(
    `SELECT extract(epoch FROM created_at) * 1000 AS created_ms, extract(epoch FROM published_at) * 1000 AS published_ms
       FROM outbox_events WHERE type = 'orders.order.created' AND aggregate_id = ANY($1::text[])`,
    [orderIds],
  );
  const published = rows.filter((row) => row.published_ms !== null).map((row) => ({ c: Number(row.created_ms), p: Number(row.published_ms) }));
  if (published.length === 0) return { found: 0, latency: null, rate: 0 };
  const first = Math.min(...published.map((row) => row.c));
  const last = Math.max(...published.map((row) => row.p));
  return {
    found: published.length,
    latency: stats(published.map((row) => row.p - row.c)),
    rate: published.length / (Math.max(last - first, 1) / 1000),
  };
}

// ---------------------------------------------------------------------------------------------
// Raw JetStream baseline

function natsPublishOp(nc: NatsConnection, subject: string, sample: Order) {
  const js = jetstream(nc);
  const template = eventEnvelope(sample, 'bench');
  return async (): Promise<void> => {
    const envelope = withFreshId(template);
    await js.publish(subject, JSON.stringify(envelope), { msgID: envelope.id, headers: eventHeaders(envelope), timeout: 5_000 });
  };
}

// ---------------------------------------------------------------------------------------------
// Report

function renderTable(header: string[], rows: string[][], rightAligned: boolean[]): string {
  const widths = header.map((title, c) => Math.max(title.length, ...rows.map((row) => (row[c] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((cell, c) => (rightAligned[c] ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0))).join('  ').trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

const ms = (value: number | undefined): string => (value === undefined || !Number.isFinite(value) ? '-' : value < 10 ? value.toFixed(2) : value.toFixed(1));
const perSecond = (value: number): string => (Number.isFinite(value) && value > 0 ? value.toFixed(1) : '-');
const ratio = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? 'n/a' : `${(a / b).toFixed(2)}x`;

// ---------------------------------------------------------------------------------------------
// Main

async function preflight(settings: Settings, http: Got): Promise<{ pool: pg.Pool; nc: NatsConnection }> {
  const problems: string[] = [];
  const ready = async (label: string, base: string): Promise<void> => {
    try {
      const response = await http.get(`${base}/readyz`, { timeout: { request: 3_000 } });
      if (response.statusCode !== 200) problems.push(`${label} ${base}/readyz answered ${response.statusCode}: ${String(response.body).slice(0, 300)}`);
    } catch (error) {
      problems.push(`${label} not reachable at ${base}/readyz (${describe(error)})`);
    }
  };
  await Promise.all([ready('gateway', settings.gateway), ready('orders service', settings.ordersUrl)]);
  try {
    await fetchSink(http, settings.sinkUrl);
  } catch (error) {
    problems.push(`SMTP sink API not reachable at ${settings.sinkUrl}/api/messages (${describe(error)})`);
  }

  const pool = new pg.Pool({
    connectionString: settings.databaseUrl,
    max: settings.concurrency,
    connectionTimeoutMillis: 5_000,
    application_name: 'platform-bench',
  });
  pool.on('error', () => {});
  try {
    const { rows } = await pool.query<{ missing: string[] }>(
      `SELECT array_remove(ARRAY[
          CASE WHEN to_regclass('orders') IS NULL THEN 'orders' END,
          CASE WHEN to_regclass('order_items') IS NULL THEN 'order_items' END,
          CASE WHEN to_regclass('order_status_history') IS NULL THEN 'order_status_history' END,
          CASE WHEN to_regclass('outbox_events') IS NULL THEN 'outbox_events' END], NULL) AS missing`,
    );
    const missing = rows[0]?.missing ?? [];
    if (missing.length > 0) problems.push(`database ${redact(settings.databaseUrl)} lacks table(s) ${missing.join(', ')} (migrations not applied?)`);
  } catch (error) {
    problems.push(`PostgreSQL not reachable at ${redact(settings.databaseUrl)} (${describe(error)})`);
  }

  let nc: NatsConnection | undefined;
  try {
    nc = await connect({ servers: settings.natsUrl.split(','), name: 'platform-bench', timeout: 3_000, maxReconnectAttempts: 0 });
    await (await jetstreamManager(nc)).getAccountInfo();
  } catch (error) {
    problems.push(`NATS JetStream not reachable at ${settings.natsUrl} (${describe(error)})`);
  }

  if (problems.length > 0 || !nc) {
    await pool.end().catch(() => {});
    await nc?.close().catch(() => {});
    fail(`the stack is not reachable; start it with \`pnpm start\` (or pass the right URLs):\n  - ${problems.join('\n  - ')}`);
  }
  return { pool, nc };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const settings = parseSettings(argv);
  const runId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const { orders: n, concurrency: c } = settings;

  // Fails fast, with the zod message, if the contract moved away from the bench body.
  try {
    createOrderRequestSchema.parse(orderBody(runId, 'g', 0));
  } catch (error) {
    fail(`the bench order no longer matches createOrderRequestSchema: ${describe(error)}`);
  }

  const cleanups: (() => Promise<unknown>)[] = [];
  // One pass, in reverse order of registration, however many times it is asked for (SIGINT + finally).
  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaning ??= (async () => {
      while (cleanups.length > 0) await cleanups.pop()!().catch((error: unknown) => say(`cleanup: ${describe(error)}`));
    })());
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    say('interrupted; cleaning up');
    void cleanup().finally(() => process.exit(130));
  });

  const agent = { http: new HttpAgent({ keepAlive: true, maxSockets: c }), https: new HttpsAgent({ keepAlive: true, maxSockets: c }) };
  cleanups.push(async () => {
    agent.http.destroy();
    agent.https.destroy();
  });
  const http = got.extend({ agent, retry: { limit: 0 }, throwHttpErrors: false, timeout: { request: 30_000 } });

  say(`run ${runId}: checking the stack`);
  const { pool, nc } = await preflight(settings, http);
  cleanups.push(() => pool.end());
  cleanups.push(() => nc.close());

  const startedAt = new Date();
  if (!settings.keepSink) {
    const cleared = await http.delete(`${settings.sinkUrl}/api/messages`);
    if (cleared.statusCode >= 300) say(`could not clear the sink (HTTP ${cleared.statusCode}); filtering by run id only`);
  }

  try {
    // 1. The platform: gateway POSTs, then the confirmation emails and the relay pickup.
    const warmupRecords: PostRecord[] = [];
    const gatewayRecords: PostRecord[] = [];
    const gatewayUrl = `${settings.gateway}/v1/orders`;
    let warmupEmails: EmailResult | undefined;
    const gateway = await runPhase('gateway POST /v1/orders', n, c, postPhaseOp(http, gatewayUrl, runId, 'g', gatewayRecords), {
      count: settings.warmup,
      op: postPhaseOp(http, gatewayUrl, runId, 'gw', warmupRecords),
      // The warm-up emails go through first, so the measured orders start with an empty pipeline
      // (and a dead notifications service shows up here, not after the full timeout).
      after: async () => {
        const timeoutMs = Math.min(settings.emailTimeoutMs, 30_000);
        warmupEmails = await awaitEmails(http, settings.sinkUrl, runId, 'gw', warmupRecords, timeoutMs);
        if (warmupEmails.arrived < warmupEmails.expected) {
          say(`warning: only ${warmupEmails.arrived}/${warmupEmails.expected} warm-up emails arrived within ${timeoutMs / 1000} s`);
        } else {
          say(`warm-up emails arrived (p50 ${ms(warmupEmails.latency?.p50)} ms)`);
        }
      },
    });
    if (interrupted) return;
    say(`waiting up to ${settings.emailTimeoutMs / 1000} s for ${gateway.ok} confirmation emails`);
    const emails = await awaitEmails(http, settings.sinkUrl, runId, 'g', gatewayRecords, settings.emailTimeoutMs);
    const gatewayOrderIds = gatewayRecords.flatMap((record) => (record?.order ? [record.order.id] : []));
    const pickup = await relayPickup(pool, gatewayOrderIds);
    if (interrupted) return;

    // 2. Baseline a: the orders service directly; its emails are drained before the next phase.
    const directRecords: PostRecord[] = [];
    const directWarmupRecords: PostRecord[] = [];
    const ordersUrl = `${settings.ordersUrl}/orders`;
    const direct = await runPhase('orders POST /orders (direct)', n, c, postPhaseOp(http, ordersUrl, runId, 'd', directRecords), {
      count: settings.warmup,
      op: postPhaseOp(http, ordersUrl, runId, 'dw', directWarmupRecords),
    });
    if (interrupted) return;
    say(`draining: waiting up to ${settings.emailTimeoutMs / 1000} s for the direct orders' ${direct.ok} emails`);
    const directEmails = await awaitEmails(http, settings.sinkUrl, runId, 'd', directRecords, settings.emailTimeoutMs);
    if (interrupted) return;

    // 3. Baseline b: raw pg.
    const priced = gatewayRecords.find((record) => record?.order)?.order ?? directRecords.find((record) => record?.order)?.order;
    if (!priced) fail('no order was accepted, so there is nothing to compare the raw baseline with');
    const rawOp = rawInsertOp(pool, runId, priced);
    const raw = await runPhase('raw pg tx (order+items+history+outbox)', n, c, rawOp, { count: settings.warmup, op: rawOp });
    if (interrupted) return;

    // 4. Baseline c: raw JetStream publishes to a throwaway stream.
    const streamName = `BENCH_${runId.toUpperCase()}`;
    const subject = `bench.${runId}`;
    const sample = gatewayRecords.find((record) => record?.order)?.order ?? directRecords.find((record) => record?.order)?.order;
    let publish: PhaseResult | undefined;
    let publishError: string | undefined;
    let payloadBytes = 0;
    let streamState = 'not created';
    if (sample) {
      try {
        const jsm = await jetstreamManager(nc);
        await jsm.streams.add({
          name: streamName,
          subjects: [subject],
          description: `pnpm bench run ${runId} (safe to delete)`,
          // As the platform's streams: file storage, 2 h duplicate window (so msgID dedup costs the same).
          storage: StorageType.File,
          retention: RetentionPolicy.Limits,
          duplicate_window: nanos(2 * 60 * 60 * 1000),
          max_age: nanos(3 * 60 * 60 * 1000),
          num_replicas: 1,
        });
        streamState = 'created (deletion failed: delete it by hand)';
        cleanups.push(async () => {
          await jsm.streams.delete(streamName);
          streamState = 'created and deleted';
        });
        payloadBytes = Buffer.byteLength(JSON.stringify(eventEnvelope(sample, 'bench')));
        const publishOp = natsPublishOp(nc, subject, sample);
        publish = await runPhase('raw JetStream publish (msgID)', n, c, publishOp, { count: settings.warmup, op: publishOp });
      } catch (error) {
        publishError = describe(error);
        say(`JetStream baseline failed: ${publishError}`);
      }
    } else {
      publishError = 'no order was created, so there is no event payload to publish';
      say(`skipping the JetStream baseline: ${publishError}`);
    }
    await cleanup();

    // Report.
    const command = redact(['pnpm bench', ...argv].join(' '));
    const out: string[] = [];
    out.push('');
    out.push(`command:  ${command}`);
    out.push(
      `settings: run=${runId} orders=${n} concurrency=${c} warmup=${settings.warmup} email-timeout=${settings.emailTimeoutMs / 1000}s` +
        ` sink-cleared=${!settings.keepSink}`,
    );
    out.push(
      `targets:  gateway=${settings.gateway} orders=${settings.ordersUrl} db=${redact(settings.databaseUrl)} nats=${settings.natsUrl} sink=${settings.sinkUrl}`,
    );
    out.push(`host:     node ${process.version}, ${cpus().length} CPUs, started ${startedAt.toISOString()}, event payload ${payloadBytes} B`);
    out.push('');

    const phaseRow = (phase: PhaseResult): string[] => [
      phase.name,
      `${phase.ok}/${phase.attempted}`,
      String(phase.failed),
      (phase.elapsedMs / 1000).toFixed(2),
      perSecond(phase.rate),
      ms(phase.latency?.p50),
      ms(phase.latency?.p95),
      ms(phase.latency?.p99),
      ms(phase.latency?.max),
    ];
    const emailRow = (name: string, result: EmailResult): string[] => [
      name,
      `${result.arrived}/${result.expected}`,
      String(result.expected - result.arrived),
      (result.waitedMs / 1000).toFixed(2),
      perSecond(result.rate),
      ms(result.latency?.p50),
      ms(result.latency?.p95),
      ms(result.latency?.p99),
      ms(result.latency?.max),
    ];
    const rows: string[][] = [
      phaseRow(gateway),
      emailRow('POST→email accepted (gateway orders)', emails),
      [
        'outbox created→published_at (relay pickup)',
        `${pickup.found}/${gatewayOrderIds.length}`,
        String(gatewayOrderIds.length - pickup.found),
        '-',
        perSecond(pickup.rate),
        ms(pickup.latency?.p50),
        ms(pickup.latency?.p95),
        ms(pickup.latency?.p99),
        ms(pickup.latency?.max),
      ],
      phaseRow(direct),
      emailRow('POST→email accepted (direct orders)', directEmails),
      phaseRow(raw),
      ...(publish ? [phaseRow(publish)] : []),
    ];
    out.push(
      renderTable(
        ['phase', 'ok', 'missing/failed', 'seconds', 'per second', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
        rows,
        [false, true, true, true, true, true, true, true, true],
      ),
    );
    out.push('');
    out.push('"per second": successful operations / phase wall time; for emails, arrived / (last receivedAt − first POST sent);');
    out.push('for the relay, rows / (last published_at − first created_at). "seconds" of an email row is the time spent waiting after the POSTs.');
    out.push('');

    const ratios: string[][] = [
      ['gateway overhead: p50 latency', 'gateway p50 / direct p50', ratio(gateway.latency?.p50, direct.latency?.p50)],
      ['gateway overhead: p99 latency', 'gateway p99 / direct p99', ratio(gateway.latency?.p99, direct.latency?.p99)],
      ['gateway overhead: throughput', 'direct orders/s / gateway orders/s', ratio(direct.rate, gateway.rate)],
      ['ORM/service overhead: p50 latency', 'direct POST p50 / raw pg tx p50', ratio(direct.latency?.p50, raw.latency?.p50)],
      ['ORM/service overhead: throughput', 'raw pg tx/s / direct orders/s', ratio(raw.rate, direct.rate)],
      ['platform vs raw DB: throughput', 'raw pg tx/s / gateway orders/s', ratio(raw.rate, gateway.rate)],
    ];
    if (publish) {
      ratios.push(
        ['relay headroom vs intake', 'JetStream publishes/s / gateway orders/s', ratio(publish.rate, gateway.rate)],
        ['relay headroom vs end to end', 'JetStream publishes/s / emails/s', ratio(publish.rate, emails.rate)],
        ['relay pickup vs raw publish', 'relay pickup p50 / publish p50', ratio(pickup.latency?.p50, publish.latency?.p50)],
      );
    }
    ratios.push(['end to end vs intake', 'emails/s / gateway orders/s', ratio(emails.rate, gateway.rate)]);
    out.push(renderTable(['ratio', 'definition', 'value'], ratios, [false, false, true]));

    const warnings: string[] = [];
    for (const phase of [gateway, direct, raw, ...(publish ? [publish] : [])]) {
      if (phase.failures.length > 0) warnings.push(`${phase.name}: ${phase.failed} failed; ${phase.failures.join('; ')}`);
    }
    if (emails.arrived < emails.expected) {
      warnings.push(`only ${emails.arrived} of ${emails.expected} gateway-order emails arrived within ${settings.emailTimeoutMs / 1000} s (notifications down or backlogged?)`);
    }
    if (directEmails.arrived < directEmails.expected) {
      warnings.push(`only ${directEmails.arrived} of ${directEmails.expected} direct-order emails arrived; later phases may have overlapped with their delivery`);
    }
    if (emails.duplicates + directEmails.duplicates > 0) warnings.push(`${emails.duplicates + directEmails.duplicates} duplicate confirmation email(s) received`);
    if (emails.subjectMismatches + directEmails.subjectMismatches > 0) {
      warnings.push(`${emails.subjectMismatches + directEmails.subjectMismatches} email(s) whose subject lacks the order number`);
    }
    if (publishError) warnings.push(`raw JetStream baseline skipped: ${publishError}`);
    if (warnings.length > 0) out.push('', 'warnings:', ...warnings.map((warning) => `  - ${warning}`));
    out.push(
      '',
      `notes: raw-pg rows stay in the orders database (customer_id '${RAW_CUSTOMER_ID}', notes 'bench-raw ${runId}', outbox rows already marked published);`,
      `       bench orders use customer id 'bench-${runId}'; stream ${streamName}: ${streamState}.`,
      '',
    );
    process.stdout.write(out.join('\n'));

    if (gateway.ok === 0) {
      process.stderr.write('\nbench: no order was accepted by the gateway; see the warnings above.\n');
      process.exitCode = 1;
    }
  } finally {
    await cleanup();
  }
}

main()
  .then(() => process.exit(process.exitCode ?? 0))
  .catch((error: unknown) => {
    process.stderr.write(`\nbench: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
