import { consumerService, durableConsumers } from './consumers';
import { deadLetterSubject, keyValueBuckets, type StreamDefinition, streams } from './streams';

/**
 * Who may do what on NATS, derived from the streams and durable consumers declared here: one user
 * per service, `provisioner` (creates streams, consumers, KV buckets) and `operator` (nats-box
 * and the ops CLIs). nats-server enforces it (`authorization` in nats.conf, rendered by
 * `authorizationConfig` in `@platform/devstack/nats-auth`); docs/nats-security.md explains it.
 */
export const NATS_SERVICE_USERS = ['orders', 'fulfillment', 'tracking', 'notifications', 'billing', 'gateway'] as const;
export const NATS_USERS = [...NATS_SERVICE_USERS, 'provisioner', 'operator'] as const;
export type NatsServiceUser = (typeof NATS_SERVICE_USERS)[number];
export type NatsUser = (typeof NATS_USERS)[number];

/** Streams a service reads with short-lived ordered consumers instead of a durable (the gateway's live streams). */
export const streamFollowers: ReadonlyArray<{ service: NatsServiceUser; stream: StreamDefinition['name'] }> = [
  { service: 'gateway', stream: 'TIMELINE' },
];

const allBuckets = Object.values(keyValueBuckets);

export interface NatsPermissions {
  publish: { allow: string[]; deny?: string[] };
  subscribe: { allow: string[] };
}

/**
 * Where a user's replies arrive: `_INBOX_<user>.…` (clients set `inboxPrefix`), so no user can
 * subscribe to another's replies, which carry its pulled messages and API answers.
 */
export function inboxPrefix(user: string): string {
  return `_INBOX_${user}`;
}

/** The environment variable nats-server reads a user's password from (`$ORDERS_NATS_PASSWORD`). */
export function passwordVariable(user: NatsUser): string {
  return `${user.toUpperCase()}_NATS_PASSWORD`;
}

const API = '$JS.API';
const allStreams: readonly StreamDefinition[] = Object.values(streams);

/** The service publishing on a stream: its `publisher`, else the stream's name in lower case. */
export function streamPublisher(definition: StreamDefinition): string | undefined {
  if (definition.name === streams.DEAD_LETTERS.name) return undefined; // every service, one subject per consumer
  return definition.publisher ?? definition.name.toLowerCase();
}

/** The platform streams a service publishes on or reads: what it checks at start. */
export function streamsOf(service: string): StreamDefinition[] {
  const consumers = durableConsumers.filter((consumer) => consumerService(consumer.name) === service);
  return allStreams.filter(
    (definition) =>
      streamPublisher(definition) === service ||
      consumers.some((consumer) => consumer.stream === definition.name) ||
      (definition.name === streams.DEAD_LETTERS.name && consumers.length > 0) ||
      streamFollowers.some((follower) => follower.service === service && follower.stream === definition.name),
  );
}

function servicePermissions(service: NatsServiceUser): NatsPermissions {
  const consumers = durableConsumers.filter((consumer) => consumerService(consumer.name) === service);
  const publish = [
    // Its own events (`Nats-Msg-Id` is a header: no extra subject) and its consumers' dead letters.
    ...allStreams.filter((definition) => streamPublisher(definition) === service).flatMap((definition) => definition.subjects),
    ...consumers.map((consumer) => deadLetterSubject(consumer.name)),
    // Account limits (the client's JetStream check) and the start-up check of its streams.
    `${API}.INFO`,
    ...streamsOf(service).map((definition) => `${API}.STREAM.INFO.${definition.name}`),
    // Its durable consumers only: create or update (the filter subject may follow the name), info, pull, acknowledge.
    ...consumers.flatMap(({ stream, name }) => [
      `${API}.CONSUMER.CREATE.${stream}.${name}`,
      `${API}.CONSUMER.CREATE.${stream}.${name}.>`,
      `${API}.CONSUMER.DURABLE.CREATE.${stream}.${name}`,
      `${API}.CONSUMER.INFO.${stream}.${name}`,
      `${API}.CONSUMER.MSG.NEXT.${stream}.${name}`,
      `$JS.ACK.${stream}.${name}.>`,
    ]),
    // Its consumers' dead letters (the ops endpoints): a reader named like the durable, created
    // only with the durable's own `deadletter.<consumer>` filter (the server checks the filter
    // token against the request), pulled and deleted; and deleting a read letter, which JetStream
    // allows by sequence only (the service deletes only letters its reader returned).
    ...consumers.flatMap(({ name }) => {
      const dead = streams.DEAD_LETTERS.name;
      return [
        `${API}.CONSUMER.CREATE.${dead}.${name}.${deadLetterSubject(name)}`,
        ...['INFO', 'MSG.NEXT', 'DELETE'].map((call) => `${API}.CONSUMER.${call}.${dead}.${name}`),
      ];
    }),
    ...(consumers.length > 0 ? [`${API}.STREAM.MSG.DELETE.${streams.DEAD_LETTERS.name}`] : []),
    // Ordered consumers (generated names) on the streams it follows: created, pulled, deleted.
    ...streamFollowers
      .filter((follower) => follower.service === service)
      .flatMap(({ stream }) => ['CREATE', 'INFO', 'MSG.NEXT', 'DELETE'].map((call) => `${API}.CONSUMER.${call}.${stream}.>`)),
    // Its KV buckets (the provisioner creates them): the bucket's stream, its keys, reads and watchers.
    ...allBuckets
      .filter((kv) => kv.service === service)
      .flatMap(({ name: bucket }) => {
        const stream = `KV_${bucket}`;
        return [
          ...['INFO', 'MSG.GET'].map((call) => `${API}.STREAM.${call}.${stream}`),
          `${API}.DIRECT.GET.${stream}`,
          `${API}.DIRECT.GET.${stream}.>`,
          ...['CREATE', 'INFO', 'MSG.NEXT', 'DELETE'].map((call) => `${API}.CONSUMER.${call}.${stream}.>`),
          `$KV.${bucket}.>`,
        ];
      }),
  ];
  return { publish: { allow: [...new Set(publish)] }, subscribe: { allow: [`${inboxPrefix(service)}.>`] } };
}

/** Every user's permissions, by user. */
export function natsPermissions(): Record<NatsUser, NatsPermissions> {
  const services = Object.fromEntries(NATS_SERVICE_USERS.map((service) => [service, servicePermissions(service)])) as Record<NatsServiceUser, NatsPermissions>;
  return {
    ...services,
    // The whole JetStream API (streams, consumers, KV buckets are streams too) and nothing else.
    provisioner: { publish: { allow: [`${API}.>`] }, subscribe: { allow: [`${inboxPrefix('provisioner')}.>`] } },
    // Reads everything, moves and deletes consumers (replay), deletes messages (dead letters),
    // republishes on the streams' subjects (dead-letter retry), may make throwaway streams
    // (`pnpm bench`); the platform's streams and buckets stay the provisioner's and their owners'.
    operator: {
      publish: {
        allow: ['>'],
        deny: [...allStreams.map((definition) => definition.name), ...allBuckets.map(({ name }) => `KV_${name}`)].flatMap((stream) =>
          ['CREATE', 'UPDATE', 'DELETE'].map((call) => `${API}.STREAM.${call}.${stream}`),
        ),
      },
      subscribe: { allow: ['>'] },
    },
  };
}
