import { randomUUID } from 'node:crypto';
import { notificationSent } from '@platform/contracts';
import { eventually } from '@platform/test-support/eventually';
import { describe, expect, it } from 'vitest';
import { order, recorded, placeAndConfirm, service, sink } from './fixture';

/*
 * The template admin (docs/notification-admin.md): templates stored per template, channel and
 * locale replace the built-in files for the next message planned, versioned and checked on save;
 * previews against a real order; test sends that stay out of the customer's log.
 */

const OPS = { 'x-actor-role': 'admin', 'x-actor': 'admin:key-ana' };
const path = (name: string, channel: string, locale: string) => `/notification-templates/${name}/${channel}/${locale}`;
const save = (url: string, content: Record<string, string>, headers: Record<string, string> = OPS) =>
  service.app.inject({ method: 'PUT', url, headers, payload: { content } });
const emailsTo = (address: string) => eventually(() => Promise.resolve(sink.messages().filter((m) => m.to.includes(address))), (found) => found.length > 0, 20_000);

/** Each test its own template, so saves in one do not change what another renders. */
describe('stored templates', () => {
  it('shows the built-in files until one is stored, then versions every save with its author, newest live', async () => {
    const url = path('order-delivered', 'email', 'ro');
    const builtIn = await service.app.inject({ method: 'GET', url, headers: OPS });
    expect(builtIn.statusCode).toBe(200);
    expect(builtIn.json()).toMatchObject({ name: 'order-delivered', channel: 'email', locale: 'ro', source: 'built-in', version: null, content: { subject: '{{t.subject}}' } });
    expect(builtIn.json().content.html).toContain('{{');

    const first = await save(url, { subject: 'v1 {{orderNumber}}', html: '<p>{{customerName}}</p>', text: '{{customerName}}' });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ source: 'stored', version: 1, author: 'admin:key-ana' });
    const second = await save(url, { subject: 'v2 {{t.subject}}', html: '<p>{{t.heading}}</p>', text: '{{t.heading}}' }, { 'x-actor-role': 'admin', 'x-actor': 'admin:key-bo' });
    expect(second.json()).toMatchObject({ version: 2, author: 'admin:key-bo' });
    expect((await service.app.inject({ method: 'GET', url, headers: OPS })).json()).toMatchObject({ version: 2, content: { subject: 'v2 {{t.subject}}' } });

    const versions = (await service.app.inject({ method: 'GET', url: `${url}/versions`, headers: OPS })).json();
    expect(versions.versions.map((v: { version: number; live: boolean; author: string }) => [v.version, v.live, v.author])).toEqual([
      [2, true, 'admin:key-bo'],
      [1, false, 'admin:key-ana'],
    ]);
    // Version 1 back: saved again, it becomes version 3 and live.
    const restored = await save(url, versions.versions[1].content);
    expect(restored.json()).toMatchObject({ version: 3, content: { subject: 'v1 {{orderNumber}}' } });
  });

  it('refuses a template that does not compile or render against the sample order, naming the field, and unknown keys', async () => {
    const url = path('order-issue', 'email', 'en');
    const unclosed = await save(url, { subject: 'ok', html: '{{#if orderNumber}}<p>open', text: 'ok' });
    expect(unclosed.statusCode).toBe(422);
    expect(unclosed.headers['content-type']).toContain('application/problem+json');
    expect(unclosed.json()).toMatchObject({ code: 'TEMPLATE_INVALID', errors: [expect.objectContaining({ pointer: '/content/html' })] });

    // Strict mode: a name the view does not have is an error, not a blank.
    const unknownName = await save(url, { subject: 'Order {{orderNumbr}}', html: '<p></p>', text: 'x' });
    expect(unknownName.statusCode).toBe(422);
    expect(unknownName.json().errors).toEqual([expect.objectContaining({ pointer: '/content/subject' })]);

    const missing = await save(path('order-issue', 'sms', 'en'), { subject: 'x' });
    expect(missing.statusCode).toBe(422);
    expect(missing.json().errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/content/body', '/content/subject']);

    for (const bad of [path('order-issue', 'email', 'de'), path('order-issue', 'fax', 'en'), path('order-lost', 'email', 'en')]) {
      const refused = await save(bad, { subject: 'x', html: 'x', text: 'x' });
      expect(refused.statusCode).toBe(400);
      expect(refused.headers['content-type']).toContain('application/problem+json');
    }
    // Nothing was stored by the refusals.
    expect((await service.app.inject({ method: 'GET', url: `${url}/versions`, headers: OPS })).json().versions).toEqual([]);
    // A customer's key may not reach it even past the gateway.
    expect((await save(url, { subject: 'x', html: 'x', text: 'x' }, { 'x-actor-role': 'customer', 'x-actor': 'customer:c1' })).statusCode).toBe(403);
  });

  it('changes the next real email of an order in that language, and only in that language', async () => {
    const saved = await save(path('order-confirmation', 'email', 'es'), {
      subject: 'Editado: {{t.subject}}',
      html: '{{#> layout}}<p class="edited">Hola de nuevo {{customerName}}, pedido {{orderNumber}}</p>{{/layout}}',
      text: 'Hola de nuevo {{customerName}}, pedido {{orderNumber}} por {{total}}',
    });
    expect(saved.statusCode, saved.body).toBe(200);

    const es = order('es');
    const en = order('en');
    await Promise.all([placeAndConfirm(es), placeAndConfirm(en)]);
    const [esMail] = await emailsTo(es.customer.email);
    expect(esMail!.subject).toBe(`Editado: Pedido ${es.number} confirmado`);
    expect(esMail!.html).toContain(`<p class="edited">Hola de nuevo Ana García, pedido ${es.number}</p>`);
    expect(esMail!.text).toContain(`Hola de nuevo Ana García, pedido ${es.number} por 17,49`);
    const [enMail] = await emailsTo(en.customer.email);
    expect(enMail!.subject).toBe(`Order ${en.number} confirmed`);
  });

  it('a stored SMS wording replaces the catalogue for that template and locale', async () => {
    const url = path('order-shipped', 'sms', 'es');
    const saved = await save(url, { body: '{{storeName}}: ¡{{orderNumber}} va en camino!{{#if trackingUrl}} {{trackingUrl}}{{/if}}' });
    expect(saved.statusCode, saved.body).toBe(200);
    const preview = await service.app.inject({ method: 'POST', url: `${url}/preview`, headers: OPS, payload: {} });
    expect(preview.json()).toMatchObject({ body: 'Shop: ¡ORD-000123 va en camino! https://shop.example/track/RR123456785CN', subject: null, html: null });
  });
});

