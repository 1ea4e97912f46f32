/**
 * What every `pnpm bench` mode places and how it summarises latencies: the benchmark order (one
 * own-stock item of one vendor, one CJ item of another) and nearest-rank percentiles.
 */
import type { CreateOrderInput } from '@platform/contracts/api/orders';

/** Same body for every phase; only the customer email (the match key) differs. */
export function orderBody(runId: string, tag: string, i: number): CreateOrderInput {
  return {
    customer: {
      id: `bench-${runId}`,
      email: `bench+${runId}-${tag}${i}@example.com`,
      name: 'Bench Customer',
      locale: 'en',
      timezone: 'UTC',
    },
    shippingAddress: {
      name: 'Bench Customer',
      line1: 'Calle de Alcalá 1',
      city: 'Madrid',
      postalCode: '28014',
      country: 'ES',
    },
    items: [
      {
        sku: 'BENCH-TSHIRT',
        variantId: 'BENCH-TSHIRT-M',
        name: 'Benchmark T-shirt',
        quantity: 2,
        unitPrice: 1999,
        vendor: { id: 'bench-brand', type: 'brand' },
        supplierSource: 'own_stock',
        ageRestricted: false,
      },
      {
        sku: 'BENCH-MUG',
        variantId: 'BENCH-MUG-STD',
        name: 'Benchmark mug',
        quantity: 1,
        unitPrice: 1250,
        vendor: { id: 'bench-distributor', type: 'distributor' },
        supplierSource: 'cj',
        ageRestricted: false,
      },
    ],
    deliveryType: 'standard',
    ageVerified: false,
    currency: 'EUR',
  };
}

/** The bench orders are in English: "Order ORD-000123 confirmed". Later status updates go to the same address. */
export const CONFIRMATION_SUBJECT = /\bconfirmed\b/i;

/** The address of a bench order: run id, phase tag, index. */
export const EMAIL_PATTERN = /^bench\+([a-z0-9]+)-([a-z]+)(\d+)@example\.com$/i;

export interface Stats {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Exact nearest-rank percentiles. */
export function stats(samples: readonly number[]): Stats | null {
  if (samples.length === 0) return null;
  const sorted = Float64Array.from(samples).sort();
  const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
  let sum = 0;
  for (const value of sorted) sum += value;
  return { count: sorted.length, p50: at(50), p95: at(95), p99: at(99), max: sorted[sorted.length - 1] ?? NaN, mean: sum / sorted.length };
}

