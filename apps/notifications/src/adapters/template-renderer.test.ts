import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { messageView as statusView, type OrderContextView, type StatusFacts } from '../domain/message-view';
import { emailTemplateNameSchema } from '@platform/contracts/api/notifications';
import { EMAIL_TEMPLATES, NOTICE_KINDS, type NoticeKind, noticePlan, NOTIFIED_STATUSES, planFor } from '../domain/notification-plan';
import { type Notice, noticeView } from '../domain/notices';
import { returnSamples } from '../application/preview';
import { TemplateRenderer } from './template-renderer';

const renderer = new TemplateRenderer(fileURLToPath(new URL('../../templates', import.meta.url)));
const LOCALES = ['en', 'es', 'ro', 'ru'] as const;
const store = { storeName: 'Shop', supportEmail: 'support@shop.local', publicBaseUrl: 'https://shop.example' };
const ORDER_URL = 'https://shop.example/orders/0b5f8a4e-7d0c-4b5e-9a53-2f1f7c1d9e01?t=1893456000.signature';
/** The view as planNotifications hands it to the renderer: with the order page's link. */
const messageView = (...args: Parameters<typeof statusView>) => ({ ...statusView(...args), orderUrl: ORDER_URL });

const context: OrderContextView = {
  items: [
    { name: 'Blue mug', quantity: 2, lineTotal: 2500, imageUrl: null, sku: 'MUG', variantId: 'mug-blue', vendorId: 'acme', unitPrice: 1250 },
    { name: 'Green mug', quantity: 1, lineTotal: 1250, imageUrl: null, sku: 'MUG-G', variantId: 'mug-green', vendorId: 'acme', unitPrice: 1250 },
  ],
  totals: { subtotal: 2500, shipping: 499, total: 2999 },
  shippingAddress: { name: 'Ana', line1: 'Calle Mayor 1', city: 'Madrid', postalCode: '28001', country: 'ES' },
  orderCreatedAt: '2026-11-22T10:00:00.000Z',
};

function facts(status: string, overrides: Partial<StatusFacts> = {}): StatusFacts {
  return {
    orderId: '0b5f8a4e-7d0c-4b5e-9a53-2f1f7c1d9e01',
    number: 'ORD-000042',
    status,
    actor: 'fulfillment',
    customerName: 'Ana <b>',
    total: 2999,
    currency: 'EUR',
    tracking: { number: 'RR123456785CN', carrier: 'china-post' },
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
    expect(message.html).toContain('href="https://shop.example/track/RR123456785CN"');
    expect(message.text).toContain('Carrier: China Post');
  });

  it('words the status update per status', () => {
    const cancelled = renderer.render('order-status-update', 'ru', messageView(facts('cancelled'), context, 'ru', store));
    expect(cancelled.subject).toBe('Ваш заказ ORD-000042 отменён');
    const preparing = renderer.render('order-status-update', 'en', messageView(facts('processing'), context, 'en', store));
    expect(preparing.text).toContain('Your order is being prepared for shipment');
  });

  it('shows the promised delivery on the confirmation when there is one, in every language', () => {
    const promised = { ...context, promisedDelivery: '10–14 December 2026' };
    for (const locale of LOCALES) {
      const email = renderer.render('order-confirmation', locale, messageView(facts('confirmed'), promised, locale, store));
      expect(email.text).toContain('10–14 December 2026');
      expect(email.html).toContain('10–14 December 2026');
      expect(renderer.render('order-confirmation', locale, messageView(facts('confirmed'), context, locale, store)).text).not.toContain('December');
    }
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
    const keys = (section: string, locale: string, view: Record<string, unknown>) => Object.keys(renderer.text(section, locale, view)).sort();
    for (const status of NOTIFIED_STATUSES) {
      for (const section of [planFor(status)!.template, 'sms', 'push']) {
        const view = (locale: string) => messageView(facts(status), context, locale, store);
        for (const locale of LOCALES) expect(keys(section, locale, view(locale)), `${section} for ${status} in ${locale}`).toEqual(keys(section, 'en', view('en')));
      }
    }
    for (const kind of NOTICE_KINDS) {
      for (const section of [noticePlan(kind).template, 'sms', 'push']) {
        const view = (locale: string) => noticeView(notices(kind)[0]!, order, { locale, timezone: 'Europe/Madrid' }, store);
        for (const locale of LOCALES) expect(keys(section, locale, view(locale)), `${section} for ${kind} in ${locale}`).toEqual(keys(section, 'en', view('en')));
      }
    }
  });

  it('has a template for every name the preview accepts, each one planned for a status or a notice', () => {
    expect([...EMAIL_TEMPLATES].sort()).toEqual([...emailTemplateNameSchema.options].sort());
    expect(renderer.templates().sort()).toEqual([...EMAIL_TEMPLATES].sort());
  });

  it('falls back to English for a locale without strings', () => {
    expect(renderer.render('order-confirmation', 'fr', messageView(facts('confirmed'), context, 'fr', store)).subject).toBe('Order ORD-000042 confirmed');
  });

  it('refuses an unknown template, and a status update for a status it has no wording for', () => {
    expect(() => renderer.render('no-such-template', 'en', {})).toThrow(/no template/);
    expect(() => renderer.render('order-status-update', 'en', messageView(facts('shipped'), context, 'en', store))).toThrow(/no subject/);
  });
});

