import { runChaos } from '@platform/devstack/chaos/run';
import { formatReport } from '@platform/devstack/chaos/report';
import { FAULT_KINDS } from '@platform/devstack/chaos/faults';
import { SERVICE_NAMES } from '@platform/devstack';
import { describe, expect, it } from 'vitest';

/**
 * The chaos command, small: every service SIGKILLed once, NATS and PostgreSQL killed and
 * restarted once, one SIGSTOP/SIGCONT, the tracking provider down for a while; afterwards no
 * order lost, no effect twice, every order in a consistent final (or waiting) state.
 */
describe('chaos run', () => {
  it('36 orders under every kind of fault: every fault injected, no anomaly', { timeout: 420_000 }, async () => {
    const lines: string[] = [];
    const report = await runChaos({
      orders: 36,
      concurrency: 8,
      seed: 13,
      durationMs: 45_000,
      settleTimeoutMs: 120_000,
      killsPerService: 1,
      natsKills: 1,
      postgresKills: 1,
      pauses: 1,
      log: (line) => void lines.push(line),
    });
    const printout = formatReport(report);
    // Every fault planned was injected and healed.
    expect(report.faults.filter((f) => !f.done), printout).toEqual([]);
    for (const kind of FAULT_KINDS) expect(report.faults.some((f) => f.kind === kind), kind).toBe(true);
    for (const service of SERVICE_NAMES) {
      expect(report.faults.some((f) => f.kind === 'kill-service' && f.target === service), service).toBe(true);
    }
    expect(report.notPlaced, printout).toBe(0);
    expect(report.anomalies, printout).toEqual([]);
  });
});
