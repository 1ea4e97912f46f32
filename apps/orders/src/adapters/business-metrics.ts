import { afterCommit } from '@platform/runtime/transaction-scope';
import { SALES_CHANNELS } from '@platform/contracts';
import { Counter, type Registry } from 'prom-client';

/** Where an order came from: our own API, or a sales channel (contracts' enum). */
export const ORDER_CHANNELS = ['api', ...SALES_CHANNELS] as const;
export type OrderChannel = (typeof ORDER_CHANNELS)[number];

/** The orders service's business metrics (docs/metrics.md), in the process's registry. */
export function createBusinessMetrics(registry: Registry) {
  const ordersPlaced = new Counter({
    name: 'orders_placed_total',
    help: 'Orders placed, by channel (api or a sales channel)',
    labelNames: ['channel'] as const,
    registers: [registry],
  });
  const deliveryPromises = new Counter({
    name: 'orders_delivery_promises_total',
    help: 'Delivered orders by whether their delivery promise was kept (delivered by its latest date) or missed',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  // Every series from the start: rates and ratios read 0, not "no data", before the first order.
  for (const channel of ORDER_CHANNELS) ordersPlaced.inc({ channel }, 0);
  for (const outcome of ['kept', 'missed']) deliveryPromises.inc({ outcome }, 0);
  return {
    /** Counted once `tx` commits: a rolled-back or replayed placement counts nothing. */
    orderPlaced(tx: object, channel: OrderChannel): void {
      afterCommit(tx, () => ordersPlaced.inc({ channel }));
    },
    promiseSettled(tx: object, kept: boolean): void {
      afterCommit(tx, () => deliveryPromises.inc({ outcome: kept ? 'kept' : 'missed' }));
    },
  };
}

export type BusinessMetrics = ReturnType<typeof createBusinessMetrics>;
