import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection, PermissionViolationError } from '@nats-io/transport-node';
import { type NatsUser } from '@platform/contracts/nats-users';
import { natsConnectionOptions } from '@platform/runtime/nats';
import { provisionNats, requireStreams } from '@platform/runtime/nats-provisioning';
import { orderCreated, paymentSucceeded } from '@platform/contracts';
import { describe, expect, it } from 'vitest';
import { startNats } from '../src/index';
import { authorizationConfig, localNatsUser, natsPasswordEnv } from '../src/nats-auth';
import { listDeadLetters, replayConsumer } from '../src/operations';
import { natsFixture } from './nats-fixture';

/**
 * The platform's NATS users on a real nats-server 2.9 (the generated authorization, passwords
 * from the server's environment): what each may do, and that the server refuses the rest.
 */
describe('NATS users and permissions', () => {
  const fixture = natsFixture('devstack-nats-auth-', (root) =>
    startNats({ storeDir: join(root, 'store'), logFile: join(root, 'nats.log'), config: authorizationConfig(), env: natsPasswordEnv() }),
  );

  /** Connects as a user and records the permission violations the server reports to it. */
  async function as(user: NatsUser): Promise<{ nc: NatsConnection; violations: PermissionViolationError[] }> {
    const nc = await fixture.connect(natsConnectionOptions(localNatsUser(user, fixture.server.url), `${user}-test`));
    const violations: PermissionViolationError[] = [];
    void (async () => {
      for await (const status of nc.status()) if (status.type === 'error' && status.error instanceof PermissionViolationError) violations.push(status.error);
    })();
    return { nc, violations };
  }
  const jsmOf = (nc: NatsConnection) => jetstreamManager(nc, { timeout: 2_000 });
  const refusal = (operation: 'publish' | 'subscription', subject: string) => expect.objectContaining({ operation, subject });

  it('refuses a connection without a user or with a wrong password', async () => {
    await expect(fixture.connect({ servers: fixture.server.url, maxReconnectAttempts: 0 })).rejects.toThrow(/Authorization Violation/i);
    await expect(
      fixture.connect({ servers: fixture.server.url, user: 'orders', pass: 'local-billing-nats-password', maxReconnectAttempts: 0 }),
    ).rejects.toThrow(/Authorization Violation/i);
  });

  it('a service may not create a stream; the provisioner creates them all, and the service then finds its own', async () => {
    const { nc, violations } = await as('orders');
    const jsm = await jsmOf(nc);
    await expect(requireStreams(jsm, 'orders', 0)).rejects.toThrow(/NATS streams ORDERS, .* missing: .*Run `pnpm nats:provision`/);
    await expect(jsm.streams.add({ name: 'ORDERS', subjects: ['orders.>'] })).rejects.toThrow();
    expect(violations).toContainEqual(refusal('publish', '$JS.API.STREAM.CREATE.ORDERS'));

    const outcome = await provisionNats(localNatsUser('provisioner', fixture.server.url));
    expect(Object.values(outcome).every((what) => what === 'created')).toBe(true);
    await requireStreams(jsm, 'orders', 0);
  });

  it('the orders user publishes its own events (with msgID), and the server refuses it billing.payment.succeeded', async () => {
    const { nc, violations } = await as('orders');
    const js = jetstream(nc, { timeout: 2_000 });
    // The subject is what the permissions judge; the bodies need not be valid events here.
    expect((await js.publish(orderCreated.type, '{}', { msgID: randomUUID() })).stream).toBe('ORDERS');
    await expect(js.publish(paymentSucceeded.type, '{}', { msgID: randomUUID() })).rejects.toThrow();
    expect(violations).toContainEqual(refusal('publish', 'billing.payment.succeeded'));
    const operator = await jsmOf((await as('operator')).nc);
    expect((await operator.streams.info('BILLING')).state.messages).toBe(0);
  });

  it('a service uses its own durable consumer, and may neither read nor take over another service\'s', async () => {
    const billing = await as('billing');
    const billingJsm = await jsmOf(billing.nc);
    await billingJsm.consumers.add('ORDERS', { durable_name: 'billing--orders', ack_policy: AckPolicy.Explicit });
    const message = await (await jetstream(billing.nc).consumers.get('ORDERS', 'billing--orders')).next({ expires: 2_000 });
    expect(message?.subject).toBe(orderCreated.type);
    await message!.ackAck();

    const orders = await as('orders');
    const ordersJsm = await jsmOf(orders.nc);
    await expect(ordersJsm.consumers.info('ORDERS', 'billing--orders')).rejects.toThrow();
    await expect(ordersJsm.consumers.add('ORDERS', { durable_name: 'billing--orders', ack_policy: AckPolicy.Explicit })).rejects.toThrow();
    await expect(ordersJsm.consumers.add('ORDERS', { durable_name: 'orders--anything', ack_policy: AckPolicy.Explicit })).rejects.toThrow();
    await expect(orders.nc.request('$JS.API.CONSUMER.MSG.NEXT.ORDERS.billing--orders', JSON.stringify({ batch: 1 }), { timeout: 1_000 })).rejects.toThrow();
    expect(orders.violations).toEqual(
      expect.arrayContaining([
        refusal('publish', '$JS.API.CONSUMER.INFO.ORDERS.billing--orders'),
        refusal('publish', '$JS.API.CONSUMER.CREATE.ORDERS.billing--orders'),
        refusal('publish', '$JS.API.CONSUMER.CREATE.ORDERS.orders--anything'),
        refusal('publish', '$JS.API.CONSUMER.MSG.NEXT.ORDERS.billing--orders'),
      ]),
    );
    // Nor listen in on billing's replies (its pulled messages): every user has its own inbox prefix.
    orders.nc.subscribe('_INBOX_billing.>');
    await orders.nc.flush();
    await expect.poll(() => orders.violations).toContainEqual(refusal('subscription', '_INBOX_billing.>'));
  });

  it("a service reads its own consumers' dead letters through a filtered reader, and no other consumer's", async () => {
    const billing = await as('billing');
    const jsm = await jsmOf(billing.nc);
    const reader = { ack_policy: AckPolicy.None, inactive_threshold: 60_000_000_000 };
    await jsm.consumers.add('DEAD_LETTERS', { ...reader, name: 'billing--orders', filter_subject: 'deadletter.billing--orders' });
    expect(await jsm.consumers.delete('DEAD_LETTERS', 'billing--orders')).toBe(true);
    // Another service's consumer, or its own reader's name with another consumer's letters as filter.
    await expect(jsm.consumers.add('DEAD_LETTERS', { ...reader, name: 'orders--billing', filter_subject: 'deadletter.orders--billing' })).rejects.toThrow();
    await expect(jsm.consumers.add('DEAD_LETTERS', { ...reader, name: 'billing--orders', filter_subject: 'deadletter.orders--billing' })).rejects.toThrow();
    expect(billing.violations).toEqual(
      expect.arrayContaining([
        refusal('publish', '$JS.API.CONSUMER.CREATE.DEAD_LETTERS.orders--billing.deadletter.orders--billing'),
        refusal('publish', '$JS.API.CONSUMER.CREATE.DEAD_LETTERS.billing--orders.deadletter.orders--billing'),
      ]),
    );
  });

  it('the operator reads every stream and replays a consumer, but may not delete or change a platform stream', async () => {
    const { nc, violations } = await as('operator');
    const jsm = await jsmOf(nc);
    const stored = await jsm.streams.getMessage('ORDERS', { seq: 1 });
    expect(stored?.subject).toBe(orderCreated.type);
    expect(await listDeadLetters({ js: jetstream(nc), jsm }, {})).toMatchObject({ total: 0 });

    const replayed = await replayConsumer({ js: jetstream(nc), jsm }, { stream: 'ORDERS', consumer: 'billing--orders', from: { seq: 1 }, force: false });
    expect(replayed.after.num_pending).toBe(1);

    await expect(jsm.streams.delete('ORDERS')).rejects.toThrow();
    expect(violations).toContainEqual(refusal('publish', '$JS.API.STREAM.DELETE.ORDERS'));
    expect((await jsm.streams.info('ORDERS')).state.messages).toBe(1);
  });
});