const order = { number: 'ORD-000042', customerName: 'Ana <b>', currency: 'EUR', items: context.items };
const parcel = (number: number) => ({
  shipmentId: `0b5f8a4e-7d0c-4b5e-9a53-2f1f7c1d9e0${number}`,
  number,
  of: 2,
  source: 'aliexpress' as const,
  status: 'in_transit' as const,
  trackingNumber: number === 1 ? 'RR123456785CN' : null,
  carrier: number === 1 ? 'CHINA_POST_REGISTERED' : null,
  items: [{ sku: number === 1 ? 'MUG' : 'MUG-G', vendorId: 'acme', quantity: 1 }],
  shippedAt: '2026-12-01T10:00:00.000Z',
  deliveredAt: null,
});

/** Each kind with what it may lack: a parcel without tracking, a refund that cannot be priced, no date, a substitute the order does not name. */
function notices(kind: NoticeKind): Notice[] {
  switch (kind) {
    case 'parcel_shipped':
    case 'parcel_delivered':
      return [1, 2].map((number) => ({ kind, parcel: parcel(number), count: 2 }));
    case 'items_cancelled':
      return ['MUG', 'UNKNOWN'].map((sku) => ({ kind, cancellationId: '0b5f8a4e-7d0c-4b5e-9a53-2f1f7c1d9e09', items: [{ sku, variantId: 'mug-blue', vendorId: 'acme', quantity: 1 }] }));
    case 'items_backordered':
      return ['2026-12-15T10:00:00.000Z', null].map((expectedAt) => ({ kind, items: [{ sku: 'MUG', vendorId: 'acme', quantity: 1, expectedAt }] }));
    case 'running_late':
      return [
        {
          kind,
          promise: { deliveryType: 'standard', earliest: '2026-12-03T00:00:00.000Z', latest: '2026-12-07T23:59:59.999Z' },
          estimatedDelivery: '2026-12-10T00:00:00.000Z',
          trackingNumber: 'RR123456785CN',
        },
        { kind, promise: null, estimatedDelivery: null, trackingNumber: null },
      ];
    case 'items_substituted':
      return ['MUG-G', 'MUG-XL'].map((substituteSku) => ({ kind, items: [{ sku: 'MUG', substituteSku, vendorId: 'acme', quantity: 1 }] }));
    case 'delay_apology':
      return [
        { kind, campaignId: '0b5f8a4e-7d0c-4b5e-9a53-2f1f7c1d9e10', promise: { deliveryType: 'standard', earliest: '2026-12-03T00:00:00.000Z', latest: '2026-12-07T23:59:59.999Z' } },
        { kind, campaignId: '0b5f8a4e-7d0c-4b5e-9a53-2f1f7c1d9e10', promise: null },
      ];
    case 'return_requested':
    case 'return_approved':
    case 'return_refused':
    case 'return_received':
    case 'return_refunded':
      // The preview's (the integration tests render a return's steps from its events).
      return [returnSamples()[kind]];
  }
}

