// The ops console: one page, views by URL hash, every call to /v1 with the operator's key.
import { api, ApiProblem, session } from './api.js';
import { h, table, when } from './dom.js';
import { metricsView } from './metrics-view.js';
import { returnsView } from './returns-view.js';
import { templatesIndexView, templateView } from './templates-view.js';
import { act, money, onReload, orderLink, reasonForm, show } from './view.js';

const STATUSES = ['pending', 'confirmed', 'processing', 'packed', 'shipped', 'out_for_delivery', 'delivered', 'delayed', 'exception', 'cancelled', 'refunded', 'returned'];
// ------------------------------------------------------------------ sign-in

function signInView(message) {
  document.getElementById('nav').hidden = true;
  document.getElementById('sign-out').hidden = true;
  const key = h('input', { id: 'api-key', name: 'key', type: 'password', autocomplete: 'off', required: true });
  show(
    'Sign in',
    h('p', {}, 'Paste an ops or admin API key. It is kept in this tab only, and sent with every request to the API.'),
    message ? h('p', { class: 'error', role: 'alert' }, message) : null,
    h(
      'form',
      {
        onsubmit: async (event) => {
          event.preventDefault();
          session.signIn(key.value.trim());
          try {
            // An ops route: a customer or vendor key gets the API's 403 here.
            await api('/orders/overview');
            // One rendering: a changed hash renders through the hashchange listener, and two
            // renderings racing could draw Orders over a view opened meanwhile.
            if (location.hash === '#/orders') await route();
            else location.hash = '#/orders';
          } catch (error) {
            session.signOut();
            const refused = error instanceof ApiProblem && error.status === 403;
            signInView(refused ? `This key may not use the console: ${error.message}. An ops or admin key is needed.` : `Sign-in failed: ${error.message}`);
          }
        },
      },
      h('label', { for: 'api-key' }, 'API key'),
      key,
      h('button', { type: 'submit' }, 'Sign in'),
    ),
  );
}

// ------------------------------------------------------------------ (a) orders

/** The search box: an email (has an @) or an order number or its beginning. */
const searchParam = (text) => (text.includes('@') ? 'email' : 'number');

async function ordersView(params) {
  const query = new URLSearchParams();
  for (const name of ['status', 'customerId', 'number', 'email', 'active', 'cursor']) if (params.get(name)) query.set(name, params.get(name));
  query.set('limit', '50');
  const [overview, page] = await Promise.all([api('/orders/overview'), api(`/orders?${query}`)]);
  const counts = Object.entries(overview.byStatus);
  const status = h('select', { id: 'filter-status', name: 'status' }, h('option', { value: '' }, 'any'), STATUSES.map((s) => h('option', { value: s, selected: params.get('status') === s }, s)));
  const customer = h('input', { id: 'filter-customer', name: 'customerId', value: params.get('customerId') ?? '' });
  const search = h('input', { id: 'search', name: 'q', type: 'search', value: params.get('number') ?? params.get('email') ?? '', 'aria-describedby': 'search-hint' });
  const searching = ['number', 'email', 'status', 'customerId'].some((name) => params.get(name));
  show(
    'Orders',
    h('section', { 'aria-labelledby': 'by-status' }, h('h2', { id: 'by-status' }, 'By status'),
      h('ul', { class: 'counts' }, counts.map(([name, n]) => h('li', {}, h('a', { href: `#/orders?status=${name}` }, `${name}: ${n}`))))),
    h('form', {
      class: 'inline',
      role: 'search',
      'aria-label': 'Orders',
      onsubmit: (event) => {
        event.preventDefault();
        const next = new URLSearchParams();
        const text = search.value.trim();
        if (text) next.set(searchParam(text), text);
        if (status.value) next.set('status', status.value);
        if (customer.value.trim()) next.set('customerId', customer.value.trim());
        location.hash = `#/orders?${next}`;
      },
    },
    h('label', { for: 'search' }, 'Order number or email '), search,
    h('label', { for: 'filter-status' }, 'Status '), status,
    h('label', { for: 'filter-customer' }, 'Customer id '), customer,
    h('button', { type: 'submit' }, 'Search'),
    searching ? h('a', { href: '#/orders' }, 'Clear') : null),
    h('p', { id: 'search-hint', class: 'hint' }, 'A whole order number or its beginning (ORD-0001 finds ORD-000100 to ORD-000199), or a customer email (any case).'),
    table(searching ? 'Orders found, newest first' : 'Orders, newest first', ['Number', 'Status', 'Fulfillment', 'Customer', 'Email', 'Total', 'Placed'], page.items, (order) => [
      orderLink(order.id, order.number),
      order.status,
      order.fulfillmentStatus,
      order.customer.id,
      order.customer.email,
      money(order.totals.total, order.currency),
      when(order.createdAt),
    ]),
    page.nextCursor ? h('p', {}, h('a', { href: `#/orders?${new URLSearchParams({ ...Object.fromEntries(query), cursor: page.nextCursor })}` }, 'Next page')) : null,
  );
}

