/**
 * `pnpm bench --rate R --duration S`: orders arrive at a steady rate (open loop: a slow platform
 * does not slow the arrivals down) for S seconds, each paid as soon as its checkout session shows,
 * while every stage's consumption is compared with what arrived for it (consumed / (consumed +
 * backlog growth), from the services' `events_consumed_total` and JetStream's consumer backlog).
 * With `--stop SERVICE`, that service is paused (SIGSTOP) for `--stop-for` seconds from
 * `--stop-at` and the time its backlog takes to drain after SIGCONT is measured.
 */
import { performance } from 'node:perf_hooks';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { Order } from '@platform/contracts/api/orders';
import { streams } from '@platform/contracts';
import type { Got } from 'got';
import { sleep } from '../child';
import { describe, fetchSink, httpFailure, payCheckout, renderTable, type WebhookRetries, webhookRetries } from '../drive';
import { type CheckoutWatcher, type SeenSession } from './checkouts';
import { SERVICE_NAMES, type ServiceName } from '../services';
import { paymentToEmailHops } from './hops';
import { CONFIRMATION_SUBJECT, EMAIL_PATTERN, orderBody, stats, type Stats } from './journey';
import { histogramQuantile, laterHalfMachine, localServicePid, machineRows, machineRowsNote, MEASURED_PROCESSES, signalService, type ResourceSample, resourceUse, sampleResources, type ServerPorts } from './resources';

export interface SustainedSettings {
  rate: number;
  durationS: number;
  stop?: { service: ServiceName; atS: number; forS: number };
  gateway: string;
  simulatorsUrl: string;
  sinkUrl: string;
  metricsUrls: Record<ServiceName, string>;
  serverPorts: ServerPorts;
  /** How long after the load the bench waits for the last checkouts, payments, emails and backlogs. */
  settleTimeoutMs: number;
}

interface Journey {
  sentAt: number;
  postMs?: number;
  order?: Order;
  paidAt?: number;
  emailAt?: number;
  failure?: string;
  /** When the failure was seen (the bench's clock). */
  failedAt?: number;
}

function fail(journey: Journey, failure: string): void {
  journey.failure = failure;
  journey.failedAt = Date.now();
}

interface Sample {
  resources: ResourceSample;
  /** Messages waiting or unacknowledged per durable consumer. */
  backlog: Record<string, number>;
}

const SAMPLE_EVERY_MS = 2_000;
const TAG = 's';

async function consumerBacklogs(jsm: JetStreamManager): Promise<Record<string, number>> {
  const backlog: Record<string, number> = {};
  for (const stream of Object.values(streams)) {
    if (stream.name === streams.DEAD_LETTERS.name) continue;
    for await (const info of jsm.consumers.list(stream.name)) backlog[info.name] = info.num_pending + info.num_ack_pending;
  }
  return backlog;
}

const serviceOf = (consumer: string) => consumer.split('--')[0] ?? consumer;
const sumFor = (values: Record<string, number>, service: string) =>
  Object.entries(values).reduce((sum, [consumer, value]) => (serviceOf(consumer) === service ? sum + value : sum), 0);

