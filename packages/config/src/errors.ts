import type { ProblemField } from '@platform/contracts/api/problem';

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
