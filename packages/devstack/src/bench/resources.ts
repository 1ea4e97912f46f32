/**
 * CPU and memory of the platform's processes, for `pnpm bench`. The services report their own
 * (`process_cpu_seconds_total`, `process_resident_memory_bytes` on `/metrics`); PostgreSQL and
 * NATS are read from /proc when they run on this machine (the bench's own figures would miss a
 * remote server, so they show as unknown then).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { Got } from 'got';
import pg from 'pg';
import { SERVICE_NAMES, SERVICES, type ServiceName } from '../services';

export interface ProcessSample {
  /** CPU seconds (user + system) since the process started; undefined when unknown. */
  cpuSeconds: number | undefined;
  /** Resident memory in bytes; undefined when unknown. */
  rssBytes: number | undefined;
}

export interface ResourceSample {
  at: number;
  processes: Record<string, ProcessSample>;
  /** Events each durable consumer settled so far (`events_consumed_total` without retries), by consumer name. */
  consumed: Record<string, number>;
  /** Statements each database has run so far (pg_stat_statements), by database; absent when unknown. */
  statements?: Record<string, number>;
  /** Transactions each database has ended so far (committed or rolled back, pg_stat_database), by database; absent when unknown. */
  transactions?: Record<string, number>;
  /** Durable timers due and not fired (`timers_due`, refreshed by each service every 5 s), by service. */
  timersDue: Record<string, number>;
  /** Timers fired so far, how late (`timer_fire_delay_seconds`, all kinds): the cumulative count per bucket bound (`le`), by service. */
  timerDelays: Record<string, Record<string, number>>;
  /** CPU seconds every process on this machine has used since boot (/proc/stat); absent when unknown. */
  machineCpuSeconds?: number;
}

/**
 * Where each service's `/metrics` is: `<PREFIX>_URL` from the environment, else the platform
 * command's default port; the gateway's is its management listener (`GATEWAY_MANAGEMENT_URL`,
 * default port 9090), never its public one.
 */
export function metricsUrls(overrides: Partial<Record<ServiceName, string>> = {}): Record<ServiceName, string> {
  const fromEnvironment = (name: ServiceName) =>
    name === 'gateway'
      ? (process.env.GATEWAY_MANAGEMENT_URL ?? 'http://127.0.0.1:9090')
      : (process.env[`${SERVICES[name].envPrefix}_URL`] ?? `http://127.0.0.1:${SERVICES[name].port}`);
  return Object.fromEntries(SERVICE_NAMES.map((name) => [name, overrides[name] ?? fromEnvironment(name)])) as Record<ServiceName, string>;
}

