import { randomUUID } from 'node:crypto';
import { decodeCursor, encodeCursor } from '@platform/contracts/api/page-cursor';
import type { CreateReturnRequest, InspectReturnRequest, ReturnPolicy, ReturnPolicyValue, ReturnView } from '@platform/contracts/api/returns';
import { DomainError } from '@platform/contracts/errors';
import { newEvent, recordEvent } from '@platform/runtime/outbox';
import { type EventData, type refundSucceeded, returnChanged, type ReturnLine, type ReturnStatus, type trackingStatusChanged } from '@platform/contracts';
import type { Transaction } from '../adapters/database';
import type { ReturnLabel } from '../adapters/return-labels';
import { DEFAULT_RETURN_POLICY, inspectedLines, returnLines, returnTransitions } from '../domain/returns';
import { type Fulfillment, SERVICE } from './context';
import { addReturnedStock } from './hubs';
import { progressInput, recordProgress } from './progress';
import { loadWorkflow, WorkflowNotFoundError } from './workflow-store';

/**
 * Returns (RMA) of delivered units (docs/returns.md): opened by the customer or ops, approved
 * with a label bought from the carrier or refused, followed back to a hub, received, inspected
 * (resellable units back in the hub's stock), refunded by billing. Every step is one
 * `fulfillment.return.changed` with the whole return, in the transaction that made it.
 */

const RETURNS_POLICY = 'returns';

type ReturnRow = NonNullable<Awaited<ReturnType<Transaction['return']['findUnique']>>>;

const linesOf = (row: ReturnRow) => row.items as unknown as ReturnLine[];
const labelOf = (row: ReturnRow) => row.label as unknown as ReturnLabel | null;

