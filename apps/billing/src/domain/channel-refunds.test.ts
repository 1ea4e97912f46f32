import { describe, expect, it } from 'vitest';
import { type RefundRoute, refundRoute } from './channel-refunds';

describe('who refunds a payment', () => {
  it.each<[string, string, string | null | undefined, RefundRoute]>([
    ['a Stripe payment, whoever cancelled', 'stripe', 'customer:cust-1', 'provider'],
    ['a Stripe payment, even on a channel actor', 'stripe', 'channel:tiktok_shop', 'provider'],
    ['the channel cancelled the order it was paid on', 'tiktok_shop', 'channel:tiktok_shop', 'made_by_channel'],
    ['ops cancelled a channel order', 'tiktok_shop', 'ops:key-1', 'on_channel_required'],
    ['the customer cancelled through our API', 'tiktok_shop', 'customer:tiktok_shop:buyer-1', 'on_channel_required'],
    ['a service cancelled (billing, fulfillment)', 'tiktok_shop', 'fulfillment', 'on_channel_required'],
    ['items cancelled or a lower total (no cancel actor)', 'tiktok_shop', undefined, 'on_channel_required'],
    ['a refund released from a hold kept before the actor was', 'tiktok_shop', null, 'on_channel_required'],
    ['another channel’s actor does not count', 'tiktok_shop', 'channel:amazon', 'on_channel_required'],
  ])('%s', (_case, provider, startedBy, route) => {
    expect(refundRoute(provider, startedBy)).toBe(route);
  });

});
