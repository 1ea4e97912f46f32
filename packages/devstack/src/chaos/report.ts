/** The chaos run's printout: faults with timestamps, journeys, faults by kind, settle time, anomalies with evidence. */
import { renderTable } from '../drive';
import { ANOMALY_KINDS, countByKind } from './checker';
import { FAULT_KINDS } from './faults';
import type { ChaosReport } from './run';

/** The run's figures and every anomaly with its evidence. */
export function formatReport(report: ChaosReport): string {
  const out: string[] = [''];
  out.push(`run ${report.runId}, seed ${report.seed}${report.settled ? '' : ' (NOT settled before the deadline)'}`);
  out.push('');
  out.push('faults:');
  for (const f of report.faults) out.push(`  ${f.at}  ${f.kind.padEnd(22)} ${f.target.padEnd(13)} ${f.detail}`);
  out.push('');
  out.push(
    renderTable(
      ['journey', 'planned', 'placed (201)'],
      Object.entries(report.journeys).map(([journey, n]) => [journey, String(n.planned), String(n.placed)]),
      [false, true, true],
    ),
  );
  out.push('');
  const injected = FAULT_KINDS.map((kind) => {
    const of = report.faults.filter((f) => f.kind === kind);
    return [kind, String(of.filter((f) => f.done).length), String(of.length - of.filter((f) => f.done).length)];
  });
  out.push(renderTable(['fault', 'injected', 'failed'], injected, [false, true, true]));
  out.push('');
  out.push(`settle: ${(report.settleMs / 1000).toFixed(1)} s${report.settled ? '' : ' (deadline passed)'}`);
  out.push('');
  const counts = countByKind(report.anomalies);
  out.push(renderTable(['anomaly', 'count'], ANOMALY_KINDS.map((kind) => [kind, String(counts[kind])]), [false, true]));
  out.push(`pushes resent after an unknown outcome, collapsed on the device into one: ${report.collapsedPushResends}`);
  if (report.anomalies.length > 0) {
    out.push('', 'evidence:');
    for (const a of report.anomalies) out.push(`  ${a.kind}  order ${a.orderId ?? '-'}  ${a.what}  [${a.where}]`);
    for (const [orderId, trail] of Object.entries(report.trails)) out.push('', `fulfillment's trail of ${orderId}:`, ...trail.map((line) => `  ${line}`));
  }
  if (report.notPlaced > 0) out.push('', `${report.notPlaced} order(s) never got a 201 (not checked; see notes)`);
  if (report.notes.length > 0) {
    out.push('', `journey notes (${report.notes.length}, first 20):`, ...report.notes.slice(0, 20).map((note) => `  ${note}`));
  }
  out.push('', report.anomalies.length === 0 ? 'no anomalies' : `${report.anomalies.length} anomalies`, '');
  return out.join('\n');
}

