import type { z } from 'zod';
import type { localeSchema } from '@platform/contracts/primitives';

type Locale = z.infer<typeof localeSchema>;

/*
 * What the payment provider's hosted page shows the customer and where it sends them back
 * (docs/providers/stripe.md): the order by its number (never our id), in the customer's language,
 * and pages for people on the gateway (`/pay/complete`, `/pay/cancelled`), never an API route.
 */

const LINE: Record<Locale, { order: (number: string) => string; topUp: (number: string) => string }> = {
  en: { order: (number) => `Order ${number}`, topUp: (number) => `Order ${number}: additional amount` },
  es: { order: (number) => `Pedido ${number}`, topUp: (number) => `Pedido ${number}: importe adicional` },
  ro: { order: (number) => `Comanda ${number}`, topUp: (number) => `Comanda ${number}: sumă suplimentară` },
  ru: { order: (number) => `Заказ ${number}`, topUp: (number) => `Заказ ${number}: доплата` },
};

/** The line item's product name: what the customer pays for, in their language. */
export function checkoutLineName(kind: 'order' | 'top_up', orderNumber: string, locale: Locale): string {
  const words = LINE[locale];
  return kind === 'order' ? words.order(orderNumber) : words.topUp(orderNumber);
}

/**
 * The gateway's pages the payment page returns to: paid, or given up. With the order's signed link
 * token (`t`, docs/customer-pages.md) they name the order and link to its page.
 */
export function checkoutReturnUrls(publicBaseUrl: string, orderId: string, linkToken?: string): { successUrl: string; cancelUrl: string } {
  const base = publicBaseUrl.replace(/\/$/, '');
  const query = `order=${encodeURIComponent(orderId)}${linkToken ? `&t=${encodeURIComponent(linkToken)}` : ''}`;
  return { successUrl: `${base}/pay/complete?${query}`, cancelUrl: `${base}/pay/cancelled?${query}` };
}
