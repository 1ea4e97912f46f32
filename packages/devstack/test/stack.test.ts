import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  freeStackPorts,
  isListening,
  repoRoot,
  SERVICE_NAMES,
  SERVICES,
  startNats,
  startPostgres,
  type PostgresHandle,
  startStack,
  type NatsHandle,
  type ServiceHandle,
  type ServiceName,
  type StackHandle,
  type StackPorts,
  type StartStackOptions,
} from '../src/index';
import { pollUntil, sleep } from '../src/child';
import { writeFakeService } from './fake-service';

/** Migration folders of an app (empty when it has none yet). */
function localMigrations(name: ServiceName): string[] {
  const dir = join(repoRoot, SERVICES[name].dir, 'prisma', 'migrations');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

async function migrationNames(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const exists = await client.query(`SELECT to_regclass('"_prisma_migrations"') AS t`);
    if (!exists.rows[0]?.t) return [];
    const { rows } = await client.query<{ migration_name: string }>(
      'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL ORDER BY migration_name',
    );
    return rows.map((row) => row.migration_name);
  } finally {
    await client.end();
  }
}

const envOf = async (url: string): Promise<Record<string, string>> => (await (await fetch(`${url}/env`)).json()) as Record<string, string>;

describe('startStack (with stand-in services)', () => {
  let root: string;
  let fake: string;
  let entries: Record<ServiceName, string>;
  let stack: StackHandle | undefined;
  let ports: StackPorts;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'devstack-stack-'));
    fake = writeFakeService(root);
    entries = Object.fromEntries(SERVICE_NAMES.map((name) => [name, fake])) as Record<ServiceName, string>;
    ports = await freeStackPorts();
    stack = await startStack({
      dataDir: join(root, 'data'),
      logDir: join(root, 'logs'),
      ports,
      persistent: false,
      env: { LOG_LEVEL: 'debug' },
      serviceEnv: { billing: { PLATFORM_CRASH_AT: 'nowhere' } },
      entries,
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it('starts infrastructure and wires every service per the README (Services, Configuration)', async () => {
    const s = stack!;
    expect(s.gatewayUrl).toBe(`http://127.0.0.1:${ports.gateway}`);
    expect(s.nats?.url).toBe(`nats://127.0.0.1:${ports.nats}`);
    expect(s.smtp?.smtpUrl).toBe(`smtp://127.0.0.1:${ports.smtp}`);
    expect(s.postgres?.port).toBe(ports.postgres);
    expect(Object.keys(s.services).sort()).toEqual([...SERVICE_NAMES].sort());

    const orders = await envOf(s.services.orders!.url);
    expect(orders).toMatchObject({
      PORT: String(ports.orders),
      HOST: '127.0.0.1',
      NATS_URL: s.nats!.url,
      DATABASE_URL: `postgresql://orders:orders-local@127.0.0.1:${ports.postgres}/orders`,
      OTEL_SERVICE_NAME: 'orders',
      LOG_LEVEL: 'debug',
    });
    expect(orders.SMTP_URL).toBeUndefined();
    expect((await envOf(s.services.notifications!.url)).SMTP_URL).toBe(s.smtp!.smtpUrl);
    expect((await envOf(s.services.billing!.url)).PLATFORM_CRASH_AT).toBe('nowhere');
    expect((await envOf(s.services.orders!.url)).PLATFORM_CRASH_AT).toBeUndefined();

    const gateway = await envOf(s.gatewayUrl);
    expect(gateway.DATABASE_URL).toBeUndefined();
    expect(gateway).toMatchObject({
      ORDERS_URL: `http://127.0.0.1:${ports.orders}`,
      FULFILLMENT_URL: `http://127.0.0.1:${ports.fulfillment}`,
      TRACKING_URL: `http://127.0.0.1:${ports.tracking}`,
      NOTIFICATIONS_URL: `http://127.0.0.1:${ports.notifications}`,
      BILLING_URL: `http://127.0.0.1:${ports.billing}`,
      MANAGEMENT_PORT: String(ports.gatewayManagement),
    });
    expect(s.gatewayManagementUrl).toBe(`http://127.0.0.1:${ports.gatewayManagement}`);
    expect(orders.MANAGEMENT_PORT).toBeUndefined();
    expect(s.env).toMatchObject({
      NATS_URL: s.nats!.url,
      SMTP_URL: s.smtp!.smtpUrl,
      BILLING_DATABASE_URL: `postgresql://billing:billing-local@127.0.0.1:${ports.postgres}/billing`,
      GATEWAY_URL: s.gatewayUrl,
    });
  });

  it('creates one database per service, owned by the service\'s own role, and writes logs per service', async () => {
    const client = new pg.Client({ connectionString: stack!.postgres!.urlFor('postgres') });
    await client.connect();
    const { rows } = await client.query<{ datname: string; owner: string; superuser: boolean }>(
      `SELECT datname, pg_get_userbyid(datdba) AS owner, r.rolsuper AS superuser
         FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE datname = ANY($1) ORDER BY datname`,
      [['orders', 'fulfillment', 'tracking', 'notifications', 'billing', 'gateway']],
    );
    await client.end();
    expect(rows).toEqual(
      ['billing', 'fulfillment', 'notifications', 'orders', 'tracking'].map((name) => ({ datname: name, owner: name, superuser: false })),
    );
    for (const name of SERVICE_NAMES) expect(readFileSync(join(root, 'logs', `${name}.log`), 'utf8')).toMatch(/listening/);
    expect(readFileSync(join(root, 'logs', 'nats.log'), 'utf8')).toMatch(/Server is ready/);
    expect(readFileSync(join(root, 'logs', 'postgres.log'), 'utf8')).toMatch(/ready to accept connections/);
  });

  it("applies each app's Prisma migrations to its database", async () => {
    for (const name of SERVICE_NAMES) {
      const database = SERVICES[name].database;
      if (!database) continue;
      expect(await migrationNames(stack!.postgres!.urlFor(database))).toEqual(localMigrations(name));
      // Applied as the service's role: it owns every table it will use.
      const client = new pg.Client({ connectionString: stack!.env[`${SERVICES[name].envPrefix}_DATABASE_URL`] });
      await client.connect();
      const { rows } = await client.query<{ owner: string }>(
        `SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'`,
      );
      await client.end();
      expect(rows).toEqual([{ owner: database }]);
    }
  });

  it('stop() ends services first, then the sink, NATS and PostgreSQL, and is idempotent', async () => {
    const s = stack!;
    const pids = Object.values(s.services).map((service) => service.pid);
    await Promise.all([s.stop(), s.stop()]);
    for (const service of Object.values(s.services)) expect(await service.exited).toBe(0);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    for (const port of [ports.nats, ports.postgres, ports.smtp, ports.smtpHttp, ports.gateway]) expect(await isListening(port)).toBe(false);
    for (const name of SERVICE_NAMES) expect(readFileSync(join(root, 'logs', `${name}.log`), 'utf8')).toMatch(/shutting down/);
    expect(existsSync(join(root, 'data', 'postgres'))).toBe(false); // not persistent
  }, 60_000);
});

