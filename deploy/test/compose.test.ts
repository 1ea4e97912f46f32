/**
 * docker-compose.yml cannot be run here (no Docker engine), so this test reads it the way
 * Compose does (YAML with merge keys) and checks the wiring: infrastructure, one service per
 * app built from the root Dockerfile, and the environment from the README (Services, Configuration).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { createdDatabases, DATABASE_SERVICES, readRepoFile, repoRoot, SERVICES, urlVariable } from './platform';

interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string; args?: Record<string, string> | string[] };
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

  it(app.database ? 'gets DATABASE_URL of its own database' : 'has no database', () => {
    if (!app.database) {
      expect(env.DATABASE_URL).toBeUndefined();
      return;
    }
    const url = new URL(env.DATABASE_URL ?? '');
    expect(url.protocol).toBe('postgresql:');
    expect(url.hostname).toBe('postgres');
    expect(url.port || '5432').toBe('5432');
    expect(url.pathname).toBe(`/${app.database}`);
    expect(decodeURIComponent(url.password)).toBe(asMap(service('postgres').environment).POSTGRES_PASSWORD);
    expect(condition(s, 'postgres')).toBe('service_healthy');
  });
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
