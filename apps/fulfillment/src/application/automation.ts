import { randomUUID } from 'node:crypto';
import { DomainError } from '@platform/contracts/errors';
import { newEvent, recordEvent } from '@platform/runtime/outbox';
import { cancelTimer, scheduleTimer } from '@platform/runtime/timers';
import { AUTOMATION_SCENARIOS, type AutomationScenario, automationStepChanged, type AutomationStepStatus } from '@platform/contracts';
import { type AutomationPayload, automationPayloadSchema, type AutomationStep as AutomationStepView } from '@platform/contracts/api/fulfillment';
import { z } from 'zod';
import type { Transaction } from '../adapters/database';
import { selectAutomationRules } from '../adapters/shipment-rows';
import { afterFailure, automationStepTransitions, SCENARIO_POLICIES, stepsFor } from '../domain/automation';
import type { AutomationStep, OpsTask } from '../generated/prisma/client';
import { type Fulfillment, SERVICE, TIMER_KINDS } from './context';

/**
 * Post-delivery automation steps (FUL-06, docs/requirements.md#ful-06-automation-steps): one
 * durable step per delivered shipment item and scenario, run by the `fulfillment.automation-step`
 * timer against the device/asset system, retried by the scenario's policy, then handed to ops.
 */

const SYSTEM = 'system';
const shipmentItemsSchema = z.array(z.object({ sku: z.string(), quantity: z.number().int().positive() }));

async function lockStep(tx: Transaction, stepId: string): Promise<AutomationStep | null> {
  await tx.$queryRaw`SELECT 1 FROM automation_steps WHERE id = ${stepId}::uuid FOR UPDATE`;
  return tx.automationStep.findUnique({ where: { id: stepId } });
}

async function stepEvent(tx: Transaction, step: AutomationStep, actor: string, opsTaskId: string | null, now: Date): Promise<void> {
  await recordEvent(
    tx,
    newEvent(automationStepChanged, {
      aggregateId: step.orderId,
      source: SERVICE,
      occurredAt: now,
      data: {
        stepId: step.id,
        orderId: step.orderId,
        shipmentId: step.shipmentId,
        sku: step.sku,
        scenario: step.scenario as AutomationScenario,
        status: step.status as AutomationStepStatus,
        attempts: step.attempts,
        maxAttempts: SCENARIO_POLICIES[step.scenario as AutomationScenario].maxAttempts,
        errorMessage: step.errorMessage,
        nextAttemptAt: step.nextAttemptAt?.toISOString() ?? null,
        opsTaskId,
        actor,
        at: now.toISOString(),
      },
    }),
  );
}

const scheduleAttempt = (tx: Transaction, stepId: string, fireAt: Date) => scheduleTimer(tx, { kind: TIMER_KINDS.automationStep, key: stepId, fireAt });

/**
 * A shipment was delivered: creates the steps its items' SKUs call for (`automation_rules`) and
 * schedules their first attempt. A repeated delivery report finds the steps and creates none.
 */
export async function startAutomationSteps(
  tx: Transaction,
  fulfillment: Fulfillment,
  shipment: { id: string; orderId: string; items: unknown; trackingNumber: string | null; deliveredAt: Date | null },
): Promise<void> {
  const shipmentId = shipment.id;
  const items = shipmentItemsSchema.parse(shipment.items);
  const rules = await selectAutomationRules(tx, items.map((i) => i.sku));
  const wanted = stepsFor(items, rules.map((r) => ({ sku: r.sku, scenario: r.scenario as AutomationScenario })));
  if (wanted.length === 0) return;
  const existing = await tx.automationStep.findMany({ where: { shipmentId }, select: { sku: true, scenario: true } });
  const now = fulfillment.clock.now();
  const deliveredAt = (shipment.deliveredAt ?? now).toISOString();
  const missing = wanted.filter(({ sku, scenario }) => !existing.some((e) => e.sku === sku && e.scenario === scenario));
  for (const { sku, quantity, scenario } of missing) {
    // A delivered parcel was handed over, so it has its tracking number.
    const payload: AutomationPayload = { orderId: shipment.orderId, shipmentId, trackingNumber: shipment.trackingNumber!, sku, quantity, deliveredAt };
    const step = await tx.automationStep.create({
      data: { id: randomUUID(), orderId: shipment.orderId, shipmentId, sku, scenario, status: 'pending', nextAttemptAt: now, payload, createdAt: now, updatedAt: now },
    });
    await stepEvent(tx, step, SYSTEM, null, now);
    await scheduleAttempt(tx, step.id, now);
  }
  if (missing.length > 0) fulfillment.log.info({ orderId: shipment.orderId, shipmentId, steps: missing.length }, 'automation steps created');
}