/** One order's way: POST through the gateway, wait for its checkout session at Stripe, pay it. */
async function runJourney(deps: SustainedDeps, settings: SustainedSettings, index: number, journey: Journey, deadline: number) {
  const t0 = performance.now();
  const response = await deps.gatewayHttp.post(`${settings.gateway}/v1/orders`, { json: orderBody(deps.runId, TAG, index), responseType: 'json' });
  if (response.statusCode !== 201) {
    fail(journey, httpFailure('POST', response));
    return;
  }
  journey.postMs = performance.now() - t0;
  const order = response.body as Order;
  journey.order = order;
  const session = await new Promise<SeenSession | undefined>((resolve) => {
    const seen = deps.checkouts.session(order.id);
    if (seen) return resolve(seen);
    const timeout = setTimeout(() => {
      unsubscribe();
      resolve(undefined);
    }, Math.max(0, deadline - Date.now()));
    const unsubscribe = deps.checkouts.onSession((orderId, found) => {
      if (orderId !== order.id) return;
      clearTimeout(timeout);
      unsubscribe();
      resolve(found);
    });
  });
  if (!session) {
    fail(journey, 'no checkout session before the settle timeout');
    return;
  }
  // Paid now, from the customer's side: a webhook billing refused (paused, shedding) is sent again
  // by Stripe (the simulator) until billing accepts it, and that wait counts in the order's payment → email.
  const paidAt = Date.now();
  const payment = await payCheckout(deps.http, settings.simulatorsUrl, session.sessionId);
  if (payment.kind === 'failed') fail(journey, payment.problem);
  else journey.paidAt = paidAt;
}

/** Marks each journey's first confirmation email (the sink's receivedAt). */
async function matchEmails(http: Got, sinkUrl: string, runId: string, journeys: Journey[]): Promise<void> {
  for (const message of await fetchSink(http, sinkUrl)) {
    if (!CONFIRMATION_SUBJECT.test(message.subject)) continue;
    for (const address of message.to) {
      const match = EMAIL_PATTERN.exec(address);
      if (!match || match[1]?.toLowerCase() !== runId || match[2] !== TAG) continue;
      const journey = journeys[Number(match[3])];
      const at = Date.parse(message.receivedAt);
      if (journey && (journey.emailAt === undefined || at < journey.emailAt)) journey.emailAt = at;
    }
  }
}

export interface SustainedDeps {
  http: Got;
  gatewayHttp: Got;
  jsm: JetStreamManager;
  checkouts: CheckoutWatcher;
  runId: string;
  say: (message: string) => void;
  /** Registers a cleanup (run on SIGINT or at the end). */
  onCleanup: (cleanup: () => Promise<unknown>) => void;
}

/** The orders a sustained run places: its stock is set for as many before it starts. */
export const sustainedOrderCount = (settings: Pick<SustainedSettings, 'rate' | 'durationS'>): number => Math.round(settings.rate * settings.durationS);

