/**
 * The raw-`pg` baseline of `pnpm bench`: every row the orders service wrote when it created one
 * order, written again with plain `pg` in one transaction under fresh ids, one statement per
 * table. Issue 9 compares the service with "the same writes": the rows are learnt from the
 * service's own creation transaction rather than listed here, so the baseline follows the
 * service when it writes more (sub-orders, timeline entries, the delivery promise and its timer
 * came after the first version of this baseline, which wrote only the order, its items, its
 * first history entry and one event).
 */
import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { streams, timelineSubject, type Envelope } from '@platform/contracts';
import { formatOrderNumber, type Order } from '@platform/contracts/api/orders';
import type pg from 'pg';

/** The tables an order's creation writes besides `orders` and the outbox (rows of other transactions are left out). */
const CREATION_TABLES = ['order_items', 'order_status_history', 'sub_orders', 'sub_order_history', 'timeline_entries', 'delivery_promises', 'timers'] as const;

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

type Row = Record<string, unknown>;

export interface OrderCreation {
  order: Row;
  tables: { table: string; rows: Row[] }[];
  events: Envelope[];
}

/** Rows per table and events, for the report: `orders 1, order_items 2, …, outbox 5`. */
export function describeCreation(creation: OrderCreation): string {
  return ['orders 1', ...creation.tables.map(({ table, rows }) => `${table} ${rows.length}`), `outbox ${creation.events.length}`].join(', ');
}

/**
 * What the service wrote in `sample`'s creation transaction: the rows whose `xmin` is that
 * transaction's (so `sample` must be unchanged since, as a direct-phase order is: pending, never
 * paid), and the events it recorded there, read back from JetStream (the relay deletes or marks
 * outbox rows once published): those about the order or its sub-orders stamped with its creation time.
 */
export async function learnOrderCreation(pool: pg.Pool, nc: NatsConnection, sample: Order): Promise<OrderCreation> {
  const { rows: created } = await pool.query<{ xid: string }>(
    'SELECT xmin::text AS xid FROM order_status_history WHERE order_id = $1 AND previous_status IS NULL',
    [sample.id],
  );
  const xid = created[0]?.xid;
  if (!xid) throw new Error(`order ${sample.id} has no first history entry`);
  const select = async (table: string): Promise<Row[]> =>
    (await pool.query<{ row: Row }>(`SELECT to_jsonb(t) AS row FROM ${table} t WHERE t.xmin::text = $1`, [xid])).rows.map((r) => r.row);
  const [order] = (await select('orders')).filter((row) => row.id === sample.id);
  if (!order) throw new Error(`order ${sample.id} changed since its creation; the baseline needs one as it was written`);
  const tables = [];
  for (const table of CREATION_TABLES) {
    const rows = await select(table);
    if (rows.length > 0) tables.push({ table, rows });
  }
  const ids = new Set([sample.id, ...tables.flatMap(({ rows }) => rows.map((row) => String(row.id)))]);
  const createdAt = sample.createdAt;
  const mine = (event: Envelope) => ids.has(event.aggregateId) && event.occurredAt === createdAt;
  const events = [
    ...(await streamEvents(nc, streams.ORDERS.name, streams.ORDERS.subjects[0]!, createdAt)).filter(mine),
    ...(await streamEvents(nc, streams.TIMELINE.name, timelineSubject(String(order.customer_id), sample.id), createdAt)).filter(mine),
  ];
  return { order, tables, events };
}

/** The envelopes stored on `subject` from just before `from` for a few seconds (an ordered consumer). */
async function streamEvents(nc: NatsConnection, stream: string, subject: string, from: string): Promise<Envelope[]> {
  const start = Date.parse(from);
  const consumer = await jetstream(nc).consumers.get(stream, { filter_subjects: subject, opt_start_time: new Date(start - 1_000).toISOString() });
  const found: Envelope[] = [];
  const messages = await consumer.fetch({ max_messages: 10_000, expires: 2_000 });
  for await (const message of messages) {
    found.push(message.json<Envelope>());
    if (message.info.pending === 0 || message.info.timestampNanos / 1e6 > start + 10_000) break;
  }
  return found;
}

