import { DomainError } from '@platform/contracts/errors';
import type { TemplateRenderer } from '../adapters/template-renderer';
import { messageView, type StoreIdentity } from '../domain/message-view';
import { type EmailTemplate, NOTIFIED_STATUSES, planFor } from '../domain/notification-plan';

/** The status each template shows when the preview names none. */
const SAMPLE_STATUS: Record<EmailTemplate, string> = {
  'order-confirmation': 'confirmed',
  'order-shipped': 'shipped',
  'order-delivered': 'delivered',
  'order-issue': 'exception',
  'order-status-update': 'processing',
};

/** A made-up order every template can render; `data` in the request overrides any of its values. */
export function sampleView(locale: string, status: string, store: StoreIdentity) {
  return messageView(
    {
      orderId: '00000000-0000-4000-8000-000000000000',
      number: 'ORD-000123',
      status,
      customerName: 'Ana García',
      total: 3399,
      currency: 'EUR',
      tracking: { number: 'RR123456785CN', carrier: 'China Post' },
      details: status === 'exception' ? 'The supplier could not confirm the order.' : null,
    },
    {
      items: [
        { name: 'Blue mug', quantity: 2, lineTotal: 2500, imageUrl: null },
        { name: 'Earl Grey', quantity: 1, lineTotal: 899, imageUrl: null },
      ],
      totals: { subtotal: 3399, shipping: 0, total: 3399 },
      shippingAddress: { name: 'Ana García', line1: 'Calle Mayor 1', city: 'Madrid', postalCode: '28001', country: 'ES' },
      orderCreatedAt: '2026-11-22T10:00:00.000Z',
    },
    locale,
    store,
  );
}

/** `POST /templates/:name/preview`. */
export function previewTemplate(renderer: TemplateRenderer, store: StoreIdentity, name: EmailTemplate, input: { locale: string; status?: string; data?: Record<string, unknown> }) {
  const status = input.status ?? SAMPLE_STATUS[name];
  if (input.status && planFor(status)?.template !== name) {
    const fitting = NOTIFIED_STATUSES.filter((s) => planFor(s)?.template === name);
    throw new DomainError('unprocessable', 'STATUS_NOT_FOR_TEMPLATE', `Template ${name} is used for ${fitting.join(', ')}, not ${status}`, [
      { pointer: '/status', detail: `must be one of ${fitting.join(', ')}` },
    ]);
  }
  try {
    return renderer.render(name, input.locale, { ...sampleView(input.locale, status, store), ...input.data, status });
  } catch (error) {
    throw new DomainError('unprocessable', 'TEMPLATE_RENDER_FAILED', (error as Error).message);
  }
}
