import { signClickLink } from '@platform/config/click-links';
import { ORDER_LINK_TTL_MS, signOrderLink } from '@platform/config/order-links';

/** The customer's order page, opened from an email without an API key (docs/requirements.md#ntf-01-templates-and-languages). */
export interface OrderLinks {
  /** `${PUBLIC_BASE_URL}/orders/<orderId>?t=<signed token>`, valid ORDER_LINK_TTL_MS from `now`. */
  orderPage(orderId: string, now: Date): string;
  /**
   * `url` as notification `notificationId` carries it: the signed click redirect
   * `${PUBLIC_BASE_URL}/c/<token>` with CLICK_LINK_SECRET set, else `url` itself.
   */
  tracked(notificationId: string, url: string): string;
}

export function orderLinks(publicBaseUrl: string, secret: string, clickSecret?: string): OrderLinks {
  const base = publicBaseUrl.replace(/\/$/, '');
  return {
    orderPage: (orderId, now) => {
      const token = signOrderLink(secret, orderId, new Date(now.getTime() + ORDER_LINK_TTL_MS));
      return `${base}/orders/${encodeURIComponent(orderId)}?t=${encodeURIComponent(token)}`;
    },
    tracked: (notificationId, url) => (clickSecret ? `${base}/c/${signClickLink(clickSecret, notificationId, url)}` : url),
  };
}