/** Columns a copy leaves to their default: serials (the order number, history sequences). */
async function serialColumns(pool: pg.Pool): Promise<Set<string>> {
  const { rows } = await pool.query<{ column: string }>(
    `SELECT table_name || '.' || column_name AS column FROM information_schema.columns
      WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'`,
  );
  return new Set(rows.map((row) => row.column));
}

/**
 * One raw transaction per call: the order (its number drawn by the INSERT), each table's rows in
 * one statement, and the events inserted into the outbox and deleted again before the commit
 * (the relay deletes a row once published; the baseline's events must not be published: they
 * would reach the other services). Every id of the learnt rows and events is replaced by a fresh one.
 */
export async function writeOrderCreationOp(pool: pg.Pool, creation: OrderCreation, customerId: string, notes: string): Promise<() => Promise<void>> {
  const serial = await serialColumns(pool);
  const columnsOf = (table: string, row: Row) => Object.keys(row).filter((column) => !serial.has(`${table}.${column}`));
  const insert = (table: string, row: Row, many: boolean): string => {
    const columns = columnsOf(table, row).map((column) => `"${column}"`).join(', ');
    const source = many ? `jsonb_populate_recordset(NULL::${table}, $1::jsonb)` : `jsonb_populate_record(NULL::${table}, $1::jsonb)`;
    return `INSERT INTO ${table} (${columns}) SELECT ${columns} FROM ${source}`;
  };
  const orderSql = `${insert('orders', creation.order, false)} RETURNING number`;
  const tableSql = creation.tables.map(({ table, rows }) => ({ name: `bench-raw-${table}`, text: insert(table, rows[0]!, true) }));
  const number = String(creation.order.number);
  // Under their own customer, so the bench customer's listings show only the service's orders.
  const template = JSON.stringify({ order: { ...creation.order, notes }, tables: creation.tables.map(({ rows }) => rows), events: creation.events }).replaceAll(
    JSON.stringify(creation.order.customer_id),
    JSON.stringify(customerId),
  );

  return async (): Promise<void> => {
    const fresh = new Map<string, string>();
    const copy = template.replace(UUID, (id) => fresh.get(id) ?? (fresh.set(id, randomUUID()), fresh.get(id)!));
    const { order, tables, events } = JSON.parse(copy) as { order: Row; tables: Row[][]; events: Envelope[] };
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const inserted = await client.query<{ number: number }>({ name: 'bench-raw-orders', text: orderSql, values: [JSON.stringify(order)] });
      // Sub-order numbers derive from the order's.
      const renumber = (rows: Row[]) => JSON.stringify(rows).replaceAll(`${formatOrderNumber(Number(number))}-`, `${formatOrderNumber(inserted.rows[0]!.number)}-`);
      for (const [index, statement] of tableSql.entries()) await client.query({ ...statement, values: [renumber(tables[index]!)] });
      const eventIds = events.map((event) => event.id);
      await client.query({
        name: 'bench-raw-outbox',
        text: `INSERT INTO outbox_events (id, type, aggregate_id, envelope, trace_headers)
               SELECT e.id, e.type, e.aggregate_id, e.envelope, '{}'::jsonb FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[]) AS e(id, type, aggregate_id, envelope)`,
        values: [eventIds, events.map((event) => event.type), events.map((event) => event.aggregateId), events.map((event) => JSON.stringify(event))],
      });
      await client.query({ name: 'bench-raw-outbox-delete', text: 'DELETE FROM outbox_events WHERE id = ANY($1::uuid[])', values: [eventIds] });
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  };
}

/** The raw orders' timers (the delivery promise's deadline) would fire for orders no other service knows: removed after the phase. */
export async function dropRawTimers(pool: pg.Pool, notes: string): Promise<number> {
  const { rowCount } = await pool.query('DELETE FROM timers t USING orders o WHERE o.notes = $1 AND t.key = o.id::text', [notes]);
  return rowCount ?? 0;
}
