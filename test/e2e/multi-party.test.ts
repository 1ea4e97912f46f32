import { randomUUID } from 'node:crypto';
import type { OrderAllocation, VendorLedger, VendorPayouts } from '@platform/contracts/api/billing';
import type { OrderDetail } from '@platform/contracts/api/gateway';
import type { CreateOrderInput, Order } from '@platform/contracts/api/orders';
import type { OrderFulfillment } from '@platform/contracts/api/fulfillment';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  advanceFulfillmentUntil,
  deliverParcel,
  getBilling,
  getFulfillment,
  getOrder,
  HOUR,
  lifecycleOrder,
  pay,
  placeOrder,
  SUPPLIER_POLL,
  waitForStatus,
  waitForWorkflow,
  withoutQuietHours,
} from '@platform/test-support/lifecycle';
import { DEV_KEYS, eventually, type Platform, startPlatform } from '@platform/test-support/platform';

/**
 * The end-to-end proofs of multi-party orders (docs/requirements.md#multi-party-proofs), through
 * the gateway on the whole platform: one order of a brand and a distributor from three sources
 * (hub stock, AliExpress, CJ) in three parcels; the same order with CJ refusing (refund, or
 * re-route to a hub); and short stock under each policy. Time passes on the services' clocks.
 */

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform();
});
afterAll(async () => {
  await platform?.stop();
});

/** Billing's default platform fees (PLATFORM_FEE_BRAND_BPS, PLATFORM_FEE_DISTRIBUTOR_BPS). */
const FEE_BPS = { brand: 1_000, distributor: 1_500 } as const;

/**
 * Vendors of their own per test (their ledgers hold this order's entries only): a brand with a
 * hub line (MUG-WHT, 2 × 12.50 from the price book) and an AliExpress line (20.00), a distributor
 * with a hub line (CHARGER-USB-C, 24.99 from the price book) and a CJ line (2 × 9.90). Over 50.00:
 * shipping is free, so each vendor's allocation is exactly its items.
 */
function threeSourceOrder(): { body: CreateOrderInput; brand: string; distributor: string } {
  const body = lifecycleOrder('aliexpress');
  const tag = randomUUID().slice(0, 8);
  const brand = { id: `brand-${tag}`, type: 'brand' as const };
  const distributor = { id: `dist-${tag}`, type: 'distributor' as const };
  body.items = [
    { sku: 'MUG-WHT', variantId: 'mug-wht-350', name: 'White mug', quantity: 2, vendor: brand, supplierSource: 'own_stock' },
    { sku: 'SUP-ALIEXPRESS-1', variantId: '14:193#Black', name: 'Travel mug', quantity: 1, unitPrice: 2000, vendor: brand, supplierSource: 'aliexpress' },
    { sku: 'CHARGER-USB-C', variantId: 'charger-usb-c-65w', name: 'USB-C charger', quantity: 1, vendor: distributor, supplierSource: 'own_stock' },
    { sku: 'SUP-CJ-1', variantId: 'var-cj-1', name: 'Phone case', quantity: 2, unitPrice: 990, vendor: distributor, supplierSource: 'cj' },
  ];
  return { body, brand: brand.id, distributor: distributor.id };
}
const BRAND_ITEMS = 2 * 1250 + 2000;
const DISTRIBUTOR_ITEMS = 2499 + 2 * 990;
const CJ_ITEMS = 2 * 990;
/** Half up to the minor unit, as billing rounds fees. */
const feeOf = (amount: number, bps: number) => Math.floor((amount * bps + 5_000) / 10_000);

/** A UPU S10 tracking number (with its check digit) for a hub parcel handed to Correos. */
function s10(): string {
  const serial = String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
  const sum = [...serial].reduce((acc, digit, i) => acc + Number(digit) * [8, 6, 4, 2, 3, 5, 9, 7][i]!, 0);
  const check = 11 - (sum % 11);
  return `RR${serial}${check === 10 ? 0 : check === 11 ? 5 : check}ES`;
}

