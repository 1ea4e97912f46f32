import net from 'node:net';
import { SUPPLIERS, type SupplierName } from '@platform/contracts';
import { freePort } from '@platform/devstack';
import { LOCAL_PROVIDER_CREDENTIALS, type SimulatorHandle, startSimulators } from '@platform/simulators';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
// clients.ts rather than the index: the index also exports the zod env schema.
import { createSupplierClients } from '../src/adapters/suppliers/clients';
import { AdjustableClock } from '@platform/runtime/clock';
import { createLogger } from '@platform/runtime/logger';
import { createDatabase } from '../src/adapters/database';
import { supplierCallLog } from '../src/adapters/supplier-call-log';
import type { SupplierEnv } from '../src/adapters/suppliers/env';
import {
  type SupplierCall,
  type SupplierClient,
  type SupplierOrderRequest,
  SupplierUnavailableError,
} from '../src/adapters/suppliers/supplier-client';

const TIMEOUT_MS = 400;
let sim: SimulatorHandle;
let calls: SupplierCall[];
const recordCall = async (call: SupplierCall) => {
  calls.push(call);
};

function env(overrides: Partial<SupplierEnv> = {}): SupplierEnv {
  const { aliexpress, cj, spocket } = LOCAL_PROVIDER_CREDENTIALS;
  return {
    ALIEXPRESS_API_URL: sim.baseUrl('aliexpress'),
    ALIEXPRESS_APP_KEY: aliexpress.appKey,
    ALIEXPRESS_APP_SECRET: aliexpress.appSecret,
    ALIEXPRESS_SESSION: aliexpress.session,
    CJ_API_URL: sim.baseUrl('cj'),
    CJ_API_KEY: cj.apiKey,
    SPOCKET_API_URL: sim.baseUrl('spocket'),
    SPOCKET_API_KEY: spocket.apiKey,
    SUPPLIER_HTTP_TIMEOUT_MS: TIMEOUT_MS,
    ...overrides,
  };
}

let sequence = 0;
function orderRequest(): SupplierOrderRequest {
  sequence += 1;
  return {
    reference: `so-${Date.now()}-${sequence}`,
    orderId: `ord-${sequence}`,
    items: [{ sku: '1005001234', variantId: '14:193#Black;5:100014064', name: 'Mug', quantity: 2 }],
    shippingAddress: { name: 'Ana Buyer', line1: 'Calle Mayor 1', city: 'Madrid', state: 'Madrid', postalCode: '28013', country: 'ES', phone: '+34 600 000 000' },
    customer: { name: 'Ana Buyer', email: 'ana@example.com', phone: '+34600000000' },
  };
}

const SECRETS = [
  LOCAL_PROVIDER_CREDENTIALS.aliexpress.appSecret,
  LOCAL_PROVIDER_CREDENTIALS.aliexpress.session,
  LOCAL_PROVIDER_CREDENTIALS.cj.apiKey,
  LOCAL_PROVIDER_CREDENTIALS.spocket.apiKey,
];

beforeAll(async () => {
  sim = await startSimulators({ webhookBaseUrl: 'http://127.0.0.1:9' });
});
afterAll(async () => {
  await sim?.stop();
});
beforeEach(() => {
  calls = [];
  for (const control of Object.values(sim.controls)) {
    control.set({ mode: 'ok' });
    control.requests.length = 0;
  }
});

const expectedCarrier: Record<SupplierName, string> = { aliexpress: 'CAINIAO_STANDARD', cj: 'CJPacket Ordinary', spocket: 'USPS' };
const trackingPattern: Record<SupplierName, RegExp> = { aliexpress: /^RR\d{9}CN$/, cj: /^RR\d{9}CN$/, spocket: /^9[1-5]\d{20}$/ };

