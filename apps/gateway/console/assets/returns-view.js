// Returns (RMA, docs/requirements.md#returns): the list by status and each step's action. The
// API decides what a return may do next; a step it refuses comes back as its problem's detail.
import { api } from './api.js';
import { h, table, when } from './dom.js';
import { act, orderLink, reasonForm, show } from './view.js';

const STATUSES = ['requested', 'approved', 'refused', 'in_transit', 'received', 'inspected', 'refunded'];

const post = (returnId, step, body) => api(`/ops/returns/${encodeURIComponent(returnId)}/${step}`, { method: 'POST', body });

/** One select per line: how each returned line came back. */
function inspectForm(r) {
  const selects = r.items.map((line, i) =>
    h('label', {}, `${line.sku}${line.variantId ? ` (${line.variantId})` : ''} × ${line.quantity} `,
      h('select', { name: `condition-${i}` }, h('option', { value: 'resellable' }, 'resellable'), h('option', { value: 'damaged' }, 'damaged'))));
  return h('form', {
    class: 'inline',
    'aria-label': `Inspect return ${r.number}`,
    onsubmit: (event) => {
      event.preventDefault();
      const form = new FormData(event.target);
      const items = r.items.map((line, i) => ({ sku: line.sku, variantId: line.variantId, condition: form.get(`condition-${i}`) }));
      void act(`Inspect ${r.number}`, () => post(r.returnId, 'inspect', { items }));
    },
  }, ...selects, h('button', { type: 'submit' }, 'Inspect'));
}

/** What ops may do at this step (the API still has the last word). */
function actions(r) {
  switch (r.status) {
    case 'requested':
      return h('div', { class: 'actions' },
        h('button', { type: 'button', 'aria-label': `Approve return ${r.number}`, onclick: () => act(`Approve ${r.number}`, () => post(r.returnId, 'approve')) }, 'Approve'),
        reasonForm(`Refuse ${r.number}`, [], (form) => post(r.returnId, 'refuse', { reason: form.get('reason') })));
    case 'approved':
    case 'in_transit':
      return h('button', { type: 'button', 'aria-label': `Record return ${r.number} received`, onclick: () => act(`Receive ${r.number}`, () => post(r.returnId, 'receive')) }, 'Received');
    case 'received':
      return inspectForm(r);
    default:
      return '—';
  }
}

const lines = (r) => r.items.map((l) => `${l.sku} × ${l.quantity}${l.condition ? ` (${l.condition}, fee ${(l.restockingFeeBps / 100).toFixed(1)} %)` : ''}`).join('; ');

export async function returnsView(params) {
  const query = new URLSearchParams();
  for (const name of ['status', 'cursor']) if (params.get(name)) query.set(name, params.get(name));
  const page = await api(`/ops/returns?${query}`);
  const status = h('select', { id: 'returns-status', name: 'status' }, h('option', { value: '' }, 'any'), STATUSES.map((s) => h('option', { value: s, selected: params.get('status') === s }, s)));
  show(
    'Returns',
    h('form', {
      class: 'inline',
      onsubmit: (event) => {
        event.preventDefault();
        location.hash = status.value ? `#/returns?status=${status.value}` : '#/returns';
      },
    }, h('label', { for: 'returns-status' }, 'Status '), status, h('button', { type: 'submit' }, 'Filter')),
    table('Returns, newest first', ['Number', 'Order', 'Status', 'Reason', 'Lines', 'Label', 'Updated', 'Action'], page.returns, (r) => [
      r.number, orderLink(r.orderId), r.status, r.refusalReason ? `${r.reason} (refused: ${r.refusalReason})` : r.reason, lines(r),
      r.label ? `${r.label.carrier} ${r.label.trackingNumber}` : '—', when(r.updatedAt), actions(r),
    ]),
    page.nextCursor ? h('p', {}, h('a', { href: `#/returns?${new URLSearchParams({ ...Object.fromEntries(query), cursor: page.nextCursor })}` }, 'Next page')) : null,
  );
}
