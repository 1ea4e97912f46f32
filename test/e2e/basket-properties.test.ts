import { randomUUID } from 'node:crypto';
import type { OrderAllocation } from '@platform/contracts/api/billing';
import type { OrderFulfillment } from '@platform/contracts/api/fulfillment';
import type { CreateOrderInput, OrderWithParts } from '@platform/contracts/api/orders';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverParcel, getBilling, getFulfillment, pay, placeOrder, SUPPLIER_POLL, waitForStatus, waitForWorkflow } from '@platform/test-support/lifecycle';
import { eventually, type Platform, sleep, startPlatform } from '@platform/test-support/platform';

/**
 * Random multi-party baskets through the gateway (docs/requirements.md#ord-05-vendor-split and
 * the rest of issue 8's parts): 2–3 vendors, lines from hub stock, AliExpress, CJ and Spocket,
 * 1–3 units each; at random a supplier refuses, or the customer cancels before anything ships;
 * parcels are delivered in a random order. Each basket is driven to its end, then the services
 * are checked against each other:
 * - money: paid − refunded = Σ vendors' (earnings + fees − reversals); each vendor gives back
 *   exactly the price of its refused units, or all of its allocation when the order is cancelled;
 * - never more shipped than ordered, per line and per vendor part, and every unit delivered or
 *   cancelled at the end;
 * - stock at the hubs: on hand falls by exactly the units shipped from the hub, reserved is back
 *   where it was;
 * - the final statuses of orders, fulfillment, the sub-orders and billing form one of the
 *   accepted combinations (FINAL below).
 *
 * Seeded: PROPERTY_SEED and PROPERTY_RUNS (baskets; few by default, each takes a while); the seed
 * and the failing basket are printed with any failure.
 */

const SEED = Number(process.env.PROPERTY_SEED ?? 2026);
const RUNS = Number(process.env.PROPERTY_RUNS ?? 3);

type Source = 'own_stock' | 'aliexpress' | 'cj' | 'spocket';
const SUPPLIERS = ['aliexpress', 'cj', 'spocket'] as const;
const VENDORS = [
  { id: 'acme', type: 'brand' },
  { id: 'leaf', type: 'distributor' },
  { id: 'nova', type: 'brand' },
] as const;

interface Line {
  vendor: number;
  source: Source;
  quantity: number;
  unitPrice: number;
}
interface Basket {
  lines: Line[];
  /** What happens on the way: nothing, a supplier refusing its part (policy refund), or a cancel before shipment. */
  event: { kind: 'none' } | { kind: 'refuse'; pick: number } | { kind: 'cancel' };
  /** Which parcel on its way is delivered next, each time one is. */
  deliveries: number[];
}

const lineArb = (vendor: number) =>
  fc.record({
    vendor: fc.constant(vendor),
    source: fc.constantFrom<Source>('own_stock', 'aliexpress', 'cj', 'spocket'),
    quantity: fc.integer({ min: 1, max: 3 }),
    unitPrice: fc.integer({ min: 300, max: 4_000 }),
  });

/** Every vendor has at least one line, one line comes from a supplier (the workflow places with one), and a vendor's lines come from distinct sources. */
const basketArb: fc.Arbitrary<Basket> = fc
  .integer({ min: 2, max: 3 })
  .chain((vendors) =>
    fc.record({
      lines: fc
        .tuple(...Array.from({ length: vendors }, (_, v) => fc.array(lineArb(v), { minLength: 1, maxLength: 2 })))
        .map((perVendor) => perVendor.map((lines) => lines.filter((line, i) => lines.findIndex((other) => other.source === line.source) === i)).flat())
        .filter((lines) => lines.some((line) => line.source !== 'own_stock')),
      event: fc.oneof(fc.constant({ kind: 'none' as const }), fc.nat().map((pick) => ({ kind: 'refuse' as const, pick })), fc.constant({ kind: 'cancel' as const })),
      deliveries: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
    }),
  );

