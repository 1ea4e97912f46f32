import { type AutomationScenario, type AutomationStepStatus } from '@platform/contracts';
import { DomainError } from '@platform/contracts/errors';
import { transitions } from '@platform/contracts/transitions';

/**
 * Post-delivery automation steps (FUL-06, docs/requirements.md#ful-06-automation-steps): the
 * scenarios' retry policies and the step's status table. Policies live in code, reviewed and
 * versioned with the client of the device system whose behaviour they answer; which SKU starts
 * which scenario is catalogue data and lives in the `automation_rules` table, set by ops.
 */
export interface ScenarioPolicy {
  maxAttempts: number;
  retryDelaySeconds: number;
  /** How long one call to the device system may take before it counts as a failed attempt. */
  timeoutSeconds: number;
  /** What ops does by hand once the automation gave up. */
  fallbackDescription: string;
}

export const SCENARIO_POLICIES: Readonly<Record<AutomationScenario, ScenarioPolicy>> = {
  sensor_vendor_first_time: {
    maxAttempts: 5,
    retryDelaySeconds: 300,
    timeoutSeconds: 30,
    fallbackDescription: "Activate the sensor in the brand's device console and link it to the customer's account.",
  },
  sensor_partner_first_time: {
    maxAttempts: 5,
    retryDelaySeconds: 300,
    timeoutSeconds: 30,
    fallbackDescription: "Ask the distributor to activate the sensor and link it to the customer's account.",
  },
  sensor_vendor_replacement: {
    maxAttempts: 3,
    retryDelaySeconds: 600,
    timeoutSeconds: 30,
    fallbackDescription: "Move the old sensor's asset record to the new one in the brand's device console, then retire the old sensor.",
  },
  sensor_partner_replacement: {
    maxAttempts: 3,
    retryDelaySeconds: 600,
    timeoutSeconds: 30,
    fallbackDescription: "Ask the distributor to move the old sensor's asset record to the new one and retire the old sensor.",
  },
  sensor_return: {
    maxAttempts: 3,
    retryDelaySeconds: 900,
    timeoutSeconds: 30,
    fallbackDescription: "Deactivate the returned sensor in the device console and close its asset record.",
  },
};

const STATUS_TABLE = {
  pending: ['running', 'fallback_triggered'],
  running: ['succeeded', 'pending', 'failed', 'running'],
  failed: ['pending', 'fallback_triggered'],
  succeeded: [],
  fallback_triggered: [],
} as const satisfies Record<AutomationStepStatus, readonly AutomationStepStatus[]>;

/** Moves a step may make; `running → running` is an attempt whose outcome was lost (a crash), made again. */
export const automationStepTransitions = transitions<AutomationStepStatus>(
  STATUS_TABLE,
  (from, to) => new DomainError('conflict', 'AUTOMATION_STEP_STATUS', `An automation step that is ${from} cannot become ${to}`),
);

/** A delivered item's steps: one per scenario its SKU's rules name. */
export function stepsFor(
  items: ReadonlyArray<{ sku: string; quantity: number }>,
  rules: ReadonlyArray<{ sku: string; scenario: AutomationScenario }>,
): Array<{ sku: string; quantity: number; scenario: AutomationScenario }> {
  const quantities = new Map<string, number>();
  for (const item of items) quantities.set(item.sku, (quantities.get(item.sku) ?? 0) + item.quantity);
  return rules.flatMap((rule) => {
    const quantity = quantities.get(rule.sku);
    return quantity ? [{ sku: rule.sku, quantity, scenario: rule.scenario }] : [];
  });
}

/** After a failed attempt: another after the scenario's delay while attempts are left, else failed for good. */
export function afterFailure(policy: ScenarioPolicy, attempts: number, now: Date): { status: 'pending'; nextAttemptAt: Date } | { status: 'failed' } {
  if (attempts < policy.maxAttempts) return { status: 'pending', nextAttemptAt: new Date(now.getTime() + policy.retryDelaySeconds * 1000) };
  return { status: 'failed' };
}