// ------------------------------------------------------------------ (c) one order

async function orderView(id) {
  const [detail, timeline, calls, returns] = await Promise.all([
    api(`/orders/${encodeURIComponent(id)}`),
    api(`/orders/${encodeURIComponent(id)}/timeline`),
    api(`/orders/${encodeURIComponent(id)}/supplier-calls`).catch(() => ({ calls: [] })),
    api(`/orders/${encodeURIComponent(id)}/returns`).catch((error) => ({ error })),
  ]);
  const { order } = detail;
  const statusSelect = h('select', { name: 'status', id: 'new-status' }, STATUSES.map((s) => h('option', { value: s }, s)));
  show(
    `Order ${order.number}`,
    h('dl', { class: 'facts' },
      h('dt', {}, 'Status'), h('dd', {}, order.status),
      h('dt', {}, 'Fulfillment'), h('dd', {}, detail.fulfillment?.state ?? order.fulfillmentStatus),
      h('dt', {}, 'Customer'), h('dd', {}, `${order.customer.id} (${order.customer.email})`),
      h('dt', {}, 'Placed'), h('dd', {}, when(order.createdAt))),
    detail.partial ? h('p', { class: 'error' }, `Partial: ${detail.unavailable.map((u) => `${u.service} (${u.reason})`).join(', ')} did not answer.`) : null,
    h('section', { 'aria-labelledby': 'actions' }, h('h2', { id: 'actions' }, 'Actions'),
      h('button', { type: 'button', onclick: () => act('Retry fulfillment', () => api(`/orders/${id}/fulfillment/retry`, { method: 'POST' })) }, 'Retry fulfillment'),
      reasonForm('Cancel order', [], (form) => api(`/orders/${id}/cancel`, { method: 'POST', body: { reason: form.get('reason') } })),
      reasonForm('Change status', [h('label', { for: 'new-status' }, 'To '), statusSelect], (form) =>
        api(`/orders/${id}/status`, { method: 'POST', body: { status: form.get('status'), reason: form.get('reason') } })),
      reasonForm('Refund', [h('label', { for: 'refund-amount' }, `Amount (${order.currency}) `), h('input', { id: 'refund-amount', name: 'amount', type: 'number', min: '0.01', step: '0.01', required: true })], (form) =>
        api(`/orders/${id}/refunds`, { method: 'POST', body: { amount: Math.round(Number(form.get('amount')) * 100), reason: form.get('reason') } }))),
    h('section', { 'aria-labelledby': 'returns' }, h('h2', { id: 'returns' }, 'Returns'),
      returns.error
        ? h('p', { class: 'error' }, `Returns could not be read: ${returns.error.message}`)
        : table('Returns of this order', ['Number', 'Status', 'Reason', 'Units'], returns.returns, (r) => [
          h('a', { href: `#/returns?status=${r.status}` }, r.number), r.status, r.reason, r.items.reduce((n, line) => n + line.quantity, 0),
        ])),
    h('section', { 'aria-labelledby': 'timeline' }, h('h2', { id: 'timeline' }, 'Timeline'),
      table('Timeline, oldest first', ['When', 'What', 'Details', 'Audience'], timeline.entries, (entry) => [when(entry.at), entry.kind, describe(entry), entry.audience])),
    h('section', { 'aria-labelledby': 'supplier-calls' }, h('h2', { id: 'supplier-calls' }, 'Supplier calls'),
      table('Supplier calls', ['When', 'Supplier', 'Operation', 'Outcome', 'HTTP', 'Error'], calls.calls, (call) => [when(call.createdAt), call.supplier, call.operation, call.outcome, call.httpStatus ?? '—', call.error ?? ''])),
    h('section', { 'aria-labelledby': 'notifications' }, h('h2', { id: 'notifications' }, 'Notifications'),
      table('Notifications', ['When', 'Notice', 'Channel', 'Recipient', 'Status', 'Error'], detail.notifications?.notifications ?? [], (n) => [when(n.createdAt), n.notice, n.channel, n.recipient, n.status, n.lastError ?? ''])),
    h('section', { 'aria-labelledby': 'payments' }, h('h2', { id: 'payments' }, 'Payments'),
      table('Payments', ['Status', 'Amount', 'Refunded', 'Provider'], detail.billing?.payments ?? [], (p) => [p.status, money(p.amount, p.currency), money(p.amountRefunded), p.provider])),
  );
}

