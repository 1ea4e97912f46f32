/**
 * What every service and provider shows after the run: each service's own database (read-only,
 * as the e2e tests look inside), the supplier, SMS and push simulators' state, the SMTP sink and
 * the DEAD_LETTERS stream. Turned into the checker's `Evidence`.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { type NatsClientEnv, natsConnectionOptions } from '@platform/runtime/nats';
import type { Got } from 'got';
import { SUPPLIERS } from '@platform/contracts';
import pg from 'pg';
import { fetchSink } from '../drive';
import type { ServiceName } from '../services';
import type { StackHandle } from '../stack';
import type { Evidence, OrderEvidence, SentOrder, StockEvidence } from './checker';
import type { Identity } from './journeys';

export const DATABASE_SERVICES = ['orders', 'billing', 'fulfillment', 'tracking', 'notifications'] as const;
export type DatabaseService = (typeof DATABASE_SERVICES)[number];
/** Services with durable timers (orders has none). */
const TIMER_SERVICES = ['billing', 'fulfillment', 'tracking', 'notifications'] as const;

export class Databases {
  private readonly pools = new Map<DatabaseService, pg.Pool>();
  constructor(private readonly stack: StackHandle) {}

  async query<T extends pg.QueryResultRow>(service: DatabaseService, sql: string, params: unknown[] = []): Promise<T[]> {
    let pool = this.pools.get(service);
    if (!pool) {
      pool = new pg.Pool({ connectionString: this.stack.env[`${service.toUpperCase()}_DATABASE_URL`], max: 2 });
      pool.on('error', () => {});
      this.pools.set(service, pool);
    }
    return (await pool.query<T>(sql, params)).rows;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.end()));
  }
}

export type StockSnapshot = Map<string, number>;

export async function stockSnapshot(db: Databases): Promise<StockSnapshot> {
  const rows = await db.query<{ hub_id: string; sku: string; on_hand: number }>('fulfillment', 'SELECT hub_id, sku, on_hand FROM hub_stock');
  return new Map(rows.map((r) => [`${r.hub_id}/${r.sku}`, Number(r.on_hand)]));
}

/** Each service's clock (it may run ahead of the wall clock under TEST_CLOCK_CONTROL). */
export async function serviceNow(stack: StackHandle, http: Got, service: ServiceName): Promise<Date> {
  const answer = await http.get(`${stack.services[service]!.url}/_test/clock`, { responseType: 'json' });
  return new Date((answer.body as { now: string }).now);
}

/**
 * Timers due by their service's clock (with a little slack for the worker's poll) and not fired,
 * and timers failing: a failed handler moves its timer to a backoff ahead of the clock, so a
 * timer that fails every time is never due when looked at (as the settle moves fulfillment's
 * clock, it fires, fails and moves ahead again).
 */
export async function dueTimers(db: Databases, stack: StackHandle, http: Got, slackMs: number): Promise<Evidence['overdueTimers']> {
  const out: Evidence['overdueTimers'] = [];
  for (const service of TIMER_SERVICES) {
    const now = await serviceNow(stack, http, service);
    const rows = await db.query<{ kind: string; key: string; fire_at: Date; attempts: number; last_error: string | null }>(
      service,
      'SELECT kind, key, fire_at, attempts, last_error FROM timers WHERE fired_at IS NULL AND (fire_at <= $1 OR attempts > 0) ORDER BY fire_at',
      [new Date(now.getTime() - slackMs)],
    );
    out.push(...rows.map((r) => ({ service, kind: r.kind, key: r.key, fireAt: r.fire_at.toISOString(), attempts: r.attempts, lastError: r.last_error })));
  }
  return out;
}

/** Outbox rows (each still to be published) and consumer backlog (pending + unacknowledged), where not zero. */
export async function inFlight(db: Databases, nats: NatsClientEnv): Promise<Evidence['unsettled']> {
  const out: Evidence['unsettled'] = [];
  for (const service of DATABASE_SERVICES) {
    const [row] = await db.query<{ count: string }>(service, 'SELECT count(*) FROM outbox_events');
    if (Number(row?.count) > 0) out.push({ where: `${service} outbox`, count: Number(row?.count) });
  }
  const nc = await connect({ ...natsConnectionOptions(nats, 'chaos-evidence'), reconnect: false });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const stream of jsm.streams.list()) {
      for await (const consumer of jsm.consumers.list(stream.config.name)) {
        const backlog = consumer.num_pending + consumer.num_ack_pending;
        if (backlog > 0) out.push({ where: `consumer ${consumer.name} on ${stream.config.name}`, count: backlog });
      }
    }
  } finally {
    await nc.close();
  }
  return out;
}

