import { describe, expect, it } from 'vitest';
import { afterFailure, automationStepTransitions, SCENARIO_POLICIES, stepsFor } from './automation';

describe('automation steps', () => {
  it('gives a delivered item one step per scenario its SKU names, with the units of the SKU in the shipment', () => {
    const items = [
      { sku: 'SENSOR', quantity: 1 },
      { sku: 'CABLE', quantity: 2 },
      { sku: 'SENSOR', quantity: 2 },
    ];
    const rules = [
      { sku: 'SENSOR', scenario: 'sensor_vendor_first_time' as const },
      { sku: 'SENSOR', scenario: 'sensor_return' as const },
      { sku: 'OTHER', scenario: 'sensor_return' as const },
    ];
    expect(stepsFor(items, rules)).toEqual([
      { sku: 'SENSOR', quantity: 3, scenario: 'sensor_vendor_first_time' },
      { sku: 'SENSOR', quantity: 3, scenario: 'sensor_return' },
    ]);
    expect(stepsFor([{ sku: 'CABLE', quantity: 1 }], rules)).toEqual([]);
  });

  it("retries after the scenario's delay while attempts are left, then fails", () => {
    const policy = SCENARIO_POLICIES.sensor_vendor_replacement;
    const now = new Date('2026-12-03T10:00:00Z');
    expect(afterFailure(policy, policy.maxAttempts - 1, now)).toEqual({ status: 'pending', nextAttemptAt: new Date(now.getTime() + policy.retryDelaySeconds * 1000) });
    expect(afterFailure(policy, policy.maxAttempts, now)).toEqual({ status: 'failed' });
    expect(afterFailure(policy, policy.maxAttempts + 1, now)).toEqual({ status: 'failed' });
  });

  it('ends at succeeded or fallback_triggered; only a failed or pending step can be handed to ops', () => {
    const { canTransition, assertTransition } = automationStepTransitions;
    expect(canTransition('failed', 'pending')).toBe(true);
    expect(canTransition('pending', 'fallback_triggered')).toBe(true);
    expect(canTransition('succeeded', 'pending')).toBe(false);
    expect(canTransition('fallback_triggered', 'pending')).toBe(false);
    expect(() => assertTransition('succeeded', 'fallback_triggered')).toThrow(/succeeded cannot become fallback_triggered/);
  });
});
