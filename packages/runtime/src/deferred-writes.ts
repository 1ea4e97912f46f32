import type { DriverSql } from './driver-sql';
import type { DeferredEvent, DeferredTimer } from './transaction-scope';

/**
 * The one statement a transaction ends with (transaction-scope.ts): its timer changes (timers.ts),
 * cancels and schedulings, and its outbox events (outbox.ts), in the order recorded. Every
 * service database has both tables. Each timer is cancelled or scheduled, never both (the
 * transaction's last change of it), so the statement's parts never touch the same row.
 * Outside a scoped transaction it writes one change at once, with the same statement.
 */
export async function writeDeferred(sql: DriverSql, events: readonly DeferredEvent[], timers: readonly DeferredTimer[]): Promise<void> {
  const cancelled = timers.filter((timer) => !timer.schedule);
  const scheduled = timers.flatMap((timer) => (timer.schedule ? [{ kind: timer.kind, key: timer.key, ...timer.schedule }] : []));
  await sql.execute`
    WITH cancelled AS (
      DELETE FROM timers t USING unnest(${cancelled.map((c) => c.kind)}::text[], ${cancelled.map((c) => c.key)}::text[]) AS c(kind, key)
      WHERE t.kind = c.kind AND t.key = c.key AND t.fired_at IS NULL
    ), scheduled AS (
      INSERT INTO timers (id, kind, key, payload, fire_at, correlation_id, trace_headers)
      SELECT * FROM unnest(${scheduled.map((s) => s.id)}::uuid[], ${scheduled.map((s) => s.kind)}::text[], ${scheduled.map((s) => s.key)}::text[],
                           ${scheduled.map((s) => s.payload)}::jsonb[], ${scheduled.map((s) => s.fireAt.toISOString())}::timestamptz[],
                           ${scheduled.map((s) => s.correlationId)}::text[], ${scheduled.map((s) => s.traceHeaders)}::jsonb[])
      ON CONFLICT (kind, key) DO UPDATE
        SET payload = EXCLUDED.payload, fire_at = EXCLUDED.fire_at, fired_at = NULL, attempts = 0, last_error = NULL,
            correlation_id = EXCLUDED.correlation_id, trace_headers = EXCLUDED.trace_headers
    )
    INSERT INTO outbox_events (id, type, aggregate_id, envelope, trace_headers)
    SELECT e.id, e.type, e.aggregate_id, e.envelope, e.trace_headers
    FROM unnest(${events.map((e) => e.id)}::uuid[], ${events.map((e) => e.type)}::text[], ${events.map((e) => e.aggregateId)}::text[],
                ${events.map((e) => e.json)}::jsonb[], ${events.map((e) => e.traceHeaders)}::jsonb[])
         WITH ORDINALITY AS e(id, type, aggregate_id, envelope, trace_headers, position)
    ORDER BY e.position`;
}