export async function runSustained(settings: SustainedSettings, deps: SustainedDeps): Promise<string> {
  const { http, jsm, runId, say } = deps;
  const total = sustainedOrderCount(settings);
  const journeys: Journey[] = [];
  const samples: Sample[] = [];
  const sample = async () => {
    const [resources, backlog] = await Promise.all([sampleResources(http, settings.metricsUrls, settings.serverPorts), consumerBacklogs(jsm)]);
    samples.push({ resources, backlog });
  };

  let stopped: { at?: number; resumedAt?: number } | undefined;
  if (settings.stop) {
    const { service } = settings.stop;
    if (localServicePid(service) === undefined) throw new Error(`--stop ${service}: no local process runs apps/${service}/dist/main.js (start the platform with \`pnpm start\` on this machine)`);
    stopped = {};
    // Never leave a service paused behind, whatever ends the run.
    deps.onCleanup(async () => void (stopped?.at !== undefined && stopped.resumedAt === undefined && signalService(service, 'SIGCONT', say)));
  }

  await sample();
  // The simulator's own resends of refused webhooks, counted over this run.
  const retriesBefore = await webhookRetries(http, settings.simulatorsUrl);
  const sampler = setInterval(() => void sample().catch((error) => say(`sample failed: ${describe(error)}`)), SAMPLE_EVERY_MS);
  deps.onCleanup(async () => clearInterval(sampler));
  const started = Date.now();
  const loadEnds = started + settings.durationS * 1000;
  const deadline = loadEnds + settings.settleTimeoutMs;
  say(`sustained: ${total} orders at ${settings.rate}/s for ${settings.durationS} s`);

  const inFlight = new Set<Promise<void>>();
  let lastReport = started;
  for (let index = 0; index < total; index++) {
    const due = started + (index * 1000) / settings.rate;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    const now = Date.now();
    if (settings.stop && stopped) {
      const stopAt = started + settings.stop.atS * 1000;
      if (stopped.at === undefined && now >= stopAt && signalService(settings.stop.service, 'SIGSTOP', say)) stopped.at = now;
      if (stopped.at !== undefined && stopped.resumedAt === undefined && now >= stopped.at + settings.stop.forS * 1000) {
        signalService(settings.stop.service, 'SIGCONT', say);
        stopped.resumedAt = Date.now();
      }
    }
    const journey: Journey = { sentAt: now };
    journeys[index] = journey;
    const running: Promise<void> = runJourney(deps, settings, index, journey, deadline)
      .catch((error: unknown) => fail(journey, describe(error)))
      .finally(() => inFlight.delete(running));
    inFlight.add(running);
    if (now - lastReport >= 15_000) {
      say(`  ${index + 1}/${total} placed, ${inFlight.size} journeys in flight, ${Math.round((now - started) / 1000)} s`);
      lastReport = now;
    }
  }
  // A stop that was to end after the last arrival still ends on time.
  if (settings.stop && stopped?.at !== undefined && stopped.resumedAt === undefined) {
    await sleep(Math.max(0, stopped.at + settings.stop.forS * 1000 - Date.now()));
    signalService(settings.stop.service, 'SIGCONT', say);
    stopped.resumedAt = Date.now();
  }
  await sleep(Math.max(0, loadEnds - Date.now()));
  await sample();
  const endOfLoad = samples.length - 1;
  say(`load done; settling (up to ${settings.settleTimeoutMs / 1000} s): payments, emails, backlogs`);
  await Promise.all(inFlight);
  const paid = () => journeys.filter((journey) => journey.paidAt !== undefined);
  for (;;) {
    await matchEmails(http, settings.sinkUrl, runId, journeys);
    const last = samples[samples.length - 1]!;
    const backlog = Object.values(last.backlog).reduce((sum, value) => sum + value, 0);
    if ((paid().every((journey) => journey.emailAt !== undefined) && backlog === 0) || Date.now() >= deadline) break;
    await sleep(SAMPLE_EVERY_MS);
  }
  clearInterval(sampler);

  const retries = { before: retriesBefore, after: await webhookRetries(http, settings.simulatorsUrl) };
  return report(settings, journeys, samples, endOfLoad, stopped, retries, jsm.jetstream());
}

/**
 * The journeys' failures by what went wrong, most frequent first, each with the first and last
 * time it was seen (whole seconds from `startedAt`): a handful of 503s says more once it is known
 * whether they came together (a stop's drain, a burst of timers) or spread over the run.
 */
export function failuresByKind(journeys: ReadonlyArray<Pick<Journey, 'failure' | 'failedAt'>>, startedAt: number) {
  const kinds = new Map<string, { what: string; times: number; fromS: number; toS: number }>();
  for (const { failure, failedAt } of journeys) {
    if (!failure) continue;
    const atS = Math.floor(((failedAt ?? startedAt) - startedAt) / 1000);
    const kind = kinds.get(failure);
    if (kind) Object.assign(kind, { times: kind.times + 1, fromS: Math.min(kind.fromS, atS), toS: Math.max(kind.toS, atS) });
    else kinds.set(failure, { what: failure, times: 1, fromS: atS, toS: atS });
  }
  return [...kinds.values()].sort((a, b) => b.times - a.times);
}

/**
 * The stopped service's recovery: its backlog's peak after SIGCONT, and when it fell back to the
 * largest backlog of the minute before the stop (undefined: it never did within the run).
 */