async function deadLetters(nats: NatsClientEnv): Promise<Evidence['deadLetters']> {
  const nc = await connect({ ...natsConnectionOptions(nats, 'chaos-evidence'), reconnect: false });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info('DEAD_LETTERS').catch(() => undefined);
    if (!info) return [];
    const out: Evidence['deadLetters'] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const message = await jsm.streams.getMessage('DEAD_LETTERS', { seq }).catch(() => undefined);
      if (!message) continue;
      let orderId: string | null = null;
      try {
        orderId = (message.json<{ aggregateId?: string }>().aggregateId as string | undefined) ?? null;
      } catch {
        // not JSON: the reason says why
      }
      out.push({ subject: message.subject, reason: message.header?.get('Platform-Dead-Letter-Reason') ?? 'no reason header', orderId });
    }
    return out;
  } finally {
    await nc.close();
  }
}

export interface CollectInput {
  stack: StackHandle;
  db: Databases;
  http: Got;
  sent: SentOrder[];
  identities: Map<string, Identity>;
  stockBefore: StockSnapshot;
  unsettled: Evidence['unsettled'];
}

export async function collectEvidence(input: CollectInput): Promise<Evidence> {
  const { stack, db, http, sent } = input;
  const ids = sent.map((s) => s.orderId);
  const byOrder = <T extends { order_id: string }>(rows: T[]): Map<string, T[]> => {
    const map = new Map<string, T[]>();
    for (const row of rows) map.set(row.order_id, [...(map.get(row.order_id) ?? []), row]);
    return map;
  };
  const orders = new Map(
    (await db.query<{ id: string; status: string; total: number }>('orders', 'SELECT id, status, total FROM orders WHERE id = ANY($1::uuid[])', [ids])).map((r) => [r.id, r]),
  );
  const payments = byOrder(
    await db.query<{ order_id: string; kind: string; status: string; amount_received: number; amount_refunded: number }>(
      'billing',
      'SELECT order_id, kind, status, amount_received, amount_refunded FROM payments WHERE order_id = ANY($1::uuid[])',
      [ids],
    ),
  );
  const refunds = byOrder(await db.query<{ order_id: string; amount: number; status: string }>('billing', 'SELECT order_id, amount, status FROM refunds WHERE order_id = ANY($1::uuid[])', [ids]));
  const invoices = byOrder(await db.query<{ order_id: string; number: string | null; status: string }>('billing', 'SELECT order_id, number, status FROM invoices WHERE order_id = ANY($1::uuid[])', [ids]));
  const supplierOutcomes = new Map(
    (await db.query<{ order_id: string; supplier_outcome: string | null }>('billing', 'SELECT order_id, supplier_outcome FROM refund_holds WHERE order_id = ANY($1::uuid[])', [ids])).map((r) => [
      r.order_id,
      r.supplier_outcome,
    ]),
  );
  const openCheckouts = byOrder(await db.query<{ order_id: string }>('billing', "SELECT order_id FROM checkout_sessions WHERE status = 'open' AND order_id = ANY($1::uuid[])", [ids]));
  const workflows = new Map((await db.query<{ order_id: string; state: string }>('fulfillment', 'SELECT order_id, state FROM workflows WHERE order_id = ANY($1::uuid[])', [ids])).map((r) => [r.order_id, r]));
  const parcels = byOrder(await db.query<{ order_id: string; tracking_number: string }>('fulfillment', 'SELECT order_id, tracking_number FROM shipments WHERE order_id = ANY($1::uuid[])', [ids]));
  const followed = byOrder(await db.query<{ order_id: string; tracking_number: string; status: string }>('tracking', 'SELECT order_id, tracking_number, status FROM shipments WHERE order_id = ANY($1::uuid[])', [ids]));
  const known = new Set((await db.query<{ order_id: string }>('notifications', 'SELECT order_id FROM order_contexts WHERE order_id = ANY($1::uuid[])', [ids])).map((r) => r.order_id));

  // Supplier orders at the simulators, matched to ours by the reference our placements sent: a
  // supplier order's id is its reference, and the call log also has placements that rolled back
  // (the call log may miss a placement whose row could not be written, supplier-call-log.ts).
  const references = new Map(
    (
      await db.query<{ order_id: string; reference: string }>(
        'fulfillment',
        "SELECT order_id, id::text AS reference FROM supplier_orders UNION SELECT order_id, reference FROM supplier_calls WHERE operation = 'place' AND reference IS NOT NULL",
      )
    ).map((r) => [r.reference, r.order_id]),
  );
  const simulatorsUrl = stack.simulators!.url;
  const supplierOrders = new Map<string, OrderEvidence['supplierOrders']>();
  const strayedSupplierOrders: Evidence['strayedSupplierOrders'] = [];
  for (const supplier of SUPPLIERS) {
    const book = (await http.get(`${simulatorsUrl}/${supplier}/_sim/orders`, { responseType: 'json' })).body as { reference: string; stage: string }[];
    for (const entry of book) {
      const orderId = references.get(entry.reference);
      if (!orderId) strayedSupplierOrders.push({ supplier, reference: entry.reference });
      else supplierOrders.set(orderId, [...(supplierOrders.get(orderId) ?? []), { supplier, reference: entry.reference, stage: entry.stage }]);
    }
  }

  // Messages the providers accepted, keyed by (order, notice) per channel.
  const messages = new Map<string, OrderEvidence['messages']>();
  const add = (orderId: string | undefined, message: OrderEvidence['messages'][number]): void => {
    if (orderId) messages.set(orderId, [...(messages.get(orderId) ?? []), message]);
  };
  const byEmail = new Map<string, string>();
  const byPhone = new Map<string, string>();
  for (const [orderId, who] of input.identities) {
    byEmail.set(who.email, orderId);
    byPhone.set(who.phone, orderId);
  }
  for (const mail of await fetchSink(http, stack.smtp!.httpUrl)) {
    // The Message-ID is derived from (order, notice, channel): the same one twice is the same notification sent twice.
    for (const to of mail.to) add(byEmail.get(to), { channel: 'email', key: mail.messageId ?? mail.subject });
  }
  for (const sms of (await http.get(`${simulatorsUrl}/twilio/_sim/messages`, { responseType: 'json' })).body as { to: string; body: string }[]) {
    add(byPhone.get(sms.to), { channel: 'sms', key: sms.body });
  }
  for (const push of (await http.get(`${simulatorsUrl}/fcm/_sim/messages`, { responseType: 'json' })).body as { token: string; data: Record<string, string>; replacedBy: string | null }[]) {
    // `notice` tells one parcel's push from another's (pushes from before notices carry only `status`).
    add(push.data.orderId, { channel: 'push', key: `${push.data.notice ?? push.data.status} to ${push.token}`, collapsed: push.replacedBy !== null });
  }

  const evidenceOrders: OrderEvidence[] = sent.map((s) => {
    const order = orders.get(s.orderId);
    const orderPayments = payments.get(s.orderId);
    return {
      sent: s,
      orders: order ? { status: order.status, total: Number(order.total) } : null,
      billing: orderPayments
        ? {
            payments: orderPayments.map((p) => ({ kind: p.kind, status: p.status, amountReceived: Number(p.amount_received), amountRefunded: Number(p.amount_refunded) })),
            refunds: (refunds.get(s.orderId) ?? []).map((r) => ({ amount: Number(r.amount), status: r.status })),
            invoices: (invoices.get(s.orderId) ?? []).map((i) => ({ number: i.number, status: i.status })),
            openCheckouts: openCheckouts.get(s.orderId)?.length ?? 0,
            supplierOutcome: supplierOutcomes.get(s.orderId) ?? null,
          }
        : null,
      fulfillment: workflows.has(s.orderId)
        ? { state: workflows.get(s.orderId)!.state, trackingNumbers: (parcels.get(s.orderId) ?? []).map((p) => p.tracking_number) }
        : null,
      notificationsKnows: known.has(s.orderId),
      tracking: (followed.get(s.orderId) ?? []).map((t) => ({ trackingNumber: t.tracking_number, status: t.status })),
      supplierOrders: supplierOrders.get(s.orderId) ?? [],
      messages: messages.get(s.orderId) ?? [],
    };
  });

  const stockRows = await db.query<{ hub_id: string; sku: string; on_hand: number; reserved: number; holding: string | null; consumed: string | null }>(
    'fulfillment',
    `SELECT s.hub_id, s.sku, s.on_hand, s.reserved,
            (SELECT sum(quantity) FROM reservations r WHERE r.hub_id = s.hub_id AND r.sku = s.sku AND r.status IN ('held', 'confirmed')) AS holding,
            (SELECT sum(quantity) FROM reservations r WHERE r.hub_id = s.hub_id AND r.sku = s.sku AND r.status = 'consumed') AS consumed
       FROM hub_stock s`,
  );
  const stock: StockEvidence[] = stockRows.map((r) => ({
    hubId: r.hub_id,
    sku: r.sku,
    onHandBefore: input.stockBefore.get(`${r.hub_id}/${r.sku}`) ?? 0,
    onHand: Number(r.on_hand),
    reserved: Number(r.reserved),
    holding: Number(r.holding ?? 0),
    consumed: Number(r.consumed ?? 0),
  }));

  return {
    orders: evidenceOrders,
    deadLetters: await deadLetters(stack.natsUser('operator')),
    overdueTimers: await dueTimers(db, stack, http, 5_000),
    unsettled: input.unsettled,
    stock,
    strayedSupplierOrders,
  };
}

