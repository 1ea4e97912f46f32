// The business metrics (docs/metrics.md) as charts: the page samples GET /v1/ops/metrics every
// SAMPLE_MS while it is open and plots rates as the difference between samples.
import uPlot from './uPlot.esm.js';
import { api } from './api.js';
import { h, table } from './dom.js';
import { show } from './view.js';

const SAMPLE_MS = 10_000;
/** An hour of samples, kept for this tab while it is open (other views included). */
const KEEP = 360;
const COLOURS = ['#0b4f9c', '#b35900', '#1b7a2f', '#8a1c7c', '#5a5a5a', '#a40000'];
const samples = [];

/** The sum of a metric's series whose labels include `labels`. */
function value(sample, name, labels = {}) {
  return (sample.series[name] ?? [])
    .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** The values one label takes in a metric's series, sorted. */
function labelValues(sample, name, label) {
  return [...new Set((sample.series[name] ?? []).map((s) => s.labels[label]))].filter(Boolean).sort();
}

/** Per minute between consecutive samples; a counter that went down (its service restarted) starts again from 0. */
function perMinute(name, labels) {
  return samples.map((sample, i) => {
    if (i === 0) return null;
    const now = value(sample, name, labels);
    const before = value(samples[i - 1], name, labels);
    const seconds = (Date.parse(sample.at) - Date.parse(samples[i - 1].at)) / 1000;
    return seconds > 0 ? ((now >= before ? now - before : now) / seconds) * 60 : null;
  });
}

const ratio = (part, whole) => (whole > 0 ? (100 * part) / whole : null);
const percent = (n) => (n === null ? 'no data yet' : `${n.toFixed(1)} %`);

/** A chart over the samples' times, one line per series. */
function timeChart(element, series, yLabel) {
  const xs = samples.map((s) => Date.parse(s.at) / 1000);
  return new uPlot(
    {
      width: Math.max(320, element.clientWidth || 600),
      height: 220,
      series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: true }))],
      axes: [{}, { label: yLabel }],
      scales: { y: { range: (_u, min, max) => [0, Math.max(max ?? 0, 1)] } },
    },
    [xs, ...series.map((s) => s.values)],
    element,
  );
}

const LEAD_TIME_LABELS = { 3600: '≤1 h', 14400: '≤4 h', 43200: '≤12 h', 86400: '≤1 d', 172800: '≤2 d', 259200: '≤3 d', 432000: '≤5 d', 604800: '≤7 d', 864000: '≤10 d', 1209600: '≤14 d', 1814400: '≤21 d', 2592000: '≤30 d', '+Inf': '>30 d' };

/** A histogram's count per bucket (the exposition's buckets are cumulative), in bucket order. */
function histogram(sample, name) {
  const buckets = (sample.series[`${name}_bucket`] ?? [])
    .map((s) => ({ le: s.labels.le, bound: s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), cumulative: s.value }))
    .sort((a, b) => a.bound - b.bound);
  return buckets.map((b, i) => ({ label: LEAD_TIME_LABELS[b.le] ?? `≤${b.le} s`, count: b.cumulative - (i > 0 ? buckets[i - 1].cumulative : 0) }));
}

function barChart(element, bars, label) {
  return new uPlot(
    {
      width: Math.max(320, element.clientWidth || 600),
      height: 220,
      scales: { x: { time: false, range: [-0.5, bars.length - 0.5] }, y: { range: (_u, _min, max) => [0, Math.max(max ?? 0, 1)] } },
      series: [{}, { label, fill: '#0b4f9c99', stroke: '#0b4f9c', paths: uPlot.paths.bars({ size: [0.7, 60] }), points: { show: false } }],
      axes: [{ splits: () => bars.map((_b, i) => i), values: (_u, splits) => splits.map((i) => bars[i]?.label ?? '') }, { label: 'orders' }],
    },
    [bars.map((_b, i) => i), bars.map((b) => b.count)],
    element,
  );
}

/** One chart with its caption, and its figures as text for those who cannot see the chart. */
function figure(id, caption, summary) {
  const plot = h('div', { class: 'chart', role: 'img', 'aria-label': `${caption}: ${summary}` });
  return { plot, element: h('figure', { id }, h('figcaption', {}, h('strong', {}, caption), ` — ${summary}`), plot) };
}

