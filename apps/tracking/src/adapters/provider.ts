import type { Carrier } from '../domain/carriers';
import type { ProviderName, TrackingUpdate } from '../domain/provider-payloads';

/** What tracking asks of a provider; both adapters answer the same way. */
export interface TrackingProvider {
  readonly name: ProviderName;
  /** Starts following the number; registering an already registered number succeeds. */
  register(shipment: ProviderShipment): Promise<{ providerRef: string | null }>;
  /** The provider's current view, or null when it does not know the number. */
  fetch(shipment: ProviderShipment): Promise<TrackingUpdate | null>;
  /** Stops following the number (terminal status reached). */
  stop(shipment: ProviderShipment): Promise<void>;
}

export interface ProviderShipment {
  shipmentId: string;
  orderId: string;
  trackingNumber: string;
  carrier: Carrier | undefined;
  providerRef: string | null;
}

/**
 * A provider call that failed. `unavailable` (network, timeout, 5xx, 429, auth, malformed
 * answer) counts towards the provider's circuit breaker; `rejected` (the provider refused
 * this number) does not, but the fallback provider is still tried.
 */
export class ProviderError extends Error {
  constructor(
    readonly provider: ProviderName,
    readonly kind: 'unavailable' | 'rejected',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${provider}: ${message}`, options);
    this.name = 'ProviderError';
  }
}

/** Classifies an HTTP answer status: undefined when it is a success. */
export function failureOf(provider: ProviderName, operation: string, statusCode: number): ProviderError | undefined {
  if (statusCode >= 200 && statusCode < 300) return undefined;
  const kind = statusCode === 429 || statusCode >= 500 || statusCode === 401 || statusCode === 403 ? 'unavailable' : 'rejected';
  return new ProviderError(provider, kind, `${operation} answered HTTP ${statusCode}`);
}

/** Runs a request, turning transport failures (connect, timeout) into `unavailable`. */
export async function transport<T>(provider: ProviderName, operation: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw new ProviderError(provider, 'unavailable', `${operation} failed: ${(error as Error).message}`, { cause: error });
  }
}
