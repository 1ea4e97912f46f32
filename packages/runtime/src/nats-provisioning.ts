import { setTimeout as sleep } from 'node:timers/promises';
import { type JetStreamManager, jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection, nanos } from '@nats-io/transport-node';
import { type KeyValueBucketDefinition, keyValueBuckets, type StreamDefinition, streams } from '@platform/contracts';
import { streamsOf } from '@platform/contracts/nats-users';
import { isNotFound, isTransient, type NatsClientEnv, natsConnectionOptions } from './nats';

/**
 * Streams and KV buckets are created and changed by a privileged step (`pnpm nats:provision`,
 * as NATS user `provisioner`), never by services at start: a service's user may not create
 * them. Services only check that their streams exist (`requireStreams`). docs/nats-security.md.
 */
export const PROVISION_COMMAND = 'pnpm nats:provision';

export type StreamOutcome = 'created' | 'updated' | 'unchanged';

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

/** The fields provisioning sets, as the server reports them: an update that changes nothing is skipped. */
function sameSettings(current: Record<string, unknown>, wanted: ReturnType<typeof streamConfig>): boolean {
  return Object.entries(wanted).every(([key, value]) => {
    const now = current[key];
    if (Array.isArray(value)) return Array.isArray(now) && now.length === value.length && value.every((v, i) => now[i] === v);
    return now === value || (key === 'description' && value === undefined && !now);
  });
}

/**
 * Creates or updates every stream (idempotent; several provisioners may run at once). Transient
 * JetStream API failures are retried for up to `retryForMs` (default 60 s): on a cluster the
 * server answers only one of several simultaneous creations, and elections answer 503.
 * Resolves to what it did per stream.
 */
export async function provisionStreams(
  jsm: JetStreamManager,
  replicas = 1,
  definitions: readonly StreamDefinition[] = Object.values(streams),
  retryForMs = 60_000,
): Promise<Record<string, StreamOutcome>> {
  const deadline = Date.now() + retryForMs;
  const outcome: Record<string, StreamOutcome> = {};
  for (const definition of definitions) {
    const config = streamConfig(definition, replicas);
    outcome[definition.name] = await retryTransient(deadline, async () => {
      let current: Record<string, unknown> | undefined;
      try {
        current = (await jsm.streams.info(definition.name)).config as unknown as Record<string, unknown>;
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      if (!current) {
        await jsm.streams.add(config);
        return 'created';
      }
      if (sameSettings(current, config)) return 'unchanged';
      await jsm.streams.update(definition.name, config);
      return 'updated';
    });
  }
  return outcome;
}

/**
 * Creates every KV bucket that is missing (the library's `create` also opens one that exists
 * with the same settings). Transient failures are retried as for streams.
 */
async function provisionBuckets(nc: NatsConnection, jsm: JetStreamManager, replicas: number, retryForMs = 60_000): Promise<Record<string, StreamOutcome>> {
  const deadline = Date.now() + retryForMs;
  const kvm = new Kvm(jetstream(nc));
  const outcome: Record<string, StreamOutcome> = {};
  for (const bucket of Object.values(keyValueBuckets) as KeyValueBucketDefinition[]) {
    const stream = `KV_${bucket.name}`;
    outcome[stream] = await retryTransient(deadline, async () => {
      const existed = await streamExists(jsm, stream);
      await kvm.create(bucket.name, {
        description: bucket.description,
        storage: bucket.storage === 'file' ? StorageType.File : StorageType.Memory,
        history: bucket.history,
        ttl: bucket.maxAgeMs,
        replicas,
      });
      return existed ? 'unchanged' : 'created';
    });
  }
  return outcome;
}

async function streamExists(jsm: JetStreamManager, name: string): Promise<boolean> {
  try {
    await jsm.streams.info(name);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/**
 * Runs `attempt` until it succeeds, retrying transient JetStream failures until `deadline`
 * (a cluster answers one of several simultaneous creations, elections answer 503), spread
 * out so provisioners that collided do not collide again.
 */
async function retryTransient<T>(deadline: number, attempt: () => Promise<T>): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isTransient(error) || Date.now() > deadline) throw error;
      await sleep(Math.min(2_000, 200 * 2 ** tries) * (0.5 + Math.random()));
    }
  }
}

/**
 * The provisioning step: connects as `env`'s user (the `provisioner`), creates or updates every
 * stream and creates every KV bucket with `replicas` replicas, and disconnects. Fails fast when NATS cannot be reached.
 */
export async function provisionNats(env: NatsClientEnv, replicas = 1): Promise<Record<string, StreamOutcome>> {
  const nc = await connect({ ...natsConnectionOptions(env, 'nats-provision'), timeout: 10_000 });
  try {
    const jsm = await jetstreamManager(nc);
    return { ...(await provisionStreams(jsm, replicas)), ...(await provisionBuckets(nc, jsm, replicas)) };
  } finally {
    await nc.drain();
  }
}

/**
 * A service's start-up check: every stream it publishes on or reads exists, or it fails naming
 * the missing ones and the command that creates them. Transient failures are retried for up to
 * `retryForMs` (a cluster electing leaders).
 */
export async function requireStreams(jsm: JetStreamManager, service: string, retryForMs = 60_000): Promise<void> {
  const deadline = Date.now() + retryForMs;
  const missing: string[] = [];
  for (const definition of streamsOf(service)) {
    if (!(await retryTransient(deadline, () => streamExists(jsm, definition.name)))) missing.push(definition.name);
  }
  if (missing.length > 0) {
    throw new Error(
      `NATS stream${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing: streams are created by the provisioning step, ` +
        `not by ${service}. Run \`${PROVISION_COMMAND}\` (NATS user provisioner), then start ${service} again.`,
    );
  }
}