/**
 * The `fulfillment.automation-step` timer: one attempt. `running` (and the attempt count) is
 * committed on its own before the call, so the attempt is visible and counted even if the
 * process dies during it; the timer then fires again and the call is repeated with the same
 * reference, which the device system recognises. The outcome commits with the timer.
 */
export async function runAutomationStep(tx: Transaction, fulfillment: Fulfillment, stepId: string): Promise<void> {
  const attempt = await fulfillment.db.$transaction(async (own) => {
    const step = await lockStep(own, stepId);
    // Succeeded, failed or taken over by ops meanwhile: nothing to do.
    if (!step || (step.status !== 'pending' && step.status !== 'running')) return null;
    const now = fulfillment.clock.now();
    const running = await own.automationStep.update({
      where: { id: stepId },
      data: { status: 'running', attempts: { increment: 1 }, lastAttemptedAt: now, nextAttemptAt: null, updatedAt: now },
    });
    await stepEvent(own, running, SYSTEM, null, now);
    return running;
  });
  if (!attempt) return;
  const scenario = attempt.scenario as AutomationScenario;
  const policy = SCENARIO_POLICIES[scenario];
  const result = await fulfillment.devices.runAutomation({
    reference: attempt.id,
    scenario,
    payload: automationPayloadSchema.parse(attempt.payload),
    timeoutMs: policy.timeoutSeconds * 1000,
  });

  const step = await lockStep(tx, stepId);
  if (step?.status !== 'running' || step.attempts !== attempt.attempts) return;
  const now = fulfillment.clock.now();
  const log = fulfillment.log.child({ orderId: step.orderId, stepId, scenario, attempts: step.attempts });
  if (result.outcome === 'done') {
    const done = await tx.automationStep.update({ where: { id: stepId }, data: { status: 'succeeded', externalId: result.externalId, errorMessage: null, updatedAt: now } });
    const task = await closeStepTask(tx, stepId, 'step_succeeded', SYSTEM, null, now);
    await stepEvent(tx, done, SYSTEM, task?.id ?? null, now);
    log.info('automation step succeeded');
    return;
  }
  const next = afterFailure(policy, step.attempts, now);
  if (next.status === 'pending') {
    const waiting = await tx.automationStep.update({
      where: { id: stepId },
      data: { status: 'pending', errorMessage: result.error, nextAttemptAt: next.nextAttemptAt, updatedAt: now },
    });
    await stepEvent(tx, waiting, SYSTEM, null, now);
    await scheduleAttempt(tx, stepId, next.nextAttemptAt);
    log.warn({ error: result.error, nextAttemptAt: next.nextAttemptAt }, 'automation step attempt failed; will retry');
    return;
  }
  const failed = await tx.automationStep.update({ where: { id: stepId }, data: { status: 'failed', errorMessage: result.error, updatedAt: now } });
  const task = await openStepTask(tx, failed, policy.fallbackDescription, now);
  await stepEvent(tx, failed, SYSTEM, task.id, now);
  log.warn({ error: result.error, taskId: task.id }, 'automation step failed after its last attempt; ops task opened');
}

