import type { Clock } from '@platform/runtime/clock';
import type { Logger } from '@platform/runtime/logger';
import type { SupplierName } from '@platform/contracts';
import { timers } from '@platform/contracts/timers';
import type { BusinessMetrics } from '../adapters/business-metrics';
import type { Database } from '../adapters/database';
import type { DeviceSystem } from '../adapters/devices';
import type { ReturnLabels } from '../adapters/return-labels';
import type { SupplierClient } from '../adapters/suppliers/supplier-client';
import type { OrderWorkflow } from '../domain/order-workflow';
import type { PollSchedule } from '../domain/supplier-placement';

export const SERVICE = 'fulfillment';

/**
 * Every durable timer kind this service schedules (key = order id; a step id for automation steps), by name: the kinds
 * `@platform/contracts/timers` declares for fulfillment, where each is described. The machine's
 * delays are the timers of the same name (`DELAY_NAMES`).
 */
export const TIMER_KINDS = Object.fromEntries(Object.entries(timers.fulfillment).map(([name, timer]) => [name, timer.kind])) as {
  readonly [Name in keyof typeof timers.fulfillment]: (typeof timers.fulfillment)[Name]['kind'];
};

export interface FulfillmentSettings {
  reservationTtlMs: number;
  supplierPoll: PollSchedule;
  /** How long a supplier order may stay unanswered (the machine's `supplierTimeout` too). */
  supplierTimeoutMs: number;
  /** How long after placement a supplier order may go unshipped before ops get a task. */
  supplierShippingDeadlineMs: number;
}

/** What the use cases share: the database, the clock, the machine, the supplier and device systems' and the carrier's label APIs. */
export interface Fulfillment {
  db: Database;
  clock: Clock;
  log: Logger;
  metrics: BusinessMetrics;
  machine: OrderWorkflow;
  suppliers: Record<SupplierName, SupplierClient>;
  devices: DeviceSystem;
  returnLabels: ReturnLabels;
  settings: FulfillmentSettings;
}
