import type { Clock } from '@platform/runtime/clock';
import type { Logger } from '@platform/runtime/logger';
import type { Database } from '../adapters/database';
import type { SourceLeadTimes } from '../domain/delivery-promise';

/** What the use cases need from the process: its database, time, logs and the relay's wake-up. */
export interface OrdersDeps {
  db: Database;
  clock: Clock;
  log: Logger;
  /** Wakes the outbox relay after a commit that recorded events. */
  onEventsRecorded: () => void;
  /** Each source's lead time and origin, for delivery promises (`DELIVERY_SOURCES`). */
  leadTimes: SourceLeadTimes;
}

export const SERVICE = 'orders';
