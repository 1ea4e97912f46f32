import type { EventData, progressChanged } from '@platform/contracts';
import type { DeliveryChannel } from '@platform/contracts/api/notifications';
import type { Order } from '@platform/contracts/api/orders';
import type { Transaction } from '../adapters/database';
import { type NoticeFacts, readNoticeFacts } from '../adapters/notification-store';
import type { ContextItem } from '../domain/message-view';
import { noticePlan } from '../domain/notification-plan';
import { type Notice, noticeKey, type NoticeOrder, noticeView, parcelCount, parcelNotice } from '../domain/notices';
import { lockShippingNews, type NotificationDeps, planNotifications } from './notifications';

/**
 * A parcel shipped or was delivered, or units were cancelled or returned: remembers how many
 * parcels the order takes (the order-level `shipped` notice reads it) and plans the parcel's
 * notice when one is due (domain/notices.ts, `parcelNotice`).
 */
export async function planProgressNotice(deps: NotificationDeps, tx: Transaction, progress: EventData<typeof progressChanged>, causationEventId: string, now: Date): Promise<number> {
  await lockShippingNews(tx, progress.orderId);
  const facts = await readNoticeFacts(tx, { orderId: progress.orderId, customerId: null, parcels: parcelCount(progress.parcels) });
  const notice = parcelNotice(progress, facts.orderShippedAnnounced);
  return notice ? planNotice(deps, tx, progress.orderId, facts, notice, causationEventId, now) : 0;
}

/** Items cancelled, back-ordered or substituted, a return's step (or any notice about the order read from the read model): its notice, on `channels` only when given. */
export async function planItemsNotice(
  deps: NotificationDeps,
  tx: Transaction,
  orderId: string,
  notice: Notice,
  causationEventId: string,
  now: Date,
  channels?: readonly DeliveryChannel[],
): Promise<number> {
  const facts = await readNoticeFacts(tx, { orderId, customerId: null });
  return planNotice(deps, tx, orderId, facts, notice, causationEventId, now, channels);
}

/**
 * Fulfillment's events name neither the customer nor the items: both come from the read model
 * `orders.order.created` filled. An order not seen yet (the ORDERS consumer is behind) fails the
 * event, which is redelivered with backoff until it is.
 */
async function planNotice(
  deps: NotificationDeps,
  tx: Transaction,
  orderId: string,
  facts: NoticeFacts,
  notice: Notice,
  causationEventId: string,
  now: Date,
  channels?: readonly DeliveryChannel[],
): Promise<number> {
  const { context } = facts;
  if (!context) throw new Error(`order ${orderId} not seen yet (orders.order.created): its ${notice.kind} notice waits for it`);
  const customer = context.customer as Order['customer'];
  const order: NoticeOrder = { number: context.number, customerName: customer.name, currency: context.currency, items: context.items as unknown as ContextItem[] };
  return planNotifications(
    deps,
    tx,
    { orderId, orderStatus: null, notice: noticeKey(notice), plan: noticePlan(notice.kind), customer, view: (audience) => noticeView(notice, order, audience, deps.store), channels },
    facts,
    causationEventId,
    now,
  );
}