describe.each(SUPPLIERS)('%s adapter against its simulator', (supplier) => {
  let client: SupplierClient;
  beforeEach(() => {
    client = createSupplierClients(env(), recordCall)[supplier];
  });

  it('places an order (our reference sent) and follows it to shipped with a tracking number, then delivered', async () => {
    const request = orderRequest();
    const placed = await client.placeOrder(request);
    expect(placed).toEqual({ outcome: 'placed', externalOrderId: expect.any(String) });
    if (placed.outcome !== 'placed') return;
    const listed = (await (await fetch(`${sim.baseUrl(supplier)}/_sim/orders`)).json()) as Array<{ id: string; reference: string }>;
    expect(listed.find((order) => order.id === placed.externalOrderId)?.reference).toBe(request.reference);

    expect(await client.getOrderStatus(placed.externalOrderId)).toMatchObject({ status: 'confirmed', trackingNumber: null });
    const shipped = await client.getOrderStatus(placed.externalOrderId);
    expect(shipped).toMatchObject({ status: 'shipped', carrier: expectedCarrier[supplier] });
    expect(shipped.trackingNumber).toMatch(trackingPattern[supplier]);
    expect(await client.getOrderStatus(placed.externalOrderId)).toMatchObject({ status: 'delivered', trackingNumber: shipped.trackingNumber });
  });

  it('stays placed while the supplier never confirms (confirm:false)', async () => {
    sim.controls[supplier].set({ mode: 'ok', options: { confirm: false } });
    const placed = await client.placeOrder(orderRequest());
    if (placed.outcome !== 'placed') throw new Error('expected placement');
    for (let i = 0; i < 3; i += 1) expect((await client.getOrderStatus(placed.externalOrderId)).status).toBe('placed');
  });

  it('returns a refusal, with the reason, in reject mode', async () => {
    sim.controls[supplier].set({ mode: 'reject', times: 1, options: { reason: 'Out of stock: Mug' } });
    const result = await client.placeOrder(orderRequest());
    expect(result).toEqual({ outcome: 'rejected', reason: 'Out of stock: Mug', code: expect.any(String) });
    expect(calls.at(-1)).toMatchObject({ supplier, operation: 'place', outcome: 'rejected' });
  });

  it('throws SupplierUnavailableError on a provider outage (HTTP 503), logged as an error', async () => {
    sim.controls[supplier].set({ mode: 'error' });
    await expect(client.placeOrder(orderRequest())).rejects.toBeInstanceOf(SupplierUnavailableError);
    expect(calls.at(-1)).toMatchObject({ supplier, outcome: 'error', httpStatus: 503 });
  });

  it('throws SupplierUnavailableError once the configured timeout passes without an answer', async () => {
    if (supplier === 'cj') await client.getOrderStatus('warm-up-token').catch(() => undefined); // token first
    sim.controls[supplier].set({ mode: 'timeout' });
    const started = Date.now();
    const error = await client.placeOrder(orderRequest()).catch((caught: unknown) => caught);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(SupplierUnavailableError);
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 2_000);
    expect(calls.at(-1)).toMatchObject({ outcome: 'error', httpStatus: null, error: expect.stringMatching(/timeout/i) });
  });

  it('throws SupplierUnavailableError when nothing listens', async () => {
    const offline = createSupplierClients(
      env({ ALIEXPRESS_API_URL: 'http://127.0.0.1:9', CJ_API_URL: 'http://127.0.0.1:9', SPOCKET_API_URL: 'http://127.0.0.1:9' }),
      recordCall,
    )[supplier];
    await expect(offline.placeOrder(orderRequest())).rejects.toBeInstanceOf(SupplierUnavailableError);
  });

  it('refuses placement when the supplier refuses our credentials, and the simulator logs it unauthorized', async () => {
    const wrong = {
      aliexpress: { ALIEXPRESS_APP_SECRET: 'wrong-secret' },
      cj: { CJ_API_KEY: 'wrong-key' },
      spocket: { SPOCKET_API_KEY: 'wrong-key' },
    }[supplier];
    const badClient = createSupplierClients(env(wrong), recordCall)[supplier];
    const result = await badClient.placeOrder(orderRequest());
    expect(result).toMatchObject({ outcome: 'rejected', code: expect.any(String) });
    expect(sim.controls[supplier].requests.at(-1)?.outcome).toBe('unauthorized');
    expect(JSON.stringify(calls)).not.toContain('wrong-key');
    expect(JSON.stringify(calls)).not.toContain('wrong-secret');
  });

  it('records every call with duration and status, secrets redacted', async () => {
    const request = orderRequest();
    const placed = await client.placeOrder(request);
    if (placed.outcome !== 'placed') throw new Error('expected placement');
    await client.getOrderStatus(placed.externalOrderId);
    const operations = calls.map((call) => call.operation);
    expect(operations).toEqual(supplier === 'cj' ? ['authenticate', 'place', 'status'] : ['place', 'status']);
    for (const call of calls) {
      expect(call).toMatchObject({ supplier, outcome: 'ok', httpStatus: expect.any(Number), durationMs: expect.any(Number), error: null });
      expect(call.request).toBeTruthy();
      expect(call.response).toBeTruthy();
    }
    expect(calls.find((call) => call.operation === 'place')?.reference).toBe(request.reference);
    const logged = JSON.stringify(calls);
    for (const secret of SECRETS) expect(logged).not.toContain(secret);
    expect(logged).toContain('[REDACTED]');
    // The real credentials did reach the simulator.
    expect(JSON.stringify(sim.controls[supplier].requests)).toMatch(supplier === 'aliexpress' ? /local-aliexpress-session/ : supplier === 'cj' ? /CJ-local-api-key/ : /spocket-local-api-key/);
  });
});