const ops = () => platform.as(DEV_KEYS.ops);
const emailSubjects = (address: string) => platform.stack.smtp!.messages().filter((m) => m.to.includes(address)).map((m) => m.subject);
const ledgerOf = async (vendorId: string) => (await ops().get(`v1/vendors/${vendorId}/ledger`)).body as VendorLedger;
const allocationOf = async (orderId: string) => (await ops().get(`v1/orders/${orderId}/allocation`)).body as OrderAllocation;
/** Σ of a vendor's ledger entries of one order, by kind. */
async function ledgerSums(vendorId: string, orderId: string): Promise<Record<string, number>> {
  const sums: Record<string, number> = {};
  for (const entry of (await ledgerOf(vendorId)).entries.filter((e) => e.orderId === orderId)) sums[entry.kind] = (sums[entry.kind] ?? 0) + entry.amount;
  return sums;
}

/** Suppliers confirm but hold their parcels (captured at placement), so each leaves when the test says. */
async function holdSupplierParcels(): Promise<void> {
  for (const supplier of ['aliexpress', 'cj']) {
    await platform.simulators.post(`${supplier}/_sim/behaviour`, { json: { mode: 'ok', options: { ship: false } } });
  }
}

/** Place, pay, let the 60 s pass; returns the workflow once its supplier orders are placed. */
async function placeAndPay(body: CreateOrderInput): Promise<{ order: Order; placed: OrderFulfillment }> {
  await withoutQuietHours(platform, body.customer.id);
  const order = await placeOrder(platform, body);
  await pay(platform, order.id);
  await waitForStatus(platform, order.id, 'confirmed');
  await waitForWorkflow(platform, order.id, 'payment_confirmed');
  await platform.advanceClock('fulfillment', 61_000);
  const placed = await waitForWorkflow(platform, order.id, 'placed_with_supplier');
  return { order, placed };
}

/** The supplier hands its held parcel to the carrier; fulfillment's polls find it. */
async function supplierShips(orderId: string, placed: OrderFulfillment, supplier: 'aliexpress' | 'cj', parcels: number): Promise<OrderFulfillment> {
  const ours = placed.supplierOrders.find((s) => s.supplier === supplier)!;
  const atSupplier = ((await platform.simulators.get(`${supplier}/_sim/orders`)).body as Array<{ id: string; reference: string }>).find((o) => o.reference === ours.id)!;
  expect((await platform.simulators.post(`${supplier}/_sim/orders/${atSupplier.id}/advance`)).statusCode).toBe(200);
  for (let step = 0; step < 4 && (await getFulfillment(platform, orderId)).shipments.length < parcels; step++) {
    await platform.advanceClock('fulfillment', HOUR + 1_000);
  }
  return eventually(() => getFulfillment(platform, orderId), (f) => f.shipments.length === parcels, 10_000);
}

async function shipFromHub(orderId: string): Promise<string> {
  const trackingNumber = s10();
  const shipped = await platform.gateway.post(`v1/orders/${orderId}/shipments`, { json: { trackingNumber, carrier: 'Correos' } });
  expect(shipped.statusCode, JSON.stringify(shipped.body)).toBe(201);
  return trackingNumber;
}

/** What parcels carry, as `SKU×quantity`, sorted. */
const contents = (shipments: OrderFulfillment['shipments']) =>
  shipments.flatMap((s) => (s.items as Array<{ sku: string; quantity: number }>).map((i) => `${i.sku}×${i.quantity}`)).sort();

/** A hub of this test's own in Spain (the customer's country), ranked first, and SKUs only it stocks. */
async function ownHub(stock: Record<string, number>, restock?: { sku: string; at: string; quantity: number }): Promise<string> {
  const id = `hub-proof-${randomUUID().slice(0, 8)}`;
  const created = await platform.gateway.post('v1/hubs', { json: { id, name: 'Proof hub', country: 'ES', costPerItem: 100, costPerShipment: 300, priority: 9 } });
  expect(created.statusCode, JSON.stringify(created.body)).toBe(201);
  for (const [sku, onHand] of Object.entries(stock)) {
    const next = restock?.sku === sku ? { restockExpectedAt: restock.at, restockQuantity: restock.quantity } : {};
    const set = await platform.gateway.put(`v1/hubs/${id}/stock/${sku}`, { json: { onHand, ...next } });
    expect(set.statusCode, JSON.stringify(set.body)).toBe(200);
  }
  return id;
}
const fulfillmentStatusBecomes = (orderId: string, status: Order['fulfillmentStatus']) =>
  eventually(() => getOrder(platform, orderId), (o) => o.fulfillmentStatus === status, 15_000);

