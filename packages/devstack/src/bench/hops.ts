/**
 * Payment → confirmation email, hop by hop, for the sustained benchmark: where an order's wait
 * goes between the customer paying and the confirmation reaching the mail relay. Each event on
 * the way carries two times: `occurredAt`, when its service recorded it (inside the transaction
 * that committed it), and the time JetStream stored it (after the outbox relay picked it up). The
 * hops between them are a relay's pickup or a consumer's wait and work. All times come from one
 * host's clock when the platform runs where the bench runs (`pnpm start`); against a remote
 * platform the first and last hops also carry the clocks' offset.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { type Envelope, noticePlanned, notificationSent, orderStatusChanged, paymentSucceeded, streams } from '@platform/contracts';
import { type Stats, stats } from './journey';

/** One order's payment and the moment the relay accepted its confirmation email (the bench's own clock). */
export interface PaidJourney {
  orderId: string;
  paidAt: number;
  emailAt: number;
}

export interface StoredEvent {
  envelope: Envelope;
  /** When JetStream stored it, in ms since the epoch. */
  storedAt: number;
}

/**
 * Every event of `type` on its stream stored from `sinceMs` on, handed to `take` in stream order
 * (an ordered read, which acknowledges nothing and leaves no consumer behind).
 */
export async function readStoredEvents(js: JetStreamClient, stream: string, type: string, sinceMs: number, take: (event: StoredEvent) => void): Promise<void> {
  const consumer = await js.consumers.get(stream, { filter_subjects: type, opt_start_time: new Date(sinceMs).toISOString() });
  for (;;) {
    let received = 0;
    let pending = 0;
    for await (const message of await consumer.fetch({ max_messages: 1_000, expires: 2_000 })) {
      received += 1;
      pending = message.info.pending;
      take({ envelope: message.json<Envelope>(), storedAt: Number(message.timestampNanos / 1000n) / 1000 });
      if (pending === 0) break;
    }
    if (received === 0 || pending === 0) return;
  }
}

interface Step {
  recordedAt: number;
  storedAt: number;
}

/** The first event of `type` per order (its `data.orderId`) that `keep` accepts. */
async function firstPerOrder(js: JetStreamClient, definition: { type: string; stream: keyof typeof streams }, orders: Set<string>, sinceMs: number, keep: (data: Record<string, unknown>) => boolean) {
  const found = new Map<string, Step>();
  await readStoredEvents(js, streams[definition.stream].name, definition.type, sinceMs, ({ envelope, storedAt }) => {
    const data = envelope.data as Record<string, unknown>;
    const orderId = String(data.orderId);
    if (!orders.has(orderId) || found.has(orderId) || !keep(data)) return;
    found.set(orderId, { recordedAt: Date.parse(envelope.occurredAt), storedAt });
  });
  return found;
}

export const PAYMENT_TO_EMAIL_HOPS = [
  'Stripe → billing recorded the payment',
  'billing relay: recorded → on the stream',
  'orders: payment on the stream → order confirmed',
  'orders relay: recorded → on the stream',
  'notifications: confirmation on the stream → notice planned',
  'notifications: planned → send timer fired',
  'send timer fired → mail relay accepted',
] as const;

/** Each hop's latency over the journeys whose every event was found (`orders`: how many). */
export async function paymentToEmailHops(js: JetStreamClient, journeys: readonly PaidJourney[]): Promise<{ orders: number; hops: Array<{ hop: string; latency: Stats | null }> }> {
  if (journeys.length === 0) return { orders: 0, hops: PAYMENT_TO_EMAIL_HOPS.map((hop) => ({ hop, latency: null })) };
  const orders = new Set(journeys.map((j) => j.orderId));
  // Stored after the payment, so nothing of these journeys is older than the first one (a second
  // earlier, for a NATS host whose clock is slightly behind).
  const since = Math.min(...journeys.map((j) => j.paidAt)) - 1_000;
  const [paid, confirmed, planned, sent] = await Promise.all([
    firstPerOrder(js, paymentSucceeded, orders, since, () => true),
    firstPerOrder(js, orderStatusChanged, orders, since, (data) => data.status === 'confirmed'),
    firstPerOrder(js, noticePlanned, orders, since, (data) => data.notice === 'confirmed'),
    firstPerOrder(js, notificationSent, orders, since, (data) => data.notice === 'confirmed' && data.channel === 'email'),
  ]);
  const samples: number[][] = PAYMENT_TO_EMAIL_HOPS.map(() => []);
  let complete = 0;
  for (const journey of journeys) {
    const [p, c, n, s] = [paid, confirmed, planned, sent].map((steps) => steps.get(journey.orderId));
    if (!p || !c || !n || !s) continue;
    complete += 1;
    // A notification's `sent` event carries the time its send timer fired (the round's now, before
    // the timer's transaction and lock; for a send retried, its last attempt's).
    const hops = [p.recordedAt - journey.paidAt, p.storedAt - p.recordedAt, c.recordedAt - p.storedAt, c.storedAt - c.recordedAt, n.recordedAt - c.storedAt, s.recordedAt - n.recordedAt, journey.emailAt - s.recordedAt];
    hops.forEach((value, index) => samples[index]!.push(value));
  }
  return { orders: complete, hops: PAYMENT_TO_EMAIL_HOPS.map((hop, index) => ({ hop, latency: stats(samples[index]!) })) };
}