/**
 * Vendors 1 and 3 sell the same products (same SKU, same variant), so one parcel may carry two
 * vendors' units of one SKU and each must count for its own vendor.
 */
const HUB_SKUS = ['MUG-WHT', 'TSHIRT-BLK-M'] as const;
const catalogueOf = (vendor: number) => vendor % 2;
const skuOf = (source: Source, vendor: number) => (source === 'own_stock' ? HUB_SKUS[catalogueOf(vendor)]! : `SUP-${source.toUpperCase()}-${catalogueOf(vendor) + 1}`);

function orderBody(basket: Basket): CreateOrderInput {
  const tag = randomUUID().slice(0, 8);
  return {
    customer: { id: `cust-basket-${tag}`, email: `basket-${tag}@example.com`, name: 'Ana García', locale: 'en', timezone: 'Europe/Madrid' },
    shippingAddress: { name: 'Ana García', line1: 'Calle Mayor 1', city: 'Madrid', postalCode: '28001', country: 'ES', phone: '+34 600111222' },
    items: basket.lines.map((line) => ({
      sku: skuOf(line.source, line.vendor),
      variantId: line.source === 'aliexpress' ? '14:193#Black' : `var-${line.source}-${catalogueOf(line.vendor) + 1}`,
      name: `Item from ${line.source}`,
      quantity: line.quantity,
      unitPrice: line.unitPrice,
      vendor: VENDORS[line.vendor]!,
      supplierSource: line.source,
    })),
    currency: 'EUR',
  };
}

/** The supplier that refuses, if the basket's event says one does: one of those its lines use. */
function refusing(basket: Basket): (typeof SUPPLIERS)[number] | null {
  if (basket.event.kind !== 'refuse') return null;
  const used = SUPPLIERS.filter((s) => basket.lines.some((line) => line.source === s));
  return used[basket.event.pick % used.length]!;
}

const DELIVER_IN_ORDER = [0, 0, 0, 0, 0, 0, 0, 0];
const EXAMPLES: Basket[] = [
  {
    lines: [
      { vendor: 0, source: 'cj', quantity: 1, unitPrice: 1_250 },
      { vendor: 1, source: 'cj', quantity: 2, unitPrice: 990 },
    ],
    event: { kind: 'refuse', pick: 0 },
    deliveries: DELIVER_IN_ORDER,
  },
  {
    lines: [
      { vendor: 0, source: 'own_stock', quantity: 2, unitPrice: 900 },
      { vendor: 0, source: 'spocket', quantity: 1, unitPrice: 1_500 },
      { vendor: 1, source: 'aliexpress', quantity: 3, unitPrice: 700 },
    ],
    event: { kind: 'refuse', pick: 1 },
    deliveries: [1, 0, 1, 0, 1, 0, 1, 0],
  },
];

// ---------------------------------------------------------------------------------------------
// The final combinations the services may agree on, one row each.

interface FinalRule {
  name: string;
  order: readonly string[];
  fulfillmentStatus: readonly string[];
  workflow: readonly string[];
  /** Every sub-order's [status, fulfillment status] is one of these. */
  parts: ReadonlyArray<readonly [string, string]>;
  invoice: readonly string[];
  /** What was refunded, of what was paid. */
  refunded: 'none' | 'some' | 'all';
}

const FINAL: readonly FinalRule[] = [
  {
    name: 'everything delivered',
    order: ['delivered'],
    fulfillmentStatus: ['fulfilled'],
    workflow: ['delivered'],
    parts: [['delivered', 'fulfilled']],
    invoice: ['paid'],
    refunded: 'none',
  },
  {
    name: 'delivered, a failed part refunded',
    order: ['delivered'],
    fulfillmentStatus: ['fulfilled'],
    workflow: ['delivered'],
    parts: [
      ['delivered', 'fulfilled'],
      ['cancelled', 'cancelled'],
    ],
    invoice: ['paid'],
    refunded: 'some',
  },
  {
    name: 'cancelled before anything shipped, refunded',
    order: ['refunded'],
    fulfillmentStatus: ['cancelled'],
    workflow: ['cancelled', 'refunded'],
    parts: [
      ['cancelled', 'cancelled'],
      ['refunded', 'cancelled'],
    ],
    invoice: ['void'],
    refunded: 'all',
  },
];

