import { randomUUID } from 'node:crypto';
import { newEvent } from '@platform/runtime/outbox';
import { refundSucceeded, returnChanged, type ReturnStatus } from '@platform/contracts';
import type { Order } from '@platform/contracts/api/orders';
import { eventually } from '@platform/test-support/eventually';
import { describe, expect, it } from 'vitest';
import { clock, consumer, feedOf, order, placeAndConfirm, publish, service, sink } from './fixture';

/*
 * The customer is told at each step of a return (docs/requirements.md#returns) in their
 * language, by the channels their preferences allow, once per return and step: requested,
 * approved (the label and its tracking number), refused (the reason), received, and refunded
 * (the amount billing refunded, from `billing.refund.succeeded` with `returnId`).
 */

const LABEL = { carrier: 'dhl', trackingNumber: 'JD014600006281234567', labelUrl: 'https://labels.example/RMA-000042.pdf' };

function returnStep(o: Order, returnId: string, status: ReturnStatus, extra: { refusalReason?: string } = {}) {
  const labelled = !['requested', 'refused'].includes(status);
  return newEvent(returnChanged, {
    aggregateId: o.id,
    source: 'fulfillment',
    data: {
      returnId,
      orderId: o.id,
      number: 'RMA-000042',
      status,
      previousStatus: null,
      reason: 'Too small',
      items: [{ sku: 'MUG', variantId: 'mug-blue', vendorId: 'acme', quantity: 1, condition: null, restockingFeeBps: null }],
      label: labelled ? LABEL : null,
      hubId: labelled ? 'hub-madrid' : null,
      refusalReason: extra.refusalReason ?? null,
      actor: 'ops:key-1',
      at: clock.now().toISOString(),
    },
  });
}

function refunded(o: Order, returnId: string | undefined, amount: number) {
  return newEvent(refundSucceeded, {
    aggregateId: o.id,
    source: 'billing',
    data: {
      orderId: o.id,
      refundId: randomUUID(),
      paymentId: randomUUID(),
      providerRefundId: `re_${randomUUID().slice(0, 8)}`,
      amount,
      currency: 'EUR',
      reason: 'Return RMA-000042: Too small',
      refundedAt: clock.now().toISOString(),
      remainingPaid: 1749 - amount,
      ...(returnId && { returnId }),
    },
  });
}

/** Waits until the durable of `suffix` ('-ful', '-billing') handled the event: what it planned is then in the database. */
const handled = (suffix: string, eventId: string) =>
  eventually(() => service.db.processedEvent.findUnique({ where: { consumer_eventId: { consumer: `${consumer}${suffix}`, eventId } } }), (row) => row !== null, 20_000);

const emailOf = async (o: Order, subject: string) => (await sink.waitForMessages((m) => m.to.includes(o.customer.email) && m.subject === subject, { timeoutMs: 20_000 }))[0]!;
const oneLine = (text: string) => text.replace(/\s+/g, ' ');
const notices = async (orderId: string) =>
  (await service.db.notification.findMany({ where: { orderId, notice: { startsWith: 'return_' } }, orderBy: { createdAt: 'asc' } })).map((n) => `${n.channel}:${n.notice}`);

describe('return notices', () => {
  it('tells a Spanish customer each step in natural Spanish, with the label and the amount, once per return and step', async () => {
    const o = order('es');
    await placeAndConfirm(o);
    const returnId = randomUUID();

    await publish(returnStep(o, returnId, 'requested'));
    const requested = await emailOf(o, `Hemos recibido tu solicitud de devolución del pedido ${o.number}`);
    expect(oneLine(requested.text)).toContain('hemos recibido tu solicitud para devolver los artículos que ves abajo (devolución RMA-000042)');
    expect(requested.text).toContain('Blue mug × 1');

    const approved = returnStep(o, returnId, 'approved');
    await publish(approved);
    const label = await emailOf(o, `Hemos aceptado la devolución de tu pedido ${o.number}`);
    expect(oneLine(label.text)).toContain('Imprime la etiqueta, pégala en el paquete y entrégaselo al transportista.');
    expect(label.text).toContain(`Número de seguimiento: ${LABEL.trackingNumber}`);
    expect(label.text).toContain(`Imprimir la etiqueta de devolución: ${LABEL.labelUrl}`);
    expect(label.html).toContain(`href="${LABEL.labelUrl}"`);

    // In transit, inspected and the return's own `refunded` step are not told.
    for (const status of ['in_transit', 'inspected', 'refunded'] as const) {
      const step = returnStep(o, returnId, status);
      await publish(step);
      await handled('-ful', step.id);
    }
    await publish(returnStep(o, returnId, 'received'));
    const arrived = await emailOf(o, `Hemos recibido la devolución de tu pedido ${o.number}`);
    expect(oneLine(arrived.text)).toContain('tu devolución RMA-000042 ha llegado a nuestro almacén');

    // Another refund of the order (not a return's) is not a return notice.
    const otherRefund = refunded(o, undefined, 100);
    await publish(otherRefund);
    await handled('-billing', otherRefund.id);
    await publish(refunded(o, returnId, 1062));
    const money = await emailOf(o, `Te hemos reembolsado la devolución del pedido ${o.number}`);
    // Intl separates the amount and the symbol with a no-break space.
    expect(oneLine(money.text.replace(/\u00a0/g, ' '))).toContain('Te hemos reembolsado 10,62 € en tu método de pago original.');

    // The approval resent under a new envelope id, and the refund again: nothing new.
    const resent = { ...approved, id: randomUUID() };
    await publish(resent);
    await handled('-ful', resent.id);
    const again = refunded(o, returnId, 1062);
    await publish(again);
    await handled('-billing', again.id);
    const told = ['return_requested', 'return_approved', 'return_received', 'return_refunded'].map((kind) => `${kind}:${returnId}`);
    expect(await notices(o.id)).toEqual(told.map((notice) => `email:${notice}`));
    for (const internal of ['hub-madrid', 'acme', 'MUG ', 'ops:key-1', returnId]) {
      for (const message of [requested, label, arrived, money]) expect(message.text).not.toContain(internal);
    }
    // The app's feed (no SMS or push: no phone, no device) has each step once.
    const feed = (await feedOf(o.customer.id)).filter((item) => item.notice.startsWith('return_'));
    expect(feed.map((item) => item.title)).toEqual(['Devolución solicitada', 'Devolución aceptada', 'Devolución recibida', 'Devolución reembolsada']);
  });

  it('tells a refusal with the reason ops gave', async () => {
    const o = order('en');
    await placeAndConfirm(o);
    const returnId = randomUUID();
    await publish(returnStep(o, returnId, 'refused', { refusalReason: 'The mug has been used' }));
    const refused = await emailOf(o, `About your return request for order ${o.number}`);
    expect(oneLine(refused.text)).toContain("we're sorry: we can't accept your return request RMA-000042.");
    expect(refused.text).toContain('Reason: The mug has been used');
    expect(await notices(o.id)).toEqual([`email:return_refused:${returnId}`]);
  });
});
