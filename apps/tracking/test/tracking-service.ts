import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { publishEnvelope } from '@platform/runtime/nats';
import { newEvent } from '@platform/runtime/outbox';
import { createPrismaClient } from '@platform/runtime/prisma';
import { shipmentShipped } from '@platform/contracts';
import { freePort, repoRoot } from '@platform/devstack';
import { LOCAL_PROVIDER_CREDENTIALS, type SimulatorHandle, startSimulators } from '@platform/simulators';
import got from 'got';
import { inject } from 'vitest';
import type {} from '../../../test/setup/infrastructure';
import { migratedDatabase } from '../../../test/support/databases';
import { eventually } from '../../../test/support/eventually';
import { connectMessaging, type Messaging } from '../../../test/support/messaging';
import { PrismaClient } from '../src/generated/prisma/client';

/**
 * The tracking service as a real process (dist/main.js) on its own database and the test
 * NATS, with the 17TRACK/AfterShip simulators in-process and a stand-in gateway that forwards
 * `/v1/webhooks/*` raw to the service's `/webhooks/*`, as the gateway does.
 */
export interface TrackingHarness {
  url: string;
  db: PrismaClient;
  sims: SimulatorHandle;
  messaging: Messaging;
  /** Whether the stand-in gateway forwards webhooks (false: answers 503, so only polling moves shipments). */
  gateway: { forwarding: boolean; last?: { path: string; body: Buffer; headers: Record<string, string> } };
  http: typeof got;
  ship(number: string, options?: { carrierHint?: string | null; orderId?: string }): Promise<{ orderId: string; shipmentId: string }>;
  advanceClock(ms: number): Promise<void>;
  output(): string;
  stop(): Promise<void>;
}

export const BREAKER = { consecutiveFailures: 3, halfOpenAfterMs: 1_500 };

export async function startTrackingHarness(): Promise<TrackingHarness> {
  const databaseUrl = await migratedDatabase('tracking');
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

  let output = '';
  const child: ChildProcess = spawn(process.execPath, ['--enable-source-maps', join(repoRoot, 'apps/tracking/dist/main.js')], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DATABASE_URL: databaseUrl,
      NATS_URL: inject('natsUrl'),
      TEST_CLOCK_CONTROL: 'true',
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
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const http = got.extend({ prefixUrl: url, throwHttpErrors: false, retry: { limit: 0 }, responseType: 'json' });
  await eventually(
    () => http.get('readyz').then((r) => r.statusCode, () => 0),
    (status) => status === 200 || child.exitCode !== null,
    30_000,
  );
  if (child.exitCode !== null) throw new Error(`tracking exited at start:\n${output}`);

  const db = createPrismaClient(PrismaClient, databaseUrl);
  const messaging = await connectMessaging();
  return {
    url,
    db,
    sims,
    messaging,
    gateway: gatewayState,
    http: http as typeof got,
    async ship(number, options = {}) {
      const orderId = options.orderId ?? randomUUID();
      const shipmentId = randomUUID();
      await publishEnvelope(
        messaging.js,
        newEvent(shipmentShipped, {
          aggregateId: orderId,
          source: 'test',
          data: { orderId, shipmentId, trackingNumber: number, carrierHint: options.carrierHint ?? null, supplier: 'aliexpress', destinationCountry: 'ES', shippedAt: new Date().toISOString() },
        }),
      );
      return { orderId, shipmentId };
    },
    async advanceClock(ms) {
      const answer = await http.post('_test/clock', { json: { advanceMs: ms } });
      if (answer.statusCode !== 200) throw new Error(`clock not moved: ${answer.statusCode}`);
    },
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
      await db.$disconnect();
      await messaging.nc.close();
      await sims.stop();
      await new Promise((resolve) => gateway.close(resolve));
    },
  };
}
