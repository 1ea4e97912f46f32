import { AsyncLocalStorage } from 'node:async_hooks';
import { PrismaPg } from '@prisma/adapter-pg';

/**
 * The runtime's own statements (outbox, processed events, applied versions, timers) go straight to
 * the `pg` driver adapter under the service's Prisma client, on the same pool and, inside a
 * transaction, on the transaction's connection. They are raw SQL already, and Prisma's query
 * pipeline around a raw statement costs more CPU than the statement itself: a consumer's
 * transaction (its claim, one Prisma query, its outbox insert) took 1.37 ms of CPU with the claim
 * and the insert through Prisma and 1.00 ms through the driver; a relay round 0.59 and 0.19 ms
 * (docs/performance.md, eleventh round). The domain's queries stay on Prisma.
 *
 * Values come back as the driver adapter gives them (the adapter's public `queryRaw`): text for
 * json, timestamps and 64-bit integers. The runtime's statements select what they read in the
 * form they use (an epoch in milliseconds, a count as int).
 */

/** What a `pg` driver adapter, or one of its transactions, runs: Prisma's driver adapter interface. */
type DriverAdapter = Awaited<ReturnType<PrismaPg['connect']>>;
type DriverTransaction = Awaited<ReturnType<DriverAdapter['startTransaction']>>;
type Queryable = Pick<DriverAdapter, 'queryRaw' | 'executeRaw'>;
type SqlQuery = Parameters<Queryable['queryRaw']>[0];

/** Tagged-template SQL, as Prisma's `$queryRaw` / `$executeRaw` take it, run on the driver. */
export interface DriverSql {
  query<T extends Record<string, unknown>>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T[]>;
  execute(strings: TemplateStringsArray, ...values: unknown[]): Promise<number>;
}

/** A service database's driver outside any transaction: its statements commit one by one, or `transaction` groups them. */
export interface DriverDatabase extends DriverSql {
  /** How many connections the pool may open: with one, every statement runs on the same session. */
  readonly connections: number;
  /** BEGIN, `work`, COMMIT on one pooled connection; ROLLBACK when `work` throws. */
  transaction<T>(work: (tx: DriverSql) => Promise<T>): Promise<T>;
}

/** Each value as the driver sends it: a Date as an ISO instant (not in the session's time zone), a bigint as text. */
function toParameter(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  return value;
}

const UNTYPED = { scalarType: 'unknown', arity: 'scalar' } as const;

function sqlQuery(strings: TemplateStringsArray, values: readonly unknown[]): SqlQuery {
  let sql = strings[0]!;
  for (let i = 1; i < strings.length; i++) sql += `$${i}${strings[i]}`;
  return { sql, args: values.map(toParameter), argTypes: values.map(() => UNTYPED) };
}

/** `usable` throws when the connection may no longer run the statement (its transaction ended). */
function driverSql(driver: () => Promise<Queryable> | Queryable, usable: () => void = () => {}): DriverSql {
  return {
    async query<T extends Record<string, unknown>>(strings: TemplateStringsArray, ...values: unknown[]) {
      usable();
      const { columnNames, rows } = await (await driver()).queryRaw(sqlQuery(strings, values));
      return rows.map((row) => Object.fromEntries(columnNames.map((name, i) => [name, row[i]])) as T);
    },
    async execute(strings: TemplateStringsArray, ...values: unknown[]) {
      usable();
      return (await driver()).executeRaw(sqlQuery(strings, values));
    },
  };
}

const COMMIT = { sql: 'COMMIT', args: [], argTypes: [] };
const ROLLBACK = { sql: 'ROLLBACK', args: [], argTypes: [] };

/** The database outside Prisma's transactions, on `factory`'s pool of `connections` (connected on first use). */
export function driverDatabase(factory: CapturingPrismaPg, connections: number): DriverDatabase {
  let adapter: Promise<DriverAdapter> | undefined;
  const connected = () => (adapter ??= factory.connectUncaptured());
  return {
    ...driverSql(connected),
    connections,
    async transaction(work) {
      const tx = await (await connected()).startTransaction();
      let result;
      try {
        result = await work(driverSql(() => tx));
      } catch (error) {
        // The work's error is the one to report; a ROLLBACK that fails too (connection lost) changes nothing.
        await tx.executeRaw(ROLLBACK).catch(() => undefined);
        await tx.rollback();
        throw error;
      }
      try {
        await tx.executeRaw(COMMIT);
      } catch (error) {
        await tx.rollback();
        throw error;
      }
      await tx.commit();
      return result;
    },
  };
}

/**
 * Where a starting Prisma transaction leaves its driver transaction for the scope that asked for it
 * (transaction-scope.ts): the scope runs Prisma's `$transaction` inside `capture`, and Prisma
 * starts the driver's transaction in that call's async context, before the callback runs.
 */
export interface TransactionCapture {
  sql?: DriverSql;
}
export const transactionCapture = new AsyncLocalStorage<TransactionCapture>();

/**
 * A `PrismaPg` whose transactions can be reached by the runtime (`transactionCapture`). Prisma ends
 * a transaction with a COMMIT or ROLLBACK statement and then releases the connection; a runtime
 * statement after that would run outside the transaction (autocommit), or on a connection another
 * transaction has taken. So the transaction counts as ended from the moment Prisma sends either,
 * and the runtime's statements refuse to run from then on, as Prisma's own do.
 */
export class CapturingPrismaPg extends PrismaPg {
  /** An adapter on the same pool whose transactions are the runtime's own (`driverDatabase`). */
  connectUncaptured(): Promise<DriverAdapter> {
    return super.connect();
  }

  override async connect(): Promise<DriverAdapter> {
    const adapter = await super.connect();
    const start = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel) => {
      const capture = transactionCapture.getStore();
      const tx = await start(isolationLevel);
      // The first transaction started in the scope's call is the scope's own.
      if (!capture || capture.sql) return tx;
      let ended = false;
      capture.sql = driverSql(
        () => tx,
        () => {
          // Shaped as the adapter's own error for it, which isTransient knows (a timed-out transaction is retried).
          if (ended) throw new Error('Transaction already closed: a runtime statement came after its COMMIT or ROLLBACK', { cause: { kind: 'TransactionAlreadyClosed' } });
        },
      );
      return endingWith(tx, () => (ended = true));
    };
    return adapter;
  }
}

/** `tx` as Prisma uses it, calling `end` before the statement or call that ends it. */
function endingWith(tx: DriverTransaction, end: () => void): DriverTransaction {
  const ends = (sql: string) => sql === 'COMMIT' || sql === 'ROLLBACK';
  return {
    provider: tx.provider,
    adapterName: tx.adapterName,
    options: tx.options,
    queryRaw: (query) => tx.queryRaw(query),
    executeRaw: (query) => {
      if (ends(query.sql)) end();
      return tx.executeRaw(query);
    },
    commit: () => {
      end();
      return tx.commit();
    },
    rollback: () => {
      end();
      return tx.rollback();
    },
    ...(tx.createSavepoint && { createSavepoint: (name: string) => tx.createSavepoint!(name) }),
    ...(tx.rollbackToSavepoint && { rollbackToSavepoint: (name: string) => tx.rollbackToSavepoint!(name) }),
    ...(tx.releaseSavepoint && { releaseSavepoint: (name: string) => tx.releaseSavepoint!(name) }),
  };
}
