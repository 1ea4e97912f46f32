// Stored notification templates (docs/notification-admin.md): what each template, channel and
// locale renders from now, its versions, a draft previewed against a real order, a new version
// saved (admins only: the API refuses an ops key), and a test send.
import { api } from './api.js';
import { announce, h, table, when } from './dom.js';
import { act, show } from './view.js';

const NAMES = ['order-confirmation', 'order-shipped', 'order-delivered', 'order-issue', 'order-status-update', 'parcel-shipped', 'parcel-delivered', 'items-cancelled', 'items-backordered', 'items-substituted', 'order-running-late'];
const LOCALES = ['en', 'es', 'ro', 'ru'];
/** The sources each channel takes. */
const FIELDS = { email: ['subject', 'html', 'text'], sms: ['body'], push: ['title', 'body'] };

const select = (id, values, selected) => h('select', { id, name: id }, values.map((v) => h('option', { value: v, selected: v === selected }, v)));

export function templatesIndexView() {
  const name = select('template-name', NAMES);
  const channel = select('template-channel', Object.keys(FIELDS));
  const locale = select('template-locale', LOCALES);
  show(
    'Templates',
    h('p', {}, 'Every notice has a template per channel and locale: the built-in files, or the newest version saved here.'),
    h('form', { class: 'inline', onsubmit: (event) => { event.preventDefault(); location.hash = `#/templates/${name.value}/${channel.value}/${locale.value}`; } },
      h('label', { for: 'template-name' }, 'Template '), name,
      h('label', { for: 'template-channel' }, 'Channel '), channel,
      h('label', { for: 'template-locale' }, 'Locale '), locale,
      h('button', { type: 'submit' }, 'Open')),
    table('Templates', ['Template', 'Channels (English)'], NAMES, (n) => [n, h('span', { class: 'actions' }, Object.keys(FIELDS).map((c) => h('a', { href: `#/templates/${n}/${c}/en` }, c)))]),
  );
}

/** What a preview renders, as text (the HTML as its source: nothing of it runs here). */
function rendered(result) {
  return h('dl', { class: 'facts' }, Object.entries(result).filter(([, v]) => v !== null).flatMap(([field, v]) => [
    h('dt', {}, field),
    h('dd', {}, field === 'html' ? h('details', {}, h('summary', {}, 'HTML source'), h('pre', {}, v)) : h('pre', {}, v)),
  ]));
}

export async function templateView(name, channel, locale) {
  const path = `/notification-templates/${encodeURIComponent(name)}/${encodeURIComponent(channel)}/${encodeURIComponent(locale)}`;
  const [current, { versions }] = await Promise.all([api(path), api(`${path}/versions`)]);
  const fields = Object.fromEntries((FIELDS[channel] ?? []).map((field) => [field, h('textarea', { id: `field-${field}`, name: field, rows: field === 'html' ? 12 : field === 'text' ? 8 : 2 })]));
  for (const [field, area] of Object.entries(fields)) area.value = current.content[field] ?? '';
  const content = () => Object.fromEntries(Object.entries(fields).map(([field, area]) => [field, area.value]));
  const orderId = h('input', { id: 'preview-order', name: 'orderId', 'aria-describedby': 'preview-order-hint' });
  const preview = h('section', { 'aria-labelledby': 'preview-heading' }, h('h2', { id: 'preview-heading' }, 'Preview'), h('p', { class: 'empty' }, 'Nothing previewed yet.'));
  const onOrder = () => (orderId.value.trim() ? { orderId: orderId.value.trim() } : {});
  const to = h('input', { id: 'test-to', name: 'to', required: true });
  show(
    `Template ${name} · ${channel} · ${locale}`,
    h('p', {}, current.source === 'stored' ? `Live: version ${current.version}, saved by ${current.author} on ${when(current.createdAt)}.` : 'Live: the built-in files (no version saved).'),
    h('form', {
      onsubmit: (event) => {
        event.preventDefault();
        void act('Save new version', () => api(path, { method: 'PUT', body: { content: content() } }));
      },
    },
    Object.entries(fields).map(([field, area]) => h('p', { class: 'field' }, h('label', { for: area.id }, field), area)),
    h('p', { class: 'field' }, h('label', { for: 'preview-order' }, 'Preview against order (id, optional) '), orderId),
    h('p', { id: 'preview-order-hint', class: 'hint' }, 'Without an order, the sample order.'),
    h('div', { class: 'actions' },
      h('button', {
        type: 'button',
        onclick: async () => {
          try {
            const result = await api(`${path}/preview`, { method: 'POST', body: { content: content(), ...onOrder() } });
            preview.replaceChildren(h('h2', { id: 'preview-heading' }, 'Preview'), rendered(result));
            announce('Preview: rendered from the draft.', 'ok');
          } catch (error) {
            announce(`Preview refused: ${error.message}`, 'error');
          }
        },
      }, 'Preview draft'),
      h('button', { type: 'submit' }, 'Save new version'))),
    preview,
    h('section', { 'aria-labelledby': 'test-send' }, h('h2', { id: 'test-send' }, 'Test send (the live version)'),
      h('form', { class: 'inline', onsubmit: (event) => { event.preventDefault(); void act('Test send', () => api(`${path}/test-send`, { method: 'POST', body: { to: to.value.trim(), ...onOrder() } })); } },
        h('label', { for: 'test-to' }, channel === 'email' ? 'Email address ' : channel === 'sms' ? 'Phone number ' : 'Device token '), to,
        h('button', { type: 'submit' }, 'Send test'))),
    h('section', { 'aria-labelledby': 'versions' }, h('h2', { id: 'versions' }, 'Versions'),
      table('Saved versions, newest first', ['Version', 'Author', 'Saved', 'Live'], versions, (v) => [String(v.version), v.author, when(v.createdAt), v.live ? 'live' : ''])),
  );
}
