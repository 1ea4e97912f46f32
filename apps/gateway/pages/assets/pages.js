// The customer pages' one script (no build step): the key form, the live timeline of the order
// page, and the order link on the payment pages. Reads its strings and ids from the page's
// JSON data block; renders with textContent only.
const data = JSON.parse(document.getElementById('page-data').textContent);
const strings = data.strings;
const KEY_STORE = 'platform.apiKey';

/** A catalogue string with its {{placeholders}} filled in (the page escapes by using textContent). */
function t(key, params = {}) {
  const text = strings[key] ?? strings['status.unknown'];
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name) => String(params[name] ?? ''));
}
const known = (prefix, value) => (value && strings[`${prefix}.${value}`] ? `${prefix}.${value}` : `${prefix}.unknown`);

function money(amount) {
  const format = new Intl.NumberFormat(data.locale, { style: 'currency', currency: amount.currency });
  return format.format(amount.amount / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
}
const dateTime = (iso) => new Intl.DateTimeFormat(data.locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: data.timeZone }).format(new Date(iso));

/** Exchanges the stored key for a link to the order page; the answer's status says whether the key may. */
async function orderLinkFor(orderId, key) {
  const response = await fetch(`/orders/${encodeURIComponent(orderId)}/link`, { method: 'POST', headers: { 'x-api-key': key } });
  if (response.ok) return { url: (await response.json()).url };
  return { refused: [401, 403, 404].includes(response.status) };
}

function keyForm(form) {
  const message = form.querySelector('[data-form-message]');
  const input = form.querySelector('input');
  async function open(key) {
    message.textContent = t('access.opening');
    try {
      const answer = await orderLinkFor(form.dataset.orderId, key);
      if (answer.url) return location.replace(answer.url);
      if (answer.refused) sessionStorage.removeItem(KEY_STORE);
      message.textContent = t(answer.refused ? 'access.refused' : 'access.failed');
    } catch {
      message.textContent = t('access.failed');
    }
    input.focus();
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) return input.focus();
    sessionStorage.setItem(KEY_STORE, key);
    open(key);
  });
  const stored = sessionStorage.getItem(KEY_STORE);
  if (stored) open(stored);
}

function entryText(entry) {
  switch (entry.kind) {
    case 'status':
      return t('timeline.status', { status: t(known('status', entry.status)) });
    case 'payment':
      if (entry.outcome !== 'succeeded') return t('timeline.paymentFailed');
      return entry.amount ? t('timeline.paymentReceived', { amount: money(entry.amount) }) : t('timeline.paymentReceivedPlain');
    case 'refund':
      return t(entry.outcome === 'succeeded' ? 'timeline.refunded' : 'timeline.refundFailed', { amount: money(entry.amount) });
    case 'carrier_scan':
      return t('timeline.scan', { trackingNumber: entry.trackingNumber, status: t(known('scan', entry.status)) });
    case 'return':
      return strings[`timeline.return.${entry.status}`] ? t(`timeline.return.${entry.status}`, { number: entry.number, reason: entry.reason ?? '' }) : null;
    case 'notification': {
      const channel = t(known('channel', entry.channel));
      if (entry.outcome === 'deferred') return entry.until ? t('timeline.deferred', { channel, until: dateTime(entry.until) }) : t('timeline.deferredPlain', { channel });
      // A notice is an order status or a part of the order (`parcel_shipped:<shipment id>`): named by its kind.
      const notice = `notice.${String(entry.notice).split(':')[0]}`;
      if (entry.outcome === 'sent' && strings[notice]) return t('timeline.sentNotice', { notice: t(notice), channel });
      return t(`timeline.${entry.outcome === 'sent' ? 'sent' : entry.outcome === 'suppressed' ? 'suppressed' : 'failed'}`, { channel });
    }
    default:
      // Workflow steps and kinds this page does not know are not for customers.
      return null;
  }
}

