import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EventData, orderStatusChanged } from '@platform/contracts';
import { describe, expect, it } from 'vitest';
import { statusChangeOf } from '../application/notifications';
import { CUSTOMER_REASONS } from '../domain/customer-reasons';
import { messageView, type OrderContextView } from '../domain/message-view';
import { NOTICE_KINDS, type NoticeKind, noticePlan, NOTIFIED_STATUSES, planFor } from '../domain/notification-plan';
import { type Notice, noticeView } from '../domain/notices';
import { SHARED_SECTIONS, TemplateRenderer } from './template-renderer';

/*
 * Everything a customer reads is in their language and names nothing internal
 * (docs/requirements.md#ntf-01-templates-and-languages): every string is in every locale's
 * catalogue, the templates hold no words of their own, and what other services say in their
 * own terms (supplier names, error codes, shipping-method codes, ids) never reaches a message.
 */

const directory = fileURLToPath(new URL('../../templates', import.meta.url));
const renderer = new TemplateRenderer(directory);
const LOCALES = ['en', 'es', 'ro', 'ru'] as const;
type Catalogue = Record<string, Record<string, string>>;
const catalogue = (locale: string): Catalogue => JSON.parse(readFileSync(join(directory, 'locales', `${locale}.json`), 'utf8'));
const keysOf = (c: Catalogue) => Object.entries(c).flatMap(([section, strings]) => Object.keys(strings).map((key) => `${section}/${key}`)).sort();

/** Words that are the same in the language as in English; anything else equal to English is untranslated. */
const SAME_AS_ENGLISH: Record<string, string[]> = {
  es: ['order-confirmation/subtotal', 'order-confirmation/total'],
  ro: ['order-confirmation/subtotal', 'order-confirmation/total'],
  ru: [],
};

