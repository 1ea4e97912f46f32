import type { SalesChannel as SalesChannelName } from '@platform/contracts';
import type { Address } from '@platform/contracts/primitives';

/**
 * The one port every sales channel's adapter implements (ORD-06): how its webhooks are
 * verified and read, how its orders are pulled, and how a parcel is reported back. The
 * application knows channels only through this; each adapter speaks its channel's API.
 */
export interface SalesChannel {
  readonly name: SalesChannelName;
  /**
   * Verifies a webhook's signature over its exact bytes and reads it: the channel orders it is
   * about (none for a notification we do not act on). Throws `WebhookRejected` for a wrong or
   * missing signature or a body that is not the channel's webhook.
   */
  readWebhook(raw: Buffer, headers: Record<string, string | undefined>): { orderIds: string[] };
  /**
   * The orders' details, as the channel has them now (unknown ids are left out). An order whose
   * detail we cannot read is listed in `unreadable`, so one odd order never hides the others.
   */
  fetchOrders(externalOrderIds: readonly string[]): Promise<{ orders: ChannelOrderDetail[]; unreadable: UnreadableOrder[] }>;
  /**
   * Orders changed at or after `since` (seconds, the channel's clock), oldest change first: about
   * `limit` of them, ending at a whole second (the orders changed in the same second as the
   * limit-th come too, so a pull can go on from the next second); `more` when others remain.
   */
  changedOrders(since: number, limit: number): Promise<{ orders: ChangedOrder[]; more: boolean }>;
  /** Tells the channel a parcel left with these line items: accepted (with the channel's package id) or refused. */
  markShipped(input: ShipmentReport): Promise<{ accepted: true; packageId: string } | { accepted: false; reason: string }>;
}

export interface ChangedOrder {
  externalOrderId: string;
  /** The channel's last change (seconds since the epoch on the channel's clock). */
  updatedAt: number;
}

export interface UnreadableOrder {
  externalOrderId: string;
  reason: string;
}

export class WebhookRejected extends Error {
  constructor(
    message: string,
    readonly kind: 'unauthorized' | 'invalid',
  ) {
    super(message);
    this.name = 'WebhookRejected';
  }
}

/** Where the channel's order stands, in our words: `paid` is paid and awaiting its first shipment. */
export type ChannelOrderState = 'unpaid' | 'on_hold' | 'paid' | 'shipped' | 'delivered' | 'cancelled';

/** One unit as the channel sold it: its line item and prices (minor units). */
export interface ChannelLine {
  lineItemId: string;
  sku: string;
  variantId: string;
  name: string;
  salePrice: number;
  originalPrice: number;
}

/** A channel order, read from its detail: what our order is made from. */
export interface ChannelOrderDetail {
  externalOrderId: string;
  shopId: string;
  state: ChannelOrderState;
  /** The seller ships it (not the channel's own warehouses): only such orders are ours to fulfil. */
  fulfilledBySeller: boolean;
  /** The channel's own status word, kept as it said it. */
  channelStatus: string;
  paidAt: Date | null;
  /** The channel's last change (seconds since the epoch on the channel's clock). */
  updatedAt: number;
  currency: string;
  buyer: { id: string; email: string; name: string; phone?: string | undefined };
  shippingAddress: Address;
  lines: ChannelLine[];
  shippingFee: number;
  tax: number;
  discount: number;
  total: number;
  cancelReason: string | null;
  /** The detail as the channel sent it. */
  raw: unknown;
}

export interface ShipmentReport {
  externalOrderId: string;
  lineItemIds: readonly string[];
  trackingNumber: string;
  /** Our carrier code (CAINIAO, USPS, ...), mapped by the adapter to the channel's provider. */
  carrier: string | null;
}
