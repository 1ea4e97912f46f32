import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
