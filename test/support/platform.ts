import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
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

export interface Platform {
  stack: StackHandle;
  gateway: {
    get(path: string): Promise<Answer>;
    post(path: string, options: { json?: unknown; body?: string; headers?: Record<string, string> }): Promise<Answer>;
  };
  /** Rows in a table of a service's own database (tests look inside; services never do). */
  count(service: ServiceName, sql: string, params?: unknown[]): Promise<number>;
  /** The JSON log lines a service wrote so far. */
  logLines(service: ServiceName): Record<string, unknown>[];
  /** Messages stored in a stream. */
  streamMessages(stream: string): Promise<number>;
  logDir: string;
  stop(): Promise<void>;
}

/** The whole platform as real processes on free ports in a temp dir, as command one runs it. */
export async function startPlatform(
  options: { serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>; logLevel?: string } = {},
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
    env: { LOG_LEVEL: options.logLevel ?? 'warn', CONSUMER_ACK_WAIT_MS: '2000' },
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
  return {
    stack,
    logDir,
    gateway: got.extend({ prefixUrl: stack.gatewayUrl, throwHttpErrors: false, responseType: 'json', retry: { limit: 0 } }) as Platform['gateway'],
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
    async streamMessages(stream) {
      const nc = await connect({ servers: stack.env.NATS_URL });
      try {
        const info = await (await jetstreamManager(nc)).streams.info(stream);
        return info.state.messages;
      } finally {
        await nc.close();
      }
    },
    async stop() {
      await Promise.all([...pools.values()].map((p) => p.end()));
      await stack.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
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
