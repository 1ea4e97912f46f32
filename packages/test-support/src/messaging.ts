import { randomUUID } from 'node:crypto';
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createLogger } from '@platform/runtime/logger';
import { createMetrics } from '@platform/runtime/metrics';
import { newEvent } from '@platform/runtime/outbox';
import { type Envelope, notificationSent } from '@platform/contracts';
import { inject } from 'vitest';
// The vitest context the global setup provides (natsUrl, postgresAdminUrl).
import type {} from './infrastructure';

/** What transport-level integration tests share: the test NATS with the platform's streams (provisioned by the global setup). */
export interface Messaging {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

export async function connectMessaging(): Promise<Messaging> {
  const nc = await connect({ servers: inject('natsUrl') });
  return { nc, js: jetstream(nc), jsm: await jetstreamManager(nc) };
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