/** The step's ops task, opened once (a manual retry that fails again finds it still open). */
async function openStepTask(tx: Transaction, step: AutomationStep, fallbackDescription: string, now: Date): Promise<OpsTask> {
  const existing = await tx.opsTask.findUnique({ where: { automationStepId_kind: { automationStepId: step.id, kind: 'automation_step_failed' } } });
  if (existing) return existing;
  return tx.opsTask.create({
    data: {
      id: randomUUID(),
      orderId: step.orderId,
      kind: 'automation_step_failed',
      status: 'open',
      automationStepId: step.id,
      reason: `${step.scenario} for ${step.sku} failed after ${step.attempts} attempts (${step.errorMessage}). Retry it, or: ${fallbackDescription}`,
      createdAt: now,
    },
  });
}

async function closeStepTask(
  tx: Transaction,
  stepId: string,
  outcome: 'step_succeeded' | 'fallback_triggered',
  actor: string,
  note: string | null,
  now: Date,
): Promise<OpsTask | null> {
  const task = await tx.opsTask.findUnique({ where: { automationStepId_kind: { automationStepId: stepId, kind: 'automation_step_failed' } } });
  if (task?.status !== 'open') return null;
  return tx.opsTask.update({ where: { id: task.id }, data: { status: 'resolved', outcome, note, resolvedBy: actor, resolvedAt: now } });
}

async function lockStepOrFail(tx: Transaction, stepId: string): Promise<AutomationStep> {
  const step = await lockStep(tx, stepId);
  if (!step) throw new DomainError('not_found', 'AUTOMATION_STEP_NOT_FOUND', `No automation step ${stepId}`);
  return step;
}

/**
 * `POST /automation-steps/:id/retry`: one more attempt now for a failed step (beyond the
 * scenario's attempts: a failure leaves it failed, its task open). A step already waiting for
 * or making an attempt is answered as it is, so a repeated request changes nothing.
 */
export function retryAutomationStep(fulfillment: Fulfillment, stepId: string, actor: string): Promise<AutomationStepView> {
  return fulfillment.db.$transaction(async (tx) => {
    const step = await lockStepOrFail(tx, stepId);
    if (step.status === 'pending' || step.status === 'running') return automationStepView(step);
    automationStepTransitions.assertTransition(step.status as AutomationStepStatus, 'pending');
    const now = fulfillment.clock.now();
    const waiting = await tx.automationStep.update({ where: { id: stepId }, data: { status: 'pending', nextAttemptAt: now, updatedAt: now } });
    await stepEvent(tx, waiting, actor, null, now);
    await scheduleAttempt(tx, stepId, now);
    fulfillment.log.info({ orderId: step.orderId, stepId, actor }, 'automation step retried by ops');
    return automationStepView(waiting);
  });
}

/**
 * `POST /automation-steps/:id/fallback`: ops does the work by hand (the scenario's fallback):
 * the step ends `fallback_triggered` with the note, a pending attempt is cancelled and the
 * step's task closes. Repeated, it answers the step as it is (the first note stays).
 */
export function triggerAutomationFallback(fulfillment: Fulfillment, stepId: string, input: { note: string; actor: string }): Promise<AutomationStepView> {
  return fulfillment.db.$transaction(async (tx) => {
    const step = await lockStepOrFail(tx, stepId);
    if (step.status === 'fallback_triggered') return automationStepView(step);
    if (step.status === 'running') {
      throw new DomainError('conflict', 'AUTOMATION_STEP_RUNNING', 'An attempt is in progress; try again once it has ended');
    }
    automationStepTransitions.assertTransition(step.status as AutomationStepStatus, 'fallback_triggered');
    const now = fulfillment.clock.now();
    const handled = await tx.automationStep.update({
      where: { id: stepId },
      data: { status: 'fallback_triggered', fallbackTriggeredAt: now, fallbackNote: input.note, nextAttemptAt: null, updatedAt: now },
    });
    await cancelTimer(tx, TIMER_KINDS.automationStep, stepId);
    const task = await closeStepTask(tx, stepId, 'fallback_triggered', input.actor, input.note, now);
    await stepEvent(tx, handled, input.actor, task?.id ?? null, now);
    fulfillment.log.info({ orderId: step.orderId, stepId, actor: input.actor }, 'automation step fallback triggered by ops');
    return automationStepView(handled);
  });
}

