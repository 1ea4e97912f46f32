import { SALES_CHANNELS } from '@platform/contracts';

/*
 * Refunds of money a sales channel took (ORD-06: the buyer paid TikTok Shop, not us). We cannot
 * give that money back ourselves: only the channel can. The channel refunds the buyer when IT
 * cancels the order; a cancel, item cancellation or lower total started on our side is never
 * told to the channel, so the buyer has had nothing back yet.
 */

/** Why a refund of a channel's payment waits (the refund's `pendingReason` while `pending`): someone must refund on the channel. */
export const REFUND_ON_CHANNEL_REQUIRED = 'refund_on_channel_required';

export const isSalesChannel = (provider: string): boolean => (SALES_CHANNELS as readonly string[]).includes(provider);

/** The actor orders records on a cancel the channel made (`apps/orders/src/application/channel-orders.ts`). */
export const channelActor = (channel: string): string => `channel:${channel}`;

/**
 * How a refund of a payment made through `provider` happens:
 * - `provider`: we ask the payment provider (Stripe);
 * - `made_by_channel`: the channel that took the money started it (its cancel) and has already
 *   refunded the buyer: recorded as done;
 * - `on_channel_required`: the channel took the money but the refund started on our side (ops
 *   cancel, items cancelled, lower total): nobody has refunded the buyer; it stays pending for
 *   ops to refund on the channel, never reported refunded.
 *
 * `startedBy`: the actor of the cancel that asks for it; absent for refunds that are not a
 * cancel's (items cancelled by fulfillment, a lower total), which are always ours.
 */
export type RefundRoute = 'provider' | 'made_by_channel' | 'on_channel_required';

export function refundRoute(provider: string, startedBy?: string | null): RefundRoute {
  if (!isSalesChannel(provider)) return 'provider';
  return startedBy === channelActor(provider) ? 'made_by_channel' : 'on_channel_required';
}

