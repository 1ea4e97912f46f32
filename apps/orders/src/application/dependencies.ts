import type { Clock } from '@platform/runtime/clock';
import type { Logger } from '@platform/runtime/logger';
import type { BusinessMetrics } from '../adapters/business-metrics';
import type { Database } from '../adapters/database';
import type { SourceLeadTimes } from '../domain/delivery-promise';

/** What the use cases need from the process: its database, time, logs and business metrics (a commit wakes the relay itself: packages/runtime/src/transaction-scope.ts). */
export interface OrdersDeps {
  db: Database;
  clock: Clock;
  log: Logger;
  metrics: BusinessMetrics;
  /** Each source's lead time and origin, for delivery promises (`DELIVERY_SOURCES`). */
  leadTimes: SourceLeadTimes;
}

export const SERVICE = 'orders';
