import { describe, expect, it } from 'vitest';
import { consumerService, durableConsumers } from './consumers';
import { NATS_SERVICE_USERS, type NatsServiceUser, natsPermissions, streamPublisher, streamsOf } from './nats-users';
import { type StreamDefinition, streams } from './streams';

const permissions = natsPermissions();
const publishes = (user: keyof typeof permissions, subject: string) => permissions[user].publish.allow.includes(subject);

describe('NATS permissions derived from the contracts', () => {
  const domainStreams: StreamDefinition[] = Object.values(streams).filter((s) => s.name !== 'DEAD_LETTERS');
  it.each(domainStreams)('$name: exactly one service may publish on it, its publisher', (definition) => {
    const publishers = NATS_SERVICE_USERS.filter((user) => definition.subjects.every((subject) => publishes(user, subject)));
    expect(publishers).toEqual([streamPublisher(definition)]);
    expect(publishers).toEqual([definition.name === 'TIMELINE' ? 'orders' : definition.name.toLowerCase()]);
  });

  it.each(durableConsumers)('$name: only its service may pull it, acknowledge on it and dead-letter for it', ({ name, stream }) => {
    const owners = NATS_SERVICE_USERS.filter(
      (user) =>
        publishes(user, `$JS.API.CONSUMER.MSG.NEXT.${stream}.${name}`) || publishes(user, `$JS.ACK.${stream}.${name}.>`) || publishes(user, `deadletter.${name}`),
    );
    expect(owners).toEqual([consumerService(name)]);
    expect(streamsOf(consumerService(name)).map((s) => s.name)).toContain(stream);
  });

  it.each(durableConsumers)('$name: only its service may read its dead letters, and only through a reader filtered on them', ({ name }) => {
    const readers = NATS_SERVICE_USERS.filter((user) => permissions[user].publish.allow.some((subject) => subject.startsWith(`$JS.API.CONSUMER.CREATE.DEAD_LETTERS.${name}`)));
    expect(readers).toEqual([consumerService(name)]);
    const creates = permissions[consumerService(name) as NatsServiceUser].publish.allow.filter((subject) => subject.startsWith(`$JS.API.CONSUMER.CREATE.DEAD_LETTERS.${name}`));
    // The filter is in the create subject: no reader on another consumer's letters, no unfiltered one.
    expect(creates).toEqual([`$JS.API.CONSUMER.CREATE.DEAD_LETTERS.${name}.deadletter.${name}`]);
  });

  it('no service may create, change or delete a platform stream or KV bucket; the provisioner may, the operator may not', () => {
    for (const user of NATS_SERVICE_USERS) {
      expect(permissions[user].publish.allow.filter((subject) => /^\$JS\.API\.STREAM\.(CREATE|UPDATE|DELETE)\./.test(subject)), user).toEqual([]);
      expect(permissions[user].subscribe.allow, user).toEqual([`_INBOX_${user}.>`]);
    }
    expect(permissions.provisioner.publish.allow).toEqual(['$JS.API.>']);
    expect(permissions.operator.publish.deny).toContain('$JS.API.STREAM.DELETE.ORDERS');
    expect(permissions.operator.publish.deny).toContain('$JS.API.STREAM.DELETE.KV_gateway_rate_limits');
  });
});
