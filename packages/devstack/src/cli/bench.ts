/**
 * `pnpm bench`: an on-demand benchmark against a running platform (not part of the test suite).
 *
 *   pnpm bench [--orders N] [--concurrency C] [--gateway URL] [--api-key KEY] [--orders-url URL]
 *              [--database-url URL] [--nats-url URL] [--sink-url URL] [--simulators-url URL]
 *              [--warmup W] [--email-timeout S] [--keep-sink]
 *
 * Phases, each on an otherwise quiet system (every phase waits for the work it started):
 *   1. platform:  N × `POST /v1/orders` on the gateway at concurrency C (got, keep-alive agent,
 *      `authorization: Bearer <api key>`). Then the rest of the order's way to its confirmation email:
 *      - checkout: billing consumes orders.order.created and opens a Stripe checkout session at the
 *        simulator, which the bench finds in the simulator's session listing (bench/checkouts.ts;
 *        polling the platform would add load to what is measured): POST→checkout session listed;
 *      - pay: the simulated customer pays every session (`POST <simulators>/stripe/_sim/checkout/
 *        sessions/:cs/complete`, C in flight; the simulator answers once the signed webhook went
 *        through the gateway to billing) → billing.payment.succeeded → order confirmed → email;
 *      - email: the SMTP sink's `receivedAt` of each order's confirmation email minus the moment its
 *        payment / its POST was sent (orders are matched by a unique customer email per run and order).
 *      Also the outbox relay pickup (create transaction's commit → stored on the stream) of the same
 *      orders, and the CPU each process used per placed-and-paid order (services' /metrics,
 *      PostgreSQL and NATS from /proc).
 *   2. baseline a: the same N bodies POSTed through the gateway again, then straight to the orders
 *      service (gateway overhead: the two compared), each with the services consuming its events
 *      paused (SIGSTOP, a local platform) so the gateway and orders have the cores to themselves;
 *      not paid (no email), but their checkout sessions are awaited after the resume so billing is
 *      idle for the next phase.
 *   3. baseline b: the rows the service wrote for one of those orders (order, items, history,
 *      sub-orders, timeline entry, promise, timer, events) written again with raw `pg` in one
 *      transaction, pool of C connections (ORM/service overhead; bench/raw-order.ts).
 *   4. baseline c: raw JetStream publishes with msgID of an event-sized envelope to a throwaway
 *      stream BENCH_<RUNID> (subject bench.<runid>), deleted afterwards (relay overhead).
 *
 * Sustained mode (`--rate R --duration S [--stop SERVICE --stop-at S --stop-for S]`) replaces the
 * phases: see bench/sustained.ts. It first stocks the bench order's own-stock item at every active
 * hub for the run's orders (`PUT /v1/hubs/:id/stock/:sku`, so an admin key; bench/journey.ts): the
 * paid orders go on through fulfillment as a shop's would, not into "Insufficient stock".
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
import { eventHeaders, natsConnectionOptions } from '@platform/runtime/nats';
import { newEvent } from '@platform/runtime/outbox';
import { type Envelope, orderCreated, streams } from '@platform/contracts';
import { createOrderRequestSchema, type Order } from '@platform/contracts/api/orders';
import got, { type Got } from 'got';
import pg from 'pg';
import { sleep } from '../child';
import type { SinkMessage } from '../smtp-sink';
import { describe, fetchSink, httpFailure, payCheckout, renderTable, runPool } from '../drive';
import { CheckoutWatcher } from '../bench/checkouts';
import { CONFIRMATION_SUBJECT, EMAIL_PATTERN, orderBody, type Stats, stats, stockBenchItems } from '../bench/journey';
import { machineRows, machineRowsNote, MEASURED_PROCESSES, type ResourceSample, type ResourceUse, resourceUse, sampleResources, metricsUrls, signalService, statementCounter } from '../bench/resources';
import { describeCreation, dropRawTimers, learnOrderCreation, writeOrderCreationOp } from '../bench/raw-order';
import { readStoredEvents } from '../bench/hops';
import { runSustained, sustainedOrderCount } from '../bench/sustained';
import { SERVICE_NAMES, type ServiceName } from '../services';
import { cliNatsSettings } from '../nats-auth';

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
  simulatorsUrl: 'http://127.0.0.1:8090',
  /** The default dev key of the gateway when API_KEYS is unset. */
  apiKey: 'dev-admin-key',
  warmup: 20,
  emailTimeoutS: 120,
  durationS: 600,
  stopAtS: 120,
  stopForS: 60,
  settleTimeoutS: 300,
} as const;

