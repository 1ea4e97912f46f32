/**
 * docker-compose.yml cannot be run here (no Docker engine), so this test reads it the way
 * Compose does (YAML with merge keys) and checks the wiring: infrastructure, one service per
 * app built from the root Dockerfile, and the environment from the README (Services, Configuration).
 * Compose is the local, simulator-backed setup: every service gets the provider variables the
 * devstack gives it (packages/devstack/src/providers.ts), pointing at the simulators service.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DEVELOPMENT_KEYS } from '../../apps/gateway/src/domain/api-keys';
import { gatewayEnv } from '../../apps/gateway/src/config';
import {
  ALL_PROVIDER_VARIABLES,
  createdDatabases,
  DATABASE_SERVICES,
  providerVariables,
  readRepoFile,
  repoRoot,
  requiredVariables,
  SERVICES,
  SIMULATORS,
  TEST_ONLY_VARIABLES,
  urlVariable,
} from './platform';

interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string; target?: string; args?: Record<string, string> | string[] };
  command?: string | string[];
  environment?: Record<string, string | number | null> | string[];
  ports?: (string | { target: number; published?: string | number })[];
  volumes?: (string | { source?: string; target: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
}

const compose = parse(readRepoFile('docker-compose.yml'), { merge: true }) as {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
};

function service(name: string): ComposeService {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
}

/** environment / build.args as a map, whichever of Compose's two notations is used. */
function asMap(value: Record<string, unknown> | string[] | undefined): Record<string, string> {
  if (Array.isArray(value)) {
    return Object.fromEntries(value.map((kv) => [kv.split('=')[0]!, kv.slice(kv.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(value ?? {}).map(([k, v]) => [k, String(v ?? '')]));
}

const words = (command: string | string[] | undefined) => (Array.isArray(command) ? command : (command ?? '').split(/\s+/));

function condition(s: ComposeService, dependency: string): string | undefined {
  const deps = s.depends_on;
  if (Array.isArray(deps)) return deps.includes(dependency) ? 'service_started' : undefined;
  const entry = deps?.[dependency];
  return entry ? (entry.condition ?? 'service_started') : undefined;
}

/** Container paths of the volumes/bind mounts of a service, keyed by the source. */
function mounts(s: ComposeService): { source: string; target: string }[] {
  return (s.volumes ?? []).map((v) => {
    if (typeof v !== 'string') return { source: v.source ?? '', target: v.target };
    const [source = '', target = ''] = v.split(':');
    return { source, target };
  });
}

const publishes = (s: ComposeService, port: number) =>
  (s.ports ?? []).some((p) =>
    typeof p === 'string' ? new RegExp(`(^|:)${port}(/tcp)?$`).test(p) : p.target === port && p.published !== undefined,
  );

/** The host address a container port is published on ("127.0.0.1:8090:8090" → 127.0.0.1; none → all). */
const publishedOn = (s: ComposeService, port: number): string | undefined => {
  for (const p of s.ports ?? []) {
    if (typeof p !== 'string') continue;
    const parts = p.replace(/\/tcp$/, '').split(':');
    if (Number(parts.at(-1)) === port) return parts.length === 3 ? parts[0] : '0.0.0.0';
  }
  return undefined;
};

describe('docker-compose.yml: infrastructure', () => {
  it('runs NATS 2.10 with JetStream stored on a volume and monitoring on 8222', () => {
    const nats = service('nats');
    expect(nats.image).toBe('nats:2.10-alpine');
    const args = words(nats.command);
    expect(args.some((a) => a === '-js' || a === '--jetstream')).toBe(true);
    const storeDir = args[args.findIndex((a) => a === '-sd' || a === '--store_dir') + 1];
    expect(storeDir).toBeDefined();
    const store = mounts(nats).find((m) => m.target === storeDir);
    expect(store && compose.volumes && store.source in compose.volumes).toBe(true);
    expect(args[args.findIndex((a) => a === '-m' || a === '--http_port') + 1]).toBe('8222');
    expect(nats.healthcheck?.test).toBeDefined();
  });

  it('runs PostgreSQL 17 with an init script creating the five databases', () => {
    const pg = service('postgres');
    expect(pg.image).toBe('postgres:17-alpine');
    expect(pg.healthcheck?.test).toBeDefined();
    const init = mounts(pg).find((m) => m.target.startsWith('/docker-entrypoint-initdb.d/'));
    expect(init).toBeDefined();
    const script = init!.source.replace(/^\.\//, '');
    expect(existsSync(join(repoRoot, script))).toBe(true);
    expect(createdDatabases(readRepoFile(script)).sort()).toEqual(DATABASE_SERVICES.map((s) => s.database).sort());
  });

  it('runs a Mailpit SMTP sink with its web UI published', () => {
    const mailpit = service('mailpit');
    expect(mailpit.image).toMatch(/^axllent\/mailpit(:|$)/);
    expect(publishes(mailpit, 8025)).toBe(true);
  });
});

describe.each(SERVICES)('docker-compose.yml: $name', (app) => {
  const s = service(app.name);
  const env = asMap(s.environment);

  it('is built from the root Dockerfile with APP set to its name', () => {
    expect(s.build?.context).toBe('.');
    expect(s.build?.dockerfile ?? 'Dockerfile').toBe('Dockerfile');
    expect(asMap(s.build?.args).APP).toBe(app.name);
  });

  it('listens on its port and reaches NATS', () => {
    expect(env.PORT).toBe(String(app.port));
    expect(env.NATS_URL).toBe('nats://nats:4222');
    expect(condition(s, 'nats')).toBe('service_healthy');
    expect(s.healthcheck?.test).toBeDefined();
  });

  it(app.database ? 'gets DATABASE_URL of its own database, as its own role' : 'has no database', () => {
    if (!app.database) {
      expect(env.DATABASE_URL).toBeUndefined();
      return;
    }
    const url = new URL(env.DATABASE_URL ?? '');
    expect(url.protocol).toBe('postgresql:');
    expect(url.hostname).toBe('postgres');
    expect(url.port || '5432').toBe('5432');
    expect(url.pathname).toBe(`/${app.database}`);
    // As its own role, whose password the init script reads from the server's environment.
    expect(decodeURIComponent(url.username)).toBe(app.database);
    expect(decodeURIComponent(url.password)).toBe(asMap(service('postgres').environment)[`${app.database.toUpperCase()}_DATABASE_PASSWORD`]);
    expect(readRepoFile('deploy/k8s/base/postgres/create-databases.sql')).toContain(`\\getenv ${app.database}_password ${app.database.toUpperCase()}_DATABASE_PASSWORD`);
    expect(condition(s, 'postgres')).toBe('service_healthy');
  });

  if (app.database) {
    it('starts once its migrate container (the Dockerfile target with the Prisma CLI) applied the migrations to its database', () => {
      const migrate = service(`${app.name}-migrate`);
      expect(condition(s, `${app.name}-migrate`)).toBe('service_completed_successfully');
      expect(migrate.build?.target).toBe('migrate');
      expect(asMap(migrate.build?.args).APP).toBe(app.name);
      expect(asMap(migrate.environment).DATABASE_URL).toBe(env.DATABASE_URL);
      expect(condition(migrate, 'postgres')).toBe('service_healthy');
    });
  }
});

describe('docker-compose.yml: wiring between services', () => {
  it('points notifications at the Mailpit SMTP port', () => {
    expect(asMap(service('notifications').environment).SMTP_URL).toBe('smtp://mailpit:1025');
  });

  it.each(SERVICES.filter((s) => s.name !== 'gateway'))('gives the gateway the URL of $name', (app) => {
    const gatewayEnv = asMap(service('gateway').environment);
    expect(gatewayEnv[urlVariable(app.name)]).toBe(`http://${app.name}:${asMap(service(app.name).environment).PORT}`);
  });

  it('publishes the gateway on 8080', () => {
    expect(publishes(service('gateway'), 8080)).toBe(true);
  });

  it('publishes no service port other than the gateway', () => {
    for (const app of SERVICES.filter((s) => s.name !== 'gateway')) {
      expect(service(app.name).ports ?? []).toEqual([]);
    }
  });
});

describe('docker-compose.yml: provider simulators', () => {
  const simulators = service(SIMULATORS.name);
  const env = asMap(simulators.environment);
  const simulatorUrl = `http://${SIMULATORS.name}:${env.PORT}`;

  it('runs the simulators image built from the root Dockerfile, on 8090 of all container interfaces', () => {
    expect(simulators.build?.context).toBe('.');
    expect(simulators.build?.dockerfile ?? 'Dockerfile').toBe('Dockerfile');
    expect(asMap(simulators.build?.args).APP).toBe('simulators');
    expect(env.PORT).toBe(String(SIMULATORS.port));
    // The CLI listens on 127.0.0.1 unless told otherwise, which other containers cannot reach.
    expect(env.HOST).toBe('0.0.0.0');
    expect(simulators.healthcheck?.test).toBeDefined();
  });

  it('publishes 8090 on the host loopback only (control routes for people, not the network)', () => {
    expect(publishedOn(simulators, SIMULATORS.port)).toBe('127.0.0.1');
  });

  it('sends webhooks to the gateway', () => {
    const gatewayPort = asMap(service('gateway').environment).PORT;
    expect(env.WEBHOOK_BASE_URL).toBe(`http://gateway:${gatewayPort}`);
  });

  it.each(SERVICES)('gives $name exactly the provider variables it reads, with the local values', (app) => {
    const serviceEnv = asMap(service(app.name).environment);
    const expected = Object.fromEntries(providerVariables(app.name, simulatorUrl).map((v) => [v.name, v.local]));
    const given = Object.fromEntries(Object.entries(serviceEnv).filter(([name]) => ALL_PROVIDER_VARIABLES.includes(name)));
    expect(given).toEqual(expected);
    if (Object.keys(expected).length > 0) expect(condition(service(app.name), SIMULATORS.name)).toBe('service_healthy');
  });

  // The gateway's schema is imported and checked whole below; the others' live in their config.ts.
  it.each(SERVICES.filter((s) => s.name !== 'gateway'))('gives $name every variable its env schema requires', (app) => {
    const serviceEnv = asMap(service(app.name).environment);
    expect(requiredVariables(app.name).filter((name) => !(name in serviceEnv))).toEqual([]);
  });

  it('the check above covers every provider-calling service', () => {
    expect(SERVICES.filter((s) => providerVariables(s.name).length > 0).map((s) => s.name).sort()).toEqual(
      ['billing', 'fulfillment', 'notifications', 'orders', 'tracking'],
    );
  });
});

describe('docker-compose.yml: gateway and public URLs', () => {
  const gateway = asMap(service('gateway').environment);

  it('passes the gateway environment schema with NODE_ENV=production (the image sets it)', () => {
    const parsed = gatewayEnv.safeParse({ ...gateway, NODE_ENV: 'production' });
    expect(parsed.error?.issues ?? []).toEqual([]);
  });

  it('gives the gateway the documented development keys as API_KEYS', () => {
    const keys = gatewayEnv.parse({ ...gateway, NODE_ENV: 'production' }).API_KEYS ?? [];
    const summary = (entries: typeof keys) =>
      entries.map((k) => ({ key: k.key, role: k.role, customerId: k.customerId, vendorId: k.vendorId })).sort((a, b) => a.role.localeCompare(b.role));
    expect(summary(keys)).toEqual(summary(DEVELOPMENT_KEYS));
    expect(summary(keys).map((k) => k.key)).toEqual(['dev-admin-key', 'dev-customer-key', 'dev-ops-key', 'dev-vendor-key']);
  });

  it('publishes the gateway on the host loopback only (the development keys include admin)', () => {
    expect(publishedOn(service('gateway'), 8080)).toBe('127.0.0.1');
  });

  it.each(['gateway', 'notifications'])('gives %s PUBLIC_BASE_URL = the published gateway', (name) => {
    const url = new URL(asMap(service(name).environment).PUBLIC_BASE_URL ?? '');
    expect(url.hostname).toBe('localhost');
    expect(url.port).toBe(gateway.PORT);
    expect(publishes(service('gateway'), Number(url.port))).toBe(true);
  });

  it.each([...SERVICES.map((s) => s.name), SIMULATORS.name])('sets no test-only switch on %s', (name) => {
    const env = asMap(service(name).environment);
    for (const variable of TEST_ONLY_VARIABLES) expect(env[variable], variable).toBeUndefined();
  });
});
