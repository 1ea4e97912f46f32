// What every view uses: the page's heading and content, actions with the API's refusals shown.
import { announce, h } from './dom.js';

let reload = async () => {};

/** The router, called again after an action so the view shows what changed. */
export function onReload(route) {
  reload = route;
}

export function show(title, ...content) {
  document.title = `${title} · Ops console`;
  document.getElementById('main').replaceChildren(h('h1', { tabindex: '-1' }, title), ...content);
}

/** Runs an action the operator asked for; the API's refusal (problem+json) is shown as it is. */
export async function act(label, work) {
  try {
    await work();
    announce(`${label}: done.`, 'ok');
    await reload();
  } catch (error) {
    announce(`${label} refused: ${error.message}`, 'error');
  }
}

/** A form asking for a reason (and `fields`) before an action: cancel, status change, refuse, refund. */
export function reasonForm(label, fields, submit) {
  return h(
    'form',
    { class: 'inline', onsubmit: (event) => { event.preventDefault(); void act(label, () => submit(new FormData(event.target))); } },
    ...fields,
    h('label', {}, 'Reason ', h('input', { name: 'reason', required: true, maxlength: 500 })),
    h('button', { type: 'submit' }, label),
  );
}

export const orderLink = (id, text) => h('a', { href: `#/orders/${id}` }, text ?? id);

/** Minor units as an amount: `2999, 'EUR'` → `29.99 EUR`. */
export const money = (minor, currency = '') => `${(minor / 100).toFixed(2)} ${currency}`.trim();
