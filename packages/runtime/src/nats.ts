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
import { connect, type ConnectionOptions, headers, type MsgHdrs, nanos, type NatsConnection, NoRespondersError, TimeoutError } from '@nats-io/transport-node';
import { type Envelope, type StreamDefinition, streams, subjectOf } from '@platform/contracts';
import type { Logger } from './logger';

export type { JetStreamClient, JetStreamManager, NatsConnection };

/**
 * Connects and keeps reconnecting forever: a NATS outage is something services ride out
 * (the outbox holds events, consumers resume), never a reason to exit. The operator CLIs
 * connect here too, with `overrides` that make them fail fast instead.
 */
export async function connectNats(url: string, name: string, log: Logger, overrides: Partial<ConnectionOptions> = {}): Promise<NatsConnection> {
  const nc = await connect({
    servers: url.split(','),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    ...overrides,
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

/**
 * A JetStream API call that may succeed when repeated: no answer in time, nobody answering, or
 * JetStream "temporarily unavailable" (503). On a cluster that is an election in progress, or
 * several services creating the same replicated stream at once (the server answers only one).
 */
export function isTransient(error: unknown): boolean {
  return (
    error instanceof TimeoutError ||
    error instanceof NoRespondersError ||
    (error instanceof JetStreamApiError && error.status === 503)
  );
}

/** The fields provisioning sets, as the server reports them: an update that changes nothing is skipped. */
function sameSettings(current: Record<string, unknown>, wanted: ReturnType<typeof streamConfig>): boolean {
  return Object.entries(wanted).every(([key, value]) => {
    const now = current[key];
    if (Array.isArray(value)) return Array.isArray(now) && now.length === value.length && value.every((v, i) => now[i] === v);
    return now === value || (key === 'description' && value === undefined && !now);
  });
}

/**
 * Creates or updates every stream (idempotent; any service may run it at start-up, several at
 * once). Transient JetStream API failures are retried for up to `retryForMs` (default 60 s).
 */
export async function provisionStreams(
  jsm: JetStreamManager,
  replicas = 1,
  definitions: readonly StreamDefinition[] = Object.values(streams),
  retryForMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + retryForMs;
  for (const definition of definitions) {
    const config = streamConfig(definition, replicas);
    for (let attempt = 0; ; attempt++) {
      try {
        let current: Record<string, unknown> | undefined;
        try {
          current = (await jsm.streams.info(definition.name)).config as unknown as Record<string, unknown>;
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
        if (!current) await jsm.streams.add(config);
        else if (!sameSettings(current, config)) await jsm.streams.update(definition.name, config);
        break;
      } catch (error) {
        if (!isTransient(error) || Date.now() > deadline) throw error;
        // Spread out: services that collided on the same stream do not collide again.
        await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 200 * 2 ** attempt) * (0.5 + Math.random())));
      }
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
