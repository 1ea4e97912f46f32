import type pg from 'pg';
import type { DriverDatabase } from '@platform/runtime/driver-sql';
import { createPrismaClient } from '@platform/runtime/prisma';
import { DRIVER_DATABASE, driverDatabaseOf } from '@platform/runtime/transaction-scope';
import { migratedDatabase } from '@platform/test-support/databases';
import { PrismaClient } from '../../apps/billing/src/generated/prisma/client';

/** A database holding the tables the runtime shares across services (outbox, processed events, timers): billing's schema. */
export type Db = PrismaClient;
export type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

export async function outboxDatabase(): Promise<Db> {
  return (await outboxDatabaseAt()).db;
}

/** The same, with the database's URL for what opens connections of its own (consumer leases). */
export async function outboxDatabaseAt(): Promise<{ db: Db; url: string }> {
  const url = await migratedDatabase('billing');
  return { db: createPrismaClient(PrismaClient, url), url };
}

/** A client of one connection on `url`, as a service gives its outbox relay. */
export function outboxRelayClient(url: string): Db {
  return createPrismaClient(PrismaClient, url, { poolSize: 1 });
}

/** Another client on `url` whose connections are `Client`s: a test's, holding a statement back at the connection. */
export function outboxClientWith(url: string, Client: new () => pg.ClientBase): Db {
  return createPrismaClient(PrismaClient, url, { Client });
}

/**
 * `db` counting the calls of some of its methods (transactions, raw queries), and of its driver
 * database's (`driver.query`: the runtime's own statements, packages/runtime/src/driver-sql.ts):
 * what a worker asks of its database, for the tests of how little it asks.
 */
export function countingCalls<M extends '$transaction' | '$queryRaw' | `driver.${keyof DriverDatabase}`>(db: Db, methods: readonly M[]): { db: Db; calls: Record<M, number> } {
  const calls = Object.fromEntries(methods.map((method) => [method, 0])) as Record<M, number>;
  const counting = <T extends object>(target: T, prefix: string) =>
    new Proxy(target, {
      get: (inner, property, receiver) => {
        const method = `${prefix}${String(property)}` as M;
        if (typeof property !== 'string' || !methods.includes(method)) return Reflect.get(inner, property, receiver);
        return (...args: unknown[]) => {
          calls[method] += 1;
          return (inner[property as keyof T] as (...args: unknown[]) => unknown).apply(inner, args);
        };
      },
    });
  const driver = counting(driverDatabaseOf(db), 'driver.');
  const counted = counting(db, '');
  return { db: withDriverDatabase(counted, driver), calls };
}

/** `db` with `driver` in place of its driver database (for a test that holds one of the runtime's statements back). */
export function withDriverDatabase(db: Db, driver: DriverDatabase): Db {
  return new Proxy(db, { get: (target, property, receiver) => (property === DRIVER_DATABASE ? driver : Reflect.get(target, property, receiver)) });
}

/**
 * How many statements inserted these outbox rows: a row's `cmin` numbers the command that
 * inserted it within its transaction (`xmin`), so the rows of one INSERT share both.
 */
export async function outboxInserts(db: Db, ids: readonly string[]): Promise<number> {
  const [row] = await db.$queryRaw<Array<{ n: bigint }>>`
    SELECT count(DISTINCT (xmin::text, cmin::text)) AS n FROM outbox_events WHERE id = ANY(${ids}::uuid[])`;
  return Number(row!.n);
}