function render() {
  const last = samples.at(-1);
  const channels = labelValues(last, 'orders_placed_total', 'channel');
  const kinds = labelValues(last, 'fulfillment_exceptions_open', 'kind');
  const notifyChannels = labelValues(last, 'notifications_outcomes_total', 'channel');
  const success = (sample, channel) => ratio(
    value(sample, 'notifications_outcomes_total', { channel, outcome: 'sent' }),
    ['sent', 'failed', 'unknown'].reduce((n, outcome) => n + value(sample, 'notifications_outcomes_total', { channel, outcome }), 0),
  );
  const conversion = (sample) => ratio(value(sample, 'billing_payments_total', { provider: 'stripe', outcome: 'succeeded' }), value(sample, 'billing_checkout_sessions_opened_total'));
  const kept = (sample) => ratio(value(sample, 'orders_delivery_promises_total', { outcome: 'kept' }), value(sample, 'orders_delivery_promises_total'));

  const charts = [
    [figure('orders-per-minute', 'Orders per minute, by channel', channels.map((c) => `${c}: ${value(last, 'orders_placed_total', { channel: c })} placed`).join(', ') || 'none'),
      (el) => timeChart(el, channels.map((c) => ({ label: c, values: perMinute('orders_placed_total', { channel: c }) })), 'orders / min')],
    [figure('payment-conversion', 'Payment conversion (Stripe payments over checkouts opened)', percent(conversion(last))),
      (el) => timeChart(el, [{ label: 'conversion %', values: samples.map(conversion) }], '%')],
    [figure('lead-time', 'Lead time, paid → shipped', `${value(last, 'fulfillment_lead_time_seconds_count')} orders shipped`),
      (el) => barChart(el, histogram(last, 'fulfillment_lead_time_seconds'), 'orders shipped')],
    [figure('delivery-time', 'Delivery time, shipped → delivered', `${value(last, 'tracking_delivery_time_seconds_count')} parcels delivered`),
      (el) => barChart(el, histogram(last, 'tracking_delivery_time_seconds'), 'parcels delivered')],
    [figure('promise-kept', 'Delivery promises kept', percent(kept(last))),
      (el) => timeChart(el, [{ label: 'kept %', values: samples.map(kept) }], '%')],
    [figure('exceptions-open', 'Exceptions open, by kind', kinds.map((k) => `${k}: ${value(last, 'fulfillment_exceptions_open', { kind: k })}`).join(', ') || 'none'),
      (el) => timeChart(el, kinds.map((k) => ({ label: k, values: samples.map((s) => value(s, 'fulfillment_exceptions_open', { kind: k })) })), 'open')],
    [figure('notification-success', 'Notification success, by channel (sent over attempted)', notifyChannels.map((c) => `${c}: ${percent(success(last, c))}`).join(', ') || 'none'),
      (el) => timeChart(el, notifyChannels.map((c) => ({ label: c, values: samples.map((s) => success(s, c)) })), '%')],
  ];
  const missing = last.services.filter((s) => !s.available);
  show(
    'Metrics',
    h('p', {}, `Sampled every ${SAMPLE_MS / 1000} s while this page is open (${samples.length} so far); rates are the change between samples. Counters count since each service started.`),
    ...missing.map((s) => h('p', { class: 'error' }, `${s.service}: did not answer (${s.error}); its metrics are missing.`)),
    table('Counts now', ['Metric', 'Series', 'Value'], Object.entries(last.series).flatMap(([name, series]) => series.map((s) => ({ name, ...s }))).filter((s) => !s.name.endsWith('_bucket')),
      (s) => [s.name, Object.entries(s.labels).map(([k, v]) => `${k}=${v}`).join(', ') || '—', String(s.value)]),
    h('div', { class: 'charts' }, charts.map(([f]) => f.element)),
  );
  for (const [f, draw] of charts) draw(f.plot);
}

async function sample() {
  samples.push(await api('/ops/metrics'));
  if (samples.length > KEEP) samples.shift();
}

export async function metricsView() {
  await sample();
  render();
  const timer = setInterval(async () => {
    try {
      await sample();
      if (location.hash.startsWith('#/metrics')) render();
    } catch {
      // A failed sample leaves a gap; the next one carries on.
    }
  }, SAMPLE_MS);
  window.addEventListener('hashchange', () => clearInterval(timer), { once: true });
}
