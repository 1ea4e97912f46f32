import { describe, expect, it } from 'vitest';
import { parseExposition, sampleValue } from './prometheus-text';

const exposition = `# HELP orders_placed_total Orders placed, by channel
# TYPE orders_placed_total counter
orders_placed_total{channel="api",service="orders"} 3
orders_placed_total{channel="tiktok_shop",service="orders"} 1
fulfillment_lead_time_seconds_bucket{le="+Inf",service="fulfillment"} 2
notes_total{text="say \\"hi\\", then\\nleave"} 1
process_start_time_seconds 1733300000
`;

describe('parseExposition and sampleValue', () => {
  const samples = parseExposition(exposition);

  it('reads each series with its labels, escaped quotes and newlines included', () => {
    expect(samples).toHaveLength(5);
    expect(samples[0]).toEqual({ name: 'orders_placed_total', labels: { channel: 'api', service: 'orders' }, value: 3 });
    expect(samples[3]!.labels.text).toBe('say "hi", then\nleave');
    expect(samples[4]).toEqual({ name: 'process_start_time_seconds', labels: {}, value: 1733300000 });
  });

  it('sums the series whose labels include the ones asked for, 0 for none', () => {
    expect(sampleValue(samples, 'orders_placed_total')).toBe(4);
    expect(sampleValue(samples, 'orders_placed_total', { channel: 'tiktok_shop' })).toBe(1);
    expect(sampleValue(samples, 'fulfillment_lead_time_seconds_bucket', { le: '+Inf' })).toBe(2);
    expect(sampleValue(samples, 'orders_placed_total', { channel: 'phone' })).toBe(0);
  });
});
