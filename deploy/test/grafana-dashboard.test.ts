/**
 * The business dashboard (deploy/grafana/business.json) queries only metrics the services
 * register, and shows every business metric they define: a metric renamed in code without
 * the dashboard (or the other way round) fails here.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '@platform/runtime/logger';
import { createMetrics, type Metrics } from '@platform/runtime/metrics';
import { createBusinessMetrics as billingMetrics } from '../../apps/billing/src/adapters/business-metrics';
import { createBusinessMetrics as fulfillmentMetrics } from '../../apps/fulfillment/src/adapters/business-metrics';
import { createBusinessMetrics as notificationsMetrics } from '../../apps/notifications/src/adapters/business-metrics';
import { createBusinessMetrics as ordersMetrics } from '../../apps/orders/src/adapters/business-metrics';
import { createBusinessMetrics as trackingMetrics } from '../../apps/tracking/src/adapters/business-metrics';
import { readRepoFile } from './platform';

interface Panel {
  title: string;
  type: string;
  targets?: Array<{ expr: string }>;
  panels?: Panel[];
}
const dashboard = JSON.parse(readRepoFile('deploy/grafana/business.json')) as { panels: Panel[] };

type Registry = Metrics['registry'];

/** The series names a registry exposes: a histogram's as Prometheus stores them. */
async function seriesOf(registry: Registry): Promise<string[]> {
  return (await registry.getMetricsAsJSON()).flatMap(({ name, type }) =>
    String(type) === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name],
  );
}

/** The series `define` registers, alone on a registry. */
function seriesDefinedBy(define: (registry: Registry) => void): Promise<string[]> {
  const { registry } = createMetrics('dashboard-test');
  registry.clear();
  define(registry);
  return seriesOf(registry);
}

const log = createLogger('dashboard-test', 'silent');
const business = (
  await Promise.all([
    seriesDefinedBy((r) => ordersMetrics(r)),
    seriesDefinedBy((r) => billingMetrics(r)),
    seriesDefinedBy((r) => fulfillmentMetrics(r, async () => new Map(), log)),
    seriesDefinedBy((r) => trackingMetrics(r)),
    seriesDefinedBy((r) => notificationsMetrics(r)),
  ])
).flat();
/** What every service process exposes besides: the runtime's transport metrics (consumer and outbox lag). */
const runtime = await seriesOf(createMetrics('dashboard-test').registry);

/** PromQL's functions, aggregations and keywords: the other bare words of an expression. */
const PROMQL_WORDS = new Set(['sum', 'max', 'min', 'avg', 'count', 'rate', 'increase', 'histogram_quantile', 'by', 'without', 'on', 'ignoring', 'and', 'or', 'unless']);

/** The metric names an expression selects: words left once label matchers, groupings, ranges and strings are taken out. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, ' ')
    .replace(/\$\w+/g, ' ');
  return [...new Set([...bare.matchAll(/\b[a-zA-Z_:][\w:]*\b/g)].map((m) => m[0]).filter((word) => !PROMQL_WORDS.has(word)))];
}

const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
const queried = new Set(panels.flatMap((panel) => (panel.targets ?? []).flatMap((target) => metricNames(target.expr))));

describe('the business dashboard', () => {
  it('reads the names out of its queries', () => {
    expect(metricNames('histogram_quantile(0.95, sum by (le) (increase(fulfillment_lead_time_seconds_bucket[$window])))')).toEqual(['fulfillment_lead_time_seconds_bucket']);
    expect(metricNames('sum by (channel) (increase(notifications_outcomes_total{outcome=~"sent|failed"}[1h])) / max(outbox_events_pending)')).toEqual([
      'notifications_outcomes_total',
      'outbox_events_pending',
    ]);
  });

  it('queries only metrics the services register', () => {
    expect(queried.size).toBeGreaterThan(0);
    const known = new Set([...business, ...runtime]);
    expect([...queried].filter((name) => !known.has(name))).toEqual([]);
  });

  it('shows every business metric', () => {
    // A histogram is shown through its buckets (quantiles); its sum and count need no panel.
    const shown = business.filter((name) => !/_(sum|count)$/.test(name) || !business.includes(name.replace(/_(sum|count)$/, '_bucket')));
    expect(shown.filter((name) => !queried.has(name))).toEqual([]);
  });

  it('takes max, never a sum, of the figures every replica reads from the database', () => {
    const exprs = panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
    for (const gauge of ['fulfillment_exceptions_open', 'outbox_events_pending', 'outbox_oldest_pending_seconds', 'timers_due', 'timers_oldest_due_seconds', 'consumer_pending_messages']) {
      const uses = exprs.filter((expr) => metricNames(expr).includes(gauge));
      expect(uses.length, gauge).toBeGreaterThan(0);
      for (const expr of uses) expect(expr, gauge).toMatch(new RegExp(`^max by \\([^)]*\\) \\(${gauge}\\)$`));
    }
  });
});
