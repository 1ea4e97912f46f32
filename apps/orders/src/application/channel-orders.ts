import { DomainError } from '@platform/contracts/errors';
import { type EventData, orderPaidByChannel, type progressChanged, type SalesChannel as SalesChannelName, type SupplierSource } from '@platform/contracts';
import { timers } from '@platform/contracts/timers';
import type { Order } from '@platform/contracts/api/orders';
import { newEvent } from '@platform/runtime/outbox';
import { scheduleTimer } from '@platform/runtime/timers';
import { randomUUID } from 'node:crypto';
import { customerSchema } from '@platform/contracts/events/orders';
import { addressSchema, currencySchema } from '@platform/contracts/primitives';
import { z } from 'zod';
import type { ChannelOrderDetail, SalesChannel, UnreadableOrder } from '../adapters/channels/port';
import { WebhookRejected } from '../adapters/channels/port';
import type { Database, Transaction } from '../adapters/database';
import { findOrderRow } from '../adapters/order-repository';
import {
  type ChannelItem,
  channelItemName,
  channelTotals,
  checkChannelItems,
  groupUnits,
  localeForCountry,
  nextPullCursor,
  PULL_BATCH_LIMIT,
  pullSearchFrom,
  syncDecision,
  unitsForParcel,
} from '../domain/channel-orders';
import { cancelOrderInTransaction } from './change-status';
import { storeNewOrder } from './create-order';
import type { OrdersDeps } from './dependencies';
import { SERVICE } from './dependencies';

/*
 * Sales channels (docs/requirements.md#ord-06-sales-channels, docs/providers/tiktok-shop.md): a channel's webhook only names orders; each
 * is pulled by its detail API in a timer (outbound HTTP after the webhook's commit, retried by
 * the timer) and imported once, keyed by (channel, the channel's order id). A periodic pull
 * catches what no webhook announced. A parcel that ships is told back to the channel by a timer.
 */

export const CHANNEL_SYNC_TIMER = timers.orders.channelOrderSync.kind;
export const CHANNEL_PULL_TIMER = timers.orders.channelPull.kind;
export const CHANNEL_SHIPMENT_TIMER = timers.orders.channelShipment.kind;

export interface ChannelDeps extends OrdersDeps {
  channels: ReadonlyMap<SalesChannelName, SalesChannel>;
  /** Whose goods a channel sells (its items' vendor) and where they ship from. */
  channelVendor: { id: string; type: 'brand' | 'distributor' };
  /** Where a channel SKU's goods come from when not our hubs (upper-cased SKU → supplier). */
  channelSources: Readonly<Record<string, SupplierSource>>;
  pullIntervalMs: number;
  /** How far back the first pull looks. */
  pullLookbackMs: number;
}

const CHANNEL_NAMES: Record<SalesChannelName, string> = { tiktok_shop: 'TikTok Shop' };

function channelOf(deps: ChannelDeps, name: string): SalesChannel {
  const channel = deps.channels.get(name as SalesChannelName);
  if (!channel) throw new DomainError('not_found', 'CHANNEL_NOT_CONFIGURED', `The sales channel ${name} is not configured`);
  return channel;
}

/** A channel's webhook: verified over its raw bytes, then each order it names is synced by a timer. */
export async function receiveChannelWebhook(deps: ChannelDeps, name: string, raw: Buffer, headers: Record<string, string | undefined>): Promise<{ orders: number }> {
  const channel = channelOf(deps, name);
  let orderIds: string[];
  try {
    ({ orderIds } = channel.readWebhook(raw, headers));
  } catch (error) {
    if (!(error instanceof WebhookRejected)) throw error;
    throw new DomainError(error.kind, error.kind === 'unauthorized' ? 'WEBHOOK_SIGNATURE_INVALID' : 'WEBHOOK_INVALID', error.message, [
      { pointer: error.kind === 'unauthorized' ? '/headers/authorization' : '/body', detail: error.message },
    ]);
  }
  if (orderIds.length === 0) return { orders: 0 };
  await deps.db.$transaction(async (tx) => {
    for (const externalOrderId of orderIds) {
      await scheduleTimer(tx, { kind: CHANNEL_SYNC_TIMER, key: `${channel.name}:${externalOrderId}`, fireAt: deps.clock.now(), payload: { channel: channel.name, externalOrderId } });
    }
  });
  return { orders: orderIds.length };
}