describe('preview and test send', () => {
  it("previews against a real order's items and customer, or a draft; an unknown order is 404", async () => {
    const o = order('es');
    await placeAndConfirm(o);
    const url = path('order-status-update', 'email', 'es');
    const live = await service.app.inject({ method: 'POST', url: `${url}/preview`, headers: OPS, payload: { orderId: o.id, status: 'cancelled' } });
    expect(live.statusCode, live.body).toBe(200);
    expect(live.json().subject).toContain(o.number);
    expect(live.json().html).toContain(`https://shop.example/orders/${o.id}?t`);
    expect(live.json().html).toContain('Tu pedido ha sido cancelado');

    const draft = await service.app.inject({
      method: 'POST',
      url: `${url}/preview`,
      headers: OPS,
      payload: { orderId: o.id, content: { subject: 'Borrador {{orderNumber}}', html: '<b>{{shippingAddress.city}}</b>', text: '{{total}}' } },
    });
    expect(draft.json()).toMatchObject({ subject: `Borrador ${o.number}`, html: '<b>Madrid</b>' });
    // Nothing saved by a draft preview.
    expect((await service.app.inject({ method: 'GET', url, headers: OPS })).json().source).toBe('built-in');

    const unknown = await service.app.inject({ method: 'POST', url: `${url}/preview`, headers: OPS, payload: { orderId: randomUUID() } });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'ORDER_NOT_FOUND' });
  });

  it("sends a test to the given address, recorded as a test: not in the order's log, no event", async () => {
    const o = order('en');
    await placeAndConfirm(o);
    const url = path('order-confirmation', 'email', 'en');
    const badAddress = await service.app.inject({ method: 'POST', url: `${url}/test-send`, headers: OPS, payload: { to: '+34600111222' } });
    expect(badAddress.statusCode).toBe(422);
    expect(badAddress.json().errors).toEqual([expect.objectContaining({ pointer: '/to' })]);

    const to = `qa-${randomUUID().slice(0, 8)}@example.com`;
    const sent = await service.app.inject({ method: 'POST', url: `${url}/test-send`, headers: OPS, payload: { to, orderId: o.id } });
    expect(sent.statusCode, sent.body).toBe(202);
    const { notificationId } = sent.json();
    const [mail] = await emailsTo(to);
    expect(mail!.subject).toBe(`Order ${o.number} confirmed`);
    const row = await eventually(() => service.db.notification.findUnique({ where: { id: notificationId } }), (n) => n?.status === 'delivered', 20_000);
    expect(row).toMatchObject({ test: true, recipient: to, orderId: o.id });

    const log = (await service.app.inject({ method: 'GET', url: `/orders/${o.id}/notifications` })).json();
    expect(log.notifications.map((n: { id: string }) => n.id)).not.toContain(notificationId);
    expect((await recorded(notificationSent.type, o.id)).map((d) => d.notificationId)).not.toContain(notificationId);
    // Out of the history, the service's log is its audit trail: who sent which template.
    expect(service.logLines().filter((line) => line.audit === 'template.test-sent' && line.notificationId === notificationId)).toEqual([
      expect.objectContaining({ level: 'info', msg: 'template test send', actor: 'admin:key-ana', name: 'order-confirmation', channel: 'email', locale: 'en' }),
    ]);
  });
});
