import type { Transaction } from './database';

/**
 * The workflow rows of the hot path in raw SQL: every event of every order loads and saves its
 * workflow, and the model API costs about three times a raw statement there.
 */

/** A `workflows` row as the store needs it. */
export interface WorkflowRow {
  version: number;
  machineVersion: number;
  snapshot: { value: unknown; context: unknown };
  cancellationSettledAt: Date | null;
}

/** One history row, written with the workflow row it describes. */
export interface HistoryEntry {
  id: string;
  fromState: string;
  toState: string;
  trigger: string;
  details: object;
}

/** The workflow row of `orderId`; with `lock`, its row lock taken for the rest of the transaction (same statement). */
export async function selectWorkflow(tx: Transaction, orderId: string, lock: boolean): Promise<WorkflowRow | null> {
  const rows = lock
    ? await tx.$queryRaw<WorkflowRow[]>`
        SELECT version, machine_version AS "machineVersion", snapshot, cancellation_settled_at AS "cancellationSettledAt"
        FROM workflows WHERE order_id = ${orderId}::uuid FOR UPDATE`
    : await tx.$queryRaw<WorkflowRow[]>`
        SELECT version, machine_version AS "machineVersion", snapshot, cancellation_settled_at AS "cancellationSettledAt"
        FROM workflows WHERE order_id = ${orderId}::uuid`;
  return rows[0] ?? null;
}

/** Inserts the workflow with its first history row (one statement); false when the order already has one (left as it is). */
export async function insertWorkflow(
  tx: Transaction,
  row: { orderId: string; state: string; snapshot: object; machineVersion: number; now: Date; history: HistoryEntry },
): Promise<boolean> {
  const { orderId, now, history } = row;
  const inserted = await tx.$executeRaw`
    WITH created AS (
      INSERT INTO workflows (order_id, state, snapshot, retry_count, version, machine_version, created_at, updated_at)
      VALUES (${orderId}::uuid, ${row.state}, ${JSON.stringify(row.snapshot)}::jsonb, 0, 0, ${row.machineVersion}, ${now}, ${now})
      ON CONFLICT (order_id) DO NOTHING
      RETURNING order_id)
    INSERT INTO workflow_history (id, order_id, from_state, to_state, trigger, details, at)
    SELECT ${history.id}::uuid, order_id, ${history.fromState}, ${history.toState}, ${history.trigger}, ${JSON.stringify(history.details)}::jsonb, ${now}
    FROM created`;
  return inserted > 0;
}

/**
 * Saves the workflow under its optimistic lock (`expectedVersion`, incremented) with the history
 * row of the step (one statement). Returns how many of the order's parked events wait, as the
 * saved row counts them: an event parked by a transaction that held the row until its commit is
 * counted (the update waits for that lock and reads the row it left). Null when the version moved
 * meanwhile (nothing written).
 */
export async function saveWorkflow(
  tx: Transaction,
  row: { orderId: string; expectedVersion: number; state: string; snapshot: object; machineVersion: number; retryCount: number; error: string | null; now: Date; history: HistoryEntry },
): Promise<{ parkedEvents: number } | null> {
  const { orderId, now, history } = row;
  const [saved] = await tx.$queryRaw<Array<{ parkedEvents: number }>>`
    WITH saved AS (
      UPDATE workflows
      SET state = ${row.state}, snapshot = ${JSON.stringify(row.snapshot)}::jsonb, machine_version = ${row.machineVersion},
          retry_count = ${row.retryCount}, error = ${row.error}, version = version + 1, updated_at = ${now}
      WHERE order_id = ${orderId}::uuid AND version = ${row.expectedVersion}
      RETURNING order_id, parked_events),
    history AS (
      INSERT INTO workflow_history (id, order_id, from_state, to_state, trigger, details, at)
      SELECT ${history.id}::uuid, order_id, ${history.fromState}, ${history.toState}, ${history.trigger}, ${JSON.stringify(history.details)}::jsonb, ${now}
      FROM saved)
    SELECT parked_events AS "parkedEvents" FROM saved`;
  return saved ?? null;
}

/** When the order's workflow first entered `state`, from its history; null if it never did. */
export async function firstEnteredAt(tx: Transaction, orderId: string, state: string): Promise<Date | null> {
  const [row] = await tx.$queryRaw<Array<{ at: Date }>>`
    SELECT min(at) AS at FROM workflow_history WHERE order_id = ${orderId}::uuid AND to_state = ${state}`;
  return row?.at ?? null;
}

/** Marks the cancellation settled (`fulfillment.cancellation.settled` recorded). */
export async function updateCancellationSettled(tx: Transaction, orderId: string, at: Date): Promise<void> {
  await tx.$executeRaw`UPDATE workflows SET cancellation_settled_at = ${at} WHERE order_id = ${orderId}::uuid`;
}

/** A parked event as the re-application needs it. */
export interface ParkedRow {
  id: string;
  eventType: string;
  event: unknown;
  details: unknown;
  parkedAt: Date;
}

/** Counts the order's waiting parked events up (an event parked) or down (applied, dropped), on its workflow row. */
export async function countParkedEvents(tx: Transaction, orderId: string, change: number): Promise<void> {
  await tx.$executeRaw`UPDATE workflows SET parked_events = parked_events + ${change}::int WHERE order_id = ${orderId}::uuid`;
}

/** The order's parked events not yet dropped, oldest first. */
export function selectParkedEvents(tx: Transaction, orderId: string): Promise<ParkedRow[]> {
  return tx.$queryRaw<ParkedRow[]>`
    SELECT id, event_type AS "eventType", event, details, parked_at AS "parkedAt" FROM parked_events
    WHERE order_id = ${orderId}::uuid AND dropped_at IS NULL ORDER BY seq`;
}