/** Timer `orders.channel-order-sync`: the order's detail pulled and applied. */
export async function syncChannelOrder(tx: Transaction, deps: ChannelDeps, payload: Record<string, unknown>): Promise<void> {
  const channel = channelOf(deps, String(payload.channel));
  const { orders, unreadable } = await channel.fetchOrders([String(payload.externalOrderId)]);
  logUnreadable(deps, channel.name, unreadable);
  const [detail] = orders;
  if (!detail) {
    if (unreadable.length > 0) return;
    deps.log.warn({ channel: channel.name, externalOrderId: payload.externalOrderId }, 'the channel does not know the order its webhook named; nothing imported');
    return;
  }
  await applyUnlessUnmappable(tx, deps, channel.name, detail);
}

/**
 * Applies a pulled order; one that cannot become an order (its totals or address do not add up)
 * is logged as an error and skipped, before anything was written, so it neither blocks the
 * timer nor the other orders of a pull; its next webhook or change tries again.
 */
async function applyUnlessUnmappable(tx: Transaction, deps: ChannelDeps, channel: SalesChannelName, detail: ChannelOrderDetail): Promise<void> {
  try {
    await applyChannelOrder(tx, deps, channel, detail);
  } catch (error) {
    if (!(error instanceof DomainError) || !UNMAPPABLE.includes(error.code)) throw error;
    deps.log.error({ channel, externalOrderId: detail.externalOrderId, code: error.code, fields: error.fields, err: error }, 'channel order cannot be imported; skipped');
  }
}

/** An order whose detail we cannot read is skipped, not retried: its next change or webhook tries again. */
function logUnreadable(deps: ChannelDeps, channel: SalesChannelName, unreadable: readonly UnreadableOrder[]): void {
  for (const order of unreadable) {
    deps.log.warn({ channel, externalOrderId: order.externalOrderId, reason: order.reason }, 'channel order detail cannot be read; skipped');
  }
}

/** Refusals raised before the import writes anything. */
const UNMAPPABLE = ['CHANNEL_ORDER_UNMAPPABLE', 'CHANNEL_TOTALS_MISMATCH'];

interface ChannelOrderRow {
  order_id: string;
  channel_status: string;
}

/**
 * A pulled channel order applied to ours, idempotently: imported once (the primary key on
 * (channel, external order id) is the dedupe, taken first so a concurrent import waits and then
 * finds it), cancelled when the channel cancelled it, else only refreshed.
 */
export async function applyChannelOrder(tx: Transaction, deps: ChannelDeps, channel: SalesChannelName, detail: ChannelOrderDetail): Promise<void> {
  const now = deps.clock.now();
  const [known] = await tx.$queryRaw<ChannelOrderRow[]>`
    SELECT order_id::text, channel_status FROM channel_orders WHERE channel = ${channel} AND external_order_id = ${detail.externalOrderId} FOR UPDATE`;
  const ours = known ? await findOrderRow(tx, known.order_id) : null;
  const decision = syncDecision(ours ? { status: ours.status } : null, detail);
  if (decision === 'wait') {
    deps.log.info({ channel, externalOrderId: detail.externalOrderId, status: detail.channelStatus }, 'channel order not imported yet (unpaid or on hold)');
    return;
  }
  if (decision === 'ignore') {
    deps.log.info(
      { channel, externalOrderId: detail.externalOrderId, status: detail.channelStatus, fulfilledBySeller: detail.fulfilledBySeller },
      'channel order not imported: not awaiting shipment by us (already shipping, done, cancelled, or fulfilled by the channel)',
    );
    return;
  }
  if (decision === 'import') return importChannelOrder(tx, deps, channel, detail);

  await tx.$executeRaw`
    UPDATE channel_orders SET channel_status = ${detail.channelStatus}, detail = ${JSON.stringify(detail.raw)}::jsonb, updated_at = ${now}
    WHERE channel = ${channel} AND external_order_id = ${detail.externalOrderId}`;
  if (decision !== 'cancel') return;
  const reason = `Cancelled on ${CHANNEL_NAMES[channel]}${detail.cancelReason ? `: ${detail.cancelReason}` : ''}`;
  try {
    await cancelOrderInTransaction(tx, deps, { orderId: known!.order_id, reason, actor: { name: `channel:${channel}`, role: null, customerId: null, vendorId: null } });
  } catch (error) {
    // The usual rules: an order that has shipped goes on; the refusal is kept for ops.
    if (!(error instanceof DomainError) || error.code !== 'ORDER_NOT_CANCELLABLE') throw error;
    deps.log.warn({ channel, externalOrderId: detail.externalOrderId, orderId: known!.order_id }, 'the channel cancelled an order that can no longer be cancelled; it goes on');
    await tx.$executeRaw`
      UPDATE channel_orders SET cancellation_refused = ${error.message} WHERE channel = ${channel} AND external_order_id = ${detail.externalOrderId}`;
  }
}