/** Where the server offers TLS: clients verify it with NATS_TLS_CA_FILE. */
describe('NATS over TLS', () => {
  const fixture = natsFixture('devstack-nats-tls-', (root) => {
    // A CA and a server certificate for 127.0.0.1 and localhost (the name nats.js checks an IP address against), made with openssl.
    const file = (name: string) => join(root, name);
    const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=test-ca', '-keyout', file('ca.key'), '-out', file('ca.crt'));
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', file('server.key'), '-out', file('server.csr'));
    writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', file('san.ext'), '-out', file('server.crt'));
    const tls = `tls {\n  cert_file: ${JSON.stringify(file('server.crt'))}\n  key_file: ${JSON.stringify(file('server.key'))}\n}\n`;
    return startNats({ storeDir: join(root, 'store'), config: tls + authorizationConfig(), env: natsPasswordEnv() });
  });

  it('connects with the CA given, and refuses a server it cannot verify', async () => {
    const settings = { ...localNatsUser('operator', fixture.server.url), NATS_TLS_CA_FILE: join(fixture.root, 'ca.crt') };
    const nc = await fixture.connect(natsConnectionOptions(settings, 'tls-test'));
    expect(nc.info?.tls_required).toBe(true);
    await nc.flush();
    await expect(fixture.connect({ ...natsConnectionOptions(localNatsUser('operator', fixture.server.url), 'no-ca'), maxReconnectAttempts: 0 })).rejects.toThrow();
  });
});
