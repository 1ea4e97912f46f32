import { parseExposition } from '@platform/runtime/prometheus-text';
import { describe, expect, it } from 'vitest';
import { businessSeries } from './business-metrics';

describe('businessSeries', () => {
  it('keeps the business metrics only, sums each series over the services and drops the service label', () => {
    const orders = parseExposition(`orders_placed_total{channel="api",service="orders"} 3
orders_placed_total{channel="tiktok_shop",service="orders"} 1
http_requests_total{service="orders",route="/orders"} 40
outbox_events_pending{service="orders"} 2`);
    // Another service exporting the same series (none does today) would be added in.
    const other = parseExposition(`orders_placed_total{channel="api",service="billing"} 2`);
    const fulfillment = parseExposition(`fulfillment_lead_time_seconds_bucket{le="3600",service="fulfillment"} 1
fulfillment_lead_time_seconds_bucket{le="+Inf",service="fulfillment"} 2
fulfillment_lead_time_seconds_sum{service="fulfillment"} 9000
fulfillment_lead_time_seconds_count{service="fulfillment"} 2
fulfillment_exceptions_open{kind="workflow_failed",service="fulfillment"} 1`);

    expect(businessSeries([orders, other, fulfillment])).toEqual({
      orders_placed_total: [
        { labels: { channel: 'api' }, value: 5 },
        { labels: { channel: 'tiktok_shop' }, value: 1 },
      ],
      fulfillment_lead_time_seconds_bucket: [
        { labels: { le: '3600' }, value: 1 },
        { labels: { le: '+Inf' }, value: 2 },
      ],
      fulfillment_lead_time_seconds_sum: [{ labels: {}, value: 9000 }],
      fulfillment_lead_time_seconds_count: [{ labels: {}, value: 2 }],
      fulfillment_exceptions_open: [{ labels: { kind: 'workflow_failed' }, value: 1 }],
    });
  });
});
