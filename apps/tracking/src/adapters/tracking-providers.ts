import { BrokenCircuitError, circuitBreaker, CircuitState, ConsecutiveBreaker, type CircuitBreakerPolicy, handleWhen } from 'cockatiel';
import { DependencyUnavailableError } from '@platform/contracts/errors';
import type { Logger } from '@platform/runtime/logger';
import type { Metrics } from '@platform/runtime/metrics';
import type { ProviderName, TrackingUpdate } from '../domain/provider-payloads';
import { ProviderError, type ProviderShipment, type TrackingProvider } from './provider';

export interface BreakerOptions {
  /** Consecutive `unavailable` failures that open a provider's breaker. */
  consecutiveFailures: number;
  /**
   * Cool-down before one trial call (half-open). cockatiel reads the wall clock
   * (`Date.now()`), not the service clock: the breaker protects against a real outage in
   * real time, so moving the test clock does not close it.
   */
  halfOpenAfterMs: number;
}

type BreakerState = 'closed' | 'open' | 'half_open' | 'isolated';
const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Isolated]: 'isolated',
};

interface Guarded {
  provider: TrackingProvider;
  role: 'primary' | 'fallback';
  breaker: CircuitBreakerPolicy;
}

/** Every provider failed for a shipment: the caller retries later (consumer redelivery, timer backoff). */
export class ProvidersUnavailableError extends DependencyUnavailableError {
  constructor(readonly failures: Error[]) {
    super(`no tracking provider could serve the request: ${failures.map((f) => f.message).join('; ')}`);
    this.name = 'ProvidersUnavailableError';
  }
}

/**
 * TRK-02: 17TRACK first, AfterShip when 17TRACK fails or its breaker is open. Each provider
 * sits behind its own cockatiel breaker; the states are exposed at GET /providers and as
 * the `tracking_provider_breaker_state` gauge (0 closed, 1 open, 2 half-open, 3 isolated).
 */
export class TrackingProviders {
  private readonly guarded: Guarded[];

  constructor(
    primary: TrackingProvider,
    fallback: TrackingProvider | null,
    options: BreakerOptions,
    registry: Metrics['registry'],
    private readonly log: Logger,
  ) {
    const guard = (provider: TrackingProvider, role: Guarded['role']): Guarded => {
      const breaker = circuitBreaker(
        handleWhen((error) => error instanceof ProviderError && error.kind === 'unavailable'),
        { halfOpenAfter: options.halfOpenAfterMs, breaker: new ConsecutiveBreaker(options.consecutiveFailures) },
      );
      breaker.onStateChange((state) => log.warn({ provider: provider.name, breaker: STATE_NAMES[state] }, 'tracking provider breaker changed state'));
      return { provider, role, breaker };
    };
    this.guarded = [guard(primary, 'primary'), ...(fallback ? [guard(fallback, 'fallback')] : [])];
    registerBreakerGauge(registry, this.guarded);
  }

  states(): Array<{ name: ProviderName; role: 'primary' | 'fallback'; breaker: BreakerState }> {
    return this.guarded.map((g) => ({ name: g.provider.name, role: g.role, breaker: STATE_NAMES[g.breaker.state] }));
  }

  has(name: ProviderName): boolean {
    return this.guarded.some((g) => g.provider.name === name);
  }

  /** Providers in the order to try: `preferred` first (where the number is registered), then the rest. */
  private ordered(preferred?: string | null): Guarded[] {
    return [...this.guarded].sort((a, b) => Number(b.provider.name === preferred) - Number(a.provider.name === preferred));
  }

  /** Runs `call` on each provider in turn until one succeeds. */
  private async firstSuccessful<T>(candidates: Guarded[], call: (g: Guarded) => Promise<T>): Promise<{ provider: ProviderName; value: T }> {
    const failures: Error[] = [];
    for (const candidate of candidates) {
      try {
        const value = await candidate.breaker.execute(() => call(candidate));
        return { provider: candidate.provider.name, value };
      } catch (error) {
        const reason = error instanceof BrokenCircuitError ? new Error(`${candidate.provider.name}: breaker open`) : (error as Error);
        this.log.warn({ provider: candidate.provider.name, err: reason }, 'tracking provider failed; trying the next');
        failures.push(reason);
      }
    }
    throw new ProvidersUnavailableError(failures);
  }

  async register(shipment: ProviderShipment): Promise<{ provider: ProviderName; providerRef: string | null }> {
    const { provider, value } = await this.firstSuccessful(this.guarded, (g) => g.provider.register(shipment));
    return { provider, providerRef: value.providerRef };
  }

  /**
   * The current state from the provider the number is registered with; when that one fails,
   * the number is registered with the next provider (idempotent) and read from there.
   */
  async fetch(shipment: ProviderShipment, registeredWith: string | null): Promise<{ provider: ProviderName; providerRef: string | null; update: TrackingUpdate | null }> {
    const { provider, value } = await this.firstSuccessful(this.ordered(registeredWith), async (g) => {
      if (g.provider.name === registeredWith) return { providerRef: shipment.providerRef, update: await g.provider.fetch(shipment) };
      const { providerRef } = await g.provider.register({ ...shipment, providerRef: null });
      return { providerRef, update: await g.provider.fetch({ ...shipment, providerRef }) };
    });
    return { provider, ...value };
  }

  /** Best effort: a provider that keeps following a finished number only costs quota. */
  async stop(shipment: ProviderShipment, registeredWith: string | null): Promise<void> {
    const guarded = this.guarded.find((g) => g.provider.name === registeredWith);
    if (!guarded) return;
    try {
      await guarded.breaker.execute(() => guarded.provider.stop(shipment));
    } catch (error) {
      this.log.warn({ provider: guarded.provider.name, err: error, trackingNumber: shipment.trackingNumber }, 'could not stop tracking at the provider');
    }
  }
}

/**
 * `tracking_provider_breaker_state{provider}`, read at scrape time. A hand-made gauge on the
 * runtime's registry: prom-client is not a dependency of this app (the registry comes from
 * @platform/runtime), and the registry only needs `get()`.
 */
function registerBreakerGauge(registry: Metrics['registry'], guarded: Guarded[]): void {
  const name = 'tracking_provider_breaker_state';
  const help = 'Circuit breaker state per tracking provider: 0 closed, 1 open, 2 half-open, 3 isolated';
  const gauge = {
    name,
    help,
    type: 'gauge',
    aggregator: 'sum',
    get: async () => ({
      name,
      help,
      type: 'gauge',
      aggregator: 'sum',
      values: guarded.map((g) => ({ labels: { provider: g.provider.name }, value: g.breaker.state as number })),
    }),
    reset: () => {},
  };
  registry.registerMetric(gauge as unknown as Parameters<Metrics['registry']['registerMetric']>[0]);
}