async function importChannelOrder(tx: Transaction, deps: ChannelDeps, channel: SalesChannelName, detail: ChannelOrderDetail): Promise<void> {
  const now = deps.clock.now();
  const orderId = randomUUID();
  const items = groupUnits(detail.lines);
  checkChannelItems(items);
  const totals = channelTotals({ items, shippingFee: detail.shippingFee, tax: detail.tax, total: detail.total });
  const lines = items.map((item) => ({ sku: item.sku, variantId: item.variantId, lineItemIds: item.lineItemIds, salePrice: item.unitPrice, originalPrice: item.originalPrice }));
  const request = channelOrderRequest(channel, detail);
  const [claimed] = await tx.$queryRaw<unknown[]>`
    INSERT INTO channel_orders (channel, external_order_id, order_id, shop_id, channel_status, detail, lines, created_at, updated_at)
    VALUES (${channel}, ${detail.externalOrderId}, ${orderId}::uuid, ${detail.shopId}, ${detail.channelStatus}, ${JSON.stringify(detail.raw)}::jsonb,
            ${JSON.stringify(lines)}::jsonb, ${now}, ${now})
    ON CONFLICT (channel, external_order_id) DO NOTHING RETURNING order_id`;
  if (!claimed) return;
  const paidAt = detail.paidAt ?? now;
  await storeNewOrder(tx, {
    id: orderId,
    request,
    items: items.map((item) => ourItem(deps, item, now)),
    totals,
    actor: `channel:${channel}`,
    now,
    leadTimes: deps.leadTimes,
    eventsBefore: (order) => [paidByChannel(order, { channel, detail, items, paidAt, now })],
  });
  deps.metrics.orderPlaced(tx, channel);
}

const channelOrderSchema = z.object({ customer: customerSchema, shippingAddress: addressSchema, currency: currencySchema });

/**
 * The customer, address and currency our order gets, checked before anything is written: a
 * channel order we cannot map (no usable address, an unknown currency) is refused as a whole.
 */
function channelOrderRequest(channel: SalesChannelName, detail: ChannelOrderDetail) {
  const parsed = channelOrderSchema.safeParse({
    customer: {
      id: `${channel}:${detail.buyer.id}`,
      email: detail.buyer.email,
      name: detail.buyer.name,
      ...(detail.buyer.phone && { phone: detail.buyer.phone }),
      locale: localeForCountry(detail.shippingAddress.country),
      timezone: 'UTC',
    },
    shippingAddress: detail.shippingAddress,
    currency: detail.currency,
  });
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => ({ pointer: `/${issue.path.map(String).join('/')}`, detail: issue.message }));
    throw new DomainError('unprocessable', 'CHANNEL_ORDER_UNMAPPABLE', `${CHANNEL_NAMES[channel]} order ${detail.externalOrderId} cannot be mapped to an order`, fields);
  }
  return {
    ...parsed.data,
    deliveryType: 'standard' as const,
    notes: `${CHANNEL_NAMES[channel]} order ${detail.externalOrderId}`,
    ageVerified: false,
  };
}