export function automationStepView(step: AutomationStep): AutomationStepView {
  const scenario = step.scenario as AutomationScenario;
  const policy = SCENARIO_POLICIES[scenario];
  return {
    id: step.id,
    orderId: step.orderId,
    shipmentId: step.shipmentId,
    sku: step.sku,
    scenario,
    status: step.status as AutomationStepStatus,
    attempts: step.attempts,
    maxAttempts: policy.maxAttempts,
    lastAttemptedAt: step.lastAttemptedAt?.toISOString() ?? null,
    nextAttemptAt: step.nextAttemptAt?.toISOString() ?? null,
    errorMessage: step.errorMessage,
    externalId: step.externalId,
    fallbackTriggeredAt: step.fallbackTriggeredAt?.toISOString() ?? null,
    fallbackNote: step.fallbackNote,
    fallbackDescription: policy.fallbackDescription,
    payload: automationPayloadSchema.parse(step.payload),
    createdAt: step.createdAt.toISOString(),
    updatedAt: step.updatedAt.toISOString(),
  };
}

/** `GET /shipments/:id/automation-steps`. */
export async function shipmentAutomationSteps(fulfillment: Fulfillment, shipmentId: string): Promise<AutomationStepView[]> {
  const shipment = await fulfillment.db.shipment.findUnique({ where: { id: shipmentId }, select: { id: true } });
  if (!shipment) throw new DomainError('not_found', 'SHIPMENT_NOT_FOUND', `No shipment ${shipmentId}`);
  const steps = await fulfillment.db.automationStep.findMany({ where: { shipmentId }, orderBy: [{ createdAt: 'asc' }, { sku: 'asc' }, { scenario: 'asc' }] });
  return steps.map(automationStepView);
}

/** `GET /automation-steps?status=`: the oldest first. */
export async function listAutomationSteps(fulfillment: Fulfillment, query: { status?: AutomationStepStatus; limit: number }): Promise<AutomationStepView[]> {
  const steps = await fulfillment.db.automationStep.findMany({
    where: query.status ? { status: query.status } : {},
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    take: query.limit,
  });
  return steps.map(automationStepView);
}

/** `GET /automation-rules`: every scenario's policy and which SKUs start which scenarios. */
export async function automationConfig(fulfillment: Fulfillment) {
  const rules = await fulfillment.db.automationRule.findMany({ orderBy: [{ sku: 'asc' }, { scenario: 'asc' }] });
  const bySku = new Map<string, AutomationScenario[]>();
  for (const rule of rules) bySku.set(rule.sku, [...(bySku.get(rule.sku) ?? []), rule.scenario as AutomationScenario]);
  return {
    scenarios: AUTOMATION_SCENARIOS.map((scenario) => ({ scenario, ...SCENARIO_POLICIES[scenario] })),
    rules: [...bySku].map(([sku, scenarios]) => ({ sku, scenarios })),
  };
}

/** `PUT /automation-rules/:sku`: the SKU's scenarios from now on (deliveries already handled keep their steps). */
export function setAutomationRule(fulfillment: Fulfillment, sku: string, scenarios: AutomationScenario[]): Promise<{ sku: string; scenarios: AutomationScenario[] }> {
  return fulfillment.db.$transaction(async (tx) => {
    const now = fulfillment.clock.now();
    await tx.automationRule.deleteMany({ where: { sku, scenario: { notIn: scenarios } } });
    await tx.automationRule.createMany({ data: scenarios.map((scenario) => ({ sku, scenario, createdAt: now })), skipDuplicates: true });
    return { sku, scenarios: [...scenarios].sort() };
  });
}