describe('notices about part of an order', () => {
  const render = (notice: Notice, locale: string) =>
    renderer.render(noticePlan(notice.kind).template, locale, { ...noticeView(notice, order, { locale, timezone: 'Europe/Madrid' }, store), orderUrl: ORDER_URL });

  it('name the parcel and link its own tracking page', () => {
    const [first, second] = notices('parcel_shipped');
    const en = render(first!, 'en');
    expect(en.subject).toBe('Parcel 1 of 2 of your order ORD-000042 has shipped');
    expect(en.html).toContain('href="https://shop.example/track/RR123456785CN"');
    expect(en.text).toContain('Blue mug × 1');
    expect(en.text).not.toContain('Green mug');
    expect(render(first!, 'es').subject).toBe('El paquete 1 de 2 de tu pedido ORD-000042 está en camino');
    // A parcel without a tracking number shows no number and no link.
    const untracked = render(second!, 'en');
    expect(untracked.subject).toContain('Parcel 2 of 2');
    expect(untracked.text).not.toMatch(/Tracking number|Track this parcel/);
  });

  it('tell the refund for items that could not be supplied, or that there will be one', () => {
    const [priced, unpriced] = notices('items_cancelled');
    expect(render(priced!, 'en').text).toContain('You will be refunded €12.50 to your original payment method.');
    expect(render(priced!, 'es').text.replace(/\s/g, ' ')).toContain('Te reembolsaremos 12,50 € en tu método de pago original.');
    expect(render(unpriced!, 'en').text).toContain('You will be refunded for them');
  });

  it('give the expected date of a back order in the customer language, or say it will follow', () => {
    const [dated, undated] = notices('items_backordered');
    expect(render(dated!, 'es').text).toContain('Blue mug × 1: Fecha prevista: 15 de diciembre de 2026');
    expect(render(dated!, 'ru').text).toContain('15 декабря 2026');
    expect(render(undated!, 'en').text).toContain("we'll confirm the date soon");
  });

  it('say which item ships instead, by name when the order has it', () => {
    const [named, unnamed] = notices('items_substituted');
    expect(render(named!, 'en').text).toContain('Green mug × 1 (instead of Blue mug)');
    expect(render(unnamed!, 'es').text).toContain('un artículo equivalente × 1 (en lugar de Blue mug)');
    expect(render(unnamed!, 'es').text).not.toContain('MUG-XL');
  });

  describe.each(LOCALES)('in %s', (locale) => {
    it.each(NOTICE_KINDS)('has every string for %s', (kind) => {
      for (const notice of notices(kind)) {
        const view = { ...noticeView(notice, order, { locale, timezone: 'Europe/Madrid' }, store), orderUrl: ORDER_URL };
        const email = renderer.render(noticePlan(kind).template, locale, view);
        for (const part of [email.subject, email.html, email.text]) expect(part).not.toMatch(/\{\{|\}\}|undefined|null|\[object/);
        expect(email.subject).toContain('ORD-000042');
        expect(email.html).toContain('Ana &lt;b&gt;');
        if (locale !== 'en') expect(email.subject).not.toBe(renderer.render(noticePlan(kind).template, 'en', { ...view, locale: 'en' }).subject);
        // Nothing internal reaches the customer.
        for (const part of [email.subject, email.text]) expect(part).not.toMatch(/fulfil|aliexpress|\bcj\b|spocket|supplier|vendor|acme|sku/i);
        const sms = renderer.text('sms', locale, view);
        const push = renderer.text('push', locale, view);
        expect(sms.body).toContain('ORD-000042');
        expect(push.body).toContain('ORD-000042');
        expect(push.title).toBeTruthy();
        for (const text of [sms.body, push.title, push.body]) expect(text).not.toMatch(/\{\{|\}\}|undefined|null/);
      }
    });
  });
});