describe('startStack overrides and failures', () => {
  let root: string;
  let fake: string;
  let external: NatsHandle | undefined;
  let externalDb: PostgresHandle | undefined;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'devstack-stack2-'));
    fake = writeFakeService(root);
    [external, externalDb] = await Promise.all([
      startNats({ storeDir: join(root, 'external-nats') }),
      startPostgres({ dataDir: join(root, 'external-pg'), port: await freePort(), persistent: false }),
    ]);
    for (const name of ['orders', 'fulfillment', 'tracking', 'notifications', 'billing']) await externalDb.ensureDatabase(`ext_${name}`);
  }, 60_000);
  afterAll(async () => {
    await external?.stop();
    await externalDb?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  /** Stand-ins for `services` wired to the external NATS, databases and a made-up SMTP relay. */
  const startOnExternals = (folder: string, ports: StackPorts, services: ServiceName[], extra: Partial<StartStackOptions> = {}) =>
    startStack({
      dataDir: join(root, folder),
      logDir: join(root, `${folder}-logs`),
      ports,
      persistent: false,
      services,
      entries: Object.fromEntries(services.map((name) => [name, fake])),
      env: {
        NATS_URL: external!.url,
        SMTP_URL: 'smtp://127.0.0.1:2525',
        ...Object.fromEntries(
          ['orders', 'fulfillment', 'tracking', 'notifications', 'billing'].map((name) => [`${name.toUpperCase()}_DATABASE_URL`, externalDb!.urlFor(`ext_${name}`)]),
        ),
      },
      ...extra,
    });

  it('uses NATS_URL, SMTP_URL and database URLs when given instead of starting its own', async () => {
    const ports = await freeStackPorts();
    const stack = await startOnExternals('external', ports, ['gateway', 'notifications']);
    try {
      expect(stack.nats).toBeUndefined();
      expect(stack.smtp).toBeUndefined();
      expect(stack.postgres).toBeUndefined();
      expect(Object.keys(stack.services).sort()).toEqual(['gateway', 'notifications']);
      expect(await envOf(stack.services.notifications!.url)).toMatchObject({
        NATS_URL: external!.url,
        SMTP_URL: 'smtp://127.0.0.1:2525',
        DATABASE_URL: externalDb!.urlFor('ext_notifications'),
      });
      // The given databases are migrated like the local ones.
      expect(await migrationNames(externalDb!.urlFor('ext_notifications'))).toEqual(localMigrations('notifications'));
      expect(await isListening(ports.nats)).toBe(false);
      expect(await isListening(ports.postgres)).toBe(false);
    } finally {
      await stack.stop();
    }
  }, 60_000);

  it('stops everything it started when a service fails to become ready', async () => {
    const ports = await freeStackPorts();
    await expect(
      startStack({
        dataDir: join(root, 'failing'),
        logDir: join(root, 'failing-logs'),
        ports,
        persistent: false,
        services: ['gateway', 'orders'],
        entries: { gateway: fake, orders: fake },
        serviceEnv: { orders: { FAKE_EXIT_EARLY: '1' } },
      }),
    ).rejects.toThrow(/orders exited \(code 3\) before it was ready/);
    for (const port of [ports.nats, ports.postgres, ports.smtp, ports.gateway]) expect(await isListening(port)).toBe(false);
  }, 60_000);

  it('with restartOnExit, brings a killed service back with back-off, and leaves one stopped on purpose down', async () => {
    const ports = await freeStackPorts();
    const messages: string[] = [];
    const stack = await startOnExternals('restarting', ports, ['gateway', 'orders'], {
      log: (message) => messages.push(message),
      restartOnExit: { initialDelayMs: 100, maxDelayMs: 30_000, resetAfterMs: 60_000 },
    });
    const healthy = async (url: string) => (await fetch(`${url}/healthz`)).status === 200;
    const replaced = async (before: ServiceHandle) => {
      await pollUntil(async () => stack.services.orders !== before && (await healthy(stack.services.orders!.url)), {
        timeoutMs: 20_000,
        what: 'orders to come back',
      });
      return stack.services.orders!;
    };
    try {
      const first = stack.services.orders!;
      first.kill('SIGKILL');
      const second = await replaced(first);
      expect(second.pid).not.toBe(first.pid);
      expect(messages).toContain('orders exited (signal SIGKILL); restarting in 0.1 s (restart 1)');
      // A second crash soon after: the delay doubles.
      second.kill('SIGKILL');
      await replaced(second);
      expect(messages).toContain('orders exited (signal SIGKILL); restarting in 0.2 s (restart 2)');
      expect(await envOf(stack.services.orders!.url)).toMatchObject({ NATS_URL: external!.url, DATABASE_URL: externalDb!.urlFor('ext_orders') });

      // Stopped on purpose: stays down, nothing announced.
      const gateway = stack.services.gateway!;
      await gateway.stop();
      await sleep(1_000);
      expect(stack.services.gateway).toBe(gateway);
      expect(await isListening(ports.gateway)).toBe(false);
      // So is one stopped through the stack.
      await stack.stopService('orders');
      await sleep(1_000);
      expect(await isListening(ports.orders)).toBe(false);
      expect(messages.join('\n')).not.toMatch(/gateway exited|restart 3/);
    } finally {
      await stack.stop();
    }
  }, 90_000);

  it('restartService waits for readiness; one armed to crash may exit first, and the restart resolves on either', async () => {
    const ports = await freeStackPorts();
    const messages: string[] = [];
    const stack = await startOnExternals('armed', ports, ['gateway', 'orders'], { log: (message) => messages.push(message) });
    try {
      // Not armed: a process that dies before it is ready fails the restart.
      await expect(stack.restartService('orders', { FAKE_EXIT_EARLY: '1' })).rejects.toThrow(/orders exited \(code 3\) before it was ready/);
      // Armed: its exit is what the caller waits for next, not an error.
      const crashed = await stack.restartService('orders', { FAKE_EXIT_EARLY: '1' }, { mayExit: true });
      expect(await crashed.exit).toEqual({ code: 3, signal: null });
      expect(stack.services.orders).toBe(crashed);
      expect(messages).toContain('orders restarted armed to crash: exited (code 3)');
      // Armed, but up before any crash: resolves once ready, still running.
      const up = await stack.restartService('orders', { PLATFORM_CRASH_AT: 'nowhere' }, { mayExit: true });
      expect((await fetch(`${up.url}/readyz`)).status).toBe(200);
      expect(await envOf(up.url)).toMatchObject({ PLATFORM_CRASH_AT: 'nowhere' });
      expect(messages).toContain('orders restarted armed to crash: ready');
    } finally {
      await stack.stop();
    }
  }, 60_000);

  it('refuses to start anything when a service is not built', async () => {
    const ports = await freeStackPorts();
    await expect(
      startStack({ dataDir: join(root, 'unbuilt'), ports, persistent: false, entries: { gateway: join(root, 'nope.js') }, services: ['gateway'] }),
    ).rejects.toThrow(/Not built: .*nope\.js\. Build with: pnpm exec turbo run build/);
    expect(await isListening(ports.nats)).toBe(false);
  });
});
