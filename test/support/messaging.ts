import { randomUUID } from 'node:crypto';
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createLogger } from '@platform/runtime/logger';
import { createMetrics } from '@platform/runtime/metrics';
import { provisionStreams } from '@platform/runtime/nats';
import { newEvent } from '@platform/runtime/outbox';
import { createPrismaClient } from '@platform/runtime/prisma';
import { type Envelope, notificationSent } from '@platform/contracts';
import { inject } from 'vitest';
import { PrismaClient } from '../../apps/billing/src/generated/prisma/client';
import { migratedDatabase } from './databases';

/**
 * What transport-level integration tests share: the test NATS with the platform's streams,
 * and a database holding just the shared outbox/processed tables (the billing schema).
 */
export type Db = PrismaClient;
export type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

export interface Messaging {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

export async function connectMessaging(): Promise<Messaging> {
  const nc = await connect({ servers: inject('natsUrl') });
  const jsm = await jetstreamManager(nc);
  await provisionStreams(jsm);
  return { nc, js: jetstream(nc), jsm };
}

export async function outboxDatabase(): Promise<Db> {
  return createPrismaClient(PrismaClient, await migratedDatabase('billing'));
}

export const quietLog = createLogger('test', 'silent');
export const testMetrics = createMetrics('test');

/** A valid `notifications.notification.sent` event about `orderId`. */
export function sampleEvent(orderId: string = randomUUID()): Envelope {
  return newEvent(notificationSent, {
    aggregateId: orderId,
    source: 'test',
    data: {
      notificationId: randomUUID(),
      orderId,
      template: 'order-confirmation',
      channel: 'email',
      recipient: 'a@example.com',
      locale: 'en',
      providerMessageId: null,
      sentAt: new Date().toISOString(),
    },
  });
}