describe('one order, two vendors, three sources, three parcels', () => {
  it('is partially shipped until the last parcel leaves, delivered after the last arrives, a notice per parcel, each vendor paid its share minus the fee', async () => {
    const { body, brand, distributor } = threeSourceOrder();
    await holdSupplierParcels();
    const { order, placed } = await placeAndPay(body);
    await platform.simulators.delete('aliexpress/_sim/behaviour');
    await platform.simulators.delete('cj/_sim/behaviour');
    expect(order.totals).toMatchObject({ subtotal: BRAND_ITEMS + DISTRIBUTOR_ITEMS, shipping: 0, total: BRAND_ITEMS + DISTRIBUTOR_ITEMS });
    expect(placed.supplierOrders.map((s) => s.supplier).sort()).toEqual(['aliexpress', 'cj']);
    await advanceFulfillmentUntil(platform, order.id, 'supplier_confirmed', SUPPLIER_POLL + 1_000);

    // Parcel 1: the hub ships both vendors' hub items together.
    const hubParcel = await shipFromHub(order.id);
    await waitForStatus(platform, order.id, 'shipped');
    expect((await fulfillmentStatusBecomes(order.id, 'partially_shipped')).status).toBe('shipped');
    const afterHub = await getFulfillment(platform, order.id);
    expect(contents(afterHub.shipments.slice(0, 1))).toEqual(['CHARGER-USB-C×1', 'MUG-WHT×2']);

    // Parcel 2, later: AliExpress. The hub parcel is delivered meanwhile; CJ is still at the supplier.
    const two = await supplierShips(order.id, placed, 'aliexpress', 2);
    const aliParcel = two.shipments.find((s) => s.source === 'aliexpress')!.trackingNumber!;
    await deliverParcel(platform, order.id, hubParcel);
    await eventually(() => getFulfillment(platform, order.id), (f) => f.shipments.find((s) => s.trackingNumber === hubParcel)?.status === 'delivered');
    const beforeLast = await getOrder(platform, order.id);
    expect(beforeLast.fulfillmentStatus).toBe('partially_shipped');
    expect(beforeLast.status).not.toBe('delivered');

    // Parcel 3, last: CJ. Everything left; one parcel arrived: partially fulfilled, not delivered.
    const three = await supplierShips(order.id, placed, 'cj', 3);
    const cjParcel = three.shipments.find((s) => s.source === 'cj')!.trackingNumber!;
    await fulfillmentStatusBecomes(order.id, 'partially_fulfilled');
    await deliverParcel(platform, order.id, aliParcel);
    await eventually(() => getFulfillment(platform, order.id), (f) => f.shipments.filter((s) => s.status === 'delivered').length === 2);
    expect((await getOrder(platform, order.id)).status).not.toBe('delivered');
    expect((await getFulfillment(platform, order.id)).state).not.toBe('delivered');

    // The last parcel arrives: now the order is delivered, and each vendor's part.
    await deliverParcel(platform, order.id, cjParcel);
    await waitForWorkflow(platform, order.id, 'delivered');
    expect((await waitForStatus(platform, order.id, 'delivered')).fulfillmentStatus).toBe('fulfilled');
    const parts = ((await platform.gateway.get(`v1/orders/${order.id}`)).body as OrderDetail).order.subOrders;
    expect(parts.map((p) => [p.vendor.id, p.status, p.fulfillmentStatus, p.parcels.length])).toEqual([
      [brand, 'delivered', 'fulfilled', 2],
      [distributor, 'delivered', 'fulfilled', 2],
    ]);

    // A notice per parcel: each shipped one (parcel 1's may be the order-level "on its way", which
    // can announce it first), each delivered one but the last (the order-level "delivered").
    const number = order.number;
    const expected = [
      `Parcel 2 of 3 of your order ${number} has shipped`,
      `Parcel 3 of 3 of your order ${number} has shipped`,
      `Parcel 1 of 3 of your order ${number} has been delivered`,
      `Parcel 2 of 3 of your order ${number} has been delivered`,
      `Your order ${number} has been delivered`,
    ];
    const subjects = await eventually(async () => emailSubjects(body.customer.email), (s) => expected.every((e) => s.includes(e)), 20_000);
    const firstShipped = subjects.filter((s) => s === `Parcel 1 of 3 of your order ${number} has shipped` || s === `Your order ${number} is on its way`);
    expect(firstShipped).toHaveLength(1);
    expect(subjects.filter((s) => s.includes('has been delivered'))).toHaveLength(3);

    // Money: each vendor earns its items minus its type's fee; paid = Σ earnings + Σ fees.
    const brandFee = feeOf(BRAND_ITEMS, FEE_BPS.brand);
    const distributorFee = feeOf(DISTRIBUTOR_ITEMS, FEE_BPS.distributor);
    expect([brandFee, distributorFee]).toEqual([450, 672]);
    expect(await ledgerSums(brand, order.id)).toEqual({ earning: BRAND_ITEMS - brandFee, fee: brandFee });
    expect(await ledgerSums(distributor, order.id)).toEqual({ earning: DISTRIBUTOR_ITEMS - distributorFee, fee: distributorFee });
    expect((await ledgerOf(brand)).balances).toEqual([{ currency: 'EUR', balance: 4050 }]);
    const allocation = await allocationOf(order.id);
    expect(allocation.check).toMatchObject({ balanced: true, paid: order.totals.total, earnings: 4050 + 3807, fees: 450 + 672, refunded: 0 });
    expect(allocation.check.paid).toBe(allocation.check.earnings + allocation.check.fees);
  });
});