function drainOf(samples: Sample[], service: ServiceName, stopped: { at: number; resumedAt: number }) {
  const before = samples.filter((s) => s.resources.at < stopped.at && s.resources.at >= stopped.at - 60_000).map((s) => sumFor(s.backlog, service));
  const threshold = Math.max(0, ...before);
  const after = samples.filter((s) => s.resources.at >= stopped.resumedAt);
  const peak = Math.max(0, ...after.map((s) => sumFor(s.backlog, service)));
  const drainedAt = after.find((s) => sumFor(s.backlog, service) <= threshold)?.resources.at;
  return { stoppedAt: stopped.at, resumedAt: stopped.resumedAt, outageS: (stopped.resumedAt - stopped.at) / 1000, threshold, peak, drainedAt };
}

const fmt = (value: number | undefined, digits = 1) => (value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits));
const msOf = (s: Stats | null, key: 'p50' | 'p99') => fmt(s?.[key], 0);

/** POST and payment → email latencies of the journeys that ran wholly outside `disturbed` (the stop and its drain). */
function steadyLatencies(placed: Journey[], emailed: Journey[], disturbed: { from: number; to: number }) {
  const undisturbed = (from: number, to: number) => to < disturbed.from || from > disturbed.to;
  const steadyEmailed = emailed.filter((j) => undisturbed(j.paidAt!, j.emailAt!));
  return {
    post: stats(placed.filter((j) => undisturbed(j.sentAt, j.sentAt + j.postMs!)).map((j) => j.postMs!)),
    payToEmail: stats(steadyEmailed.map((j) => j.emailAt! - j.paidAt!)),
    emailed: steadyEmailed,
  };
}

