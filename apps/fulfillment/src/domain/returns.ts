import { DomainError } from '@platform/contracts/errors';
import { type TransitionTable, transitions } from '@platform/contracts/transitions';
import type { ReturnPolicyValue } from '@platform/contracts/api/returns';
import type { ReturnCondition, ReturnLine, ReturnStatus } from '@platform/contracts/events/returns';
import { lineCounts, type ProgressInput } from './parcels';

/**
 * Returns of delivered units (docs/returns.md): which units may still be sent back and until
 * when, the restocking fee the policy charges, and the order of a return's steps. Pure.
 */

/** Until ops set it: 30 days to change one's mind; a resellable unit costs nothing, a damaged one 15 %. */
export const DEFAULT_RETURN_POLICY: ReturnPolicyValue = { windowDays: 30, restockingFeeBps: { resellable: 0, damaged: 1_500 } };

const DAY_MS = 86_400_000;

export const RETURN_TRANSITIONS: TransitionTable<ReturnStatus> = {
  requested: ['approved', 'refused'],
  refused: [],
  approved: ['in_transit', 'received'],
  // Ops may record the arrival when no carrier scan came.
  in_transit: ['received'],
  received: ['inspected'],
  inspected: ['refunded'],
  refunded: [],
};
export const returnTransitions = transitions(
  RETURN_TRANSITIONS,
  (from, to) => new DomainError('conflict', 'INVALID_RETURN_TRANSITION', `A return cannot go from ${from} to ${to}`),
);

/** Statuses whose units are on their way back or back: they count as returned for the order (from `received` on). */
export const UNITS_BACK: readonly ReturnStatus[] = ['received', 'inspected', 'refunded'];

/** An order line as a return needs it. */
export interface ReturnableLine {
  sku: string;
  variantId: string;
  vendorId: string;
}

/** What the customer asks to send back. */
export interface RequestedUnits {
  sku: string;
  variantId?: string | undefined;
  quantity: number;
}

const key = (line: { sku: string; vendorId: string }) => `${line.vendorId}\u0000${line.sku}`;

/**
 * The lines of a new return: each requested SKU (and variant, when given) taken from the order
 * lines that still have delivered units not already in a return (refused ones aside), within the
 * window since that line's last delivery. Refused with 422 naming the item otherwise.
 */
export function returnLines(input: {
  lines: ReturnableLine[];
  progress: ProgressInput;
  /** Units in the order's other returns that were not refused. */
  inReturns: Array<{ sku: string; vendorId: string; quantity: number }>;
  requested: RequestedUnits[];
  policy: ReturnPolicyValue;
  now: Date;
}): ReturnLine[] {
  const counts = lineCounts(input.progress);
  const left = new Map(counts.map((line) => [key(line), line.counts.delivered]));
  for (const unit of input.inReturns) left.set(key(unit), (left.get(key(unit)) ?? 0) - unit.quantity);
  const lastDelivery = new Map<string, number>();
  for (const shipment of input.progress.shipments) {
    if (shipment.status !== 'delivered' || !shipment.deliveredAt) continue;
    for (const item of shipment.items) lastDelivery.set(key(item), Math.max(lastDelivery.get(key(item)) ?? 0, Date.parse(shipment.deliveredAt)));
  }

  const result: ReturnLine[] = [];
  input.requested.forEach((wanted, index) => {
    const pointer = `/items/${index}`;
    const matching = input.lines.filter((line) => line.sku === wanted.sku && (wanted.variantId === undefined || line.variantId === wanted.variantId));
    if (matching.length === 0) throw unprocessable('RETURN_ITEM_NOT_IN_ORDER', `${wanted.sku} is not an item of this order`, `${pointer}/sku`, 'is not an item of this order');
    const delivered = matching.filter((line) => lastDelivery.has(key(line)));
    if (delivered.length === 0) throw unprocessable('RETURN_ITEM_NOT_DELIVERED', `${wanted.sku} has not been delivered`, `${pointer}/sku`, 'has not been delivered yet');
    const closesAt = Math.max(...delivered.map((line) => lastDelivery.get(key(line))!)) + input.policy.windowDays * DAY_MS;
    if (input.now.getTime() > closesAt) {
      const detail = `the return window (${input.policy.windowDays} days from delivery) closed on ${new Date(closesAt).toISOString()}`;
      throw unprocessable('RETURN_WINDOW_CLOSED', `${wanted.sku}: ${detail}`, `${pointer}/sku`, detail);
    }
    // Two vendors may sell one SKU: the units come from the lines in order, as far as each has some left.
    let quantity = wanted.quantity;
    for (const line of delivered) {
      const take = Math.min(quantity, Math.max(0, left.get(key(line)) ?? 0));
      if (take === 0) continue;
      left.set(key(line), left.get(key(line))! - take);
      quantity -= take;
      const existing = result.find((r) => key(r) === key(line) && r.variantId === line.variantId);
      if (existing) existing.quantity += take;
      else result.push({ sku: line.sku, variantId: line.variantId, vendorId: line.vendorId, quantity: take, condition: null, restockingFeeBps: null });
    }
    if (quantity > 0) {
      const returnable = wanted.quantity - quantity;
      throw unprocessable(
        'RETURN_EXCEEDS_DELIVERED_UNITS',
        `${wanted.quantity} × ${wanted.sku} to return, but only ${returnable} delivered and not already returned`,
        `${pointer}/quantity`,
        `at most ${returnable} (delivered minus already returned)`,
      );
    }
  });
  return result;
}

/** The inspected lines: every line given exactly one condition, and the restocking fee the policy charges for it. */
export function inspectedLines(lines: ReturnLine[], inspection: Array<{ sku: string; variantId: string; condition: ReturnCondition }>, policy: ReturnPolicyValue): ReturnLine[] {
  inspection.forEach((given, index) => {
    if (!lines.some((line) => line.sku === given.sku && line.variantId === given.variantId)) {
      throw unprocessable('INSPECTED_ITEM_NOT_IN_RETURN', `${given.sku} (${given.variantId}) is not in this return`, `/items/${index}`, 'is not a line of this return');
    }
  });
  return lines.map((line) => {
    const given = inspection.filter((i) => i.sku === line.sku && i.variantId === line.variantId);
    if (given.length !== 1) {
      throw unprocessable('INSPECTION_INCOMPLETE', `${line.sku} (${line.variantId}) needs exactly one condition`, '/items', `give one condition for ${line.sku} (${line.variantId})`);
    }
    const condition = given[0]!.condition;
    return { ...line, condition, restockingFeeBps: policy.restockingFeeBps[condition] };
  });
}

/** Units of returned lines by line, for the order's progress (`returned`). */
export function returnedUnits(returns: Array<{ status: ReturnStatus; items: Array<{ sku: string; vendorId: string; quantity: number }> }>): Array<{ sku: string; vendorId: string; quantity: number }> {
  return returns.filter((r) => UNITS_BACK.includes(r.status)).flatMap((r) => r.items.map(({ sku, vendorId, quantity }) => ({ sku, vendorId, quantity })));
}

function unprocessable(code: string, message: string, pointer: string, detail: string): DomainError {
  return new DomainError('unprocessable', code, message, [{ pointer, detail }]);
}