/** Our item: the channel's price for the units, its provenance BESPOKE (set outside our price book; the channel's line items are kept beside it). */
function ourItem(deps: ChannelDeps, item: ChannelItem, now: Date) {
  return {
    sku: item.sku,
    variantId: item.variantId,
    name: channelItemName(item.name),
    quantity: item.quantity,
    unitPrice: item.unitPrice,
    vendor: deps.channelVendor,
    supplierSource: deps.channelSources[item.sku.toUpperCase()] ?? ('own_stock' as const),
    ageRestricted: false,
    price: { unitPrice: item.unitPrice, source: 'BESPOKE' as const, priceBookEntryId: null },
    priceResolvedAt: now,
  };
}

function paidByChannel(order: Order, input: { channel: SalesChannelName; detail: ChannelOrderDetail; items: ChannelItem[]; paidAt: Date; now: Date }) {
  const data: EventData<typeof orderPaidByChannel> = {
    orderId: order.id,
    channel: input.channel,
    externalOrderId: input.detail.externalOrderId,
    shopId: input.detail.shopId,
    amount: order.totals.total,
    currency: order.currency,
    paidAt: input.paidAt.toISOString(),
    order,
    items: order.items.map((item, index) => ({
      itemId: item.id,
      channelLineItemIds: input.items[index]!.lineItemIds,
      salePrice: input.items[index]!.unitPrice,
      originalPrice: input.items[index]!.originalPrice,
    })),
  };
  return newEvent(orderPaidByChannel, { aggregateId: order.id, source: SERVICE, data, occurredAt: input.now });
}

/** At start-up: each configured channel's pull is scheduled unless one is pending, so a restart keeps the schedule and its cursor. */
export async function ensureChannelPulls(db: Database, deps: ChannelDeps): Promise<void> {
  await db.$transaction(async (tx) => {
    for (const channel of deps.channels.keys()) {
      const pending = await tx.timer.findFirst({ where: { kind: CHANNEL_PULL_TIMER, key: channel, firedAt: null } });
      if (!pending) {
        await scheduleTimer(tx, { kind: CHANNEL_PULL_TIMER, key: channel, fireAt: new Date(deps.clock.now().getTime() + deps.pullIntervalMs), payload: { channel, cursor: null, continuing: false } });
      }
    }
  });
}

/**
 * Timer `orders.channel-pull`: the orders the channel changed since the cursor (the channel's
 * own update time, so our clock never skews it), oldest first and at most PULL_BATCH_LIMIT, are
 * applied as their webhooks would have been (an unreadable or unmappable one logged and
 * skipped). A capped pull continues at once from its last applied change; otherwise the next
 * pull, an interval later, continues from the newest change seen.
 */
export async function pullChannel(tx: Transaction, deps: ChannelDeps, payload: Record<string, unknown>, now: Date): Promise<void> {
  const channel = channelOf(deps, String(payload.channel));
  const cursor = typeof payload.cursor === 'number' ? { at: payload.cursor, continuing: payload.continuing === true } : null;
  const from = pullSearchFrom(cursor, Math.floor((now.getTime() - deps.pullLookbackMs) / 1000));
  const changed = await channel.changedOrders(from, PULL_BATCH_LIMIT);
  const { orders, unreadable } = changed.orders.length > 0 ? await channel.fetchOrders(changed.orders.map((order) => order.externalOrderId)) : { orders: [], unreadable: [] };
  logUnreadable(deps, channel.name, unreadable);
  for (const detail of orders) await applyUnlessUnmappable(tx, deps, channel.name, detail);
  if (orders.length > 0) deps.log.info({ channel: channel.name, orders: orders.length, more: changed.more }, 'channel pull applied changed orders');
  const updatedAt = changed.orders.map((order) => order.updatedAt);
  const next = nextPullCursor(cursor?.at ?? null, updatedAt, changed.more);
  const fireAt = changed.more ? now : new Date(now.getTime() + deps.pullIntervalMs);
  await scheduleTimer(tx, { kind: CHANNEL_PULL_TIMER, key: channel.name, fireAt, payload: { channel: channel.name, cursor: next.at, continuing: next.continuing } });
}

