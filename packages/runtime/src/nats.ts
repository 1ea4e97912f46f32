import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
  jetstreamManager,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { connect, headers, type MsgHdrs, nanos, type NatsConnection } from '@nats-io/transport-node';
import { type Envelope, type StreamDefinition, streams, subjectOf } from '@platform/contracts';
import type { Logger } from './logger';

export type { JetStreamClient, JetStreamManager, NatsConnection };

/**
 * Connects and keeps reconnecting forever: a NATS outage is something services ride out
 * (the outbox holds events, consumers resume), never a reason to exit.
 */
export async function connectNats(url: string, name: string, log: Logger): Promise<NatsConnection> {
  const nc = await connect({
    servers: url.split(','),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
  });
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnecting') log.warn({ nats: status.type }, 'NATS connection lost');
      else if (status.type === 'reconnect') log.info({ nats: status.type }, 'NATS reconnected');
      else if (status.type === 'error') log.error({ nats: status.type, err: status.error }, 'NATS error');
    }
  })();
  return nc;
}

function streamConfig(definition: StreamDefinition, replicas: number) {
  return {
    name: definition.name,
    subjects: [...definition.subjects],
    description: definition.description,
    storage: definition.storage === 'file' ? StorageType.File : StorageType.Memory,
    retention: {
      limits: RetentionPolicy.Limits,
      interest: RetentionPolicy.Interest,
      workqueue: RetentionPolicy.Workqueue,
    }[definition.retention],
    duplicate_window: nanos(definition.duplicateWindowMs),
    max_age: nanos(definition.maxAgeMs),
    num_replicas: replicas,
  };
}

/** A JetStream API 404: no such stream or consumer. */
export function isNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.status === 404;
}

/** Creates or updates every stream (idempotent; any service may run it at start-up). */
export async function provisionStreams(
  jsm: JetStreamManager,
  replicas = 1,
  definitions: readonly StreamDefinition[] = Object.values(streams),
): Promise<void> {
  for (const definition of definitions) {
    const config = streamConfig(definition, replicas);
    try {
      await jsm.streams.info(definition.name);
      await jsm.streams.update(definition.name, config);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await jsm.streams.add(config);
    }
  }
}

export interface DurableConsumerConfig {
  stream: string;
  durable: string;
  filterSubject?: string;
  ackWaitMs: number;
  /** -1: unlimited. */
  maxDeliver: number;
}

/** Creates or updates a durable pull consumer with explicit acks. */
export async function provisionConsumer(jsm: JetStreamManager, config: DurableConsumerConfig): Promise<void> {
  const settings = {
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(config.ackWaitMs),
    max_deliver: config.maxDeliver,
    ...(config.filterSubject && { filter_subject: config.filterSubject }),
  };
  try {
    await jsm.consumers.info(config.stream, config.durable);
    await jsm.consumers.update(config.stream, config.durable, settings);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await jsm.consumers.add(config.stream, {
      durable_name: config.durable,
      deliver_policy: DeliverPolicy.All,
      ...settings,
    });
  }
}

export const EVENT_HEADERS = {
  type: 'Platform-Event-Type',
  version: 'Platform-Event-Version',
  correlationId: 'Platform-Correlation-Id',
} as const;

/** Headers an event travels with: its type and version (for filtering without parsing) and trace context. */
export function eventHeaders(envelope: Envelope, trace: Record<string, string> = {}): MsgHdrs {
  const h = headers();
  h.set(EVENT_HEADERS.type, envelope.type);
  h.set(EVENT_HEADERS.version, String(envelope.version));
  h.set(EVENT_HEADERS.correlationId, envelope.correlationId);
  for (const [key, value] of Object.entries(trace)) h.set(key, value);
  return h;
}

/**
 * Publishes an envelope on its subject (its type, or what its definition names) with `Nats-Msg-Id` = event id, so a re-publish
 * inside the stream's duplicate window is dropped by JetStream.
 */
export async function publishEnvelope(
  js: JetStreamClient,
  envelope: Envelope,
  trace: Record<string, string> = {},
): Promise<void> {
  await js.publish(subjectOf(envelope), JSON.stringify(envelope), {
    msgID: envelope.id,
    headers: eventHeaders(envelope, trace),
    timeout: 5_000,
  });
}

export { jetstream, jetstreamManager };
