import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROVIDER_VARIABLES } from '@platform/devstack/providers';
import type { ServiceName } from '@platform/devstack/services';
import type { ProviderName } from '@platform/simulators';

/** The services as fixed in the README (Services, Configuration); the deploy files must agree with this table. */
export const SERVICES = [
  { name: 'gateway', port: 8080, database: null },
  { name: 'orders', port: 8081, database: 'orders' },
  { name: 'fulfillment', port: 8082, database: 'fulfillment' },
  { name: 'tracking', port: 8083, database: 'tracking' },
  { name: 'notifications', port: 8084, database: 'notifications' },
  { name: 'billing', port: 8085, database: 'billing' },
] as const;

export type Service = (typeof SERVICES)[number];
export type DatabaseService = Extract<Service, { database: string }>;

export const DATABASE_SERVICES = SERVICES.filter(
  (s): s is DatabaseService => s.database !== null,
);

/** Gateway variable that holds the base URL of a service, e.g. ORDERS_URL. */
export const urlVariable = (service: string): string => `${service.toUpperCase()}_URL`;

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export const readRepoFile = (path: string): string =>
  readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** Database names created by an init SQL script (`CREATE DATABASE name;`). */
export const createdDatabases = (sql: string): string[] =>
  [...sql.matchAll(/^\s*CREATE DATABASE\s+"?([a-z_][a-z0-9_]*)"?\s*;/gim)].map((m) => m[1]!);

/** The provider simulators' image and port in docker-compose (packages/simulators). */
export const SIMULATORS = { name: 'simulators', port: 8090 } as const;

/**
 * The real base URL of each provider, which its simulator prefix stands in for
 * (docs/providers/README.md#base-urls-and-simulators); Kubernetes points the services at these.
 */
export const REAL_PROVIDER_URLS: Record<ProviderName, string> = {
  stripe: 'https://api.stripe.com',
  aliexpress: 'https://api-sg.aliexpress.com',
  cj: 'https://developers.cjdropshipping.com/api2.0/v1',
  spocket: 'https://api.spocket.co/v1',
  '17track': 'https://api.17track.net/track/v2.2',
  aftership: 'https://api.aftership.com/tracking/2025-01',
  twilio: 'https://api.twilio.com',
  fcm: 'https://fcm.googleapis.com',
  // Our own device/asset system: a placeholder, like PUBLIC_BASE_URL (replace per environment).
  devices: 'https://devices.example.com/api/v1',
  easypost: 'https://api.easypost.com',
  'tiktok-shop': 'https://open-api.tiktokglobalshop.com',
};

export interface ProviderVariable {
  name: string;
  /** The provider whose base URL this variable holds; undefined for a credential. */
  urlOf?: ProviderName;
  /** The value command one passes (simulator URL under `simulatorUrl`, or the local credential). */
  local: string;
}

/**
 * The provider variables `service` reads, taken from the devstack's table (the source of truth
 * the services are started with), so the deploy files cannot drift from it.
 */
export function providerVariables(service: string, simulatorUrl = 'http://simulators:8090'): ProviderVariable[] {
  const variables = PROVIDER_VARIABLES[service as ServiceName];
  if (!variables) return [];
  const marker = '\u0000provider:';
  const marked = variables((provider) => `${marker}${provider}`);
  const local = variables((provider) => `${simulatorUrl}/${provider}`);
  return Object.entries(marked).map(([name, value]) => ({
    name,
    urlOf: value.startsWith(marker) ? (value.slice(marker.length) as ProviderName) : undefined,
    local: local[name]!,
  }));
}

/** Every provider variable of any service. */
export const ALL_PROVIDER_VARIABLES = SERVICES.flatMap((s) => providerVariables(s.name).map((v) => v.name));

/** Test-only switches that must never reach a deployment. */
export const TEST_ONLY_VARIABLES = ['TEST_CLOCK_CONTROL', 'PLATFORM_CRASH_AT'];

/**
 * A cross-check of the services' own env schemas: the variables declared in apps/<service>/src
 * main.ts, config.ts or any env.ts without `.default(...)` or `.optional()` on their line, i.e.
 * the ones the service refuses to start without. A heuristic (one variable per line, as the
 * services write them); DATABASE_URL comes from the shared databaseEnv and is checked apart.
 */
export function requiredVariables(service: string): string[] {
  const src = join(repoRoot, 'apps', service, 'src');
  const files = readdirSync(src, { recursive: true, encoding: 'utf8' })
    .filter((f) => /(^|\/)(main|config|env)\.ts$/.test(f) && !f.includes('generated/'))
    .map((f) => readFileSync(join(src, f), 'utf8'));
  const required = new Set<string>();
  for (const text of files) {
    for (const m of text.matchAll(/^\s*([A-Z][A-Z0-9_]*):\s*([^\n]*?),?\s*$/gm)) {
      if (!/\.default\(|\.optional\(\)/.test(m[2]!)) required.add(m[1]!);
    }
  }
  return [...required].sort();
}
