/**
 * What every `pnpm bench` mode places and how it summarises latencies: the benchmark order (one
 * own-stock item of one vendor, one CJ item of another), the stock its own-stock item needs, and
 * nearest-rank percentiles.
 */
import { hubsResponseSchema } from '@platform/contracts/api/fulfillment';
import type { CreateOrderInput } from '@platform/contracts/api/orders';
import type { Got } from 'got';

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

/**
 * Stocks the bench order's own-stock items at every active hub (through the gateway, as an admin
 * would: `PUT /v1/hubs/:id/stock/:sku`) for `orders` more orders: what is reserved stays, and
 * `orders` times the order's quantity is available on top. Without it every bench order fails in
 * fulfillment ("Insufficient stock") and the run measures that failure path rather than an order's.
 * Returns what it did, for the report.
 */
export async function stockBenchItems(gatewayHttp: Got, gateway: string, orders: number): Promise<string> {
  const listed = await gatewayHttp.get(`${gateway}/v1/hubs`, { responseType: 'json' });
  if (listed.statusCode !== 200) throw new Error(`GET /v1/hubs answered ${listed.statusCode}`);
  const hubs = hubsResponseSchema.parse(listed.body).hubs.filter((hub) => hub.active);
  if (hubs.length === 0) throw new Error('no active hub to stock');
  const items = orderBody('stock', 'x', 0).items.filter((item) => item.supplierSource === 'own_stock');
  for (const hub of hubs) {
    for (const item of items) {
      const reserved = hub.stock.find((stock) => stock.sku === item.sku)?.reserved ?? 0;
      const set = await gatewayHttp.put(`${gateway}/v1/hubs/${encodeURIComponent(hub.id)}/stock/${encodeURIComponent(item.sku)}`, {
        json: { onHand: reserved + item.quantity * orders },
      });
      if (set.statusCode !== 200) throw new Error(`PUT /v1/hubs/${hub.id}/stock/${item.sku} answered ${set.statusCode}: ${String(set.body).slice(0, 200)}`);
    }
  }
  return `${items.map((item) => item.sku).join(', ')} available for ${orders} orders at ${hubs.map((hub) => hub.id).join(', ')}`;
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

