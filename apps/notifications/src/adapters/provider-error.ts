/**
 * A provider refused a message, or could not be reached: it does not have it. `permanent` =
 * sending the same message again cannot succeed (invalid phone number, unregistered device
 * token): the notification fails at once and the provider's circuit breaker does not count it.
 * Anything else (outage, 429, 5xx, auth) is retried with backoff.
 */
export class ProviderError extends Error {
  constructor(
    readonly provider: string,
    message: string,
    readonly permanent: boolean,
    /** FCM: the device token is no longer valid (404 UNREGISTERED); the device should be forgotten. */
    readonly tokenGone = false,
  ) {
    super(`${provider}: ${message}`);
    this.name = 'ProviderError';
  }
}

export function isPermanent(error: unknown): boolean {
  return error instanceof ProviderError && error.permanent;
}

/** Connection failures that happen before a request is written: the provider cannot have the message. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * True when a failed send certainly did not hand the message over: the provider answered with a
 * refusal or an error status, or could not be reached (a ProviderError; the mailer turns SMTP
 * failures into one only when the relay cannot have the message), or the connection was never
 * made. A timeout or a dropped connection mid-request is not known: the provider may have the
 * message, so the next attempt asks it first.
 */
export function certainlyNotSent(error: unknown): boolean {
  if (error instanceof ProviderError) return true;
  const { code, cause } = error as { code?: string; cause?: { code?: string } };
  return NOT_CONNECTED.has(code ?? '') || NOT_CONNECTED.has(cause?.code ?? '');
}