/** What a template file says on its own once Handlebars expressions, comments, tags and entities are taken out. */
function ownWords(source: string): string[] {
  const bare = source
    .replaceAll(/\{\{!--[\s\S]*?--\}\}/g, ' ')
    .replaceAll(/\{\{[\s\S]*?\}\}/g, ' ')
    .replaceAll(/<[^>]*>/g, ' ')
    .replaceAll(/&[a-z]+;|&#\d+;/gi, ' ');
  return bare.match(/[\p{L}][\p{L}'’-]*/gu) ?? [];
}

const templateFiles = readdirSync(directory, { withFileTypes: true, recursive: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith('.hbs'))
  .map((entry) => join(entry.parentPath, entry.name));

describe('the locale catalogues', () => {
  it.each(LOCALES.filter((locale) => locale !== 'en'))('%s has every string English has, and no other', (locale) => {
    expect(keysOf(catalogue(locale))).toEqual(keysOf(catalogue('en')));
  });

  it.each(LOCALES.filter((locale) => locale !== 'en'))('%s translates every string', (locale) => {
    const english = catalogue('en');
    const own = catalogue(locale);
    const untranslated = keysOf(english).filter((path) => {
      const [section, key] = path.split('/') as [string, string];
      return own[section]?.[key] === english[section]![key] && !SAME_AS_ENGLISH[locale]!.includes(path);
    });
    expect(untranslated).toEqual([]);
  });

  it('has a section for every template and the shared ones, and words for every customer reason', () => {
    expect(Object.keys(catalogue('en')).sort()).toEqual([...renderer.templates(), ...SHARED_SECTIONS].sort());
    expect(Object.keys(catalogue('en').reasons!).sort()).toEqual([...CUSTOMER_REASONS].sort());
  });

  it('holds every string a template asks for', () => {
    const partials = new Map(templateFiles.filter((file) => file.includes('/partials/')).map((file) => [file.replace(/^.*\/|\.hbs$/g, ''), readFileSync(file, 'utf8')]));
    const english = catalogue('en');
    const asked = (source: string, seen = new Set<string>()): string[] => {
      const keys = [...source.matchAll(/(?:\.\.\/)*t\.([A-Za-z]+)/g)].map((m) => m[1]!);
      for (const [, name] of source.matchAll(/\{\{#?>\s*([\w-]+)/g)) {
        if (seen.has(name!) || !partials.has(name!)) continue;
        seen.add(name!);
        keys.push(...asked(partials.get(name!)!, seen));
      }
      return keys;
    };
    for (const template of renderer.templates()) {
      const source = ['html.hbs', 'text.hbs'].map((file) => readFileSync(join(directory, template, file), 'utf8')).join('\n');
      const offered = Object.keys({ ...english.email, ...english[template] }).map((key) => key.split('.')[0]);
      const missing = [...new Set(asked(source))].filter((key) => !offered.includes(key));
      expect(missing, template).toEqual([]);
    }
  });
});

describe('the templates', () => {
  it.each(templateFiles.map((file) => [file.slice(directory.length + 1), file]))('%s holds no words of its own', (_name, file) => {
    expect(ownWords(readFileSync(file, 'utf8'))).toEqual([]);
  });

  it('would catch prose written into a template', () => {
    expect(ownWords('<p title="{{t.title}}">Track {{t.track}} &nbsp; × {{name}}</p><a href="{{orderUrl}}">Ver pedido</a>')).toEqual(['Track', 'Ver', 'pedido']);
  });
});

describe('nothing internal reaches a customer', () => {
  const ORDER_ID = '6f1c2b7e-3a4d-4e5f-8a9b-0c1d2e3f4a5b';
  const store = { storeName: 'Shop', supportEmail: 'support@shop.local', publicBaseUrl: 'https://shop.example' };
  const orderUrl = `https://shop.example/orders/${ORDER_ID}?t=1893456000.signature`;
  const items: OrderContextView['items'] = [
    { name: 'Blue mug', quantity: 2, lineTotal: 2500, imageUrl: null, sku: 'ALX-1005003-MUG', variantId: 'alx-var-77', vendorId: 'vendor-aliexpress-acme', unitPrice: 1250 },
  ];
  const context: OrderContextView = {
    items,
    totals: { subtotal: 2500, shipping: 499, total: 2999 },
    shippingAddress: { name: 'Ana García', line1: 'Calle Mayor 1', city: 'Madrid', postalCode: '28001', country: 'ES' },
    orderCreatedAt: '2026-11-22T10:00:00.000Z',
  };
  /** As orders publishes it: its operators' words in `details`, the supplier's shipping method as the carrier. */
  const event = (status: string): EventData<typeof orderStatusChanged> => ({
    orderId: ORDER_ID,
    number: 'ORD-000042',
    status: status as EventData<typeof orderStatusChanged>['status'],
    previousStatus: 'processing',
    details: 'Supplier rejected the order (aliexpress: SUPPLIER_REJECTED Out of stock); Refunded 2999 EUR via stripe pi_3Nx',
    actor: 'fulfillment',
    customer: { id: 'cust-1', email: 'ana@example.com', name: 'Ana García', locale: 'es', timezone: 'Europe/Madrid' },
    total: 2999,
    currency: 'EUR',
    tracking: { number: 'LP00123456789012', carrier: 'CAINIAO_STANDARD' },
    version: 3,
    changedAt: '2026-11-23T10:00:00.000Z',
  });
  const parcel = (number: number) => ({
    shipmentId: `0b5f8a4e-7d0c-4b5e-9a53-2f1f7c1d9e0${number}`,
    number,
    of: 2,
    source: 'aliexpress' as const,
    status: 'in_transit' as const,
    trackingNumber: 'LP00123456789012',
    carrier: 'ALIEXPRESS_SELECTION_STANDARD',
    items: [{ sku: 'ALX-1005003-MUG', vendorId: 'vendor-aliexpress-acme', quantity: 1 }],
    shippedAt: '2026-12-01T10:00:00.000Z',
    deliveredAt: null,
  });
  const notice = (kind: NoticeKind): Notice => {
    const item = { sku: 'ALX-1005003-MUG', variantId: 'alx-var-77', vendorId: 'vendor-aliexpress-acme', quantity: 1 };
    switch (kind) {
      case 'parcel_shipped':
      case 'parcel_delivered':
        return { kind, parcel: parcel(1), count: 2 };
      case 'items_cancelled':
        return { kind, cancellationId: '0b5f8a4e-7d0c-4b5e-9a53-2f1f7c1d9e09', items: [item] };
      case 'items_backordered':
        return { kind, items: [{ ...item, expectedAt: null }] };
      case 'items_substituted':
        return { kind, items: [{ ...item, substituteSku: 'ALX-1005003-MUG-XL' }] };
      case 'running_late':
        return {
          kind,
          promise: { deliveryType: 'standard', earliest: '2026-12-08T00:00:00.000Z', latest: '2026-12-10T23:59:59.999Z' },
          estimatedDelivery: '2026-12-14T12:00:00.000Z',
          trackingNumber: 'LP00123456789012',
        };
      case 'delay_apology':
        return { kind, campaignId: '6f1c2b7e-1111-4222-8333-944455556666', promise: { deliveryType: 'standard', earliest: '2026-12-08T00:00:00.000Z', latest: '2026-12-10T23:59:59.999Z' } };
      case 'return_refunded':
        return { kind, returnId: '0b5f8a4e-7d0c-4b5e-9a53-2f1f7c1d9e0a', amount: 1062 };
      default:
        return {
          kind,
          rma: {
            returnId: '0b5f8a4e-7d0c-4b5e-9a53-2f1f7c1d9e0a',
            number: 'RMA-000042',
            items: [{ ...item, condition: null, restockingFeeBps: null }],
            label: { carrier: 'CAINIAO_STANDARD', trackingNumber: 'LP00123456789012', labelUrl: 'https://shop.example/labels/RMA-000042.pdf' },
            refusalReason: 'Worn',
          },
        };
    }
  };
  /** Internal names: suppliers, providers, error codes and texts, shipping-method codes, our ids. */
  const INTERNAL = /aliexpress|spocket|cjdropshipping|stripe|supplier|SUPPLIER_REJECTED|CAINIAO_STANDARD|ALIEXPRESS_|ALX-|alx-var|vendor-|pi_3Nx|fulfil|6f1c2b7e|0b5f8a4e|\b2999\b|undefined|null/i;
  /** Links are to our pages (the order page carries the order's id by design); what a customer reads is the rest. */
  const readable = (text: string) => text.replaceAll(/https:\/\/shop\.example\/[^\s"<]*/g, '<link>');

  const messages = (template: string, locale: string, view: Record<string, unknown>) => {
    const email = renderer.render(template, locale, view);
    const sms = renderer.text('sms', locale, view);
    const push = renderer.text('push', locale, view);
    return { subject: email.subject, html: email.html, text: email.text, sms: sms.body, pushTitle: push.title, pushBody: push.body };
  };

  describe.each(LOCALES)('in %s', (locale) => {
    it.each(NOTIFIED_STATUSES)('the %s messages', (status) => {
      const view = { ...messageView(statusChangeOf(event(status)), context, locale, store), orderUrl };
      for (const [part, text] of Object.entries(messages(planFor(status)!.template, locale, view))) expect(readable(text ?? "").match(INTERNAL)?.[0], `${status} ${part}`).toBeUndefined();
    });

    it.each(NOTICE_KINDS)('the %s notice', (kind) => {
      const view = { ...noticeView(notice(kind), { number: 'ORD-000042', customerName: 'Ana García', currency: 'EUR', items }, { locale, timezone: 'Europe/Madrid' }, store), orderUrl };
      for (const [part, text] of Object.entries(messages(noticePlan(kind).template, locale, view))) expect(readable(text ?? "").match(INTERNAL)?.[0], `${kind} ${part}`).toBeUndefined();
    });
  });

  it('would catch an internal name', () => {
    expect(readable(`Proveedor aliexpress, see https://shop.example/orders/${ORDER_ID}?t=x`)).toMatch(INTERNAL);
    expect(readable(`https://shop.example/orders/${ORDER_ID}?t=x`)).not.toMatch(INTERNAL);
  });
});
