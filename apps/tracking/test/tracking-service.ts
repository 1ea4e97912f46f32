import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { publishEnvelope } from '@platform/runtime/nats';
import { newEvent } from '@platform/runtime/outbox';
import { type Envelope, returnChanged, type ReturnStatus, shipmentShipped } from '@platform/contracts';
import { freePort } from '@platform/devstack';
import { LOCAL_PROVIDER_CREDENTIALS, type SimulatorHandle, startSimulators } from '@platform/simulators';
import { recordedEvents } from '@platform/test-support/recorded-events';
import { startService } from '@platform/test-support/service';
import got from 'got';
import type { Database } from '../src/adapters/database';
import { buildTracking } from '../src/app';
import { trackingEnv } from '../src/config';

/**
 * The tracking service built and run as main.ts runs it (consumer, poll timer, outbox relay)
 * on its own database and the test NATS, with the 17TRACK/AfterShip simulators and a stand-in
 * gateway that forwards `/v1/webhooks/*` raw to the service's `/webhooks/*`, as the gateway does.
 */
export interface TrackingHarness {
  url: string;
  db: Database;
  sims: SimulatorHandle;
  /** Whether the stand-in gateway forwards webhooks (false: answers 503, so only polling moves shipments). */
  gateway: { forwarding: boolean; last?: { path: string; body: Buffer; headers: Record<string, string> } };
  http: typeof got;
  ship(number: string, options?: { carrierHint?: string | null; orderId?: string }): Promise<{ orderId: string; shipmentId: string }>;
  /** Fulfillment's `fulfillment.return.changed` of a return moving to `status` (`approved`: with a label of `number`). */
  returnChanged(number: string, status: ReturnStatus): Promise<{ orderId: string; returnId: string; eventId: string }>;
  /** The service's events of `type` about the parcel `trackingNumber`, published or still in the outbox, in order. */
  events(type: string, trackingNumber: string): Promise<Envelope[]>;
  advanceClock(ms: number): Promise<void>;
  stop(): Promise<void>;
}

export const BREAKER = { consecutiveFailures: 3, halfOpenAfterMs: 1_500 };

export async function startTrackingHarness(): Promise<TrackingHarness> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const gatewayState: TrackingHarness['gateway'] = { forwarding: true };

  const gateway: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers: Record<string, string> = { 'content-type': String(request.headers['content-type'] ?? 'application/json') };
      for (const name of ['sign', 'aftership-hmac-sha256']) if (request.headers[name]) headers[name] = String(request.headers[name]);
      const path = (request.url ?? '').replace(/^\/v1/, '');
      gatewayState.last = { path, body, headers };
      if (!gatewayState.forwarding) return void response.writeHead(503).end('{"status":503}');
      got
        .post(`${url}${path}`, { body, headers, throwHttpErrors: false, retry: { limit: 0 } })
        .then((answer) => response.writeHead(answer.statusCode, { 'content-type': String(answer.headers['content-type'] ?? 'application/json') }).end(answer.body))
        .catch((error: Error) => response.writeHead(502).end(JSON.stringify({ error: error.message })));
    });
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  const sims = await startSimulators({ webhookBaseUrl: `http://127.0.0.1:${(gateway.address() as AddressInfo).port}` });

  const service = await startService(buildTracking, {
    name: 'tracking',
    env: trackingEnv,
    variables: {
      PORT: String(port),
      CONSUMER_ACK_WAIT_MS: '5000',
      SEVENTEEN_TRACK_API_URL: sims.baseUrl('17track'),
      SEVENTEEN_TRACK_API_KEY: LOCAL_PROVIDER_CREDENTIALS.seventeenTrack.apiKey,
      AFTERSHIP_API_URL: sims.baseUrl('aftership'),
      AFTERSHIP_API_KEY: LOCAL_PROVIDER_CREDENTIALS.aftership.apiKey,
      AFTERSHIP_WEBHOOK_SECRET: LOCAL_PROVIDER_CREDENTIALS.aftership.webhookSecret,
      PROVIDER_TIMEOUT_MS: '2000',
      BREAKER_CONSECUTIVE_FAILURES: String(BREAKER.consecutiveFailures),
      BREAKER_HALF_OPEN_AFTER_MS: String(BREAKER.halfOpenAfterMs),
    },
  });
  const http = got.extend({ prefixUrl: url, throwHttpErrors: false, retry: { limit: 0 }, responseType: 'json' });
  return {
    url,
    db: service.db,
    sims,
    gateway: gatewayState,
    http: http as typeof got,
    async events(type, trackingNumber) {
      const events = await recordedEvents(service.db, service.runtime.messaging, type);
      return events.filter((event) => (event.data as { trackingNumber?: string }).trackingNumber === trackingNumber);
    },
    async ship(number, options = {}) {
      const orderId = options.orderId ?? randomUUID();
      const shipmentId = randomUUID();
      await publishEnvelope(
        service.runtime.messaging.js,
        newEvent(shipmentShipped, {
          aggregateId: orderId,
          source: 'test',
          data: { orderId, shipmentId, trackingNumber: number, carrierHint: options.carrierHint ?? null, supplier: 'aliexpress', destinationCountry: 'ES', shippedAt: new Date().toISOString() },
        }),
      );
      return { orderId, shipmentId };
    },
    async returnChanged(number, status) {
      const orderId = randomUUID();
      const returnId = randomUUID();
      const at = new Date().toISOString();
      const line = { sku: 'MUG-WHT', variantId: 'mug-wht-350', vendorId: 'acme', quantity: 1, condition: null, restockingFeeBps: null };
      const envelope = newEvent(returnChanged, {
          aggregateId: orderId,
          source: 'test',
          data: {
            returnId, orderId, number: 'RMA-ORD-1-1', status, previousStatus: 'requested', reason: 'Too small', items: [line],
            label: status === 'approved' ? { carrier: 'Correos', trackingNumber: number, labelUrl: 'https://labels.example.com/1.png' } : null,
            hubId: status === 'approved' ? 'hub-madrid' : null, refusalReason: null, actor: 'ops:key1', at,
          },
        });
      await publishEnvelope(service.runtime.messaging.js, envelope);
      return { orderId, returnId, eventId: envelope.id };
    },
    async advanceClock(ms) {
      service.clock.advance(ms);
    },
    async stop() {
      await service.stop();
      await sims.stop();
      await new Promise((resolve) => gateway.close(resolve));
    },
  };
}
