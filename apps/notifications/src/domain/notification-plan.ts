import type { DeliveryChannel, NotificationTopic } from '@platform/contracts/api/notifications';

export type EmailTemplate = 'order-confirmation' | 'order-shipped' | 'order-delivered' | 'order-issue' | 'order-status-update';

export const EMAIL_TEMPLATES: readonly EmailTemplate[] = ['order-confirmation', 'order-shipped', 'order-delivered', 'order-issue', 'order-status-update'];

/** What the customer hears about each status (docs/requirements.md#ntf-01-templates-and-languages). Statuses not listed send nothing. */
const PLAN = {
  confirmed: { topic: 'order_confirmed', template: 'order-confirmation' },
  processing: { topic: 'processing', template: 'order-status-update' },
  shipped: { topic: 'shipped', template: 'order-shipped' },
  out_for_delivery: { topic: 'out_for_delivery', template: 'order-status-update' },
  delivered: { topic: 'delivered', template: 'order-delivered' },
  delayed: { topic: 'delayed', template: 'order-status-update' },
  exception: { topic: 'exception', template: 'order-issue' },
  cancelled: { topic: 'cancelled', template: 'order-status-update' },
  refunded: { topic: 'refunded', template: 'order-status-update' },
} as const satisfies Record<string, { topic: NotificationTopic; template: EmailTemplate }>;

export type NotifiedStatus = keyof typeof PLAN;
export const NOTIFIED_STATUSES = Object.keys(PLAN) as NotifiedStatus[];

/**
 * Urgent news skips quiet hours: an exception (the customer may need to act) and a
 * cancellation (their money is involved). A delay is not urgent: it can wait until morning.
 */
const URGENT: ReadonlySet<NotifiedStatus> = new Set(['exception', 'cancelled']);

/** Quiet hours hold back the channels that interrupt (a phone buzzing); an email waits in the inbox anyway. */
const INTERRUPTIVE: ReadonlySet<DeliveryChannel> = new Set(['sms', 'push']);

export interface StatusPlan {
  status: NotifiedStatus;
  topic: NotificationTopic;
  template: EmailTemplate;
  urgent: boolean;
}

/** The notification plan for an order status, or null when the status is not announced (pending, packed, returned). */
export function planFor(status: string): StatusPlan | null {
  if (!Object.hasOwn(PLAN, status)) return null;
  const entry = PLAN[status as NotifiedStatus];
  return { status: status as NotifiedStatus, ...entry, urgent: URGENT.has(status as NotifiedStatus) };
}

/** True when quiet hours apply to this send. */
export function respectsQuietHours(plan: StatusPlan, channel: DeliveryChannel): boolean {
  return !plan.urgent && INTERRUPTIVE.has(channel);
}
