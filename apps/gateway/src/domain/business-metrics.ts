import { BUSINESS_METRICS } from '@platform/contracts/api/ops';

/** A series and its value, as `parseExposition` (runtime) reads them. */
interface Series {
  labels: Record<string, string>;
  value: number;
}

const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

/** The metric a sample belongs to: its name, less a histogram's suffix. */
function familyOf(name: string): string {
  const suffix = HISTOGRAM_SUFFIXES.find((s) => name.endsWith(s));
  return suffix ? name.slice(0, -suffix.length) : name;
}

/**
 * The business metrics' series over every service's exposition, each summed over the services
 * that export it, with the `service` label dropped: a fact is counted by the one service that
 * owns it (docs/metrics.md), so the sum counts it once.
 */
export function businessSeries(expositions: readonly (Series & { name: string })[][]): Record<string, Series[]> {
  const wanted = new Set<string>(BUSINESS_METRICS);
  const sums = new Map<string, Map<string, Series>>();
  for (const sample of expositions.flat()) {
    if (!wanted.has(familyOf(sample.name))) continue;
    const { service: _service, ...labels } = sample.labels;
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
    const series = sums.get(sample.name) ?? new Map();
    sums.set(sample.name, series);
    const sum = series.get(key);
    if (sum) sum.value += sample.value;
    else series.set(key, { labels, value: sample.value });
  }
  return Object.fromEntries([...sums].map(([name, series]) => [name, [...series.values()]]));
}