describe('the same order when CJ refuses', () => {
  it('policy refund: the CJ items are refunded at Stripe with an invoice credit, the rest is delivered, the distributor gives back exactly those items and money stays conserved', async () => {
    expect((await ops().put('v1/ops/policies/supplier-failure', { json: { mode: 'refund' } })).statusCode).toBe(200);
    const { body, brand, distributor } = threeSourceOrder();
    await platform.simulators.post('cj/_sim/behaviour', { json: { mode: 'reject', times: 1, options: { reason: 'Out of stock: phone case' } } });
    const { order, placed } = await placeAndPay(body);
    expect(placed.supplierOrders.map((s) => `${s.supplier}:${s.status}`).sort()).toEqual(['aliexpress:placed', 'cj:rejected']);

    // The refund of the CJ items: at Stripe, on the invoice, in the vendor's ledger.
    const billing = await eventually(() => getBilling(platform, order.id), (b) => b.refunds.some((r) => r.status === 'succeeded'), 20_000);
    expect(billing.refunds.map((r) => [r.amount, r.status])).toEqual([[CJ_ITEMS, 'succeeded']]);
    const invoice = billing.invoices[0]!;
    expect(invoice.adjustments.map((a) => [a.kind, a.amount])).toEqual([['credit', -CJ_ITEMS]]);
    expect(invoice.amountRefunded).toBe(CJ_ITEMS);
    const intent = billing.payments[0]!.providerPaymentId;
    const webhooks = (await platform.simulators.get('stripe/_sim/webhooks')).body as { events: Array<{ type: string; event: { data: { object: Record<string, unknown> } } }> };
    const charges = webhooks.events.filter((e) => e.type === 'charge.refunded' && e.event.data.object.payment_intent === intent);
    expect(charges.map((e) => e.event.data.object.amount_refunded)).toEqual([CJ_ITEMS]);
    const distributorFee = feeOf(DISTRIBUTOR_ITEMS, FEE_BPS.distributor);
    const feeReversed = Math.floor((CJ_ITEMS * distributorFee * 2 + 4479) / (4479 * 2));
    expect(feeReversed).toBe(297);
    expect(await eventually(() => ledgerSums(distributor, order.id), (s) => s.refund !== undefined)).toEqual({
      earning: DISTRIBUTOR_ITEMS - distributorFee,
      fee: distributorFee,
      refund: -(CJ_ITEMS - feeReversed),
      fee_reversal: -feeReversed,
    });
    expect(await ledgerSums(brand, order.id)).toEqual({ earning: 4050, fee: 450 });
    await eventually(async () => emailSubjects(body.customer.email), (s) => s.includes(`Some items in your order ${order.number} could not be supplied`), 15_000);

    // The others arrive: hub and AliExpress parcels; the order is delivered.
    await advanceFulfillmentUntil(platform, order.id, 'supplier_confirmed', SUPPLIER_POLL + 1_000);
    const hubParcel = await shipFromHub(order.id);
    const shipped = await eventually(
      async () => {
        await platform.advanceClock('fulfillment', SUPPLIER_POLL + 1_000);
        return getFulfillment(platform, order.id);
      },
      (f) => f.shipments.length === 2,
      20_000,
    );
    expect(shipped.shipments.map((s) => s.source).sort()).toEqual(['aliexpress', 'own_stock']);
    await deliverParcel(platform, order.id, hubParcel);
    await deliverParcel(platform, order.id, shipped.shipments.find((s) => s.source === 'aliexpress')!.trackingNumber!);
    await waitForWorkflow(platform, order.id, 'delivered');
    await waitForStatus(platform, order.id, 'delivered');

    // Paid = Σ earnings + Σ fees; refunded = Σ reversals.
    const allocation = await allocationOf(order.id);
    expect(allocation.check).toMatchObject({ balanced: true, paid: order.totals.total, refunded: CJ_ITEMS, reversedEarnings: CJ_ITEMS - feeReversed, reversedFees: feeReversed });

    // The payout reflects the refund: the distributor is paid its hub item's earning only.
    for (const vendor of [brand, distributor]) {
      const account = await platform.gateway.put(`v1/vendors/${vendor}/payout-account`, { json: { stripeAccountId: `acct_${vendor.replace(/-/g, '')}` } });
      expect(account.statusCode, JSON.stringify(account.body)).toBe(200);
    }
    const run = await ops().post('v1/payouts/run');
    expect(run.statusCode, JSON.stringify(run.body)).toBe(200);
    const payouts = async (vendor: string) => ((await ops().get(`v1/vendors/${vendor}/payouts`)).body as VendorPayouts).statements;
    expect((await payouts(distributor)).map((s) => [s.status, s.refunds, s.feeReversals, s.amountPaid])).toEqual([
      ['paid', -(CJ_ITEMS - feeReversed), -feeReversed, DISTRIBUTOR_ITEMS - distributorFee - (CJ_ITEMS - feeReversed)],
    ]);
    expect((await payouts(brand)).map((s) => [s.status, s.amountPaid])).toEqual([['paid', 4050]]);
  });

  it('policy reroute: with hub stock of the CJ SKU, its items leave from the hub and nothing is refunded', async () => {
    expect((await ops().put('v1/ops/policies/supplier-failure', { json: { mode: 'reroute' } })).statusCode).toBe(200);
    await ownHub({ 'SUP-CJ-1': 10 });
    const { body } = threeSourceOrder();
    await platform.simulators.post('cj/_sim/behaviour', { json: { mode: 'reject', times: 1, options: { reason: 'Out of stock: phone case' } } });
    const { order, placed } = await placeAndPay(body);
    expect(placed.history.find((h) => h.trigger === 'PART_FAILED')).toMatchObject({ details: { source: 'cj', cause: 'refused' } });

    await advanceFulfillmentUntil(platform, order.id, 'supplier_confirmed', SUPPLIER_POLL + 1_000);
    // The re-routed units are a fulfillment order of their own at the hub that has them: a second hub parcel.
    const hubParcels = [await shipFromHub(order.id), await shipFromHub(order.id)];
    const fromHub = (await getFulfillment(platform, order.id)).shipments.filter((s) => s.source === 'own_stock');
    expect(contents(fromHub)).toEqual(['CHARGER-USB-C×1', 'MUG-WHT×2', 'SUP-CJ-1×2']);
    const shipped = await eventually(
      async () => {
        await platform.advanceClock('fulfillment', SUPPLIER_POLL + 1_000);
        return getFulfillment(platform, order.id);
      },
      (f) => f.shipments.length === 3,
      20_000,
    );
    for (const parcel of hubParcels) await deliverParcel(platform, order.id, parcel);
    await deliverParcel(platform, order.id, shipped.shipments.find((s) => s.source === 'aliexpress')!.trackingNumber!);
    expect((await waitForStatus(platform, order.id, 'delivered')).fulfillmentStatus).toBe('fulfilled');
    const billing = await getBilling(platform, order.id);
    expect(billing.refunds).toEqual([]);
    expect(billing.invoices[0]!.adjustments).toEqual([]);
    expect((await allocationOf(order.id)).check).toMatchObject({ balanced: true, refunded: 0 });
  });
});

