import { ORDER_LINK_TTL_MS, signOrderLink } from '@platform/config/order-links';

/** The customer's order page, opened from an email without an API key (docs/requirements.md#ntf-01-templates-and-languages). */
export interface OrderLinks {
  /** `${PUBLIC_BASE_URL}/orders/<orderId>?t=<signed token>`, valid ORDER_LINK_TTL_MS from `now`. */
  orderPage(orderId: string, now: Date): string;
}

export function orderLinks(publicBaseUrl: string, secret: string): OrderLinks {
  const base = publicBaseUrl.replace(/\/$/, '');
  return {
    orderPage: (orderId, now) => {
      const token = signOrderLink(secret, orderId, new Date(now.getTime() + ORDER_LINK_TTL_MS));
      return `${base}/orders/${encodeURIComponent(orderId)}?t=${encodeURIComponent(token)}`;
    },
  };
}