const USAGE = `Usage: pnpm bench [options]

Benchmarks a running platform (start it first with \`pnpm start\` / \`pnpm platform\`).

  --orders N            orders per phase (default ${DEFAULTS.orders})
  --concurrency C       requests / transactions / publishes in flight (default ${DEFAULTS.concurrency})
  --gateway URL         gateway base URL (env GATEWAY_URL, default ${DEFAULTS.gateway})
  --api-key KEY         gateway API key, role admin (sustained mode stocks the bench item; an ops key runs without it) (default ${DEFAULTS.apiKey})
  --orders-url URL      orders service base URL (env ORDERS_URL, default ${DEFAULTS.ordersUrl})
  --database-url URL    orders database (env ORDERS_DATABASE_URL, default ${DEFAULTS.databaseUrl})
  --nats-url URL        NATS server(s), comma separated (env NATS_URL, default ${DEFAULTS.natsUrl}),
                        as NATS_USER/NATS_PASSWORD (the operator; unset: the local platform's)
  --sink-url URL        SMTP sink web/JSON API (default ${DEFAULTS.sinkUrl})
  --simulators-url URL  provider simulators (Stripe at /stripe) (env SIMULATORS_URL, default ${DEFAULTS.simulatorsUrl})
  --warmup W            unmeasured operations before each phase (default ${DEFAULTS.warmup})
  --email-timeout S     seconds to wait for the checkout sessions, and again for the confirmation
                        emails (default ${DEFAULTS.emailTimeoutS})
  --keep-sink           do not empty the SMTP sink before the run (messages are filtered by run id anyway)
  -h, --help            this text

Sustained mode (instead of the phases above):
  --rate R              orders per second through the gateway, arriving on schedule (open loop)
  --duration S          for S seconds (default ${DEFAULTS.durationS})
  --stop SERVICE        pause that service (SIGSTOP, a local \`pnpm start\` platform) during the load...
  --stop-at S           ...S seconds into it (default ${DEFAULTS.stopAtS})...
  --stop-for S          ...for S seconds (default ${DEFAULTS.stopForS}), and measure how long its backlog takes to drain
  --settle-timeout S    seconds to wait after the load for the last payments, emails and backlogs (default ${DEFAULTS.settleTimeoutS})

CPU and memory per service come from each service's /metrics (<PREFIX>_URL overrides a service's
default URL, e.g. BILLING_URL; the gateway's is its management listener, GATEWAY_MANAGEMENT_URL,
default http://127.0.0.1:9090); PostgreSQL's and NATS's from /proc when they run on this machine.
`;

interface Settings {
  orders: number;
  concurrency: number;
  gateway: string;
  ordersUrl: string;
  databaseUrl: string;
  natsUrl: string;
  sinkUrl: string;
  simulatorsUrl: string;
  apiKey: string;
  warmup: number;
  emailTimeoutMs: number;
  keepSink: boolean;
  sustained?: { rate: number; durationS: number; stop?: { service: ServiceName; atS: number; forS: number }; settleTimeoutMs: number };
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
        'simulators-url': { type: 'string' },
        'api-key': { type: 'string' },
        warmup: { type: 'string' },
        'email-timeout': { type: 'string' },
        'keep-sink': { type: 'boolean', default: false },
        rate: { type: 'string' },
        duration: { type: 'string' },
        stop: { type: 'string' },
        'stop-at': { type: 'string' },
        'stop-for': { type: 'string' },
        'settle-timeout': { type: 'string' },
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
  let sustained: Settings['sustained'];
  if (values.rate !== undefined) {
    const rate = Number(values.rate);
    if (!Number.isFinite(rate) || rate <= 0) fail(`--rate must be a positive number of orders per second (got "${values.rate}")`);
    const durationS = int('duration', values.duration, DEFAULTS.durationS, 1);
    let stop: NonNullable<Settings['sustained']>['stop'];
    if (values.stop !== undefined) {
      if (!(SERVICE_NAMES as readonly string[]).includes(values.stop)) fail(`--stop must be one of ${SERVICE_NAMES.join(', ')} (got "${values.stop}")`);
      stop = { service: values.stop as ServiceName, atS: int('stop-at', values['stop-at'], DEFAULTS.stopAtS, 0), forS: int('stop-for', values['stop-for'], DEFAULTS.stopForS, 1) };
      if (stop.atS >= durationS) fail(`--stop-at (${stop.atS}) must fall within --duration (${durationS})`);
    }
    sustained = { rate, durationS, stop, settleTimeoutMs: int('settle-timeout', values['settle-timeout'], DEFAULTS.settleTimeoutS, 1) * 1000 };
  } else {
    for (const option of ['duration', 'stop', 'stop-at', 'stop-for', 'settle-timeout'] as const) {
      if (values[option] !== undefined) fail(`--${option} belongs to the sustained mode: add --rate`);
    }
  }
  const apiKey = (values['api-key'] ?? DEFAULTS.apiKey).trim();
  if (!apiKey) fail('--api-key must not be empty');
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
    simulatorsUrl: url('simulators-url', values['simulators-url'] ?? env.SIMULATORS_URL, DEFAULTS.simulatorsUrl, ['http:', 'https:']),
    apiKey,
    warmup: int('warmup', values.warmup, DEFAULTS.warmup, 0),
    emailTimeoutMs: int('email-timeout', values['email-timeout'], DEFAULTS.emailTimeoutS, 1) * 1000,
    keepSink: values['keep-sink'],
    sustained,
  };
}

/** Hides the password of `scheme://user:password@host` URLs. */
function redact(text: string): string {
  return text.replace(/(\/\/[^/:@\s]+:)[^@\s]*@/g, '$1***@');
}

const say = (message: string): void => void process.stderr.write(`bench: ${message}\n`);

// ---------------------------------------------------------------------------------------------
// Phases

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
  const pool = (count: number, fn: (i: number) => Promise<void>): Promise<void> => runPool(count, concurrency, fn);

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

// ---------------------------------------------------------------------------------------------
// HTTP phases (gateway, direct orders service) and the order's way to its confirmation email

/** One order of a phase. Times are wall clock (ms since epoch), comparable with the services' timestamps. */
interface PostRecord {
  /** Just before the POST was sent. */
  sentAt: number;
  order?: Order;
  /** The Stripe checkout session billing opened for the order (`cs_test_…`). */
  sessionId?: string;
  /** When the bench first saw the session at `GET /v1/orders/:id/billing`. */
  checkoutSeenAt?: number;
  /** Just before the simulated customer paid; set only when the webhook reached billing. */
  paidAt?: number;
  /** The sink's receivedAt of the order's first confirmation email. */
  emailAt?: number;
}

type Records = readonly (PostRecord | undefined)[];

function postPhaseOp(client: Got, url: string, runId: string, tag: string, records: PostRecord[]) {
  return async (i: number): Promise<string | void> => {
    const body = orderBody(runId, tag, i);
    const sentAt = Date.now();
    const response = await client.post(url, { json: body, responseType: 'json' });
    if (response.statusCode !== 201) return httpFailure('POST', response);
    records[i] = { sentAt, order: response.body as Order };
  };
}