export function returnView(row: ReturnRow): ReturnView {
  return {
    returnId: row.id,
    orderId: row.orderId,
    number: row.number,
    status: row.status as ReturnStatus,
    reason: row.reason,
    items: linesOf(row),
    label: labelOf(row),
    hubId: row.hubId,
    refusalReason: row.refusalReason,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function recordReturnChanged(tx: Transaction, row: ReturnRow, previousStatus: ReturnStatus | null, actor: string, now: Date) {
  const { createdAt: _created, updatedAt: _updated, ...data } = returnView(row);
  return recordEvent(
    tx,
    newEvent(returnChanged, { aggregateId: row.orderId, source: SERVICE, occurredAt: now, data: { ...data, previousStatus, actor, at: now.toISOString() } }),
  );
}

async function lockedReturn(tx: Transaction, returnId: string): Promise<ReturnRow> {
  // Row lock: two steps of one return (ops and a carrier scan) run one after the other.
  await tx.$executeRaw`SELECT 1 FROM returns WHERE id = ${returnId}::uuid FOR UPDATE`;
  const row = await tx.return.findUnique({ where: { id: returnId } });
  if (!row) throw new DomainError('not_found', 'RETURN_NOT_FOUND', `Return ${returnId} not found`);
  return row;
}

/** The return another service's event names, locked; null (logged, the event ignored) when no such return exists here. */
async function knownReturn(tx: Transaction, fulfillment: Fulfillment, returnId: string, what: string): Promise<ReturnRow | null> {
  if (await tx.return.findUnique({ where: { id: returnId }, select: { id: true } })) return lockedReturn(tx, returnId);
  fulfillment.log.warn({ returnId }, `${what} of an unknown return; ignored`);
  return null;
}

/** Moves a return from the status it was read in (the table says whether it may) and records the step. */
async function moveReturn(
  tx: Transaction,
  fulfillment: Fulfillment,
  row: ReturnRow,
  to: ReturnStatus,
  changes: { items?: ReturnLine[]; label?: ReturnLabel; hubId?: string; refusalReason?: string },
  actor: string,
): Promise<ReturnRow> {
  returnTransitions.assertTransition(row.status as ReturnStatus, to);
  const now = fulfillment.clock.now();
  const { items, label, ...rest } = changes;
  const moved = await tx.return.update({
    where: { id: row.id },
    data: { ...rest, ...(items && { items: items as object[] }), ...(label && { label: { ...label } }), status: to, updatedAt: now },
  });
  await recordReturnChanged(tx, moved, row.status as ReturnStatus, actor, now);
  return moved;
}

async function readPolicy(db: Pick<Transaction, 'fulfillmentPolicy'>) {
  const row = await db.fulfillmentPolicy.findUnique({ where: { key: RETURNS_POLICY } });
  return { value: (row?.value as ReturnPolicyValue | undefined) ?? DEFAULT_RETURN_POLICY, row };
}

/** `GET /ops/policies/returns`. */
export async function returnPolicy(fulfillment: Fulfillment): Promise<ReturnPolicy> {
  const { value, row } = await readPolicy(fulfillment.db);
  return { ...value, updatedAt: row?.updatedAt.toISOString() ?? null, updatedBy: row?.updatedBy ?? null };
}

/** `PUT /ops/policies/returns`: applies to returns opened and inspected from now on. */
export async function setReturnPolicy(fulfillment: Fulfillment, value: ReturnPolicyValue, actor: string): Promise<ReturnPolicy> {
  const now = fulfillment.clock.now();
  const stored = { windowDays: value.windowDays, restockingFeeBps: { ...value.restockingFeeBps } };
  const row = await fulfillment.db.fulfillmentPolicy.upsert({
    where: { key: RETURNS_POLICY },
    create: { key: RETURNS_POLICY, value: stored, updatedAt: now, updatedBy: actor },
    update: { value: stored, updatedAt: now, updatedBy: actor },
  });
  fulfillment.log.info({ policy: RETURNS_POLICY, ...stored, actor }, 'return policy set');
  return { ...stored, updatedAt: row.updatedAt.toISOString(), updatedBy: row.updatedBy };
}

/**
 * `POST /orders/:orderId/returns`: a return of delivered units within the window, never more
 * than were delivered minus those already in a return (422 naming the item otherwise). The
 * workflow row is locked, so two requests for one order are checked one after the other.
 */
export function requestReturn(fulfillment: Fulfillment, orderId: string, request: CreateReturnRequest, actor: string): Promise<ReturnView> {
  return fulfillment.db.$transaction(async (tx) => {
    const workflow = await loadWorkflow(tx, fulfillment, orderId, { lock: true });
    if (!workflow) throw new WorkflowNotFoundError(orderId);
    const { order } = workflow.snapshot.context;
    const existing = await tx.return.findMany({ where: { orderId }, select: { status: true, items: true } });
    const now = fulfillment.clock.now();
    const items = returnLines({
      lines: order.items,
      progress: await progressInput(tx, orderId, order.items),
      inReturns: existing.filter((r) => r.status !== 'refused').flatMap((r) => r.items as unknown as ReturnLine[]),
      requested: request.items,
      policy: (await readPolicy(tx)).value,
      now,
    });
    const row = await tx.return.create({
      data: {
        id: randomUUID(),
        orderId,
        number: `RMA-${order.number}-${existing.length + 1}`,
        status: 'requested',
        reason: request.reason.trim(),
        items: items as object[],
        createdBy: actor,
        createdAt: now,
        updatedAt: now,
      },
    });
    await recordReturnChanged(tx, row, null, actor, now);
    return returnView(row);
  });
}

/** `GET /orders/:orderId/returns`: oldest first. */
export async function orderReturns(fulfillment: Fulfillment, orderId: string): Promise<ReturnView[]> {
  const rows = await fulfillment.db.return.findMany({ where: { orderId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  return rows.map(returnView);
}

/** `GET /ops/returns`: newest first, optionally by status, a page at a time. */
export async function listReturns(fulfillment: Fulfillment, query: { status?: ReturnStatus | undefined; limit: number; cursor?: string | undefined }) {
  const after = query.cursor ? decodeCursor(query.cursor) : undefined;
  const rows = await fulfillment.db.return.findMany({
    where: {
      ...(query.status && { status: query.status }),
      ...(after && { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] }),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: query.limit + 1,
  });
  const page = rows.slice(0, query.limit);
  return { returns: page.map(returnView), nextCursor: rows.length > query.limit ? encodeCursor(page.at(-1)!) : null };
}

/** Where the parcel goes back to: the hub the order's own stock left from, else the active hub ops rank first. */
async function returnHub(tx: Transaction, orderId: string) {
  const shippedFrom = await tx.fulfillmentOrder.findFirst({ where: { orderId }, orderBy: { createdAt: 'asc' }, include: { hub: true } });
  if (shippedFrom) return shippedFrom.hub;
  const hub = await tx.hub.findFirst({ where: { active: true }, orderBy: [{ priority: 'desc' }, { id: 'asc' }] });
  if (!hub) throw new DomainError('conflict', 'NO_RETURN_HUB', 'No active hub can receive the return');
  return hub;
}

/**
 * `POST /ops/returns/:returnId/approve`: the label is bought from the carrier first (no
 * transaction is held open over the call), then the return is approved with it, unless
 * somebody moved it meanwhile (then the label goes unused, as a label never posted does).
 */
export async function approveReturn(fulfillment: Fulfillment, returnId: string, actor: string): Promise<ReturnView> {
  const { row, hub, from } = await fulfillment.db.$transaction(async (tx) => {
    const row = await lockedReturn(tx, returnId);
    returnTransitions.assertTransition(row.status as ReturnStatus, 'approved');
    const workflow = await loadWorkflow(tx, fulfillment, row.orderId);
    if (!workflow) throw new WorkflowNotFoundError(row.orderId);
    return { row, hub: await returnHub(tx, row.orderId), from: workflow.snapshot.context.order.shippingAddress };
  });
  const label = await fulfillment.returnLabels.buy({
    reference: row.number,
    from: { name: from.name, line1: from.line1, city: from.city, postalCode: from.postalCode, country: from.country },
    to: { name: hub.name, country: hub.country },
  });
  return fulfillment.db.$transaction(async (tx) => returnView(await moveReturn(tx, fulfillment, await lockedReturn(tx, returnId), 'approved', { label, hubId: hub.id }, actor)));
}

/** `POST /ops/returns/:returnId/refuse`. */
export function refuseReturn(fulfillment: Fulfillment, returnId: string, reason: string, actor: string): Promise<ReturnView> {
  return fulfillment.db.$transaction(async (tx) => returnView(await moveReturn(tx, fulfillment, await lockedReturn(tx, returnId), 'refused', { refusalReason: reason.trim() }, actor)));
}

/** The parcel is at the hub: its units count as returned for the order (`fulfillment.progress.changed`, cause `units_returned`). */
async function receive(tx: Transaction, fulfillment: Fulfillment, row: ReturnRow, actor: string): Promise<ReturnRow> {
  const received = await moveReturn(tx, fulfillment, row, 'received', {}, actor);
  await recordProgress(tx, fulfillment, row.orderId, { kind: 'units_returned', shipmentId: null });
  return received;
}

/** `POST /ops/returns/:returnId/receive`: ops record the arrival when no carrier scan said so. */
export function receiveReturn(fulfillment: Fulfillment, returnId: string, actor: string): Promise<ReturnView> {
  return fulfillment.db.$transaction(async (tx) => returnView(await receive(tx, fulfillment, await lockedReturn(tx, returnId), actor)));
}

/**
 * A scan of a return parcel (tracking's events name the return): on its way → in_transit; delivered
 * (at the hub) → received. It never touches the order's shipments or workflow; a scan that
 * comes after the return moved on changes nothing.
 */
export async function applyReturnParcelUpdate(tx: Transaction, fulfillment: Fulfillment, update: EventData<typeof trackingStatusChanged> & { returnId: string }): Promise<void> {
  const locked = await knownReturn(tx, fulfillment, update.returnId, 'tracking update');
  if (!locked) return;
  const status = locked.status as ReturnStatus;
  if (update.status === 'delivered') {
    if (returnTransitions.canTransition(status, 'received')) await receive(tx, fulfillment, locked, 'system');
  } else if (['info_received', 'in_transit', 'out_for_delivery'].includes(update.status) && status === 'approved') {
    await moveReturn(tx, fulfillment, locked, 'in_transit', {}, 'system');
  }
}

/**
 * `POST /ops/returns/:returnId/inspect`: each line's condition fixes its restocking fee (the
 * policy now); resellable units go back into the receiving hub's stock (serving its backorders).
 * Billing refunds from the `inspected` event.
 */
export function inspectReturn(fulfillment: Fulfillment, returnId: string, inspection: InspectReturnRequest, actor: string): Promise<ReturnView> {
  return fulfillment.db.$transaction(async (tx) => {
    const row = await lockedReturn(tx, returnId);
    returnTransitions.assertTransition(row.status as ReturnStatus, 'inspected');
    const items = inspectedLines(linesOf(row), inspection.items, (await readPolicy(tx)).value);
    const now = fulfillment.clock.now();
    await addReturnedStock(tx, fulfillment, row.hubId!, items.filter((l) => l.condition === 'resellable'), now);
    return returnView(await moveReturn(tx, fulfillment, row, 'inspected', { items }, actor));
  });
}

/** Billing refunded an inspected return (`billing.refund.succeeded` naming it): refunded, once. */
export async function applyReturnRefunded(tx: Transaction, fulfillment: Fulfillment, refund: EventData<typeof refundSucceeded> & { returnId: string }): Promise<void> {
  const locked = await knownReturn(tx, fulfillment, refund.returnId, 'refund');
  if (locked && returnTransitions.canTransition(locked.status as ReturnStatus, 'refunded')) await moveReturn(tx, fulfillment, locked, 'refunded', {}, 'system');
}
