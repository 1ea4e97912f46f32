import { createHash } from 'node:crypto';
import { DEFAULT_DATABASE_POOL_SIZE } from '@platform/config/env';
import pg from 'pg';
import { writeDeferred } from './deferred-writes';
import { CapturingPrismaPg, driverDatabase } from './driver-sql';
import { withTransactionScope } from './transaction-scope';

/**
 * How long work waits for a free connection (a transaction, or a single query) before it fails
 * as "database busy" (503, see `isDatabaseBusy`), and how long an interactive transaction may
 * run. Bounded, so an overloaded pool answers instead of queueing without end.
 */
export const CONNECTION_WAIT_MS = 2_000;
export const TRANSACTION_TIMEOUT_MS = 5_000;

const statementNames = new Map<string, string>();
const MAX_REMEMBERED_STATEMENTS = 10_000;

/**
 * A name per distinct statement text, so each connection prepares a statement once and
 * PostgreSQL skips parsing and planning it on every later execution (unnamed statements are
 * parsed and planned each time). The names of the usual few hundred statements are remembered.
 */
function statementName({ sql }: { sql: string }): string {
  let name = statementNames.get(sql);
  if (name === undefined) {
    name = `p_${createHash('sha1').update(sql).digest('base64url')}`;
    if (statementNames.size < MAX_REMEMBERED_STATEMENTS) statementNames.set(sql, name);
  }
  return name;
}

/**
 * Builds a service's generated Prisma client on the `pg` driver adapter (no query-engine
 * binary). Each service passes its own generated class, so no service can see another's models.
 * Each interactive transaction gets a scope (transaction-scope.ts): its recorded events are written
 * in one statement before the commit, and its listeners and `afterCommit` effects run after it.
 */
export function createPrismaClient<C>(
  PrismaClient: new (options: {
    adapter: CapturingPrismaPg;
    transactionOptions: { maxWait: number; timeout: number };
    errorFormat: 'minimal';
  }) => C & { $transaction(...args: never[]): Promise<unknown> },
  databaseUrl: string,
  options: {
    poolSize?: number;
    /** The pool's connection class: a test's, to hold one statement back at the connection. */
    Client?: new () => pg.ClientBase;
  } = {},
): C {
  // One pool for Prisma and for the runtime's own statements (driver-sql.ts); Prisma's disconnect ends it.
  const connections = options.poolSize ?? DEFAULT_DATABASE_POOL_SIZE;
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: connections,
    connectionTimeoutMillis: CONNECTION_WAIT_MS,
    ...(options.Client ? { Client: options.Client } : {}),
  });
  const adapter = new CapturingPrismaPg(pool, { statementNameGenerator: statementName, disposeExternalPool: true });
  // 'minimal', as Prisma chooses under NODE_ENV=production (the image), and so everywhere: any other
  // format records a stack trace at every query for the call site its errors would quote, about
  // 2 % of a service's CPU (docs/performance.md, sixteenth round). Our errors carry their own stacks.
  const client = new PrismaClient({ adapter, transactionOptions: { maxWait: CONNECTION_WAIT_MS, timeout: TRANSACTION_TIMEOUT_MS }, errorFormat: 'minimal' });
  return withTransactionScope(client, writeDeferred, driverDatabase(adapter, connections));
}

/**
 * The database had no connection for the work in time: a transaction could not start (Prisma
 * P2028) or the pool gave none. Overload, not a bug: answered 503 with Retry-After.
 */
export function isDatabaseBusy(error: unknown): boolean {
  const { code, message, cause } = (error ?? {}) as { code?: unknown; message?: unknown; cause?: unknown };
  if (code === 'P2028') return true;
  if (typeof message === 'string' && message.includes('timeout exceeded when trying to connect')) return true;
  return cause !== undefined && cause !== error && isDatabaseBusy(cause);
}