/** A `runPhase` operation that runs `op` once for each record that `reached` a stage. */
function eachRecord(records: Records, reached: (record: PostRecord) => boolean, op: (record: PostRecord) => Promise<string | void>) {
  const selected = records.filter((record): record is PostRecord => record !== undefined && reached(record));
  return { count: selected.length, op: (i: number) => op(selected[i]!) };
}

/** The simulated customer pays; the simulator answers once its signed webhook went through the gateway to billing. */
function payOp(client: Got, simulatorsUrl: string) {
  return async (record: PostRecord): Promise<string | void> => {
    const paidAt = Date.now();
    // A refused webhook counts as a failure here: the burst measures what is paid at once.
    const payment = await payCheckout(client, simulatorsUrl, record.sessionId!);
    if (payment.kind !== 'accepted') return payment.problem;
    record.paidAt = paidAt;
  };
}

/** What the phases after the POSTs need. */
interface Bench {
  settings: Settings;
  runId: string;
  http: Got;
  /** `http` with the gateway's API key. */
  gatewayHttp: Got;
  checkouts: CheckoutWatcher;
}

/** Waits until the Stripe simulator listed a checkout session for every placed order of `records` (or the timeout). */
async function awaitCheckouts(bench: Bench, name: string, records: Records, timeoutMs: number): Promise<PhaseResult> {
  const placed = records.filter((record): record is PostRecord & { order: Order } => record?.order !== undefined);
  say(`${name}: waiting for ${placed.length} checkout session(s)`);
  const started = performance.now();
  const deadline = Date.now() + timeoutMs;
  while (placed.some((record) => !bench.checkouts.session(record.order.id)) && Date.now() < deadline) await sleep(100);
  const latencies: number[] = [];
  for (const record of placed) {
    const seen = bench.checkouts.session(record.order.id);
    if (!seen) continue;
    record.sessionId = seen.sessionId;
    record.checkoutSeenAt = seen.seenAt;
    latencies.push(seen.seenAt - record.sentAt);
  }
  const elapsedMs = performance.now() - started;
  const missing = placed.length - latencies.length;
  return {
    name,
    attempted: placed.length,
    ok: latencies.length,
    failed: missing,
    elapsedMs,
    rate: latencies.length / (elapsedMs / 1000),
    latency: stats(latencies),
    failures: missing > 0 ? [`${missing}× no checkout session before the timeout`] : [],
  };
}

interface Completion {
  checkout: PhaseResult;
  pay: PhaseResult;
  emails: EmailResult;
}

/** The rest of the orders' way: checkout session, payment (C in flight), confirmation email. */
async function completeOrders(bench: Bench, label: string, tag: string, records: Records, timeoutMs: number): Promise<Completion> {
  const checkout = await awaitCheckouts(bench, `checkout sessions (${label})`, records, timeoutMs);
  const { count, op } = eachRecord(records, (record) => record.sessionId !== undefined, payOp(bench.http, bench.settings.simulatorsUrl));
  const pay = await runPhase(`pay at the Stripe simulator (${label})`, count, bench.settings.concurrency, op);
  say(`waiting up to ${timeoutMs / 1000} s for ${count} confirmation emails (${label})`);
  const emails = await awaitEmails(bench.http, bench.settings.sinkUrl, bench.runId, tag, records, timeoutMs);
  return { checkout, pay, emails };
}

interface Interval {
  count: number;
  latency: Stats | null;
  /** count / (latest end − earliest start), per second. */
  rate: number;
}

/** `to − from` of every record that has both times. */
function intervals(records: Records, from: (record: PostRecord) => number | undefined, to: (record: PostRecord) => number | undefined): Interval {
  const latencies: number[] = [];
  let first = Infinity;
  let last = -Infinity;
  for (const record of records) {
    const start = record && from(record);
    const end = record && to(record);
    if (start === undefined || end === undefined) continue;
    latencies.push(end - start);
    first = Math.min(first, start);
    last = Math.max(last, end);
  }
  return { count: latencies.length, latency: stats(latencies), rate: latencies.length > 0 ? latencies.length / (Math.max(last - first, 1) / 1000) : 0 };
}

// ---------------------------------------------------------------------------------------------
// SMTP sink


interface EmailResult {
  /** Paid orders (each should get one confirmation). */
  expected: number;
  arrived: number;
  /** Extra confirmations for an order that already had one (redelivery that sent twice). */
  duplicates: number;
  /** Confirmations whose subject does not carry the order number the POST returned. */
  subjectMismatches: number;
  /** Other emails (status updates after the confirmation) to the same addresses: not counted. */
  others: number;
  waitedMs: number;
}

/**
 * Polls the sink until a confirmation email arrived for every paid record of `tag` (or the
 * timeout) and sets each record's `emailAt` (the first confirmation's receivedAt).
 */
