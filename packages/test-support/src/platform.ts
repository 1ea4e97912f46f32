import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsConnectionOptions } from '@platform/runtime/nats';
import type { CreateOrderInput } from '@platform/contracts/api/orders';
import { freeStackPorts, type ServiceName, type StackHandle, startStack } from '@platform/devstack';
import got from 'got';
import pg from 'pg';

/** A gateway answer; bodies are parsed JSON, cast by each test to the contract type it expects. */
export interface Answer {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

type RequestOptions = { json?: unknown; body?: string; headers?: Record<string, string> };
export interface HttpClient {
  get(path: string, options?: { headers?: Record<string, string> }): Promise<Answer>;
  post(path: string, options?: RequestOptions): Promise<Answer>;
  put(path: string, options?: RequestOptions): Promise<Answer>;
  patch(path: string, options?: RequestOptions): Promise<Answer>;
  delete(path: string, options?: RequestOptions): Promise<Answer>;
}

/** The gateway's development keys (README, "API keys"). */
export const DEV_KEYS = { admin: 'dev-admin-key', ops: 'dev-ops-key', customer: 'dev-customer-key', vendor: 'dev-vendor-key' } as const;
export const DEV_CUSTOMER_ID = 'cust-demo';

export interface Platform {
  stack: StackHandle;
  /** The gateway with the admin development key. */
  gateway: HttpClient;
  /** The gateway as a given key (`null`: anonymous). */
  as(key: string | null): HttpClient;
  /** The provider simulators (`stripe/_sim/...`, `aliexpress/_sim/...`). */
  simulators: HttpClient;
  /** A service called directly (its own routes, `/_test/clock`). */
  service(name: ServiceName): HttpClient;
  /** Moves a service's clock forward (TEST_CLOCK_CONTROL); its due timers fire. */
  advanceClock(service: ServiceName, ms: number): Promise<void>;
  /** Rows in a table of a service's own database (tests look inside; services never do). */
  count(service: ServiceName, sql: string, params?: unknown[]): Promise<number>;
  /** The JSON log lines a service wrote so far. */
  logLines(service: ServiceName): Record<string, unknown>[];
  /** A NATS connection as the operator (reads every stream); the caller closes it. */
  connectNats(name?: string): Promise<NatsConnection>;
  /** Messages in a stream; with `subject`, only those on that subject. */
  streamMessages(stream: string, subject?: string): Promise<number>;
  logDir: string;
  stop(): Promise<void>;
}

/** The whole platform as real processes on free ports in a temp dir, as command one runs it. */
export async function startPlatform(
  options: {
    serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
    logLevel?: string;
    /**
     * Variables for every service, over the tests' defaults. `NATS_URL` (servers comma separated)
     * makes the platform use that NATS instead of starting its own, e.g. a cluster with
     * `NATS_STREAM_REPLICAS: '3'`.
     */
    env?: Record<string, string>;
  } = {},
): Promise<Platform> {
  const dir = await mkdtemp(join(tmpdir(), 'platform-e2e-'));
  const ports = await freeStackPorts();
  const logDir = join(dir, 'logs');
  const stack = await startStack({
    dataDir: dir,
    ports,
    persistent: false,
    logDir,
    // A short ack wait: a message whose ack was lost comes back within the tests' settle times.
    // Clocks under test control: 60 s, 24 h and polling delays pass without sleeping.
    env: { LOG_LEVEL: options.logLevel ?? 'warn', CONSUMER_ACK_WAIT_MS: '2000', TEST_CLOCK_CONTROL: 'true', ...options.env },
    serviceEnv: options.serviceEnv,
  });
  const pools = new Map<ServiceName, pg.Pool>();
  const pool = (service: ServiceName) => {
    let existing = pools.get(service);
    if (!existing) {
      existing = new pg.Pool({ connectionString: stack.env[`${service.toUpperCase()}_DATABASE_URL`], max: 2 });
      pools.set(service, existing);
    }
    return existing;
  };
  const client = (prefixUrl: string, headers: Record<string, string> = {}) =>
    got.extend({ prefixUrl, headers, throwHttpErrors: false, responseType: 'json', retry: { limit: 0 } }) as unknown as HttpClient;
  const as = (key: string | null) => client(stack.gatewayUrl, key ? { authorization: `Bearer ${key}` } : {});
  const connectNats = (name = 'e2e-test') => connect(natsConnectionOptions(stack.natsUser('operator'), name));
  return {
    stack,
    logDir,
    gateway: as(DEV_KEYS.admin),
    as,
    simulators: client(stack.simulators?.url ?? 'http://127.0.0.1:9'),
    service: (name) => client(stack.services[name]!.url),
    async advanceClock(service, ms) {
      const answer = await client(stack.services[service]!.url).post('_test/clock', { json: { advanceMs: ms } });
      if (answer.statusCode !== 200) throw new Error(`advancing ${service}'s clock failed: ${answer.statusCode} ${JSON.stringify(answer.body)}`);
    },
    async count(service, sql, params = []) {
      const { rows } = await pool(service).query<{ count: string }>(sql, params);
      return Number(rows[0]?.count ?? 0);
    },
    logLines(service) {
      return readFileSync(join(logDir, `${service}.log`), 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    connectNats,
    async streamMessages(stream, subject) {
      const nc = await connectNats();
      try {
        const jsm = await jetstreamManager(nc);
        if (!subject) return (await jsm.streams.info(stream)).state.messages;
        const info = await jsm.streams.info(stream, { subjects_filter: subject });
        return Object.values(info.state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
      } finally {
        await nc.close();
      }
    },
    async stop() {
      await Promise.all([...pools.values()].map((p) => p.end()));
      await stack.stop();
      const violations = natsViolations(join(logDir, 'nats.log'));
      await rm(dir, { recursive: true, force: true });
      // Every end-to-end test runs under the platform's NATS users: one that needed more than its
      // permissions fails here, even when the refused call was retried or ignored.
      if (violations.length > 0) throw new Error(`NATS refused calls beyond a user's permissions:\n${violations.join('\n')}`);
    },
  };
}

/** The permission violations a nats-server logged (none when it has no log there). */
export function natsViolations(logFile: string): string[] {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((line) => / - (Publish|Subscription) Violation/.test(line));
}

/** A valid order body; each call gets its own customer email so its emails can be told apart. */
export function sampleOrder(overrides: Partial<CreateOrderInput> = {}): CreateOrderInput {
  const tag = randomUUID().slice(0, 8);
  return {
    customer: { id: `cust-${tag}`, email: `buyer-${tag}@example.com`, name: 'Ana García', locale: 'en' },
    shippingAddress: { name: 'Ana García', line1: 'Calle Mayor 1', city: 'Madrid', postalCode: '28001', country: 'ES' },
    items: [
      { sku: 'MUG-BLUE', variantId: 'mug-blue-350', name: 'Blue mug', quantity: 2, unitPrice: 1250, vendor: { id: 'acme', type: 'brand' } },
      { sku: 'TEA-1', variantId: 'tea-earl-grey', name: 'Earl Grey', quantity: 1, unitPrice: 899, vendor: { id: 'leaf', type: 'distributor' } },
    ],
    currency: 'EUR',
    ...overrides,
  };
}

export { eventually, sleep } from './eventually';
