import { type ClickLink, signClickLink } from '@platform/config/click-links';
import { ORDER_LINK_TTL_MS, signOrderLink } from '@platform/config/order-links';

/** The customer's order page, opened from an email without an API key (docs/requirements.md#ntf-01-templates-and-languages). */
export interface OrderLinks {
  /** `${PUBLIC_BASE_URL}/orders/<orderId>?t=<signed token>`, valid ORDER_LINK_TTL_MS from `now`. */
  orderPage(orderId: string, now: Date): string;
  /**
   * `url` as notification `notificationId`, planned at `now`, carries it: our order or tracking
   * page through the signed click redirect `${PUBLIC_BASE_URL}/c/<token>` when CLICK_LINK_SECRET
   * is set; any other link, or without the secret, `url` itself.
   */
  tracked(notificationId: string, url: string, now: Date): string;
  /** Where a verified click on a link of the order `orderId` leads: the page `tracked` wrapped, as it was then. */
  clickTarget(link: ClickLink, orderId: string): string;
}

export function orderLinks(publicBaseUrl: string, secret: string, clickSecret?: string): OrderLinks {
  const base = publicBaseUrl.replace(/\/$/, '');
  const orderPage = (orderId: string, now: Date) => {
    const token = signOrderLink(secret, orderId, new Date(now.getTime() + ORDER_LINK_TTL_MS));
    return `${base}/orders/${encodeURIComponent(orderId)}?t=${encodeURIComponent(token)}`;
  };
  const trackingPrefix = `${base}/track/`;
  return {
    orderPage,
    tracked: (notificationId, url, now) => {
      if (!clickSecret) return url;
      const target: ClickLink['target'] | null = url.startsWith(`${base}/orders/`)
        ? { kind: 'order' }
        : url.startsWith(trackingPrefix)
          ? { kind: 'tracking', trackingNumber: decodeURIComponent(url.slice(trackingPrefix.length)) }
          : null;
      return target ? `${base}/c/${signClickLink(clickSecret, { notificationId, target, issuedAt: now })}` : url;
    },
    // The order link is signed again for the time the message was planned: it expires when the one it replaced would have.
    clickTarget: (link, orderId) =>
      link.target.kind === 'order' ? orderPage(orderId, link.issuedAt) : `${trackingPrefix}${encodeURIComponent(link.target.trackingNumber)}`,
  };
}