async function awaitEmails(client: Got, sinkUrl: string, runId: string, tag: string, records: Records, timeoutMs: number): Promise<EmailResult> {
  const expected = records.filter((record) => record?.paidAt !== undefined).length;
  const started = Date.now();
  const deadline = started + timeoutMs;
  let lastReport = started;
  let matched = new Map<number, SinkMessage[]>();
  let others = 0;
  for (;;) {
    matched = new Map();
    others = 0;
    for (const message of await fetchSink(client, sinkUrl)) {
      for (const address of message.to) {
        const match = EMAIL_PATTERN.exec(address);
        if (!match || match[1]?.toLowerCase() !== runId || match[2] !== tag) continue;
        const index = Number(match[3]);
        if (records[index]?.paidAt === undefined) continue;
        if (!CONFIRMATION_SUBJECT.test(message.subject)) {
          others += 1;
          continue;
        }
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

  let duplicates = 0;
  let subjectMismatches = 0;
  for (const [index, messages] of matched) {
    const record = records[index]!;
    record.emailAt = Math.min(...messages.map((message) => Date.parse(message.receivedAt)));
    duplicates += messages.length - 1;
    if (!messages.some((message) => message.subject.includes(record.order!.number))) subjectMismatches += 1;
  }
  return { expected, arrived: matched.size, duplicates, subjectMismatches, others, waitedMs: Date.now() - started };
}

// ---------------------------------------------------------------------------------------------
// Raw pg baseline

const RAW_CUSTOMER_ID = 'bench-raw';

/** Paused during the measured baseline POSTs: every service consuming what orders publishes (all but the gateway). */
const PAUSED_FOR_POSTS: readonly ServiceName[] = SERVICE_NAMES.filter((name) => name !== 'orders' && name !== 'gateway');

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

/**
 * From the commit of each order's create transaction to the relay's publish: the time the
 * stream stored the order's `orders.order.created` (the relay deletes the outbox row once
 * JetStream acknowledged it, so the database no longer knows). The commit time is the commit
 * timestamp of the order's first history row, written in that transaction and never updated,
 * when the server tracks commit timestamps (the platform command's PostgreSQL does); otherwise
 * the order's created_at (taken just before its transaction began, so the figure then includes
 * the transaction).
 */
async function relayPickup(pool: pg.Pool, nc: NatsConnection, orderIds: string[]): Promise<Interval & { from: 'commit' | 'transaction start' }> {
  const { rows: setting } = await pool.query<{ track_commit_timestamp: string }>('SHOW track_commit_timestamp');
  const from = setting[0]?.track_commit_timestamp === 'on' ? 'commit' : 'transaction start';
  if (orderIds.length === 0) return { count: 0, latency: null, rate: 0, from };
  const committed = from === 'commit' ? 'pg_xact_commit_timestamp(h.xmin)' : 'o.created_at';
  const { rows } = await pool.query<{ id: string; created_ms: number }>(
    `SELECT o.id::text AS id, extract(epoch FROM ${committed}) * 1000 AS created_ms
       FROM orders o JOIN order_status_history h ON h.order_id = o.id AND h.previous_status IS NULL
      WHERE o.id = ANY($1::uuid[])`,
    [orderIds],
  );
  if (rows.length === 0) return { count: 0, latency: null, rate: 0, from };
  const committedAt = new Map(rows.map((row) => [row.id, Number(row.created_ms)]));
  const first = Math.min(...committedAt.values());
  // Stored after its commit, so nothing of these orders is older than the first commit (a second
  // earlier, for a NATS host whose clock is slightly behind).
  const publishedAt = new Map<string, number>();
  await readStoredEvents(jetstream(nc), streams[orderCreated.stream].name, orderCreated.type, first - 1_000, ({ envelope, storedAt }) => {
    if (committedAt.has(envelope.aggregateId) && !publishedAt.has(envelope.aggregateId)) publishedAt.set(envelope.aggregateId, storedAt);
  });
  const published = [...publishedAt].map(([id, p]) => ({ c: committedAt.get(id)!, p }));
  if (published.length === 0) return { count: 0, latency: null, rate: 0, from };
  const start = Math.min(...published.map((row) => row.c));
  const last = Math.max(...published.map((row) => row.p));
  return {
    count: published.length,
    latency: stats(published.map((row) => row.p - row.c)),
    rate: published.length / (Math.max(last - start, 1) / 1000),
    from,
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

const ms = (value: number | undefined): string => (value === undefined || !Number.isFinite(value) ? '-' : value < 10 ? value.toFixed(2) : value.toFixed(1));
const perSecond = (value: number): string => (Number.isFinite(value) && value > 0 ? value.toFixed(1) : '-');
const ratio = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? 'n/a' : `${(a / b).toFixed(2)}x`;

/** What a phase's processes used, and for how many orders. */
interface PhaseUse {
  use: ResourceUse | undefined;
  orders: number;
}

/**
 * CPU per placed-and-paid order (measured gateway orders, POST to confirmation email), per order
 * POSTed through the gateway and straight to the orders service with the consumers paused (until
 * its checkout session), per process; memory at the end.
 */
function cpuTable(journey: PhaseUse, gatewayPaused: PhaseUse, direct: PhaseUse, end: ResourceSample): string {
  const perOrder = ({ use, orders }: PhaseUse, name: string | null): string => {
    const seconds = use && (name === null ? use.totalCpuSeconds : use.cpuSeconds[name]);
    return seconds === undefined || orders === 0 ? '-' : ((seconds * 1000) / orders).toFixed(1);
  };
  const rss = (name: string) => {
    const bytes = end.processes[name]?.rssBytes;
    return bytes === undefined ? '-' : (bytes / 2 ** 20).toFixed(0);
  };
  // Each service's own database: its round trips. The total is left out when one is unknown.
  const perDatabase = (counted: 'statements' | 'transactions') => ({ use, orders }: PhaseUse, name: string | null): string => {
    const databases = name === null ? SERVICE_NAMES.filter((service) => service !== 'gateway') : [name];
    const counts = databases.map((database) => use?.[counted][database]);
    if (orders === 0 || counts.some((n) => n === undefined)) return '-';
    return ((counts as number[]).reduce((sum, n) => sum + n, 0) / orders).toFixed(1);
  };
  const statements = perDatabase('statements');
  const transactions = perDatabase('transactions');
  const row = (label: string, name: string | null, memory: string) => [
    label,
    perOrder(journey, name),
    statements(journey, name),
    transactions(journey, name),
    perOrder(gatewayPaused, name),
    perOrder(direct, name),
    statements(direct, name),
    memory,
  ];
  const rows = MEASURED_PROCESSES.map((name) => row(name, name, rss(name)));
  rows.push(row('total (known)', null, ''));
  // The machine's CPU in each phase, by the label machineRows gives it.
  const machine = ({ use, orders }: PhaseUse, label: string): string => {
    const seconds = use && machineRows(use).find(([name]) => name === label)?.[1];
    return seconds === undefined || orders === 0 ? '-' : ((seconds * 1000) / orders).toFixed(1);
  };
  if (journey.use) for (const [label] of machineRows(journey.use)) rows.push([label, machine(journey, label), '', '', machine(gatewayPaused, label), machine(direct, label), '', '']);
  const journeyWall = journey.use ? `${journey.use.wallSeconds.toFixed(1)} s` : '-';
  const perCore = journey.use && journey.orders > 0 ? (journey.orders / journey.use.totalCpuSeconds).toFixed(1) : '-';
  return [
    renderTable(
      ['process', 'CPU ms per placed+paid order', 'statements', 'transactions', 'CPU ms per gateway POST (paused)', 'CPU ms per direct POST', 'statements', 'RSS MB at end'],
      rows,
      [false, true, true, true, true, true, true, true],
    ),
    `placed+paid: the measured gateway orders from their first POST to their last confirmation email (${journeyWall}),`,
    `so ${perCore} such orders per CPU-second; gateway POST (paused) and direct: POST to checkout session opened.`,
    `Unknown processes (remote, restarted) show '-'.`,
    ...(journey.use && machineRows(journey.use).length > 0 ? machineRowsNote() : []),
    `statements: those the service sent to its own database (pg_stat_statements, top level; it counts a prepared BEGIN or COMMIT only`,
    `once per connection), per order; transactions: those its database ended (pg_stat_database, a single statement's included),`,
    `per order; billing's include the one its COMMIT runs to number a document (a trigger, not a round trip).`,
    `'-' where the server does not load pg_stat_statements.`,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Main

interface Stack {
  pool: pg.Pool;
  nc: NatsConnection;
  /** The gateway's requests per minute per API key (x-ratelimit-limit), when it says. */
  rateLimit: number | undefined;
}

async function preflight(settings: Settings, http: Got, gatewayHttp: Got): Promise<Stack> {
  const problems: string[] = [];
  let rateLimit: number | undefined;
  const ready = async (label: string, base: string): Promise<void> => {
    try {
      const response = await http.get(`${base}/readyz`, { timeout: { request: 3_000 } });
      if (response.statusCode !== 200) problems.push(`${label} ${base}/readyz answered ${response.statusCode}: ${String(response.body).slice(0, 300)}`);
    } catch (error) {
      problems.push(`${label} not reachable at ${base}/readyz (${describe(error)})`);
    }
  };
  await Promise.all([ready('gateway', settings.gateway), ready('orders service', settings.ordersUrl)]);
  if (problems.length === 0) {
    // Any answer but 401/403 means the key works (an unknown order is a 404).
    const probe = await gatewayHttp.get(`${settings.gateway}/v1/orders/00000000-0000-4000-8000-000000000000/billing`).catch(() => undefined);
    if (probe?.statusCode === 401 || probe?.statusCode === 403) {
      problems.push(`the gateway refused the API key (HTTP ${probe.statusCode}); pass --api-key with an ops or admin key`);
    }
    const limit = Number(probe?.headers['x-ratelimit-limit']);
    if (Number.isFinite(limit) && limit > 0) rateLimit = limit;
  }
  try {
    const providers = await http.get(`${settings.simulatorsUrl}/`, { responseType: 'json', timeout: { request: 3_000 } });
    if (!(providers.body as { providers?: string[] }).providers?.includes('/stripe')) {
      problems.push(`no Stripe simulator at ${settings.simulatorsUrl}/stripe (GET / answered ${providers.statusCode})`);
    }
  } catch (error) {
    problems.push(`provider simulators not reachable at ${settings.simulatorsUrl} (${describe(error)})`);
  }
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
    nc = await connect({ ...natsConnectionOptions(cliNatsSettings(settings.natsUrl, 'operator'), 'platform-bench'), timeout: 3_000, maxReconnectAttempts: 0 });
    await (await jetstreamManager(nc)).getAccountInfo();
  } catch (error) {
    problems.push(`NATS JetStream not reachable at ${settings.natsUrl} (${describe(error)})`);
  }

  if (problems.length > 0 || !nc) {
    await pool.end().catch(() => {});
    await nc?.close().catch(() => {});
    fail(`the stack is not reachable; start it with \`pnpm start\` (or pass the right URLs):\n  - ${problems.join('\n  - ')}`);
  }
  return { pool, nc, rateLimit };
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

  // Open loop (sustained mode): as many requests in flight as the arrivals and the platform's pace make.
  const maxSockets = settings.sustained ? 4096 : c;
  const agent = { http: new HttpAgent({ keepAlive: true, maxSockets }), https: new HttpsAgent({ keepAlive: true, maxSockets }) };
  cleanups.push(async () => {
    agent.http.destroy();
    agent.https.destroy();
  });
  const http = got.extend({ agent, retry: { limit: 0 }, throwHttpErrors: false, timeout: { request: 30_000 } });
  const gatewayHttp = http.extend({ headers: { authorization: `Bearer ${settings.apiKey}` } });

  say(`run ${runId}: checking the stack`);
  const { pool, nc, rateLimit } = await preflight(settings, http, gatewayHttp);
  cleanups.push(() => pool.end());
  cleanups.push(() => nc.close());
  const statements = await statementCounter(settings.databaseUrl);
  if (statements) cleanups.push(() => statements.end());
  const checkouts = new CheckoutWatcher(http, settings.simulatorsUrl, say);
  await checkouts.start();
  cleanups.push(() => checkouts.stop());
  const bench: Bench = { settings, runId, http, gatewayHttp, checkouts };
  // A burst POSTs through the gateway twice (the journey, then the paused baseline), a minute or less apart.
  const gatewayRequests = (settings.sustained ? 1 : 2) * (settings.orders + settings.warmup);
  const rateLimitWarning =
    rateLimit !== undefined && rateLimit < gatewayRequests
      ? `the gateway allows ${rateLimit} requests per minute per API key; this run may send ~${gatewayRequests} POSTs in a minute` +
        ', so expect HTTP 429s: start the platform with RATE_LIMIT_PER_MINUTE=1000000 to measure without the limiter'
      : undefined;
  if (rateLimitWarning) say(`warning: ${rateLimitWarning}`);

  const startedAt = new Date();
  if (!settings.keepSink) {
    const cleared = await http.delete(`${settings.sinkUrl}/api/messages`);
    if (cleared.statusCode >= 300) say(`could not clear the sink (HTTP ${cleared.statusCode}); filtering by run id only`);
  }
  const warmupTimeoutMs = Math.min(settings.emailTimeoutMs, 30_000);
  const urls = metricsUrls({ orders: settings.ordersUrl });
  const ports = {
    postgresql: Number(new URL(settings.databaseUrl).port || 5432),
    nats: Number(new URL(settings.natsUrl.split(',')[0]!.trim()).port || 4222),
  };

  if (settings.sustained) {
    // A sustained run measures the orders' whole way, fulfilment included: every paid order
    // reserves its own-stock item once processed. (A burst's journey ends at the email, before
    // fulfilment starts; stocked, the fulfilment of its 500 orders would share the cores with the
    // baselines measured next.)
    let stock: string;
    try {
      stock = await stockBenchItems(gatewayHttp, settings.gateway, sustainedOrderCount(settings.sustained));
      say(`stock: ${stock}`);
    } catch (error) {
      stock = `not set (${describe(error)}): the orders' own-stock items may fail in fulfillment`;
      say(`warning: stock ${stock}`);
    }
    const jsm = await jetstreamManager(nc);
    const table = await runSustained(
      { ...settings.sustained, gateway: settings.gateway, simulatorsUrl: settings.simulatorsUrl, sinkUrl: settings.sinkUrl, metricsUrls: urls, serverPorts: ports },
      { http, gatewayHttp, jsm, checkouts, runId, say, onCleanup: (task) => void cleanups.push(task) },
    );
    await cleanup();
    const command = redact(['pnpm bench', ...argv].join(' ')).replace(/(--api-key[= ])\S+/, '$1***');
    process.stdout.write(
      [
        '',
        `command:  ${command}`,
        `settings: run=${runId} rate=${settings.sustained.rate}/s duration=${settings.sustained.durationS}s gateway-rate-limit=${rateLimit ?? '?'}/min`,
        `host:     node ${process.version}, ${cpus().length} CPUs, started ${startedAt.toISOString()}`,
        `stock:    ${stock}`,
        '',
        table,
        '',
      ].join('\n'),
    );
    return;
  }

  try {
    // 1. The platform: gateway POSTs, then checkout, payment and confirmation email, and the relay pickup.
    // CPU from here (warm-up done) until the measured orders' last confirmation email: placed and paid.
    let journeyStart = settings.warmup === 0 ? await sampleResources(http, urls, ports, statements) : undefined;
    const warmupRecords: PostRecord[] = [];
    const gatewayRecords: PostRecord[] = [];
    const gatewayUrl = `${settings.gateway}/v1/orders`;
    const gateway = await runPhase('gateway POST /v1/orders', n, c, postPhaseOp(gatewayHttp, gatewayUrl, runId, 'g', gatewayRecords), {
      count: settings.warmup,
      op: postPhaseOp(gatewayHttp, gatewayUrl, runId, 'gw', warmupRecords),
      // The warm-up orders go all the way to their email first, so the measured orders start with an
      // empty pipeline (and a dead billing or notifications service shows up here, not after the full timeout).
      after: async () => {
        const { checkout, pay, emails } = await completeOrders(bench, 'warm-up', 'gw', warmupRecords, warmupTimeoutMs);
        const summary = `${checkout.ok}/${checkout.attempted} checkouts, ${pay.ok}/${pay.attempted} paid, ${emails.arrived}/${emails.expected} emails`;
        const payToEmail = intervals(warmupRecords, (record) => record.paidAt, (record) => record.emailAt);
        if (checkout.failed + pay.failed > 0 || emails.arrived < emails.expected) {
          say(`warning: warm-up incomplete within ${warmupTimeoutMs / 1000} s: ${summary}; ${[...checkout.failures, ...pay.failures].join('; ')}`);
        } else {
          say(`warm-up: ${summary} (pay→email p50 ${ms(payToEmail.latency?.p50)} ms)`);
        }
        journeyStart = await sampleResources(http, urls, ports, statements);
      },
    });
    if (interrupted) return;
    const completion = await completeOrders(bench, 'gateway orders', 'g', gatewayRecords, settings.emailTimeoutMs);
    const journeyEnd = await sampleResources(http, urls, ports, statements);
    const { emails } = completion;
    const gatewayOrderIds = gatewayRecords.flatMap((record) => (record?.order ? [record.order.id] : []));
    const pickup = await relayPickup(pool, nc, gatewayOrderIds);
    const checkoutSeen = intervals(gatewayRecords, (record) => record.sentAt, (record) => record.checkoutSeenAt);
    const payToEmail = intervals(gatewayRecords, (record) => record.paidAt, (record) => record.emailAt);
    const postToEmail = intervals(gatewayRecords, (record) => record.sentAt, (record) => record.emailAt);
    if (interrupted) return;

    // 2. Baseline a: the same POSTs through the gateway and straight to the orders service, each
    //    with the services consuming orders' events paused (a local platform): the gateway's cost
    //    and the orders service's own pace, not a share of two cores with the checkout, fulfilment
    //    and email work of earlier orders. They catch up afterwards (their work is counted in the CPU
    //    per POST). Not paid (no email); their checkout sessions are awaited so billing is idle
    //    again before the next phase.
    const paused: ServiceName[] = [];
    const resume = async () => {
      while (paused.length > 0) signalService(paused.pop()!, 'SIGCONT', say);
    };
    cleanups.push(resume);
    const pausedPosts = async (name: string, client: Got, url: string, tag: string) => {
      let start = settings.warmup === 0 ? await sampleResources(http, urls, ports, statements) : undefined;
      const records: PostRecord[] = [];
      const warmupRecords: PostRecord[] = [];
      const phase = await runPhase(name, n, c, postPhaseOp(client, url, runId, tag, records), {
        count: settings.warmup,
        op: postPhaseOp(client, url, runId, `${tag}w`, warmupRecords),
        after: async () => {
          await awaitCheckouts(bench, `checkout sessions (${name}, warm-up)`, warmupRecords, warmupTimeoutMs);
          start = await sampleResources(http, urls, ports, statements);
          for (const service of PAUSED_FOR_POSTS) if (signalService(service, 'SIGSTOP', say)) paused.push(service);
        },
      });
      const pausedServices = [...paused];
      await resume();
      const checkout = await awaitCheckouts(bench, `checkout sessions (${name})`, records, settings.emailTimeoutMs);
      const end = await sampleResources(http, urls, ports, statements);
      const checkoutSeen = intervals(records, (record) => record.sentAt, (record) => record.checkoutSeenAt);
      return { phase, records, checkout, checkoutSeen, use: start && resourceUse(start, end), end, pausedServices };
    };
    const gatewayPaused = await pausedPosts('gateway POST /v1/orders (paused)', gatewayHttp, gatewayUrl, 'p');
    if (interrupted) return;
    const directPaused = await pausedPosts('orders POST /orders (direct)', http, `${settings.ordersUrl}/orders`, 'd');
    if (interrupted) return;
    const direct = directPaused.phase;

    // 3. Baseline b: the rows the service wrote for one direct order, written again with raw pg.
    const priced = directPaused.records.find((record) => record?.order)?.order;
    if (!priced) fail('no order was accepted by the orders service, so there is nothing to compare the raw baseline with');
    const creation = await learnOrderCreation(pool, nc, priced);
    const rawNotes = `bench-raw ${runId}`;
    const rawOp = await writeOrderCreationOp(pool, creation, RAW_CUSTOMER_ID, rawNotes);
    const raw = await runPhase('raw pg tx (the same rows)', n, c, rawOp, { count: settings.warmup, op: rawOp });
    const rawTimers = await dropRawTimers(pool, rawNotes);
    if (interrupted) return;

    // 4. Baseline c: raw JetStream publishes to a throwaway stream.
    const streamName = `BENCH_${runId.toUpperCase()}`;
    const subject = `bench.${runId}`;
    let publish: PhaseResult | undefined;
    let publishError: string | undefined;
    let payloadBytes = 0;
    let streamState = 'not created';
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
      payloadBytes = Buffer.byteLength(JSON.stringify(eventEnvelope(priced, 'bench')));
      const publishOp = natsPublishOp(nc, subject, priced);
      publish = await runPhase('raw JetStream publish (msgID)', n, c, publishOp, { count: settings.warmup, op: publishOp });
    } catch (error) {
      publishError = describe(error);
      say(`JetStream baseline failed: ${publishError}`);
    }
    await cleanup();

    // Report.
    const command = redact(['pnpm bench', ...argv].join(' ')).replace(/(--api-key[= ])\S+/, '$1***');
    const out: string[] = [];
    out.push('');
    out.push(`command:  ${command}`);
    out.push(
      `settings: run=${runId} orders=${n} concurrency=${c} warmup=${settings.warmup} email-timeout=${settings.emailTimeoutMs / 1000}s` +
        ` sink-cleared=${!settings.keepSink} gateway-rate-limit=${rateLimit ?? '?'}/min`,
    );
    out.push(
      `targets:  gateway=${settings.gateway} orders=${settings.ordersUrl} db=${redact(settings.databaseUrl)} nats=${settings.natsUrl}` +
        ` sink=${settings.sinkUrl} simulators=${settings.simulatorsUrl}`,
    );
    out.push(`host:     node ${process.version}, ${cpus().length} CPUs, started ${startedAt.toISOString()}, event payload ${payloadBytes} B`);
    out.push('');

    const row = (name: string, ok: number, expected: number, elapsedMs: number | undefined, rate: number, latency: Stats | null): string[] => [
      name,
      `${ok}/${expected}`,
      String(expected - ok),
      elapsedMs === undefined ? '-' : (elapsedMs / 1000).toFixed(2),
      perSecond(rate),
      ms(latency?.p50),
      ms(latency?.p95),
      ms(latency?.p99),
      ms(latency?.max),
    ];
    const phaseRow = (phase: PhaseResult): string[] => row(phase.name, phase.ok, phase.attempted, phase.elapsedMs, phase.rate, phase.latency);
    /** `expected` orders should have the interval; `elapsedMs` is the time its phase took, if it has one. */
    const intervalRow = (name: string, interval: Interval, expected: number, elapsedMs?: number): string[] =>
      row(name, interval.count, expected, elapsedMs, interval.rate, interval.latency);
    const { checkout, pay } = completion;
    const rows: string[][] = [
      phaseRow(gateway),
      intervalRow(`  relay: ${pickup.from}→published (pickup)`, pickup, gatewayOrderIds.length),
      intervalRow('  POST→checkout session listed at Stripe', checkoutSeen, gateway.ok, checkout.elapsedMs),
      phaseRow({ ...pay, name: '  pay: simulator→webhook→billing 200' }),
      intervalRow('  pay→email accepted', payToEmail, pay.ok, emails.waitedMs),
      intervalRow('  POST→email accepted (end to end)', postToEmail, gateway.ok),
      phaseRow(gatewayPaused.phase),
      intervalRow('  POST→checkout session listed (paused)', gatewayPaused.checkoutSeen, gatewayPaused.phase.ok, gatewayPaused.checkout.elapsedMs),
      phaseRow(direct),
      intervalRow('  POST→checkout session listed (direct)', directPaused.checkoutSeen, direct.ok, directPaused.checkout.elapsedMs),
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
    out.push('"per second": successful operations / phase wall time; for an A→B row, count / (latest B − earliest A).');
    out.push('"seconds" of an A→B row: the time the bench spent waiting for B after the previous step. Checkout sessions are');
    out.push("found in the Stripe simulator's listing (every 200 ms), so the bench adds no load to the platform it measures.");
    out.push('');

    const ratios: string[][] = [
      ['gateway overhead: p50 latency', 'gateway (paused) p50 / direct p50', ratio(gatewayPaused.phase.latency?.p50, direct.latency?.p50)],
      ['gateway overhead: p99 latency', 'gateway (paused) p99 / direct p99', ratio(gatewayPaused.phase.latency?.p99, direct.latency?.p99)],
      ['gateway overhead: throughput', 'direct orders/s / gateway (paused) orders/s', ratio(direct.rate, gatewayPaused.phase.rate)],
      ['intake under the whole journey', 'gateway (paused) orders/s / gateway orders/s', ratio(gatewayPaused.phase.rate, gateway.rate)],
      ['ORM/service overhead: p50 latency', 'direct POST p50 / raw pg tx p50', ratio(direct.latency?.p50, raw.latency?.p50)],
      ['ORM/service overhead: throughput', 'raw pg tx/s / direct orders/s', ratio(raw.rate, direct.rate)],
      ['platform vs raw DB: throughput', 'raw pg tx/s / gateway orders/s', ratio(raw.rate, gateway.rate)],
      ['billing vs intake', 'checkouts seen/s / gateway orders/s', ratio(checkoutSeen.rate, gateway.rate)],
      ['confirmation vs payment', 'pay→email emails/s / payments/s', ratio(payToEmail.rate, pay.rate)],
    ];
    if (publish) {
      ratios.push(
        ['relay headroom vs intake', 'JetStream publishes/s / gateway orders/s', ratio(publish.rate, gateway.rate)],
        ['relay headroom vs end to end', 'JetStream publishes/s / POST→email emails/s', ratio(publish.rate, postToEmail.rate)],
        ['relay pickup vs raw publish', 'relay pickup p50 / publish p50', ratio(pickup.latency?.p50, publish.latency?.p50)],
      );
    }
    ratios.push(
      ['end to end vs intake', 'POST→email emails/s / gateway orders/s', ratio(postToEmail.rate, gateway.rate)],
      ['share of end to end after payment', 'pay→email p50 / POST→email p50', ratio(payToEmail.latency?.p50, postToEmail.latency?.p50)],
    );
    out.push(renderTable(['ratio', 'definition', 'value'], ratios, [false, false, true]));
    out.push('');
    out.push(
      cpuTable(
        { use: journeyStart && resourceUse(journeyStart, journeyEnd), orders: emails.arrived },
        { use: gatewayPaused.use, orders: gatewayPaused.phase.ok },
        { use: directPaused.use, orders: direct.ok },
        directPaused.end,
      ),
    );

    const warnings: string[] = rateLimitWarning ? [rateLimitWarning] : [];
    for (const phase of [gateway, checkout, pay, gatewayPaused.phase, gatewayPaused.checkout, direct, directPaused.checkout, raw, ...(publish ? [publish] : [])]) {
      if (phase.failures.length > 0) warnings.push(`${phase.name}: ${phase.failed} failed; ${phase.failures.join('; ')}`);
    }
    if (emails.arrived < emails.expected) {
      warnings.push(`only ${emails.arrived} of ${emails.expected} paid gateway orders got their confirmation email within ${settings.emailTimeoutMs / 1000} s (notifications down or backlogged?)`);
    }
    if (emails.duplicates > 0) warnings.push(`${emails.duplicates} duplicate confirmation email(s) received`);
    if (emails.subjectMismatches > 0) warnings.push(`${emails.subjectMismatches} confirmation email(s) whose subject lacks the order number`);
    if (publishError) warnings.push(`raw JetStream baseline skipped: ${publishError}`);
    if (warnings.length > 0) out.push('', 'warnings:', ...warnings.map((warning) => `  - ${warning}`));
    out.push(
      '',
      `notes: raw pg tx writes what the service wrote for one direct order: ${describeCreation(creation)} (the outbox rows inserted and`,
      `       deleted again before the commit); they stay in the orders database (customer_id '${RAW_CUSTOMER_ID}', notes '${rawNotes}'), their ${rawTimers} timers removed;`,
      `       during the measured paused and direct POSTs ${directPaused.pausedServices.length > 0 ? `${directPaused.pausedServices.join(', ')} were paused (SIGSTOP), then caught up` : 'the other services ran (not a local platform)'};`,
      `       bench orders use customer id 'bench-${runId}': the first gateway ones are paid and go on through fulfillment, the paused and`,
      `       direct ones stay pending with an open checkout; ${emails.others} later status email(s) to the paid orders were ignored; stream ${streamName}: ${streamState}.`,
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
