import { afterCommit } from '@platform/runtime/transaction-scope';
import type { Logger } from '@platform/runtime/logger';
import { LEAD_TIME_BUCKETS_SECONDS } from '@platform/runtime/metrics';
import { opsTaskSchema } from '@platform/contracts/api/fulfillment';
import { Gauge, Histogram, type Registry } from 'prom-client';
import type { Database } from './database';

/** What ops has to look at: each open ops task kind, and workflows in `failed` (retrying or given up). */
const EXCEPTION_KINDS = [...opsTaskSchema.shape.kind.options, 'workflow_failed'] as const;

/**
 * The fulfillment service's business metrics (docs/metrics.md), in the process's registry. The
 * open exceptions are counted at each scrape (`countOpenExceptions`: by kind, from the database):
 * every replica reports the same figure, so dashboards take `max` of them, never the sum.
 */
export function createBusinessMetrics(registry: Registry, countOpenExceptions: () => Promise<ReadonlyMap<string, number>>, log: Logger) {
  const leadTime = new Histogram({
    name: 'fulfillment_lead_time_seconds',
    help: 'Time from payment (the workflow\'s payment_confirmed) to shipment (the workflow reaching shipped)',
    buckets: LEAD_TIME_BUCKETS_SECONDS,
    registers: [registry],
  });
  new Gauge({
    name: 'fulfillment_exceptions_open',
    help: 'Exceptions waiting for ops, by kind: open ops tasks, and workflows in failed (same on every replica: use max)',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      try {
        const open = await countOpenExceptions();
        for (const kind of EXCEPTION_KINDS) this.set({ kind }, open.get(kind) ?? 0);
      } catch (error) {
        // The scrape goes on with the other metrics; this gauge keeps its last figures.
        log.warn({ err: error }, 'could not count open exceptions for the metrics');
      }
    },
  });
  return {
    /** Observed once `tx` commits: a rolled-back or replayed shipment counts nothing. */
    shipped(tx: object, paidAt: Date, shippedAt: Date): void {
      afterCommit(tx, () => leadTime.observe(Math.max(0, (shippedAt.getTime() - paidAt.getTime()) / 1000)));
    },
  };
}

export type BusinessMetrics = ReturnType<typeof createBusinessMetrics>;

/** Open exceptions by kind: open ops tasks by their kind, and workflows in `failed`. */
export async function openExceptions(db: Database): Promise<Map<string, number>> {
  const rows = await db.$queryRaw<Array<{ kind: string; open: number }>>`
    SELECT kind, count(*)::int AS open FROM ops_tasks WHERE status = 'open' GROUP BY kind
    UNION ALL
    SELECT 'workflow_failed', count(*)::int FROM workflows WHERE state = 'failed'`;
  return new Map(rows.map((row) => [row.kind, row.open]));
}
