import { afterCommit } from '@platform/runtime/transaction-scope';
import { LEAD_TIME_BUCKETS_SECONDS } from '@platform/runtime/metrics';
import { Histogram, type Registry } from 'prom-client';

/** The tracking service's business metrics (docs/metrics.md), in the process's registry. */
export function createBusinessMetrics(registry: Registry) {
  const deliveryTime = new Histogram({
    name: 'tracking_delivery_time_seconds',
    help: 'Time from shipment (the supplier\'s shipped time) to the carrier\'s delivery scan',
    buckets: LEAD_TIME_BUCKETS_SECONDS,
    registers: [registry],
  });
  return {
    /**
     * Observed once `tx` commits: a rolled-back or replayed delivery counts nothing. The two
     * times come from different parties' clocks: a delivery "before" the shipment counts as 0.
     */
    delivered(tx: object, shippedAt: Date, deliveredAt: Date): void {
      afterCommit(tx, () => deliveryTime.observe(Math.max(0, (deliveredAt.getTime() - shippedAt.getTime()) / 1000)));
    },
  };
}

export type BusinessMetrics = ReturnType<typeof createBusinessMetrics>;