describe('cancellation', () => {
  it('AliExpress: no cancel API, says so without calling, and logs the attempt as not sent', async () => {
    const client = createSupplierClients(env(), recordCall).aliexpress;
    expect(await client.cancelOrder('8100000000000001')).toEqual({ cancelled: false, reason: expect.stringMatching(/no cancel API/) });
    expect(sim.controls.aliexpress.requests).toEqual([]);
    expect(calls).toMatchObject([{ supplier: 'aliexpress', operation: 'cancel', reference: '8100000000000001', httpStatus: null, outcome: 'rejected', request: { sent: false } }]);
  });

  it.each(['cj', 'spocket'] as const)('%s: cancels an order not yet shipped, refuses a shipped one', async (supplier) => {
    const client = createSupplierClients(env(), recordCall)[supplier];
    const first = await client.placeOrder(orderRequest());
    if (first.outcome !== 'placed') throw new Error('expected placement');
    expect(await client.cancelOrder(first.externalOrderId)).toEqual({ cancelled: true, reason: null });
    expect((await client.getOrderStatus(first.externalOrderId)).status).toBe('cancelled');

    const second = await client.placeOrder(orderRequest());
    if (second.outcome !== 'placed') throw new Error('expected placement');
    await client.getOrderStatus(second.externalOrderId);
    await client.getOrderStatus(second.externalOrderId); // shipped
    expect(await client.cancelOrder(second.externalOrderId)).toEqual({ cancelled: false, reason: expect.any(String) });
    expect(calls.filter((call) => call.operation === 'cancel').map((call) => call.outcome)).toEqual(['ok', 'rejected']);
  });
});

describe('CJ access token', () => {
  it('is requested once and reused across calls', async () => {
    const client = createSupplierClients(env(), recordCall).cj;
    const placed = await client.placeOrder(orderRequest());
    if (placed.outcome !== 'placed') throw new Error('expected placement');
    await client.getOrderStatus(placed.externalOrderId);
    await client.placeOrder(orderRequest());
    expect(calls.filter((call) => call.operation === 'authenticate')).toHaveLength(1);
  });

  it('a refused token within 5 minutes of the last token request is an outage, not a new token request', async () => {
    const client = createSupplierClients(env(), recordCall).cj;
    const placed = await client.placeOrder(orderRequest());
    if (placed.outcome !== 'placed') throw new Error('expected placement');
    await fetch(`${sim.baseUrl('cj')}/_sim/tokens/expire`, { method: 'POST' });
    await expect(client.getOrderStatus(placed.externalOrderId)).rejects.toThrow(/one token request per 5 minutes/);
    expect(calls.filter((call) => call.operation === 'authenticate')).toHaveLength(1);
  });

  it('is asked for again at once when the last token request never reached CJ (connection refused)', async () => {
    // A port nothing listens on yet: the first token request is refused before CJ could count it.
    const port = await freePort();
    const client = createSupplierClients(env({ CJ_API_URL: `http://127.0.0.1:${port}/cj` }), recordCall).cj;
    await expect(client.placeOrder(orderRequest())).rejects.toThrow(/ECONNREFUSED/);
    // CJ comes back on that port (a TCP relay to its simulator): no 5-minute wait for a token.
    const sockets = new Set<net.Socket>();
    const relay = net.createServer((socket) => {
      const upstream = net.connect(Number(new URL(sim.baseUrl('cj')).port), '127.0.0.1');
      sockets.add(socket).add(upstream);
      socket.pipe(upstream).pipe(socket);
    });
    await new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve));
    try {
      expect(await client.placeOrder(orderRequest())).toMatchObject({ outcome: 'placed' });
      expect(calls.filter((call) => call.operation === 'authenticate').map((call) => call.outcome)).toEqual(['error', 'ok']);
    } finally {
      // The client keeps its connection alive: end it, or the relay's close waits for it.
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => relay.close(resolve));
    }
  });

  it('a token request that timed out counts against the 5-minute limit: CJ may have answered it', async () => {
    const client = createSupplierClients(env(), recordCall).cj;
    sim.controls.cj.set({ mode: 'timeout' });
    await expect(client.placeOrder(orderRequest())).rejects.toThrow(/timeout/i);
    sim.controls.cj.set({ mode: 'ok' });
    await expect(client.placeOrder(orderRequest())).rejects.toThrow(/one token request per 5 minutes/);
    expect(calls.filter((call) => call.operation === 'authenticate')).toHaveLength(1);
  });

  it('is kept when the call log cannot be written (PostgreSQL down): the calls go on, each logged to the service log instead', async () => {
    // Nothing listens on port 9: every write of the call log is refused.
    const unreachable = createDatabase('postgresql://fulfillment:fulfillment@127.0.0.1:9/fulfillment', 1);
    const lines: string[] = [];
    const log = createLogger('fulfillment', 'warn', { write: (line: string) => void lines.push(line) });
    try {
      const client = createSupplierClients(env(), supplierCallLog(unreachable, new AdjustableClock(), log)).cj;
      const placed = await client.placeOrder(orderRequest());
      if (placed.outcome !== 'placed') throw new Error('expected placement');
      expect((await client.getOrderStatus(placed.externalOrderId)).status).toBe('confirmed');
      expect(sim.controls.cj.requests.filter((request) => request.url.endsWith('/authentication/getAccessToken'))).toHaveLength(1);
      const unlogged = lines.map((line) => JSON.parse(line) as { msg: string; call: { operation: string } }).filter((line) => line.msg === 'supplier call not written to the call log');
      expect(unlogged.map((line) => line.call.operation)).toEqual(['authenticate', 'place', 'status']);
    } finally {
      await unreachable.$disconnect();
    }
  });
});