/**
 * What fulfillment did with one order, oldest first: its workflow's transitions, supplier orders,
 * supplier calls and timers. Printed under an anomaly so a failed run explains itself from its log.
 */
export async function fulfillmentTrail(db: Databases, orderId: string): Promise<string[]> {
  const iso = (at: Date | null) => at?.toISOString() ?? '-';
  const [history, supplierOrders, calls, timers] = await Promise.all([
    db.query<{ at: Date; from_state: string; to_state: string; trigger: string; details: unknown }>(
      'fulfillment',
      'SELECT at, from_state, to_state, trigger, details FROM workflow_history WHERE order_id = $1 ORDER BY at',
      [orderId],
    ),
    db.query<{ id: string; supplier: string; attempt: number; status: string; external_order_id: string | null; reason: string | null; updated_at: Date }>(
      'fulfillment',
      'SELECT id, supplier, attempt, status, external_order_id, reason, updated_at FROM supplier_orders WHERE order_id = $1 ORDER BY created_at',
      [orderId],
    ),
    db.query<{ created_at: Date; supplier: string; operation: string; reference: string | null; outcome: string; http_status: number | null; error: string | null }>(
      'fulfillment',
      'SELECT created_at, supplier, operation, reference, outcome, http_status, error FROM supplier_calls WHERE order_id = $1 ORDER BY created_at',
      [orderId],
    ),
    db.query<{ kind: string; fire_at: Date; fired_at: Date | null; attempts: number; last_error: string | null }>(
      'fulfillment',
      'SELECT kind, fire_at, fired_at, attempts, last_error FROM timers WHERE key = $1 ORDER BY created_at',
      [orderId],
    ),
  ]);
  return [
    ...history.map((h) => `history  ${iso(h.at)}  ${h.from_state} → ${h.to_state} on ${h.trigger} ${JSON.stringify(h.details)}`),
    ...supplierOrders.map((o) => `supplier order  ${o.supplier} attempt ${o.attempt} ${o.status} external ${o.external_order_id ?? '-'} (${o.id}) updated ${iso(o.updated_at)}${o.reason ? `: ${o.reason}` : ''}`),
    ...calls.map((c) => `supplier call  ${iso(c.created_at)}  ${c.supplier} ${c.operation} ${c.reference ?? ''} → ${c.outcome} ${c.http_status ?? ''}${c.error ? `: ${c.error}` : ''}`),
    ...timers.map((t) => `timer  ${t.kind} due ${iso(t.fire_at)} fired ${iso(t.fired_at)} attempts ${t.attempts}${t.last_error ? `: ${t.last_error}` : ''}`),
  ];
}
