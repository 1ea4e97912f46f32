import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { messageView, type OrderContextView, type StatusFacts } from '../domain/message-view';
import { EMAIL_TEMPLATES, NOTIFIED_STATUSES, planFor } from '../domain/notification-plan';
import { TemplateRenderer } from './template-renderer';

const renderer = new TemplateRenderer(fileURLToPath(new URL('../../templates', import.meta.url)));
const LOCALES = ['en', 'es', 'ro', 'ru'] as const;
const store = { storeName: 'Shop', supportEmail: 'support@shop.local', publicBaseUrl: 'https://shop.example' };

const context: OrderContextView = {
  items: [{ name: 'Blue mug', quantity: 2, lineTotal: 2500, imageUrl: null }],
  totals: { subtotal: 2500, shipping: 499, total: 2999 },
  shippingAddress: { name: 'Ana', line1: 'Calle Mayor 1', city: 'Madrid', postalCode: '28001', country: 'ES' },
  orderCreatedAt: '2026-11-22T10:00:00.000Z',
};

function facts(status: string, overrides: Partial<StatusFacts> = {}): StatusFacts {
  return {
    orderId: '0b5f8a4e-7d0c-4b5e-9a53-2f1f7c1d9e01',
    number: 'ORD-000042',
    status,
    customerName: 'Ana <b>',
    total: 2999,
    currency: 'EUR',
    tracking: { number: 'RR123456785CN', carrier: 'China Post' },
    details: 'Supplier rejected the order',
    ...overrides,
  };
}

describe('TemplateRenderer', () => {
  it('renders the order confirmation in the customer locale, HTML and text', () => {
    const message = renderer.render('order-confirmation', 'es', messageView(facts('confirmed'), context, 'es', store));
    expect(message.subject).toBe('Pedido ORD-000042 confirmado');
    expect(message.html).toContain('¡Gracias por tu pedido!');
    expect(message.html).toContain('Blue mug');
    expect(message.html).toContain('29,99');
    expect(message.html).toContain('Ana &lt;b&gt;');
    expect(message.text).toContain('Blue mug × 2');
    expect(message.text).toContain('Calle Mayor 1');
    expect(message.text).toContain('Hola Ana <b>,');
    expect(message.text).not.toMatch(/<(div|p|h[1-6])\b/);
  });

  it('renders the confirmation from the status change alone when the order details are unknown', () => {
    const message = renderer.render('order-confirmation', 'en', messageView(facts('confirmed'), null, 'en', store));
    expect(message.text).toContain('Total: €29.99');
    expect(message.text).not.toContain('Subtotal');
    expect(message.html).not.toContain('Shipping address');
  });

  it('links the shipped email to the public tracking page with the carrier', () => {
    const message = renderer.render('order-shipped', 'en', messageView(facts('shipped'), context, 'en', store));
    expect(message.subject).toBe('Your order ORD-000042 is on its way');
    expect(message.html).toContain('href="https://shop.example/v1/tracking/RR123456785CN"');
    expect(message.text).toContain('Carrier: China Post');
  });

  it('words the status update per status', () => {
    const cancelled = renderer.render('order-status-update', 'ru', messageView(facts('cancelled', { details: null }), context, 'ru', store));
    expect(cancelled.subject).toBe('Ваш заказ ORD-000042 отменён');
    const delayed = renderer.render('order-status-update', 'en', messageView(facts('delayed'), context, 'en', store));
    expect(delayed.text).toContain('taking longer than expected');
  });

  // Every template × locale × status it is used for, and the SMS and push texts: all strings
  // present (strict mode throws on a missing one), nothing left unrendered, subjects translated.
  describe.each(LOCALES)('in %s', (locale) => {
    it.each(NOTIFIED_STATUSES)('has every string for %s', (status) => {
      const plan = planFor(status)!;
      for (const variant of [context, null]) {
        const view = messageView(facts(status), variant, locale, store);
        const email = renderer.render(plan.template, locale, view);
        for (const part of [email.subject, email.html, email.text]) {
          expect(part).not.toMatch(/\{\{|\}\}|undefined|\[object/);
        }
        expect(email.subject).toContain('ORD-000042');
        if (locale !== 'en') expect(email.subject).not.toBe(renderer.render(plan.template, 'en', { ...view, locale: 'en' }).subject);
        const sms = renderer.text('sms', locale, view);
        const push = renderer.text('push', locale, view);
        expect(sms.body).toContain('ORD-000042');
        expect(push.body).toContain('ORD-000042');
        expect(push.title).toBeTruthy();
        for (const text of [sms.body, push.title, push.body]) expect(text).not.toMatch(/\{\{|\}\}|undefined/);
      }
    });
  });

  it('has the same string keys in every locale', () => {
    for (const section of [...EMAIL_TEMPLATES, 'sms', 'push']) {
      const keys = (locale: string) => Object.keys(renderer.text(section, locale, { ...messageView(facts('processing'), context, locale, store) })).sort();
      for (const locale of LOCALES) expect(keys(locale), `${section} in ${locale}`).toEqual(keys('en'));
    }
  });

  it('falls back to English for a locale without strings', () => {
    expect(renderer.render('order-confirmation', 'fr', messageView(facts('confirmed'), context, 'fr', store)).subject).toBe('Order ORD-000042 confirmed');
  });

  it('refuses an unknown template, and a status update for a status it has no wording for', () => {
    expect(() => renderer.render('no-such-template', 'en', {})).toThrow(/no template/);
    expect(() => renderer.render('order-status-update', 'en', messageView(facts('shipped'), context, 'en', store))).toThrow(/no subject/);
  });
});