const metricValue = (text: string, metric: string): number | undefined => {
  const match = new RegExp(`^${metric}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
};

const CONSUMED = /^events_consumed_total\{([^}]*)\} ([0-9.e+-]+)$/gm;
const TIMER_DELAY_BUCKETS = /^timer_fire_delay_seconds_bucket\{([^}]*)\} ([0-9.e+-]+)$/gm;
const label = (labels: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(labels)?.[1];

async function serviceSample(
  http: Got,
  url: string,
): Promise<{ process: ProcessSample; consumed: Record<string, number>; timersDue?: number; timerDelays?: Record<string, number> }> {
  const consumed: Record<string, number> = {};
  try {
    const response = await http.get(`${url}/metrics`, { timeout: { request: 3_000 } });
    if (response.statusCode !== 200) return { process: { cpuSeconds: undefined, rssBytes: undefined }, consumed };
    const text = String(response.body);
    for (const [, labels = '', value] of text.matchAll(CONSUMED)) {
      const consumer = label(labels, 'consumer');
      // A retried event is not settled: it comes again.
      if (consumer && label(labels, 'outcome') !== 'retried') consumed[consumer] = (consumed[consumer] ?? 0) + Number(value);
    }
    const timerDelays: Record<string, number> = {};
    for (const [, labels = '', value] of text.matchAll(TIMER_DELAY_BUCKETS)) {
      const le = label(labels, 'le');
      if (le) timerDelays[le] = (timerDelays[le] ?? 0) + Number(value);
    }
    return {
      process: { cpuSeconds: metricValue(text, 'process_cpu_seconds_total'), rssBytes: metricValue(text, 'process_resident_memory_bytes') },
      consumed,
      timersDue: metricValue(text, 'timers_due'),
      timerDelays,
    };
  } catch {
    return { process: { cpuSeconds: undefined, rssBytes: undefined }, consumed };
  }
}

interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime, and the same of waited-for children, in seconds. */
  own: number;
  children: number;
  rssBytes: number;
}

const TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

function readProcStats(): ProcStat[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return [];
  }
  const stats: ProcStat[] = [];
  for (const pid of pids) {
    try {
      const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces: fields count from the last ')'.
      const close = raw.lastIndexOf(')');
      const comm = raw.slice(raw.indexOf('(') + 1, close);
      const fields = raw.slice(close + 2).split(' ');
      const tick = (index: number) => Number(fields[index]) / TICKS_PER_SECOND;
      stats.push({
        pid: Number(pid),
        comm,
        ppid: Number(fields[1]),
        own: tick(11) + tick(12),
        children: tick(13) + tick(14),
        rssBytes: Number(fields[21]) * PAGE_BYTES,
      });
    } catch {
      // The process ended while we listed /proc.
    }
  }
  return stats;
}

/** The ports of the platform's PostgreSQL and NATS: other servers on the machine (tests) are not counted. */
export interface ServerPorts {
  postgresql: number;
  nats: number;
}

/** Whether the server was started with `-p <port>` (how the platform command starts both). */
function listensOn(pid: number, port: number): boolean {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return args.some((arg, index) => (arg === '-p' || arg === '--port') && args[index + 1] === String(port)) || args.includes(`--port=${port}`);
  } catch {
    return false;
  }
}

/**
 * PostgreSQL: the postmaster's own CPU, what its ended backends used (counted into the
 * postmaster's children when they exit) and what its live backends used so far. NATS: the server.
 */
function localServers(ports: ServerPorts): Record<'postgresql' | 'nats', ProcessSample> {
  const stats = readProcStats();
  const byPid = new Map(stats.map((stat) => [stat.pid, stat]));
  const postmasters = stats.filter((stat) => stat.comm === 'postgres' && byPid.get(stat.ppid)?.comm !== 'postgres' && listensOn(stat.pid, ports.postgresql));
  const unknown = { cpuSeconds: undefined, rssBytes: undefined };
  let postgresql: ProcessSample = unknown;
  if (postmasters.length > 0) {
    const ids = new Set(postmasters.map((stat) => stat.pid));
    let cpu = 0;
    for (const stat of stats) {
      if (ids.has(stat.pid)) cpu += stat.own + stat.children;
      else if (ids.has(stat.ppid) && stat.comm === 'postgres') cpu += stat.own;
    }
    // Shared buffers are counted in every backend's RSS: the postmaster's is the honest figure.
    postgresql = { cpuSeconds: cpu, rssBytes: postmasters.reduce((sum, stat) => sum + stat.rssBytes, 0) };
  }
  const nats = stats.filter((stat) => stat.comm === 'nats-server' && listensOn(stat.pid, ports.nats));
  return {
    postgresql,
    nats: nats.length > 0 ? { cpuSeconds: nats.reduce((s, x) => s + x.own, 0), rssBytes: nats.reduce((s, x) => s + x.rssBytes, 0) } : unknown,
  };
}

export const MEASURED_PROCESSES = [...SERVICE_NAMES, 'postgresql', 'nats'] as const;

/**
 * The CPU seconds of all processes from /proc/stat's `cpu` line: user, nice, system, irq, softirq
 * and steal (guest time is in user already); idle and iowait are not busy. Undefined when the text
 * has no such line.
 */
export function machineCpuSecondsOf(procStat: string): number | undefined {
  const fields = /^cpu +(.*)$/m.exec(procStat)?.[1]?.trim().split(/ +/).map(Number);
  if (!fields || fields.length < 8 || fields.some(Number.isNaN)) return undefined;
  const [user, nice, system, , , irq, softirq, steal] = fields as [number, number, number, number, number, number, number, number];
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

/** This machine's CPU, when every service runs on it (a platform elsewhere would make it the bench's alone). */
function machineCpuSeconds(): number | undefined {
  const local = localServicePids();
  if (!SERVICE_NAMES.every((name) => local[name] !== undefined)) return undefined;
  try {
    return machineCpuSecondsOf(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * A connection to the `postgres` database of the server behind `databaseUrl` (a superuser's) that
 * reads pg_stat_statements, or undefined when the server does not load it (the platform command's
 * server does; a remote one may not).
 */
export async function statementCounter(databaseUrl: string): Promise<pg.Client | undefined> {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString(), application_name: 'platform-bench' });
  try {
    await client.connect();
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await client.query('SELECT 1 FROM pg_stat_statements LIMIT 1');
    return client;
  } catch {
    await client.end().catch(() => {});
    return undefined;
  }
}

/**
 * Per database, the statements run so far: the top-level ones a client sent (a foreign-key check
 * inside an insert is not one), so a service's count is its round trips to the database, besides
 * its transactions' BEGINs and COMMITs (prepared statements, which pg_stat_statements counts once
 * per connection); and the transactions ended so far, a statement outside any transaction counted
 * as one.
 */
async function countsByDatabase(client: pg.Client): Promise<{ statements: Record<string, number>; transactions: Record<string, number> }> {
  const [statements, transactions] = await Promise.all([
    client.query<{ datname: string; count: string }>(
      `SELECT d.datname, sum(s.calls)::text AS count FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid GROUP BY d.datname`,
    ),
    client.query<{ datname: string; count: string }>(`SELECT datname, (xact_commit + xact_rollback)::text AS count FROM pg_stat_database WHERE datname IS NOT NULL`),
  ]);
  const byDatabase = (rows: Array<{ datname: string; count: string }>) => Object.fromEntries(rows.map((row) => [row.datname, Number(row.count)]));
  return { statements: byDatabase(statements.rows), transactions: byDatabase(transactions.rows) };
}

export async function sampleResources(http: Got, urls: Record<ServiceName, string>, ports: ServerPorts, statements?: pg.Client): Promise<ResourceSample> {
  const [services, counts] = await Promise.all([
    Promise.all(SERVICE_NAMES.map(async (name) => [name, await serviceSample(http, urls[name])] as const)),
    statements ? countsByDatabase(statements).catch(() => undefined) : undefined,
  ]);
  const machine = machineCpuSeconds();
  return {
    at: Date.now(),
    processes: { ...Object.fromEntries(services.map(([name, sample]) => [name, sample.process])), ...localServers(ports) },
    consumed: Object.assign({}, ...services.map(([, sample]) => sample.consumed)) as Record<string, number>,
    timersDue: Object.fromEntries(services.flatMap(([name, sample]) => (sample.timersDue === undefined ? [] : [[name, sample.timersDue]]))),
    timerDelays: Object.fromEntries(services.flatMap(([name, sample]) => (sample.timerDelays ? [[name, sample.timerDelays]] : []))),
    ...counts,
    ...(machine !== undefined && { machineCpuSeconds: machine }),
  };
}

/**
 * Of the observations between two cumulative histogram samples (count per bucket bound `le`), how
 * many there were and the bound of the bucket that holds the quantile `q` (Infinity: beyond the
 * last bound); undefined when none were observed. A bucket's bound, not an interpolation: the
 * figure is an upper bound.
 */
export function histogramQuantile(before: Record<string, number> | undefined, after: Record<string, number> | undefined, q: number): { count: number; bound: number } | undefined {
  if (!after) return undefined;
  const buckets = Object.entries(after)
    .map(([le, count]) => ({ bound: le === '+Inf' ? Infinity : Number(le), count: count - (before?.[le] ?? 0) }))
    .sort((a, b) => a.bound - b.bound);
  const count = buckets.at(-1)?.count ?? 0;
  if (count <= 0) return undefined;
  const bucket = buckets.find((b) => b.count >= q * count)!;
  return { count, bound: bucket.bound };
}

export interface ResourceUse {
  /** CPU seconds used between two samples, per process; undefined when either sample lacks it. */
  cpuSeconds: Record<string, number | undefined>;
  /** The sum of the known processes. */
  totalCpuSeconds: number;
  /**
   * What every process on the machine used, the platform's and others' (the bench, the platform
   * command's simulators and mail sink, anything else running); undefined when unknown.
   */
  machineCpuSeconds: number | undefined;
  /** Processes whose CPU is unknown (not counted in the total). */
  unknown: string[];
  /** Statements each database ran between the samples, when both counted them. */
  statements: Record<string, number | undefined>;
  /** Transactions each database ended between the samples, when both counted them. */
  transactions: Record<string, number | undefined>;
  wallSeconds: number;
}

export function resourceUse(before: ResourceSample, after: ResourceSample): ResourceUse {
  const cpuSeconds: Record<string, number | undefined> = {};
  const unknown: string[] = [];
  let total = 0;
  for (const name of MEASURED_PROCESSES) {
    const a = before.processes[name]?.cpuSeconds;
    const b = after.processes[name]?.cpuSeconds;
    // A restarted process starts from zero: its figure for this window is unknown.
    const used = a !== undefined && b !== undefined && b >= a ? b - a : undefined;
    cpuSeconds[name] = used;
    if (used === undefined) unknown.push(name);
    else total += used;
  }
  return {
    cpuSeconds,
    totalCpuSeconds: total,
    machineCpuSeconds: before.machineCpuSeconds !== undefined && after.machineCpuSeconds !== undefined ? after.machineCpuSeconds - before.machineCpuSeconds : undefined,
    unknown,
    statements: countsBetween(before.statements, after.statements),
    transactions: countsBetween(before.transactions, after.transactions),
    wallSeconds: (after.at - before.at) / 1000,
  };
}

/** The rows under a CPU table's known total: the whole machine's CPU, and what of it no known process used. */
export function machineRows(use: ResourceUse): Array<[label: string, cpuSeconds: number | undefined]> {
  if (use.machineCpuSeconds === undefined) return [];
  return [
    ['machine (all processes)', use.machineCpuSeconds],
    ['other (machine - known)', Math.max(0, use.machineCpuSeconds - use.totalCpuSeconds)],
  ];
}

/**
 * The machine's CPU over the later half of a run's load (from the first sample at or past its
 * middle to its end): in a sustained run's first minutes no parcel has shipped yet, so no supplier poll, parcel or
 * shipping news is due and the whole window's figure understates what the cores carry once every
 * stage of the journey runs (docs/performance.md, twenty-seventh round). Undefined when unknown.
 */
export function laterHalfMachine(samples: readonly ResourceSample[]): { cpuSeconds: number; coresBusy: number } | undefined {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last || last.at <= first.at) return undefined;
  const middle = samples.find((sample) => sample.at >= (first.at + last.at) / 2) ?? last;
  const use = resourceUse(middle, last);
  if (use.machineCpuSeconds === undefined || use.wallSeconds <= 0) return undefined;
  return { cpuSeconds: use.machineCpuSeconds, coresBusy: use.machineCpuSeconds / use.wallSeconds };
}

/** What the rows of `machineRows` are, for the lines under a table that shows them. */
export function machineRowsNote(): string[] {
  return [
    `machine: every process on this machine (${cpus().length} CPUs), from /proc/stat; other: the machine's less the known (the bench,`,
    'the platform command with its simulators and mail sink, anything else running). Cores near all busy slow every stage at once.',
  ];
}