describe('short stock under each policy', () => {
  async function setPolicy(sku: string, policy: 'substitute' | 'partial' | 'backorder', substituteSku: string | null = null) {
    const set = await ops().put(`v1/inventory/policies/${sku}`, { json: { policy, substituteSku } });
    expect(set.statusCode, JSON.stringify(set.body)).toBe(200);
  }
  const skuOf = (name: string) => `${name}-${randomUUID().slice(0, 6).toUpperCase()}`;
  /** One own-stock line of a fresh customer, at a bespoke price (admin). */
  function hubOrder(sku: string, quantity: number): CreateOrderInput {
    const body = lifecycleOrder('own_stock');
    body.items = [{ sku, variantId: sku, name: 'Desk lamp', quantity, unitPrice: 3000, vendor: { id: 'acme', type: 'brand' }, supplierSource: 'own_stock' }];
    return body;
  }
  type QuoteLine = { sku: string; availability: { status: string; available: number | null; shortQuantity: number; resolution: { policy: string; substituteSku: string | null; expectedAt: string | null } | null } };
  /** The quote of `quantity` × `sku`, once orders has heard fulfillment's reports of `available` units and the SKU's `policy`. */
  const quoteOnce = (sku: string, quantity: number, available: number, policy: string) =>
    eventually(
      async () => ((await platform.as(DEV_KEYS.customer).post('v1/quotes', { json: { country: 'ES', currency: 'EUR', items: [{ sku, variantId: sku, quantity }] } })).body as { lines: QuoteLine[] }).lines[0]!,
      (line) => line?.availability.available === available && line.availability.resolution?.policy === policy,
      15_000,
    );
  /** Paid and past the 60 s: fulfillment reserved what there is. */
  async function payAndReserve(order: Order): Promise<OrderFulfillment> {
    await pay(platform, order.id);
    await waitForStatus(platform, order.id, 'confirmed');
    await waitForWorkflow(platform, order.id, 'payment_confirmed');
    await platform.advanceClock('fulfillment', 61_000);
    return waitForWorkflow(platform, order.id, 'supplier_confirmed');
  }
  async function shipAndDeliver(orderId: string): Promise<OrderFulfillment> {
    const parcel = await shipFromHub(orderId);
    await deliverParcel(platform, orderId, parcel);
    return waitForWorkflow(platform, orderId, 'delivered');
  }

  it('substitute: the quote and the order name the equivalent; an order short at reservation ships the equivalent, is told, and nothing is refunded', async () => {
    const [lamp, equivalent] = [skuOf('LAMP'), skuOf('LAMP-EQ')];
    const hub = await ownHub({ [lamp]: 2, [equivalent]: 10 });
    await setPolicy(lamp, 'substitute', equivalent);

    // Short at ordering: the quote says so, and the order takes the equivalent for the whole line.
    const quoted = await quoteOnce(lamp, 3, 2, 'substitute');
    expect(quoted.availability).toMatchObject({ status: 'short', shortQuantity: 1, resolution: { policy: 'substitute', substituteSku: equivalent } });
    const swapped = await placeOrder(platform, hubOrder(lamp, 3));
    expect(swapped.items.map((i) => [i.sku, i.quantity, i.shortStock])).toEqual([[equivalent, 3, { policy: 'substitute', shortQuantity: 1, substitutedFor: lamp, expectedAt: null }]]);

    // In stock at ordering, gone by reservation: fulfillment reserves the equivalent and the customer is told.
    const body = hubOrder(lamp, 2);
    await withoutQuietHours(platform, body.customer.id);
    const order = await placeOrder(platform, body);
    expect(order.items[0]!.shortStock ?? null).toBeNull();
    expect((await platform.gateway.put(`v1/hubs/${hub}/stock/${lamp}`, { json: { onHand: 0 } })).statusCode).toBe(200);
    const reserved = await payAndReserve(order);
    expect(reserved.reservations.map((r) => [r.sku, r.quantity])).toEqual([[equivalent, 2]]);
    await eventually(async () => emailSubjects(body.customer.email), (s) => s.includes(`A change to your order ${order.number}`), 15_000);
    const delivered = await shipAndDeliver(order.id);
    // The parcel's units count for the line they stand for; the hub's stock says which SKU left.
    expect(contents(delivered.shipments)).toEqual([`${lamp}×2`]);
    const stock = ((await ops().get('v1/hubs')).body as { hubs: Array<{ id: string; stock: Array<{ sku: string; onHand: number; reserved: number }> }> }).hubs.find((h) => h.id === hub)!.stock;
    expect(stock.map((s) => [s.sku, s.onHand, s.reserved]).sort()).toEqual([[lamp, 0, 0], [equivalent, 8, 0]].sort());
    expect((await waitForStatus(platform, order.id, 'delivered')).fulfillmentStatus).toBe('fulfilled');
    expect((await getBilling(platform, order.id)).refunds).toEqual([]);
  });

  it('partial: the customer is told what is short; what there is ships, the rest is refunded with an invoice credit', async () => {
    const lamp = skuOf('LAMP');
    await ownHub({ [lamp]: 1 });
    await setPolicy(lamp, 'partial');
    expect((await quoteOnce(lamp, 3, 1, 'partial')).availability).toMatchObject({ status: 'short', shortQuantity: 2, resolution: { policy: 'partial' } });
    const body = hubOrder(lamp, 3);
    await withoutQuietHours(platform, body.customer.id);
    const order = await placeOrder(platform, body);
    expect(order.items[0]!.shortStock).toEqual({ policy: 'partial', shortQuantity: 2, substitutedFor: null, expectedAt: null });

    const reserved = await payAndReserve(order);
    expect(reserved.reservations.map((r) => [r.sku, r.quantity])).toEqual([[lamp, 1]]);
    const billing = await eventually(() => getBilling(platform, order.id), (b) => b.refunds.some((r) => r.status === 'succeeded'), 20_000);
    expect(billing.refunds.map((r) => r.amount)).toEqual([2 * 3000]);
    expect(billing.invoices[0]!.adjustments.map((a) => [a.kind, a.amount])).toEqual([['credit', -2 * 3000]]);
    await eventually(async () => emailSubjects(body.customer.email), (s) => s.includes(`Some items in your order ${order.number} could not be supplied`), 15_000);
    const delivered = await shipAndDeliver(order.id);
    expect(contents(delivered.shipments)).toEqual([`${lamp}×1`]);
    expect((await waitForStatus(platform, order.id, 'delivered')).fulfillmentStatus).toBe('fulfilled');
    expect((await allocationOf(order.id)).check).toMatchObject({ balanced: true, refunded: 2 * 3000 });
  });

  it('backorder: the customer is told the expected date; nothing ships until the restock, which reserves the units and the order ships', async () => {
    const lamp = skuOf('LAMP');
    const expectedAt = '2030-03-01T00:00:00.000Z';
    const hub = await ownHub({ [lamp]: 0 }, { sku: lamp, at: expectedAt, quantity: 10 });
    await setPolicy(lamp, 'backorder');
    expect((await quoteOnce(lamp, 2, 0, 'backorder')).availability).toMatchObject({ status: 'short', shortQuantity: 2, resolution: { policy: 'backorder', expectedAt } });
    const body = hubOrder(lamp, 2);
    await withoutQuietHours(platform, body.customer.id);
    const order = await placeOrder(platform, body);
    expect(order.items[0]!.shortStock).toEqual({ policy: 'backorder', shortQuantity: 2, substitutedFor: null, expectedAt });

    const waiting = await payAndReserve(order);
    expect(waiting.reservations.map((r) => [r.sku, r.status, r.quantity])).toEqual([[lamp, 'backordered', 2]]);
    await eventually(async () => emailSubjects(body.customer.email), (s) => s.includes(`Some items in your order ${order.number} will arrive later`), 15_000);
    const early = await platform.gateway.post(`v1/orders/${order.id}/shipments`, { json: { trackingNumber: s10(), carrier: 'Correos' } });
    expect(early.statusCode).toBe(409);

    // The restock arrives: the backorder is served (reserved) and ships like any other order.
    expect((await platform.gateway.put(`v1/hubs/${hub}/stock/${lamp}`, { json: { onHand: 5 } })).body).toMatchObject({ onHand: 5, reserved: 2, available: 3 });
    expect((await getFulfillment(platform, order.id)).reservations.map((r) => [r.sku, r.status, r.quantity])).toEqual([[lamp, 'confirmed', 2]]);
    const delivered = await shipAndDeliver(order.id);
    expect(contents(delivered.shipments)).toEqual([`${lamp}×2`]);
    expect((await waitForStatus(platform, order.id, 'delivered')).fulfillmentStatus).toBe('fulfilled');
    expect((await getBilling(platform, order.id)).refunds).toEqual([]);
  });
});
