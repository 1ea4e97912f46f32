/**
 * Faults the chaos run injects while journeys run: SIGKILL of services, NATS and PostgreSQL
 * (each restarted), SIGSTOP/SIGCONT pauses, and an outage of the primary tracking provider.
 * The plan is drawn from the seed; the injector runs it against a stack.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Got } from 'got';
import { sleep } from '../child';
import { isAlive } from '../process-guard';
import { startPostgres } from '../postgres';
import { SERVICE_NAMES, type ServiceName } from '../services';
import type { StackHandle, StackPorts } from '../stack';
import type { Random } from './random';

export const FAULT_KINDS = ['kill-service', 'kill-nats', 'kill-postgres', 'pause', 'tracking-provider-down'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export type PauseTarget = ServiceName | 'nats' | 'postgres';

export interface PlannedFault {
  /** ms after the start of the journeys. */
  atMs: number;
  kind: FaultKind;
  target: PauseTarget | '17track';
  /** How long the target stays down / paused, ms. */
  downMs: number;
}

export interface FaultCounts {
  killsPerService: number;
  natsKills: number;
  postgresKills: number;
  pauses: number;
}

/** Every service `killsPerService` times, NATS and PostgreSQL, pauses, and one tracking outage, spread over `windowMs`. */
export function planFaults(random: Random, counts: FaultCounts, windowMs: number): PlannedFault[] {
  const at = (): number => random.int(Math.round(windowMs * 0.05), Math.round(windowMs * 0.9));
  const faults: PlannedFault[] = [];
  for (const service of SERVICE_NAMES) {
    for (let i = 0; i < counts.killsPerService; i++) faults.push({ atMs: at(), kind: 'kill-service', target: service, downMs: random.int(200, 3_000) });
  }
  for (let i = 0; i < counts.natsKills; i++) faults.push({ atMs: at(), kind: 'kill-nats', target: 'nats', downMs: random.int(500, 3_000) });
  for (let i = 0; i < counts.postgresKills; i++) faults.push({ atMs: at(), kind: 'kill-postgres', target: 'postgres', downMs: random.int(500, 3_000) });
  const pausable: PauseTarget[] = [...SERVICE_NAMES, 'nats', 'postgres'];
  for (let i = 0; i < counts.pauses; i++) faults.push({ atMs: at(), kind: 'pause', target: random.pick(pausable), downMs: random.int(1_000, 5_000) });
  faults.push({ atMs: Math.round(windowMs * 0.3), kind: 'tracking-provider-down', target: '17track', downMs: Math.round(windowMs * 0.3) });
  return faults.sort((a, b) => a.atMs - b.atMs);
}

export interface FaultRecord {
  at: string;
  kind: FaultKind;
  target: string;
  detail: string;
  /** Injected and healed (the target is back). */
  done: boolean;
}

export interface FaultContext {
  stack: StackHandle;
  dataDir: string;
  ports: StackPorts;
  logDir: string;
  simulators: Got;
  log: (line: string) => void;
}

/** Runs the plan in time order from `startedAt`; every fault is healed before the next. */
export async function injectFaults(plan: readonly PlannedFault[], context: FaultContext, startedAt: number): Promise<FaultRecord[]> {
  const records: FaultRecord[] = [];
  for (const fault of plan) {
    const wait = startedAt + fault.atMs - Date.now();
    if (wait > 0) await sleep(wait);
    const record: FaultRecord = { at: new Date().toISOString(), kind: fault.kind, target: fault.target, detail: '', done: false };
    records.push(record);
    try {
      record.detail = await inject(fault, context);
      record.done = true;
    } catch (error) {
      record.detail = `failed: ${(error as Error).message.split('\n')[0]}`;
    }
    context.log(`fault ${record.at} ${fault.kind} ${fault.target}: ${record.detail}`);
  }
  return records;
}

async function inject(fault: PlannedFault, context: FaultContext): Promise<string> {
  const { stack } = context;
  switch (fault.kind) {
    case 'kill-service': {
      const name = fault.target as ServiceName;
      const service = stack.services[name];
      if (!service) throw new Error(`${name} is not running`);
      service.kill('SIGKILL');
      await service.exited;
      await sleep(fault.downMs);
      const restarted = await stack.restartService(name);
      return `SIGKILL pid ${service.pid}, down ${fault.downMs} ms, restarted as pid ${restarted.pid}`;
    }
    case 'kill-nats': {
      const nats = stack.nats;
      const pid = nats?.pid();
      if (!nats || !pid) throw new Error('NATS is not running');
      process.kill(pid, 'SIGKILL');
      await waitGone(pid);
      await sleep(fault.downMs);
      await nats.restart();
      return `SIGKILL pid ${pid}, down ${fault.downMs} ms, restarted as pid ${nats.pid()}`;
    }
    case 'kill-postgres': {
      const pid = postmasterPid(context.dataDir);
      // The whole process group: the postmaster and every backend die at once, as in a machine crash.
      process.kill(-pid, 'SIGKILL');
      await waitGone(pid);
      await sleep(fault.downMs);
      // Same data directory and port: the server recovers from its WAL. The stack stops the new one.
      stack.postgres = await startPostgres({
        dataDir: join(context.dataDir, 'postgres'),
        port: context.ports.postgres,
        persistent: false,
        logFile: join(context.logDir, 'postgres.log'),
      });
      return `SIGKILL process group ${pid}, down ${fault.downMs} ms, restarted as pid ${postmasterPid(context.dataDir)}`;
    }
    case 'pause': {
      const target = fault.target as PauseTarget;
      // PostgreSQL: its process group (postmaster and backends); others: the process.
      const pid =
        target === 'postgres' ? -postmasterPid(context.dataDir) : target === 'nats' ? stack.nats?.pid() : stack.services[target]?.pid;
      if (!pid) throw new Error(`${target} is not running`);
      process.kill(pid, 'SIGSTOP');
      try {
        await sleep(fault.downMs);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      return `SIGSTOP pid ${Math.abs(pid)} for ${fault.downMs} ms, then SIGCONT`;
    }
    case 'tracking-provider-down': {
      await setBehaviour(context.simulators, '17track', { mode: 'error' });
      try {
        await sleep(fault.downMs);
      } finally {
        await setBehaviour(context.simulators, '17track', { mode: 'ok' });
      }
      return `17TRACK answered 503 for ${fault.downMs} ms`;
    }
  }
}

export async function setBehaviour(simulators: Got, provider: string, behaviour: Record<string, unknown>): Promise<void> {
  const answer = await simulators.post(`${provider}/_sim/behaviour`, { json: behaviour });
  if (answer.statusCode !== 200) throw new Error(`${provider} behaviour: HTTP ${answer.statusCode}`);
}

function postmasterPid(dataDir: string): number {
  const pid = Number.parseInt(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error('PostgreSQL is not running');
  return pid;
}

async function waitGone(pid: number): Promise<void> {
  for (let i = 0; i < 200 && isAlive(pid); i++) await sleep(50);
}