async function report(
  settings: SustainedSettings,
  journeys: Journey[],
  samples: Sample[],
  endOfLoad: number,
  stopped: { at?: number; resumedAt?: number } | undefined,
  retries: { before: WebhookRetries; after: WebhookRetries },
  js: JetStreamClient,
): Promise<string> {
  const first = samples[0]!;
  const atLoadEnd = samples[endOfLoad]!;
  const last = samples[samples.length - 1]!;
  const loadSeconds = (atLoadEnd.resources.at - first.resources.at) / 1000;
  const placed = journeys.filter((journey) => journey.order);
  const paid = journeys.filter((journey) => journey.paidAt !== undefined);
  const emailed = paid.filter((journey) => journey.emailAt !== undefined);
  const post = stats(placed.map((journey) => journey.postMs!));
  const payToEmail = stats(emailed.map((journey) => journey.emailAt! - journey.paidAt!));
  const recovery = settings.stop && stopped?.at !== undefined && stopped.resumedAt !== undefined ? drainOf(samples, settings.stop.service, { at: stopped.at, resumedAt: stopped.resumedAt }) : undefined;
  // The stop's own latencies (from the stop to the end of its drain) are the recovery's figures;
  // outside that window the latencies are those of steady load, which the p99 goal is about.
  const disturbed = recovery && { from: recovery.stoppedAt, to: recovery.drainedAt ?? Infinity };
  const steady = disturbed && steadyLatencies(placed, emailed, disturbed);
  // Read back from the streams: a failure to read them costs this table, not the report.
  const hops = await paymentToEmailHops(
    js,
    (steady?.emailed ?? emailed).map((j) => ({ orderId: j.order!.id, paidAt: j.paidAt!, emailAt: j.emailAt! })),
  ).catch((error: unknown) => describe(error));
  const failures = failuresByKind(journeys, journeys[0]?.sentAt ?? first.resources.at);
  const within = (t: number | undefined) => t !== undefined && t <= atLoadEnd.resources.at;
  const out: string[] = [];

  out.push(
    renderTable(
      ['load', 'count', 'per second', 'p50 ms', 'p99 ms'],
      [
        ['orders placed (gateway POST)', String(placed.length), fmt(placed.filter((j) => within(j.sentAt)).length / loadSeconds), msOf(post, 'p50'), msOf(post, 'p99')],
        ['orders paid (webhook accepted)', String(paid.length), fmt(paid.filter((j) => within(j.paidAt)).length / loadSeconds), '', ''],
        ['confirmation emails (pay→email)', String(emailed.length), fmt(emailed.filter((j) => within(j.emailAt)).length / loadSeconds), msOf(payToEmail, 'p50'), msOf(payToEmail, 'p99')],
      ],
      [false, true, true, true, true],
    ),
  );
  out.push(`target ${settings.rate}/s for ${settings.durationS} s; "per second" counts what happened within the load window (${fmt(loadSeconds)} s).`);
  out.push('');

  if (typeof hops === 'string') out.push(`payment → email, hop by hop: not measured (${hops})`);
  else {
    out.push(
      renderTable(
        ['payment → email, hop by hop', 'p50 ms', 'p95 ms', 'p99 ms'],
        hops.hops.map(({ hop, latency }) => [hop, fmt(latency?.p50, 0), fmt(latency?.p95, 0), fmt(latency?.p99, 0)]),
        [false, true, true, true],
      ),
    );
    out.push(
      `${hops.orders} orders${disturbed ? ' outside the stop and its drain' : ''}; from each event's recorded time (its service's clock, in its transaction) and the time`,
      'JetStream stored it. A hop\'s p99 is its own: the orders slow at one hop are not those slow at the next, so they do not add up.',
    );
  }
  out.push('');

  // Stages: consumed / arrived over the load window, the largest backlog seen, and the durable
  // timers due and not fired (a stage too: payment delays, supplier placements and polls, sends).
  const timersDue = (sample: Sample, service: string) => sample.resources.timersDue[service];
  // How late timers fired in the load window: the bucket bounds of the histogram, so each an upper bound.
  const late = (service: string, q: number) => histogramQuantile(first.resources.timerDelays[service], atLoadEnd.resources.timerDelays[service], q);
  const bound = (seconds: number) => (seconds === Infinity ? '> 60 s' : seconds < 1 ? `≤ ${Math.round(seconds * 1000)} ms` : `≤ ${seconds} s`);
  const stageRows = SERVICE_NAMES.flatMap((service) => {
    const consumed = sumFor(atLoadEnd.resources.consumed, service) - sumFor(first.resources.consumed, service);
    const growth = sumFor(atLoadEnd.backlog, service) - sumFor(first.backlog, service);
    const consumers = Object.keys(last.backlog).filter((consumer) => serviceOf(consumer) === service);
    if (consumers.length === 0) return [];
    const maxBacklog = Math.max(...samples.slice(0, endOfLoad + 1).map((s) => sumFor(s.backlog, service)));
    const arrived = consumed + growth;
    const due = samples.slice(0, endOfLoad + 1).map((s) => timersDue(s, service)).filter((value) => value !== undefined);
    const [median, p95] = [late(service, 0.5), late(service, 0.95)];
    return [
      [
        service,
        String(consumers.length),
        fmt(arrived / loadSeconds),
        fmt(consumed / loadSeconds),
        arrived > 0 ? `${(consumed / arrived).toFixed(2)}x` : 'n/a',
        String(maxBacklog),
        String(sumFor(atLoadEnd.backlog, service)),
        due.length > 0 ? String(Math.max(...due)) : '-',
        String(timersDue(atLoadEnd, service) ?? '-'),
        String(median?.count ?? 0),
        median && p95 ? `${bound(median.bound)}, ${bound(p95.bound)}` : '-',
      ],
    ];
  });
  out.push(
    renderTable(
      ['stage (service)', 'consumers', 'arrived/s', 'consumed/s', 'consumed/arrived', 'max backlog', 'backlog at end', 'max timers due', 'timers due at end', 'timers fired', 'fired late p50, p95'],
      stageRows,
      [false, true, true, true, true, true, true, true, true, true, true],
    ),
  );
  out.push('"fired late": from a timer\'s due time to its fire (timer_fire_delay_seconds), as the bound of the histogram bucket that holds it.');
  out.push('');

  if (settings.stop && recovery) {
    const { service, forS } = settings.stop;
    const { outageS, peak, threshold, drainedAt } = recovery;
    const drainS = drainedAt === undefined ? undefined : (drainedAt - recovery.resumedAt) / 1000;
    out.push(
      renderTable(
        ['recovery', 'outage s', 'backlog peak', 'drained to (pre-stop max)', 'drain s', 'drain / outage'],
        [[`${service} paused ${forS} s`, fmt(outageS), String(peak), String(threshold), drainS === undefined ? 'not drained' : fmt(drainS), drainS === undefined ? '-' : `${(drainS / outageS).toFixed(2)}x`]],
        [false, true, true, true, true, true],
      ),
    );
    out.push('');
  }

  const use = resourceUse(first.resources, atLoadEnd.resources);
  const laterHalf = laterHalfMachine(samples.slice(0, endOfLoad + 1).map((sample) => sample.resources));
  const perOrder = (seconds: number | undefined) => (seconds === undefined || placed.length === 0 ? '-' : fmt((seconds * 1000) / placed.length, 2));
  out.push(
    renderTable(
      ['process', 'CPU s', 'CPU ms/order', 'cores busy', 'RSS MB at end'],
      [
        ...MEASURED_PROCESSES.map((name) => [
          name,
          fmt(use.cpuSeconds[name], 1),
          perOrder(use.cpuSeconds[name]),
          fmt((use.cpuSeconds[name] ?? NaN) / use.wallSeconds, 2),
          fmt((atLoadEnd.resources.processes[name]?.rssBytes ?? NaN) / 2 ** 20, 0),
        ]),
        ['total (known)', fmt(use.totalCpuSeconds, 1), perOrder(use.totalCpuSeconds), fmt(use.totalCpuSeconds / use.wallSeconds, 2), ''],
        ...machineRows(use).map(([label, seconds]) => [label, fmt(seconds, 1), perOrder(seconds), fmt((seconds ?? NaN) / use.wallSeconds, 2), '']),
        ...(laterHalf ? [["machine, the load's later half", fmt(laterHalf.cpuSeconds, 1), '', fmt(laterHalf.coresBusy, 2), '']] : []),
      ],
      [false, true, true, true, true],
    ),
  );
  out.push(
    'CPU over the load window, per order placed in it (includes what earlier orders still cost: placement, polls, parcels).',
    ...(machineRows(use).length > 0 ? machineRowsNote() : []),
    ...(laterHalf ? ["later half: from the first sample at or past the load's middle to its end, when parcels ship and every stage runs."] : []),
  );

  const ratios: string[][] = [
    ['payment → email p99 / POST p99', fmt((payToEmail?.p99 ?? NaN) / (post?.p99 ?? NaN), 2)],
    ...(steady
      ? [[`the same outside the stop and its drain (${msOf(steady.payToEmail, 'p99')} / ${msOf(steady.post, 'p99')} ms, ${steady.emailed.length} emails)`, fmt((steady.payToEmail?.p99 ?? NaN) / (steady.post?.p99 ?? NaN), 2)]]
      : []),
    ['emails/s / payments/s', fmt(emailed.filter((j) => within(j.emailAt)).length / Math.max(1, paid.filter((j) => within(j.paidAt)).length), 2)],
  ];
  out.push('', renderTable(['ratio', 'value'], ratios, [false, true]));
  const resent = retries.after.sent - retries.before.sent;
  if (resent > 0) {
    out.push('', `webhooks Stripe sent again (billing refused them): ${resent} deliveries, ${retries.after.accepted - retries.before.accepted} accepted, ${retries.after.pending} events still waiting at the end`);
  }
  if (failures.length > 0) out.push('', 'failures (seconds from the start of the load):', ...failures.slice(0, 8).map(({ what, times, fromS, toS }) => `  - ${times}× ${what}, ${fromS === toS ? `at ${fromS}` : `${fromS}–${toS}`} s`));
  return out.join('\n');
}
