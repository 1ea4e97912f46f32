// Building the page from data: text always goes in as text, never as HTML.

/** An element: `h('td', { class: 'x' }, 'text', child)`; `on*` attributes become listeners. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** A table with a caption, its header row, and one row per item. */
export function table(caption, columns, items, row) {
  if (items.length === 0) return h('p', { class: 'empty' }, `${caption}: none.`);
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, columns.map((column) => h('th', { scope: 'col' }, column)))),
    h('tbody', {}, items.map((item) => h('tr', {}, row(item).map((cell) => h('td', {}, cell))))),
  );
}

export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');

/** Says something to the operator in the live region (and screen readers). */
export function announce(message, kind = 'info') {
  const status = document.getElementById('status');
  status.className = `status ${kind}`;
  status.textContent = message;
}
