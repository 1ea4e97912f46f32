import { BrokenCircuitError, CircuitState, circuitBreaker, ConsecutiveBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';
import { ProviderError } from './provider-error';

export type Provider = 'smtp' | 'twilio' | 'fcm';

export interface BreakerOptions {
  /** Consecutive failures that open a provider's breaker. */
  threshold: number;
  /** How long an open breaker waits before letting one trial call through (half-open). */
  halfOpenAfterMs: number;
}

/**
 * One circuit breaker per provider (cockatiel), in memory per replica. Only outages count:
 * a permanent refusal of one message (invalid number) says nothing about the provider's health.
 */
export class ProviderBreakers {
  private readonly policies: Record<Provider, CircuitBreakerPolicy>;

  constructor(readonly options: BreakerOptions) {
    const make = () =>
      circuitBreaker(
        handleWhen((error) => !(error instanceof ProviderError && error.permanent)),
        { halfOpenAfter: options.halfOpenAfterMs, breaker: new ConsecutiveBreaker(options.threshold) },
      );
    this.policies = { smtp: make(), twilio: make(), fcm: make() };
  }

  /** Runs `call` through the provider's breaker; rejects with BrokenCircuitError while it is open. */
  execute<T>(provider: Provider, call: () => Promise<T>): Promise<T> {
    return this.policies[provider].execute(call);
  }

  state(provider: Provider): 'closed' | 'open' | 'half_open' | 'isolated' {
    const state = this.policies[provider].state;
    return state === CircuitState.Closed ? 'closed' : state === CircuitState.Open ? 'open' : state === CircuitState.HalfOpen ? 'half_open' : 'isolated';
  }
}

export function isBreakerOpen(error: unknown): boolean {
  return error instanceof BrokenCircuitError;
}