interface ShipmentRow {
  shipment_id: string;
  order_id: string;
  channel: SalesChannelName;
  external_order_id: string;
  tracking_number: string;
  carrier: string | null;
  items: { lineItemIds: string[] };
  status: string;
}

/**
 * `fulfillment.progress.changed` of a channel order: each parcel that left with a tracking
 * number is recorded once with the channel's line items it carries, and a timer tells the channel.
 */
export async function noteShippedParcels(tx: Transaction, deps: Pick<ChannelDeps, 'clock'>, progress: EventData<typeof progressChanged>): Promise<void> {
  const [order] = await tx.$queryRaw<{ channel: SalesChannelName; external_order_id: string; lines: ChannelItem[] }[]>`
    SELECT channel, external_order_id, lines FROM channel_orders WHERE order_id = ${progress.orderId}::uuid`;
  if (!order) return;
  const earlier = await tx.$queryRaw<{ shipment_id: string; items: { lineItemIds: string[] } }[]>`
    SELECT shipment_id::text, items FROM channel_shipments WHERE order_id = ${progress.orderId}::uuid`;
  const recorded = new Set(earlier.map((row) => row.shipment_id));
  const taken = new Set(earlier.flatMap((row) => row.items.lineItemIds));
  const now = deps.clock.now();
  for (const parcel of progress.parcels) {
    if (!parcel.trackingNumber || !parcel.shippedAt || recorded.has(parcel.shipmentId)) continue;
    const lineItemIds = unitsForParcel(order.lines, parcel.items, taken);
    for (const id of lineItemIds) taken.add(id);
    await tx.$executeRaw`
      INSERT INTO channel_shipments (shipment_id, order_id, channel, external_order_id, tracking_number, carrier, items, status, created_at)
      VALUES (${parcel.shipmentId}::uuid, ${progress.orderId}::uuid, ${order.channel}, ${order.external_order_id}, ${parcel.trackingNumber}, ${parcel.carrier},
              ${JSON.stringify({ units: parcel.items, lineItemIds })}::jsonb, 'pending', ${now})
      ON CONFLICT (shipment_id) DO NOTHING`;
    await scheduleTimer(tx, { kind: CHANNEL_SHIPMENT_TIMER, key: parcel.shipmentId, fireAt: now, payload: { shipmentId: parcel.shipmentId } });
  }
}

/**
 * Timer `orders.channel-shipment`: the parcel's tracking number and carrier sent to the channel.
 * An outage throws (the timer retries with backoff); the channel's refusal is kept and logged.
 * A retry after an answer that was lost is harmless: the channel answers the package it made.
 */
export async function sendChannelShipment(tx: Transaction, deps: ChannelDeps, shipmentId: string): Promise<void> {
  const [shipment] = await tx.$queryRaw<ShipmentRow[]>`
    SELECT shipment_id::text, order_id::text, channel, external_order_id, tracking_number, carrier, items, status
    FROM channel_shipments WHERE shipment_id = ${shipmentId}::uuid FOR UPDATE`;
  if (!shipment || shipment.status !== 'pending') return;
  const channel = channelOf(deps, shipment.channel);
  const now = deps.clock.now();
  await tx.$executeRaw`UPDATE channel_shipments SET attempts = attempts + 1 WHERE shipment_id = ${shipmentId}::uuid`;
  const answer = await channel.markShipped({
    externalOrderId: shipment.external_order_id,
    lineItemIds: shipment.items.lineItemIds,
    trackingNumber: shipment.tracking_number,
    carrier: shipment.carrier,
  });
  if (answer.accepted) {
    await tx.$executeRaw`
      UPDATE channel_shipments SET status = 'sent', channel_package_id = ${answer.packageId}, sent_at = ${now}, last_error = NULL WHERE shipment_id = ${shipmentId}::uuid`;
    return;
  }
  deps.log.warn({ channel: channel.name, shipmentId, orderId: shipment.order_id, reason: answer.reason }, 'the channel refused the parcel’s tracking number');
  await tx.$executeRaw`UPDATE channel_shipments SET status = 'refused', last_error = ${answer.reason} WHERE shipment_id = ${shipmentId}::uuid`;
}