interface Final {
  order: string;
  fulfillmentStatus: string;
  workflow: string;
  parts: Array<[string, string]>;
  invoice: string;
  refunded: 'none' | 'some' | 'all';
}

const matches = (rule: FinalRule, final: Final) =>
  rule.order.includes(final.order) &&
  rule.fulfillmentStatus.includes(final.fulfillmentStatus) &&
  rule.workflow.includes(final.workflow) &&
  final.parts.every(([status, fs]) => rule.parts.some(([s, f]) => s === status && f === fs)) &&
  rule.invoice.includes(final.invoice) &&
  rule.refunded === final.refunded;

// ---------------------------------------------------------------------------------------------

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform();
});
afterAll(async () => {
  await platform?.stop();
});

type Stock = Map<string, { onHand: number; reserved: number }>;
async function hubStock(): Promise<Stock> {
  const answer = await platform.gateway.get('v1/hubs');
  expect(answer.statusCode, JSON.stringify(answer.body)).toBe(200);
  const { hubs } = answer.body as { hubs: Array<{ id: string; stock: Array<{ sku: string; onHand: number; reserved: number }> }> };
  return new Map(hubs.flatMap((hub) => hub.stock.map((s) => [`${hub.id}/${s.sku}`, { onHand: s.onHand, reserved: s.reserved }] as const)));
}

const getParts = async (orderId: string) => ((await platform.gateway.get(`v1/orders/${orderId}`)).body as { order: OrderWithParts }).order;
/** A fresh UPU S10 number (`RR` + 8 digits + check digit + `ES`): tracking knows the carrier by it. */
function postalNumber(): string {
  const digits = String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
  const sum = [8, 6, 4, 2, 3, 5, 9, 7].reduce((total, weight, i) => total + weight * Number(digits[i]), 0);
  const check = 11 - (sum % 11);
  return `RR${digits}${check === 10 ? 0 : check === 11 ? 5 : check}ES`;
}

const FINISHED_WORKFLOW = ['delivered', 'cancelled', 'refunded', 'failed'];
const HUB_SHIPPABLE = ['supplier_confirmed', 'shipped', 'in_transit', 'out_for_delivery'];

