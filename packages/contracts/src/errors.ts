import type { ProblemField } from './api/problem';

/** Neutral error kinds; one table (`statusOf`) maps them to HTTP. */
export type ErrorKind =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'unprocessable'
  | 'rate_limited'
  | 'internal'
  | 'bad_gateway'
  | 'unavailable'
  | 'timeout';

const statusByKind: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  bad_gateway: 502,
  unavailable: 503,
  timeout: 504,
};

export function statusOf(kind: ErrorKind): number {
  return statusByKind[kind];
}

/**
 * An expected failure with a stable machine code (`ORDER_NOT_FOUND`) and, for input
 * problems, the offending fields. Pure: domain code may throw it.
 */
export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly fields?: ProblemField[],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/**
 * A dependency outside the process (a provider's API, another system) is down, slow or
 * unreachable. Consumers and timers retry it with backoff and never dead-letter for it.
 */
export class DependencyUnavailableError extends Error {
  readonly transient = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DependencyUnavailableError';
  }
}

/** Error codes of an unreachable or overloaded dependency (PostgreSQL via Prisma, sockets, SMTP). */
const TRANSIENT_CODES = new Set([
  'P1001', // database unreachable
  'P1002', // database timed out
  'P1008', // operation timed out
  'P1017', // server closed the connection
  'P2024', // timed out waiting for a pooled connection
  'P2028', // transaction API error (e.g. expired transaction)
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ECONNECTION', // nodemailer: could not connect
  'ESOCKET', // nodemailer: socket error
  'EDNS', // nodemailer: DNS failure
]);

/**
 * What Prisma's driver adapter calls the same failures (the `kind` of a DriverAdapterError's cause):
 * the runtime's own statements go to the adapter directly (packages/runtime/src/driver-sql.ts).
 */
const TRANSIENT_DRIVER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TransactionAlreadyClosed']);

/** True when `error`, or an error in its `cause` chain, says a dependency is unavailable. */
export function isTransient(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const { code, name, transient, kind } = current as { code?: unknown; name?: unknown; transient?: unknown; kind?: unknown };
    if (transient === true) return true;
    if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
    if (typeof kind === 'string' && TRANSIENT_DRIVER_KINDS.has(kind)) return true;
    if (name === 'PrismaClientInitializationError') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
