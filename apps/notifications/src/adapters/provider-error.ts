/**
 * A provider refused a message. `permanent` = sending the same message again cannot succeed
 * (invalid phone number, unregistered device token): the notification fails at once and the
 * provider's circuit breaker does not count it. Anything else (outage, timeout, 429, 5xx,
 * auth) is retried with backoff.
 */
export class ProviderError extends Error {
  constructor(
    readonly provider: string,
    message: string,
    readonly permanent: boolean,
  ) {
    super(`${provider}: ${message}`);
    this.name = 'ProviderError';
  }
}

export function isPermanent(error: unknown): boolean {
  return error instanceof ProviderError && error.permanent;
}
