import { fileURLToPath } from 'node:url';
import type { Order } from '@platform/contracts/api/orders';
import { describe, expect, it } from 'vitest';
import { ORDER_CONFIRMATION, orderConfirmationView } from '../domain/order-confirmation';
import { TemplateRenderer } from './template-renderer';

const renderer = new TemplateRenderer(fileURLToPath(new URL('../../templates', import.meta.url)));

const order: Order = {
  id: '0b5f8a4e-7d0c-4b5e-9a53-2f1f7c1d9e01',
  number: 'ORD-000042',
  status: 'pending',
  fulfillmentStatus: 'not_fulfilled',
  customer: { id: 'c1', email: 'ana@example.com', name: 'Ana <b>', locale: 'es', timezone: 'Europe/Madrid' },
  shippingAddress: { name: 'Ana', line1: 'Calle Mayor 1', city: 'Madrid', postalCode: '28001', country: 'ES' },
  billingAddress: { name: 'Ana', line1: 'Calle Mayor 1', city: 'Madrid', postalCode: '28001', country: 'ES' },
  items: [
    {
      id: '7c7b1a52-1f0e-4a4e-8a9b-3f9b0e2d6c11',
      sku: 'MUG',
      variantId: 'mug-blue',
      name: 'Blue mug',
      quantity: 2,
      unitPrice: 1250,
      lineTotal: 2500,
      vendor: { id: 'acme', type: 'brand' },
      supplierSource: 'own_stock',
      ageRestricted: false,
    },
  ],
  deliveryType: 'standard',
  deliveryWindow: null,
  notes: null,
  ageVerified: false,
  currency: 'EUR',
  totals: { subtotal: 2500, shipping: 499, tax: 0, discount: 0, total: 2999 },
  version: 0,
  createdAt: '2026-11-22T10:00:00.000Z',
  updatedAt: '2026-11-22T10:00:00.000Z',
};

const store = { storeName: 'Shop', supportEmail: 'support@shop.local' };

describe('TemplateRenderer', () => {
  it('renders the order confirmation in the customer locale, HTML and text', () => {
    const message = renderer.render(ORDER_CONFIRMATION, 'es', orderConfirmationView(order, store));
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

  it.each(['en', 'es', 'ro', 'ru'] as const)('has every string of the confirmation in %s', (locale) => {
    const message = renderer.render(ORDER_CONFIRMATION, locale, orderConfirmationView({ ...order, customer: { ...order.customer, locale } }, store));
    expect(message.subject).toContain('ORD-000042');
    expect(message.html).not.toMatch(/\{\{|undefined/);
  });

  it('falls back to English for a locale without strings', () => {
    expect(renderer.render(ORDER_CONFIRMATION, 'fr', orderConfirmationView(order, store)).subject).toBe('Order ORD-000042 confirmed');
  });

  it('refuses an unknown template', () => {
    expect(() => renderer.render('no-such-template', 'en', {})).toThrow(/no template/);
  });
});