/** The workflow's end, driving it: supplier polls (the clock), hub parcels recorded by ops, parcels delivered in the basket's order. */
async function driveToTheEnd(orderId: string, basket: Basket): Promise<OrderFulfillment> {
  let delivered = 0;
  for (let round = 0; round < 24; round++) {
    const fulfillment = await getFulfillment(platform, orderId);
    // A workflow failed as a whole (its only source refused) retries by itself.
    if (FINISHED_WORKFLOW.includes(fulfillment.state) && !(fulfillment.state === 'failed' && fulfillment.nextRetryAt)) return fulfillment;
    // A hub's part leaves once the suppliers confirmed theirs (before that fulfillment refuses it).
    const hubOpen = fulfillment.fulfillmentOrders.some((f) => ['ready_to_prepare', 'awaiting_shipment'].includes(f.status) && f.items.some((item) => item.remainingQuantity > 0));
    if (hubOpen && HUB_SHIPPABLE.includes(fulfillment.state)) {
      const shipped = await platform.gateway.post(`v1/orders/${orderId}/shipments`, { json: { trackingNumber: postalNumber(), carrier: 'Correos' } });
      expect(shipped.statusCode, JSON.stringify(shipped.body)).toBe(201);
    }
    const onTheirWay = (await getFulfillment(platform, orderId)).shipments.filter((s) => s.status === 'in_transit');
    if (onTheirWay.length > 0) {
      const next = onTheirWay[basket.deliveries[delivered++ % basket.deliveries.length]! % onTheirWay.length]!;
      await deliverParcel(platform, orderId, next.trackingNumber!);
      await eventually(() => getFulfillment(platform, orderId), (f) => f.shipments.find((s) => s.id === next.id)?.status === 'delivered', 15_000);
    } else {
      await platform.advanceClock('fulfillment', SUPPLIER_POLL + 1_000);
      await sleep(600);
    }
  }
  const stuck = await getFulfillment(platform, orderId);
  const where = {
    state: stuck.state,
    supplierOrders: stuck.supplierOrders.map((s) => `${s.supplier}:${s.status}`),
    fulfillmentOrders: stuck.fulfillmentOrders.map((f) => `${f.hubId}:${f.status}`),
    shipments: stuck.shipments.map((s) => `${s.source}:${s.status}`),
    failedParts: stuck.failedParts,
    items: stuck.order.items,
    history: stuck.history.map((h) => `${h.from}→${h.to} ${h.trigger} ${JSON.stringify(h.details).slice(0, 200)}`),
    calls: ((await platform.gateway.get(`v1/orders/${orderId}/supplier-calls`)).body as { calls: Array<{ supplier: string; operation: string; outcome: string; error: string | null }> }).calls.map(
      (c) => `${c.supplier} ${c.operation} ${c.outcome} ${c.error ?? ''}`,
    ),
  };
  throw new Error(`the order did not finish: ${JSON.stringify(where)}`);
}

interface ItemUnits {
  sku: string;
  vendorId?: string;
  quantity: number;
}

