import { newEvent, on, recordEvent } from '@platform/config';
import { notificationSent, orderCreated } from '@platform/contracts';
import { v5 as uuidv5 } from 'uuid';
import type { Transaction } from '../adapters/database';
import type { Mailer } from '../adapters/mailer';
import type { TemplateRenderer } from '../adapters/template-renderer';
import { ORDER_CONFIRMATION, orderConfirmationView, type StoreIdentity } from '../domain/order-confirmation';

export const SERVICE = 'notifications';

/** Namespace for notification ids: uuidv5(`<order>/<template>/<channel>`) is the same on every attempt. */
const NOTIFICATION_ID_NAMESPACE = '5b0e7e2a-8d0c-4f7e-9a52-6c1f0a3d2b41';

export interface ConfirmationDeps {
  renderer: TemplateRenderer;
  mailer: Mailer;
  store: StoreIdentity;
}

/**
 * `orders.order.created` → the order-confirmation email. The notification row is unique
 * per (order, template, channel) and commits with the processed-event record, so a
 * redelivered or replayed event never sends a second email once the first was recorded.
 */
export function sendOrderConfirmation(deps: ConfirmationDeps) {
  return on(orderCreated, async (event, tx: Transaction) => {
    const order = event.data;
    const key = { orderId: order.id, template: ORDER_CONFIRMATION, channel: 'email' };
    const existing = await tx.notification.findUnique({ where: { orderId_template_channel: key } });
    if (existing?.status === 'sent') return;

    // Derived, not random: a resend after a crash between the SMTP hand-off and the commit
    // carries the same notification id and Message-ID, so it can be recognised downstream.
    const id = uuidv5(`${order.id}/${key.template}/${key.channel}`, NOTIFICATION_ID_NAMESPACE);
    const message = deps.renderer.render(ORDER_CONFIRMATION, order.customer.locale, orderConfirmationView(order, deps.store));
    const { providerMessageId } = await deps.mailer.send({
      to: order.customer.email,
      ...message,
      messageId: `<${id}@notifications.platform>`,
    });
    const sentAt = new Date();
    await tx.notification.upsert({
      where: { orderId_template_channel: key },
      create: {
        id,
        ...key,
        recipient: order.customer.email,
        locale: order.customer.locale,
        status: 'sent',
        subject: message.subject,
        providerMessageId,
        attempts: 1,
        causationEventId: event.id,
        sentAt,
      },
      update: { status: 'sent', providerMessageId, attempts: { increment: 1 }, sentAt, lastError: null },
    });
    await recordEvent(
      tx,
      newEvent(notificationSent, {
        aggregateId: order.id,
        source: SERVICE,
        data: {
          notificationId: id,
          orderId: order.id,
          template: ORDER_CONFIRMATION,
          channel: 'email',
          recipient: order.customer.email,
          locale: order.customer.locale,
          providerMessageId,
          sentAt: sentAt.toISOString(),
        },
      }),
    );
  });
}
