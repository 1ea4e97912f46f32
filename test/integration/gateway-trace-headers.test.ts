import { loadEnv } from '@platform/config/env';
import type { PlatformHttpServer } from '@platform/runtime/http';
import { ServiceRuntime } from '@platform/runtime/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderBody, type OrdersService, startOrdersService } from '../../apps/orders/test/orders-service';
import { BackgroundNats } from '@platform/runtime/background-nats';
import { buildGateway } from '../../apps/gateway/src/app';
import { gatewayEnv } from '../../apps/gateway/src/config';

/**
 * Who may name the flow: the gateway in front of the real orders service (its routes on a
 * migrated database), as the runtime wires it. The events' correlation id is read from the
 * orders outbox, where the relay takes it from.
 */

const ADMIN_KEY = 'admin-key-0123456789';
const CLIENT_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const clientHeaders = {
  authorization: `Bearer ${ADMIN_KEY}`,
  'x-request-id': 'chosen-request-id',
  'x-correlation-id': 'chosen-correlation-id',
  traceparent: `00-${CLIENT_TRACE_ID}-00f067aa0ba902b7-01`,
};

let orders: OrdersService;
let gateway: PlatformHttpServer;

beforeAll(async () => {
  orders = await startOrdersService();
  // TRUSTED_PROXIES keeps its default: loopback callers only.
  const env = loadEnv(gatewayEnv, { API_KEYS: JSON.stringify([{ id: 'root', key: ADMIN_KEY, role: 'admin' }]), ORDERS_URL: orders.url, LOG_LEVEL: 'silent' });
  const runtime = await ServiceRuntime.start('gateway', env, { messaging: false });
  gateway = await buildGateway(runtime.createHttpServer(), env, { metrics: runtime.metrics, nats: new BackgroundNats(env, 'gateway', runtime.log) });
  await gateway.ready();
});

afterAll(async () => {
  await gateway?.close();
  await orders?.stop();
});

async function placeOrderFrom(remoteAddress: string) {
  const response = await gateway.inject({ method: 'POST', url: '/v1/orders', remoteAddress, headers: clientHeaders, payload: orderBody() });
  expect(response.statusCode).toBe(201);
  const [row] = await orders.db.outboxEvent.findMany({ where: { aggregateId: response.json().id, type: 'orders.order.created' } });
  const envelope = row!.envelope as { correlationId: string; causationId: string | null };
  const traceparent = (row!.traceHeaders as Record<string, string>).traceparent ?? '';
  return { response, envelope, traceId: traceparent.split('-')[1] };
}

describe('correlation, request and trace headers from callers', () => {
  it("starts a fresh flow for a caller on the internet: its ids are kept only as the client's", async () => {
    const { response, envelope, traceId } = await placeOrderFrom('203.0.113.9');
    expect(envelope.correlationId).not.toBe('chosen-correlation-id');
    expect(envelope.causationId).not.toBe('chosen-request-id');
    expect(traceId).not.toBe(CLIENT_TRACE_ID);
    expect(response.headers['x-request-id']).not.toBe('chosen-request-id');
    expect(response.headers['x-correlation-id']).toBe(envelope.correlationId);
    expect(response.headers['x-client-request-id']).toBe('chosen-request-id');
  });

  it('continues the flow of a trusted caller (loopback by default)', async () => {
    const { response, envelope, traceId } = await placeOrderFrom('127.0.0.1');
    expect(envelope.correlationId).toBe('chosen-correlation-id');
    expect(traceId).toBe(CLIENT_TRACE_ID);
    expect(response.headers['x-request-id']).toBe('chosen-request-id');
    expect(response.headers['x-client-request-id']).toBeUndefined();
  });
});
