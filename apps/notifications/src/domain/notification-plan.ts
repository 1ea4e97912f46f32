import type { DeliveryChannel, NotificationTopic } from '@platform/contracts/api/notifications';

export type StatusTemplate = 'order-confirmation' | 'order-shipped' | 'order-delivered' | 'order-issue' | 'order-status-update';
export type NoticeTemplate =
  | 'parcel-shipped'
  | 'parcel-delivered'
  | 'items-cancelled'
  | 'items-backordered'
  | 'items-substituted'
  | 'order-running-late'
  | 'order-delay-apology'
  | 'return-requested'
  | 'return-approved'
  | 'return-refused'
  | 'return-received'
  | 'return-refunded';
export type EmailTemplate = StatusTemplate | NoticeTemplate;

/**
 * What the customer hears about each status (docs/requirements.md#ntf-01-templates-and-languages). Statuses not listed send nothing.
 * `delayed` is told once per order by the "running late" notice (`orders.order.delayed`, with the new estimate), not per status change.
 */
const PLAN = {
  confirmed: { topic: 'order_confirmed', template: 'order-confirmation' },
  processing: { topic: 'processing', template: 'order-status-update' },
  shipped: { topic: 'shipped', template: 'order-shipped' },
  out_for_delivery: { topic: 'out_for_delivery', template: 'order-status-update' },
  delivered: { topic: 'delivered', template: 'order-delivered' },
  exception: { topic: 'exception', template: 'order-issue' },
  cancelled: { topic: 'cancelled', template: 'order-status-update' },
  refunded: { topic: 'refunded', template: 'order-status-update' },
} as const satisfies Record<string, { topic: NotificationTopic; template: StatusTemplate }>;

export type NotifiedStatus = keyof typeof PLAN;
export const NOTIFIED_STATUSES = Object.keys(PLAN) as NotifiedStatus[];

/**
 * Notices about part of an order (docs/requirements.md#ntf-01-parcel-and-item-notices), each under
 * the preference topic of the order status it resembles, so the customer's switches and quiet
 * hours apply to it: a parcel shipped or delivered is `shipped` / `delivered` news, items that
 * will not come (and their refund) are a `cancelled` part, a back order is a `delayed` part, and a
 * substitution is news about the order being prepared (`processing`). The order running late
 * (docs/delivery-promise.md) is `delayed` news, once per order. Each step of a return
 * (docs/requirements.md#returns) is `refunded` news: a return is the customer getting money back
 * for goods, and one switch keeps its steps together (the label included).
 */
const NOTICE_PLAN = {
  parcel_shipped: { topic: 'shipped', template: 'parcel-shipped' },
  parcel_delivered: { topic: 'delivered', template: 'parcel-delivered' },
  items_cancelled: { topic: 'cancelled', template: 'items-cancelled' },
  items_backordered: { topic: 'delayed', template: 'items-backordered' },
  items_substituted: { topic: 'processing', template: 'items-substituted' },
  running_late: { topic: 'delayed', template: 'order-running-late' },
  // A bulk send's apology for an order long overdue (docs/notification-admin.md#bulk-sends): more `delayed` news.
  delay_apology: { topic: 'delayed', template: 'order-delay-apology' },
  return_requested: { topic: 'refunded', template: 'return-requested' },
  return_approved: { topic: 'refunded', template: 'return-approved' },
  return_refused: { topic: 'refunded', template: 'return-refused' },
  return_received: { topic: 'refunded', template: 'return-received' },
  return_refunded: { topic: 'refunded', template: 'return-refunded' },
} as const satisfies Record<string, { topic: NotificationTopic; template: NoticeTemplate }>;

export type NoticeKind = keyof typeof NOTICE_PLAN;
export const NOTICE_KINDS = Object.keys(NOTICE_PLAN) as NoticeKind[];

export const EMAIL_TEMPLATES: readonly EmailTemplate[] = [
  ...new Set<EmailTemplate>([...Object.values(PLAN).map((p) => p.template), ...Object.values(NOTICE_PLAN).map((p) => p.template)]),
];

/**
 * Urgent news skips quiet hours: an exception (the customer may need to act) and a
 * cancellation, whole or of some items (their money is involved). A delay is not urgent: it can
 * wait until morning.
 */
const URGENT: ReadonlySet<string> = new Set<NotifiedStatus | NoticeKind>(['exception', 'cancelled', 'items_cancelled']);

/** Quiet hours hold back the channels that interrupt (a phone buzzing); an email waits in the inbox anyway. */
const INTERRUPTIVE: ReadonlySet<DeliveryChannel> = new Set(['sms', 'push']);

/** Which preference topic a message falls under, which template it uses, and whether it may interrupt quiet hours. */
export interface MessagePlan {
  topic: NotificationTopic;
  template: EmailTemplate;
  urgent: boolean;
}

export interface StatusPlan extends MessagePlan {
  status: NotifiedStatus;
  template: StatusTemplate;
}

export interface NoticePlan extends MessagePlan {
  kind: NoticeKind;
  template: NoticeTemplate;
}

/** The notification plan for an order status, or null when the status is not announced (pending, packed, returned). */
export function planFor(status: string): StatusPlan | null {
  if (!Object.hasOwn(PLAN, status)) return null;
  const entry = PLAN[status as NotifiedStatus];
  return { status: status as NotifiedStatus, ...entry, urgent: URGENT.has(status) };
}

export function noticePlan(kind: NoticeKind): NoticePlan {
  return { kind, ...NOTICE_PLAN[kind], urgent: URGENT.has(kind) };
}

/** The notice kind a template announces, or null for a template about an order status. */
export function noticeKindOf(template: string): NoticeKind | null {
  return NOTICE_KINDS.find((kind) => NOTICE_PLAN[kind].template === template) ?? null;
}

/** True when quiet hours apply to this send. */
export function respectsQuietHours(plan: MessagePlan, channel: DeliveryChannel): boolean {
  return !plan.urgent && INTERRUPTIVE.has(channel);
}