/** The entry's own fields besides the common ones, as text. */
function describe(entry) {
  const { id, orderId, at, audience, kind, ...rest } = entry;
  return Object.entries(rest).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ');
}

// ------------------------------------------------------------------ (b) exceptions

async function exceptionsView() {
  const [tasks, delayed, failed, exceptions] = await Promise.all([
    api('/ops/tasks'),
    api('/ops/orders/delayed'),
    api('/automation-steps?status=failed'),
    api('/orders?status=exception&limit=50'),
  ]);
  show(
    'Exceptions',
    h('section', { 'aria-labelledby': 'tasks' }, h('h2', { id: 'tasks' }, 'Open ops tasks'),
      table('Open ops tasks (supplier cancellations, supplier orders overdue for shipping, failed automation)', ['Order', 'Kind', 'Supplier', 'Reason', 'Opened', 'Action'], tasks.tasks, (task) => [
        orderLink(task.orderId), task.kind, task.supplier ?? '—', task.reason, when(task.createdAt),
        task.kind === 'supplier_overdue'
          ? h('button', { type: 'button', onclick: () => act('Mark handled', () => api(`/ops/tasks/${task.id}/resolve`, { method: 'POST', body: { outcome: 'handled_by_ops' } })) }, 'Mark handled')
          : h('button', { type: 'button', onclick: () => act('Retry fulfillment', () => api(`/orders/${task.orderId}/fulfillment/retry`, { method: 'POST' })) }, 'Retry fulfillment'),
      ])),
    h('section', { 'aria-labelledby': 'exception-orders' }, h('h2', { id: 'exception-orders' }, 'Orders in exception (failed fulfillment, payment problems)'),
      table('Orders in exception', ['Order', 'Customer', 'Placed', 'Action'], exceptions.items, (order) => [
        orderLink(order.id, order.number), order.customer.id, when(order.createdAt),
        h('button', { type: 'button', onclick: () => act('Retry fulfillment', () => api(`/orders/${order.id}/fulfillment/retry`, { method: 'POST' })) }, 'Retry fulfillment'),
      ])),
    h('section', { 'aria-labelledby': 'delayed' }, h('h2', { id: 'delayed' }, 'Delayed orders'),
      table('Delayed orders, longest late first', ['Order', 'Status', 'Customer', 'Tracking'], delayed.items, (order) => [
        orderLink(order.orderId, order.number), order.status, order.customerId, order.tracking ? `${order.tracking.number} (${order.tracking.carrier ?? '?'})` : '—',
      ])),
    h('section', { 'aria-labelledby': 'automation' }, h('h2', { id: 'automation' }, 'Failed automation steps'),
      table('Failed automation steps', ['Order', 'Scenario', 'Attempts', 'Error', 'Action'], failed.steps, (step) => [
        orderLink(step.orderId), step.scenario, `${step.attempts}/${step.maxAttempts}`, step.errorMessage ?? '',
        h('button', { type: 'button', onclick: () => act('Retry step', () => api(`/automation-steps/${step.id}/retry`, { method: 'POST' })) }, 'Retry step'),
      ])),
  );
}

// ------------------------------------------------------------------ (d) dead letters