/** Per database, what a cumulative count grew by; unknown where the earlier sample lacks it or the count was reset (a restart). */
function countsBetween(before: Record<string, number> | undefined, after: Record<string, number> | undefined): Record<string, number | undefined> {
  const grown: Record<string, number | undefined> = {};
  for (const [database, count] of Object.entries(after ?? {})) {
    const earlier = before?.[database];
    grown[database] = earlier !== undefined && count >= earlier ? count - earlier : undefined;
  }
  return grown;
}

/** Pauses (SIGSTOP) or resumes (SIGCONT) a service of a local platform; false when none runs here. */
export function signalService(service: ServiceName, name: 'SIGSTOP' | 'SIGCONT', say: (message: string) => void): boolean {
  const pid = localServicePid(service);
  if (pid === undefined) return false;
  process.kill(pid, name);
  say(`${name} ${service} (pid ${pid})`);
  return true;
}

/** The pid of a service started by the platform command on this machine (`apps/<name>/dist/main.js`), if one runs. */
export function localServicePid(name: ServiceName): number | undefined {
  return localServicePids()[name];
}

/** The services started by the platform command on this machine, by name, from one pass over /proc. */
function localServicePids(): Partial<Record<ServiceName, number>> {
  const entries = SERVICE_NAMES.map((name) => [name, `${SERVICES[name].dir}/dist/main.js`] as const);
  const pids: Partial<Record<ServiceName, number>> = {};
  for (const stat of readProcStats()) {
    try {
      const cmdline = readFileSync(`/proc/${stat.pid}/cmdline`, 'utf8').split('\0');
      const found = entries.find(([, entry]) => cmdline.some((arg) => arg.endsWith(entry)));
      if (found) pids[found[0]] ??= stat.pid;
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}
