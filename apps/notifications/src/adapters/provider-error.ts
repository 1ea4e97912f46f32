/**
 * A provider refused a message, or could not be reached: it does not have it. `permanent` =
 * sending the same message again cannot succeed (invalid phone number, unregistered device
 * token): the notification fails at once and the provider's circuit breaker does not count it.
 * Any other refusal (429, auth, a relay's 4xx or other 5xx reply) is retried with backoff.
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

/**
 * A provider answered a send in a way that does not say whether it has the message: an
 * acceptance (2xx) without the message id, or a server error (5xx), which may come after it took
 * the message (Twilio says so of a 500 on sending an SMS; Google of UNAVAILABLE on any call that
 * is not idempotent). The delivery asks the provider before sending again (docs/notification-delivery.md).
 */
export class OutcomeUnknownError extends Error {
  constructor(
    readonly provider: string,
    message: string,
  ) {
    super(`${provider}: ${message}`);
    this.name = 'OutcomeUnknownError';
  }
}

/** A 2xx answer to a send: the provider took the request. */
export const isAccepted = (statusCode: number): boolean => statusCode >= 200 && statusCode < 300;

/**
 * What an HTTP provider's failed answer to a send means: a 4xx refuses the request (it does not
 * have the message); anything else (a 5xx, or a 3xx we did not follow) leaves the outcome unknown.
 */
export function failedAnswer(provider: string, statusCode: number, detail: string, refusal: { permanent: boolean; tokenGone?: boolean }): Error {
  if (statusCode >= 400 && statusCode < 500) return new ProviderError(provider, detail, refusal.permanent, refusal.tokenGone);
  return new OutcomeUnknownError(provider, detail);
}

/** Connection failures that happen before a request is written: the provider cannot have the message. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);
/** Only while connecting: an established (kept-alive) connection reports them too, after our request went out. */
const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH']);

/**
 * True when a failed send certainly did not hand the message over: the provider refused it or
 * could not be reached (a ProviderError; the adapters turn a failure into one only when the
 * provider cannot have the message), or the connection was never made. A timeout, a dropped
 * connection mid-request or an OutcomeUnknownError is not known: the provider may have the
 * message, so the next attempt asks it first.
 */
export function certainlyNotSent(error: unknown): boolean {
  if (error instanceof ProviderError) return true;
  const { cause } = error as { cause?: SocketFailure };
  return neverConnected(error as SocketFailure) || (cause !== undefined && neverConnected(cause));
}

/** A Node socket error, as it comes or as the `cause` of the HTTP client's error. */
interface SocketFailure {
  code?: string;
  syscall?: string;
}

function neverConnected({ code = '', syscall }: SocketFailure): boolean {
  return NOT_CONNECTED.has(code) || (UNREACHABLE.has(code) && syscall === 'connect');
}