async function deadLettersView() {
  const { services } = await api('/ops/dead-letters');
  const sections = services.map((service) => {
    if (!service.available) return h('p', { class: 'error' }, `${service.service}: did not answer (${service.error}).`);
    return service.consumers.map((consumer) =>
      h('section', { 'aria-label': consumer.consumer },
        h('h2', {}, `${consumer.consumer} (${consumer.total})`),
        table(`Dead letters of ${consumer.consumer}`, ['Seq', 'When', 'Event', 'Order', 'Reason', 'Deliveries', 'Actions'], consumer.letters, (letter) => [
          String(letter.seq), when(letter.time), letter.eventType ?? letter.originalSubject,
          letter.aggregateId ? orderLink(letter.aggregateId) : '—', letter.reason, letter.deliveries ?? '?',
          h('span', { class: 'actions' },
            h('button', { type: 'button', 'aria-label': `Retry dead letter ${letter.seq}`, onclick: () => act(`Retry dead letter ${letter.seq}`, () => api(`/ops/dead-letters/${consumer.consumer}/${letter.seq}/retry`, { method: 'POST' })) }, 'Retry'),
            h('button', { type: 'button', 'aria-label': `Purge dead letter ${letter.seq}`, onclick: () => confirm(`Purge dead letter ${letter.seq} without retrying it?`) && act(`Purge dead letter ${letter.seq}`, () => api(`/ops/dead-letters/${consumer.consumer}/${letter.seq}`, { method: 'DELETE' })) }, 'Purge')),
        ])));
  });
  show('Dead letters', h('p', {}, 'Events a consumer gave up on. Fix the cause, then retry: the consumer handles the event again, once.'), ...sections.flat());
}

// ------------------------------------------------------------------ (e) timers, (f) lag

async function timersView() {
  const { services } = await api('/ops/timers');
  show(
    'Timers',
    ...services.filter((s) => !s.available).map((s) => h('p', { class: 'error' }, `${s.service}: did not answer (${s.error}).`)),
    table('Pending durable timers of every service, soonest first per service', ['Service', 'Kind', 'Key', 'Fires at', 'Attempts', 'Last error'],
      services.filter((s) => s.available).flatMap((s) => s.timers.map((t) => ({ service: s.service, ...t }))),
      (t) => [t.service, t.kind, t.key, when(t.fireAt), t.attempts, t.lastError ?? '']),
  );
}

async function lagView() {
  const { services } = await api('/ops/lag');
  show(
    'Lag',
    table('Outbox per service', ['Service', 'Unpublished events', 'Oldest waiting (s)'], services, (s) =>
      s.available ? [s.service, s.outbox?.pending ?? '—', s.outbox ? s.outbox.oldestPendingSeconds.toFixed(1) : '—'] : [s.service, 'did not answer', s.error]),
    table('Consumers', ['Service', 'Consumer', 'Stream', 'Pending', 'Ack pending', 'Redelivered'],
      services.filter((s) => s.available).flatMap((s) => s.consumers.map((c) => ({ service: s.service, ...c }))),
      (c) => [c.service, c.consumer, c.stream, c.pending, c.ackPending, c.redelivered]),
  );
}

// ------------------------------------------------------------------ routing

async function route() {
  if (!session.key) return signInView();
  document.getElementById('nav').hidden = false;
  document.getElementById('sign-out').hidden = false;
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  const orderMatch = /^\/orders\/([^/]+)$/.exec(path);
  const templateMatch = /^\/templates\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(path);
  for (const link of document.querySelectorAll('#nav a')) link.toggleAttribute('aria-current', path.startsWith(link.getAttribute('href').slice(1)));
  try {
    if (orderMatch) await orderView(decodeURIComponent(orderMatch[1]));
    else if (path === '/exceptions') await exceptionsView();
    else if (path === '/dead-letters') await deadLettersView();
    else if (path === '/timers') await timersView();
    else if (path === '/lag') await lagView();
    else if (path === '/metrics') await metricsView();
    else if (path === '/returns') await returnsView(params);
    else if (templateMatch) await templateView(...templateMatch.slice(1).map(decodeURIComponent));
    else if (path === '/templates') templatesIndexView();
    else await ordersView(params);
  } catch (error) {
    if (error instanceof ApiProblem && (error.status === 401 || error.status === 403)) {
      session.signOut();
      return signInView(`This key may not use the console: ${error.message}`);
    }
    show('Could not load', h('p', { class: 'error', role: 'alert' }, error.message));
  }
}

onReload(route);
document.getElementById('sign-out').addEventListener('click', () => {
  session.signOut();
  location.hash = '';
  void route();
});
window.addEventListener('hashchange', () => void route());
void route();