/** Runs one basket to its end and lists what is wrong across the services (empty: nothing). */
async function runBasket(basket: Basket): Promise<string[]> {
  for (const supplier of SUPPLIERS) await platform.simulators.delete(`${supplier}/_sim/behaviour`);
  const refuses = refusing(basket);
  // A source refusing part of the order fails that part alone; refusing all of it fails the attempt, and the retry places it again.
  const partialRefusal = refuses !== null && basket.lines.some((line) => line.source !== refuses);
  if (refuses) await platform.simulators.post(`${refuses}/_sim/behaviour`, { json: { mode: 'reject', times: 1, options: { reason: 'Out of stock' } } });
  const stockBefore = await hubStock();

  const body = orderBody(basket);
  const order = await placeOrder(platform, body);
  await pay(platform, order.id);
  await waitForStatus(platform, order.id, 'confirmed');
  await waitForWorkflow(platform, order.id, 'payment_confirmed');
  await platform.advanceClock('fulfillment', 61_000);
  await eventually(() => getFulfillment(platform, order.id), (f) => f.state !== 'payment_confirmed' && f.state !== 'processing', 30_000);
  if (basket.event.kind === 'cancel') {
    const cancelled = await platform.gateway.post(`v1/orders/${order.id}/cancel`, { json: { reason: 'Changed my mind' } });
    expect(cancelled.statusCode, JSON.stringify(cancelled.body)).toBe(200);
  }
  await driveToTheEnd(order.id, basket);
  // After a cancel, each supplier order is cancelled at its supplier, or (no cancel API) left to
  // ops, who settle it here; billing holds the money until then.
  const ended = await eventually(() => getFulfillment(platform, order.id), (f) => f.supplierOrders.every((s) => !['placed', 'confirmed'].includes(s.status)), 30_000);
  for (const task of ended.opsTasks.filter((t) => t.kind === 'supplier_cancellation' && t.status === 'open')) {
    const resolved = await platform.gateway.post(`v1/ops/tasks/${task.id}/resolve`, { json: { outcome: 'cancelled_at_supplier', note: 'cancelled in the console' } });
    expect(resolved.statusCode, JSON.stringify(resolved.body)).toBe(200);
  }
  // Orders and billing follow the workflow's end by events: wait until they stop moving.
  await eventually(() => getParts(order.id), (o) => ['delivered', 'refunded'].includes(o.status), 30_000).catch(() => undefined);
  await sleep(1_500);
  const problems: string[] = [];
  const parts = await getParts(order.id);
  const billing = await getBilling(platform, order.id);
  const allocationAnswer = await platform.gateway.get(`v1/orders/${order.id}/allocation`);
  expect(allocationAnswer.statusCode, JSON.stringify(allocationAnswer.body)).toBe(200);
  const allocation = allocationAnswer.body as OrderAllocation;
  const final = await getFulfillment(platform, order.id);

  // Never more shipped than ordered, per line (fulfillment's parcels) and per vendor part (orders' units).
  const shippedBy = new Map<string, number>();
  for (const shipment of final.shipments.filter((s) => s.status !== 'cancelled')) {
    for (const item of shipment.items as ItemUnits[]) shippedBy.set(`${item.vendorId}/${item.sku}`, (shippedBy.get(`${item.vendorId}/${item.sku}`) ?? 0) + item.quantity);
  }
  for (const line of body.items) {
    const shipped = shippedBy.get(`${line.vendor!.id}/${line.sku}`) ?? 0;
    if (shipped > line.quantity) problems.push(`line ${line.vendor!.id}/${line.sku}: ${shipped} shipped of ${line.quantity} ordered`);
  }
  for (const part of parts.subOrders) {
    const u = part.units;
    if (u.shipped + u.cancelled > u.ordered) problems.push(`part ${part.number}: shipped ${u.shipped} + cancelled ${u.cancelled} > ordered ${u.ordered}`);
    // A part cancelled with its order keeps its units as ordered (orders cancels it, not fulfillment's count); nothing of it left.
    if (['cancelled', 'refunded'].includes(part.status)) {
      if (u.shipped > 0) problems.push(`part ${part.number} is ${part.status}, yet ${u.shipped} of its units shipped`);
    } else if (u.delivered + u.cancelled !== u.ordered) {
      problems.push(`part ${part.number}: at the end ${u.delivered} delivered + ${u.cancelled} cancelled ≠ ${u.ordered} ordered`);
    }
  }

  // Money: what was paid less what was refunded is what the vendors and the platform keep.
  const paid = billing.payments.reduce((sum, p) => sum + p.amountReceived, 0);
  const refunded = billing.refunds.filter((r) => r.status === 'succeeded').reduce((sum, r) => sum + r.amount, 0);
  const kept = allocation.vendors.reduce((sum, v) => sum + v.earnings + v.fees - v.reversedEarnings - v.reversedFees, 0);
  if (paid - refunded !== kept) problems.push(`money: paid ${paid} − refunded ${refunded} ≠ kept by vendors and fees ${kept} (${JSON.stringify(allocation.check)})`);
  if (!allocation.check.balanced) problems.push(`billing's own check: ${allocation.check.problems.join('; ')}`);
  // What each vendor gives back: everything when the order is cancelled; else the price of its
  // refused units (refunded at their price: tax and shipping stay shared by vendor,
  // docs/requirements.md#bil-02-payments-and-refunds), never more than it was allocated.
  const orderCancelled = ['cancelled', 'refunded'].includes(parts.status);
  for (const part of parts.subOrders) {
    const vendor = allocation.vendors.find((v) => v.vendorId === part.vendor.id);
    const reversed = vendor ? vendor.reversedEarnings + vendor.reversedFees : 0;
    const refusedPrice = basket.lines
      .filter((line) => partialRefusal && line.source === refuses && VENDORS[line.vendor]!.id === part.vendor.id)
      .reduce((sum, line) => sum + line.quantity * line.unitPrice, 0);
    const expected = orderCancelled ? (vendor?.allocated ?? 0) : Math.min(refusedPrice, vendor?.allocated ?? 0);
    if (reversed !== expected) problems.push(`vendor ${part.vendor.id}: ${reversed} reversed, expected ${expected} (${orderCancelled ? 'the order was cancelled' : 'the price of its refused units'})`);
  }

  // Stock at the hubs: on hand less by what left each hub, nothing left reserved by this order.
  const stockAfter = await hubStock();
  const fromHub = new Map<string, number>();
  for (const shipment of final.shipments.filter((s) => s.fulfillmentOrderId && s.status !== 'cancelled')) {
    const hubId = final.fulfillmentOrders.find((fo) => fo.id === shipment.fulfillmentOrderId)!.hubId;
    for (const item of shipment.items as ItemUnits[]) fromHub.set(`${hubId}/${item.sku}`, (fromHub.get(`${hubId}/${item.sku}`) ?? 0) + item.quantity);
  }
  for (const [key, before] of stockBefore) {
    const after = stockAfter.get(key) ?? { onHand: 0, reserved: 0 };
    const left = fromHub.get(key) ?? 0;
    if (before.onHand - after.onHand !== left) problems.push(`stock ${key}: on hand ${before.onHand} → ${after.onHand}, but ${left} left the hub`);
    if (after.reserved !== before.reserved) problems.push(`stock ${key}: reserved ${before.reserved} → ${after.reserved} after the order ended`);
  }

  // The services agree on how it ended.
  const invoice = billing.invoices[0]?.status ?? 'none';
  const summary: Final = {
    order: parts.status,
    fulfillmentStatus: parts.fulfillmentStatus,
    workflow: final.state,
    parts: parts.subOrders.map((p) => [p.status, p.fulfillmentStatus]),
    invoice,
    refunded: refunded === 0 ? 'none' : refunded === paid ? 'all' : 'some',
  };
  if (!FINAL.some((rule) => matches(rule, summary))) problems.push(`no accepted combination: ${JSON.stringify(summary)}`);
  const expected =
    basket.event.kind === 'cancel' ? ['cancelled before anything shipped, refunded'] : partialRefusal ? ['delivered, a failed part refunded'] : ['everything delivered'];
  const rule = FINAL.find((r) => matches(r, summary));
  if (rule && !expected.includes(rule.name)) problems.push(`ended as "${rule.name}", expected one of ${expected.join(', ')}`);
  // A credit line for every refund of part of the order.
  if (summary.refunded === 'some' && !billing.invoices[0]?.adjustments.some((a) => a.kind === 'credit')) problems.push('a partial refund without a credit line on the invoice');
  return problems.map((p) => `${order.number}: ${p}`);
}

describe(`random multi-party baskets (PROPERTY_SEED=${SEED} PROPERTY_RUNS=${RUNS})`, () => {
  it(
    'conserve money and stock, never ship more than ordered, and end in statuses every service agrees on',
    async () => {
      await fc.assert(
        fc.asyncProperty(basketArb, async (basket) => {
          const problems = await runBasket(basket);
          if (problems.length > 0) console.error(`basket ${JSON.stringify(basket)}; repeat with PROPERTY_SEED=${SEED} PROPERTY_RUNS=${RUNS}\n${problems.join('\n')}`);
          expect(problems, `seed ${SEED}, basket ${JSON.stringify(basket)}`).toEqual([]);
        }),
        // Each basket takes seconds: no shrinking (the basket is printed), few runs by default,
        // after two fixed ones the random few may miss: a source refusing the whole order, and
        // one refusing a part beside hub stock.
        { seed: SEED, numRuns: RUNS + EXAMPLES.length, endOnFailure: true, examples: EXAMPLES.map((basket) => [basket] as [Basket]) },
      );
    },
    RUNS * 150_000,
  );
});