function liveTimeline(list) {
  const state = document.querySelector('[data-live-state]');
  const announcer = document.querySelector('[data-announcer]');
  const seen = new Set();
  let loaded = false;
  /** `on`, `reconnecting` (the stream was refused or closed; it is opened again) or `stopped` (the access ran out). */
  let streaming = 'on';
  const showState = () => {
    const live = t({ on: 'order.liveOn', reconnecting: 'order.liveReconnecting', stopped: 'order.liveStopped' }[streaming]);
    state.textContent = list.children.length > 0 ? live : `${t('order.timelineEmpty')} ${live}`;
  };
  const setStreaming = (value) => {
    streaming = value;
    if (loaded) showState();
  };
  const query = `?t=${encodeURIComponent(data.token)}`;
  const base = `/v1/orders/${encodeURIComponent(data.orderId)}`;

  function add(entry, live) {
    if (entry.audience !== 'customer' || seen.has(entry.id)) return;
    const text = entryText(entry);
    if (text === null) return;
    seen.add(entry.id);
    const item = document.createElement('li');
    item.dataset.at = entry.at;
    const time = document.createElement('time');
    time.dateTime = entry.at;
    time.textContent = dateTime(entry.at);
    const body = document.createElement('span');
    body.className = 'entry-text';
    body.textContent = text;
    item.append(time, body);
    if (entry.kind === 'carrier_scan' && entry.location) {
      const place = document.createElement('span');
      place.className = 'entry-place';
      place.textContent = entry.location;
      item.append(place);
    }
    // Newest first: before the first entry that is older.
    const later = [...list.children].find((other) => other.dataset.at < entry.at);
    list.insertBefore(item, later ?? null);
    if (!live) return;
    if (loaded) showState();
    item.classList.add('is-new');
    announcer.textContent = t('order.newUpdate', { text });
    // A badge shows the newest entry by time, whatever order the entries arrive in.
    const badge =
      entry.kind === 'status'
        ? document.querySelector('[data-order-status]')
        : entry.kind === 'carrier_scan' && [...document.querySelectorAll('[data-parcel-status]')].find((element) => element.dataset.parcelStatus === entry.trackingNumber);
    if (badge && !(badge.dataset.at > entry.at)) {
      badge.dataset.at = entry.at;
      badge.textContent = entry.kind === 'status' ? t(known('status', entry.status)) : t(known('scan', entry.status));
    }
  }

  const readTimeline = () => fetch(`${base}/timeline${query}`).then((response) => (response.ok ? response.json() : Promise.reject(new Error(String(response.status)))));

  // The stream opens first, so nothing falls between the history and the live entries (ids dedupe).
  // One the gateway refused or closed (503 while its NATS connection or the stream's start is not
  // ready, "retry after") is opened again after a pause, doubling up to 30 s, and what came
  // meanwhile is read from the timeline. The server's `end`, or a link that ran out, stops it.
  let pauseMs = 1000;
  const follow = (reopened) => {
    const stream = new EventSource(`${base}/live${query}`);
    stream.addEventListener('open', () => {
      pauseMs = 1000;
      setStreaming('on');
      if (reopened) readTimeline().then((missed) => missed.entries.forEach((entry) => add(entry, true)), () => {});
    });
    stream.addEventListener('entry', (event) => add(JSON.parse(event.data), true));
    stream.addEventListener('end', () => {
      stream.close();
      setStreaming('stopped');
    });
    stream.addEventListener('error', () => {
      // A stream still CONNECTING is reconnected by the browser itself, from its last entry.
      if (stream.readyState !== EventSource.CLOSED || streaming === 'stopped') return;
      setStreaming('reconnecting');
      // A link that ran out meanwhile is refused for good: the timeline answers 401 or 403 for it.
      const again = () => readTimeline().then(() => follow(true), (error) => (['401', '403'].includes(error.message) ? setStreaming('stopped') : follow(true)));
      setTimeout(again, pauseMs);
      pauseMs = Math.min(pauseMs * 2, 30000);
    });
  };
  follow(false);

  readTimeline()
    .then((history) => {
      for (const entry of history.entries) add(entry, false);
      loaded = true;
      showState();
    })
    .catch(() => {
      state.textContent = t('order.timelineFailed');
    });
}

async function orderLinkSlot(slot) {
  const key = sessionStorage.getItem(KEY_STORE);
  if (!key) return;
  const answer = await orderLinkFor(slot.dataset.orderId, key).catch(() => ({}));
  if (!answer.url) return;
  const link = document.createElement('a');
  link.className = 'button';
  link.href = answer.url;
  link.textContent = t('pay.orderLinkPlain');
  slot.append(link);
}

const form = document.querySelector('[data-key-form]');
if (form) keyForm(form);
const timeline = document.querySelector('[data-timeline]');
if (timeline) liveTimeline(timeline);
const slot = document.querySelector('[data-order-link-slot]');
if (slot) orderLinkSlot(slot);
