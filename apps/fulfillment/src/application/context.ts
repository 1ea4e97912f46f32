import type { Clock } from '@platform/runtime/clock';
import type { Logger } from '@platform/runtime/logger';
import type { Database } from '../adapters/database';
import type { SupplierName } from '@platform/contracts';
import type { SupplierClient } from '../adapters/suppliers/supplier-client';
import { DELAY_TIMER_KINDS, type OrderWorkflow } from '../domain/order-workflow';
import type { PollSchedule } from '../domain/supplier-placement';

export const SERVICE = 'fulfillment';

/** Every durable timer kind this service schedules (key = order id). */
export const TIMER_KINDS = {
  /** The machine's delays. */
  ...DELAY_TIMER_KINDS,
  /** Right after entering processing: reserve, place the supplier orders. */
  placeSupplierOrders: 'fulfillment.place-supplier-orders',
  /** In failed after a refusal, while retryCount < 3: RETRY after 5 min × 2^retryCount. */
  supplierRetry: 'fulfillment.supplier-retry',
  /** While a supplier order is live: SUPPLIER_POLL_INTERVAL_MS, doubling while nothing changes up to SUPPLIER_POLL_MAX_INTERVAL_MS. */
  supplierPoll: 'fulfillment.supplier-poll',
  /** RESERVATION_TTL_MS after reserving: held reservations not yet confirmed are released. */
  reservationExpiry: 'fulfillment.reservation-expiry',
  /** After cancel or failure: cancel the live supplier orders at the suppliers. */
  cancelSupplierOrders: 'fulfillment.cancel-supplier-orders',
} as const;

export interface FulfillmentSettings {
  reservationTtlMs: number;
  supplierPoll: PollSchedule;
}

/** What the use cases share: the database, the clock, the machine, the supplier APIs. */
export interface Fulfillment {
  db: Database;
  clock: Clock;
  log: Logger;
  machine: OrderWorkflow;
  suppliers: Record<SupplierName, SupplierClient>;
  settings: FulfillmentSettings;
}
