/**
 * The order journeys of the chaos run, as a client, the customer and the providers take them
 * through the gateway and the simulators. Each records what it knows it did (`SentOrder`); an
 * answer lost to a fault makes the outcome `unknown`, never a guess.
 */
import type { CreateOrderInput, Order } from '@platform/contracts/api/orders';
import type { Got } from 'got';
import { sleep } from '../child';
import { describe, lookUpCheckout, payCheckout } from '../drive';
import { JOURNEYS, type Journey, type Outcome, type SentOrder } from './checker';
import type { Random } from './random';

export interface PlannedJourney {
  index: number;
  journey: Journey;
  /** Register a phone and a device, so SMS and push are sent too. */
  reachable: boolean;
  /** ms after the start before the order is placed. */
  delayMs: number;
}

/** Relative weight of each journey in the mix. */
const WEIGHTS: Record<Journey, number> = {
  'paid-delivered': 30,
  unpaid: 8,
  'cancel-before-payment': 8,
  'cancel-after-payment': 10,
  'cancel-after-placement': 12,
  'cancel-after-shipment': 8,
  modified: 10,
  'supplier-refusing': 7,
  'supplier-silent': 7,
};

export function planJourneys(random: Random, orders: number, windowMs: number): PlannedJourney[] {
  const total = JOURNEYS.reduce((sum, j) => sum + WEIGHTS[j], 0);
  return Array.from({ length: orders }, (_, index) => {
    // Every journey at least once when there are enough orders; the rest drawn by weight.
    let journey: Journey = JOURNEYS[index] as Journey;
    if (index >= JOURNEYS.length) {
      let roll = random.next() * total;
      journey = JOURNEYS.find((j) => (roll -= WEIGHTS[j]) < 0) ?? 'paid-delivered';
    }
    return { index, journey, reachable: random.chance(0.3), delayMs: random.int(0, Math.round(windowMs * 0.7)) };
  });
}

/**
 * The suppliers' switches for the whole run: AliExpress accepts and ships, CJ accepts but never
 * confirms (the silent supplier: failed after 24 h, or cancelled), Spocket refuses every order.
 */
export const SUPPLIER_BEHAVIOUR = {
  aliexpress: { mode: 'ok' },
  cj: { mode: 'ok', options: { confirm: false } },
  spocket: { mode: 'reject', options: { reason: 'Out of stock' } },
} as const;

type Source = NonNullable<CreateOrderInput['items'][number]['supplierSource']>;

function supplierFor(journey: Journey, random: Random): Source {
  switch (journey) {
    case 'supplier-refusing':
      return 'spocket';
    case 'supplier-silent':
      return 'cj';
    case 'cancel-after-placement':
      return random.pick(['aliexpress', 'cj'] as const);
    case 'unpaid':
    case 'cancel-before-payment':
    case 'cancel-after-payment':
      // Hub stock is reserved and released: the stock check has something to count.
      return 'own_stock';
    default:
      return 'aliexpress';
  }
}

export interface Identity {
  customerId: string;
  email: string;
  phone: string;
  deviceToken: string;
}

export function identityOf(runId: string, index: number): Identity {
  return {
    customerId: `chaos-${runId}-${index}`,
    email: `chaos+${runId}-${index}@example.com`,
    phone: `+3460${String(index).padStart(7, '0')}`,
    deviceToken: `chaos-device-${runId}-${index}`,
  };
}

function item(source: Source, quantity: number): CreateOrderInput['items'][number] {
  return {
    sku: source === 'own_stock' ? 'MUG-WHT' : `SUP-${source.toUpperCase()}-1`,
    variantId: source === 'aliexpress' ? '14:193#Black' : `var-${source}-1`,
    name: 'Travel mug',
    quantity,
    unitPrice: 1250,
    vendor: { id: 'acme', type: 'brand' },
    supplierSource: source,
  };
}

export interface JourneyContext {
  runId: string;
  gateway: Got;
  gatewayUrl: string;
  simulators: Got;
  simulatorsUrl: string;
  random: Random;
  /** No journey step waits past this. */
  deadline: number;
}

export interface JourneyResult {
  planned: PlannedJourney;
  /** Undefined when no POST was answered 201. */
  sent?: SentOrder;
  notes: string[];
}

const RETRIES = 8;

/** A request retried on network errors and 5xx (faults in progress); returns the last answer or undefined. */
async function attempt(send: () => Promise<{ statusCode: number; body: unknown }>, notes: string[], what: string) {
  let last: { statusCode: number; body: unknown } | undefined;
  for (let i = 0; i < RETRIES; i++) {
    try {
      last = await send();
      if (last.statusCode < 500 && last.statusCode !== 429) return { answer: last, retried: i > 0 };
    } catch (error) {
      notes.push(`${what}: ${describe(error)}`);
      last = undefined;
    }
    await sleep(500 * 2 ** Math.min(i, 4));
  }
  return { answer: last, retried: true };
}

async function until<T>(context: JourneyContext, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const deadline = Math.min(context.deadline, Date.now() + timeoutMs);
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await sleep(500);
  }
  return undefined;
}

const fulfillmentState = async (context: JourneyContext, orderId: string): Promise<string | undefined> => {
  const answer = await context.gateway.get(`v1/orders/${orderId}/fulfillment`, { responseType: 'json' });
  return answer.statusCode === 200 ? (answer.body as { state: string }).state : undefined;
};

export async function runJourney(planned: PlannedJourney, context: JourneyContext): Promise<JourneyResult> {
  const notes: string[] = [];
  const result: JourneyResult = { planned, notes };
  const { gateway } = context;
  const who = identityOf(context.runId, planned.index);
  const source = supplierFor(planned.journey, context.random);

  if (planned.reachable) {
    await attempt(
      () => gateway.put(`v1/customers/${who.customerId}/preferences`, { json: { quietHours: null, phoneNumber: who.phone, timezone: 'UTC' } }),
      notes,
      'preferences',
    );
    await attempt(() => gateway.put(`v1/customers/${who.customerId}/devices`, { json: { token: who.deviceToken, platform: 'android' } }), notes, 'device');
  }

  const body: CreateOrderInput = {
    customer: { id: who.customerId, email: who.email, name: 'Chaos Customer', locale: 'en', timezone: 'UTC' },
    shippingAddress: { name: 'Chaos Customer', line1: 'Calle Mayor 1', city: 'Madrid', postalCode: '28001', country: 'ES', phone: '+34 600111222' },
    items: [item(source, 2)],
    currency: 'EUR',
  };
  const idempotencyKey = `chaos-${context.runId}-${planned.index}`;
  const placed = await attempt(() => gateway.post('v1/orders', { json: body, headers: { 'idempotency-key': idempotencyKey } }), notes, 'POST /v1/orders');
  if (placed.answer?.statusCode !== 201) {
    notes.push(`not placed: HTTP ${placed.answer?.statusCode ?? 'none'}`);
    return result;
  }
  const order = placed.answer.body as Order;
  const sent: SentOrder = { orderId: order.id, journey: planned.journey, paid: 'no', cancelled: 'no', cancelAnswer: null };
  result.sent = sent;

  const cancel = async (): Promise<void> => {
    const answer = await attempt(() => gateway.post(`v1/orders/${order.id}/cancel`, { json: { reason: 'Changed my mind' } }), notes, 'cancel');
    sent.cancelAnswer = answer.answer?.statusCode ?? null;
    // A 409 after a lost answer may be the first attempt's success; so may a 5xx to the last try
    // (the service may have committed, then died before answering).
    const status = answer.answer?.statusCode;
    if (status === 200) sent.cancelled = 'yes';
    else if (status === undefined || status >= 500 || (answer.retried && status === 409)) sent.cancelled = 'unknown';
  };

  if (planned.journey === 'modified') {
    const modified = await attempt(() => gateway.patch(`v1/orders/${order.id}`, { json: { items: [item(source, 3)] }, headers: { 'if-match': `"${order.version}"` } }), notes, 'PATCH');
    if (modified.answer?.statusCode !== 200) notes.push(`modify answered ${modified.answer?.statusCode ?? 'nothing'}`);
  }
  if (planned.journey === 'cancel-before-payment') return (await cancel(), result);
  if (planned.journey === 'unpaid') return result;

  sent.paid = await pay(context, order.id, notes);
  if (sent.paid === 'no') return result;

  switch (planned.journey) {
    case 'cancel-after-payment':
      await cancel();
      break;
    case 'cancel-after-placement': {
      const state = await until(context, async () => {
        const current = await fulfillmentState(context, order.id);
        return current && current !== 'pending' && current !== 'payment_confirmed' && current !== 'processing' ? current : undefined;
      }, 120_000);
      if (!state) notes.push('never placed with the supplier before the deadline');
      await cancel();
      break;
    }
    case 'cancel-after-shipment': {
      const shipped = await until(context, async () => {
        const current = await fulfillmentState(context, order.id);
        return current === 'shipped' || current === 'in_transit' ? current : undefined;
      }, 120_000);
      if (!shipped) notes.push('never shipped before the deadline');
      await cancel();
      if (shipped && sent.cancelAnswer !== 409) notes.push(`cancel after shipment answered ${sent.cancelAnswer}, expected 409`);
      break;
    }
    default:
      break;
  }
  return result;
}

/** Waits for the checkout session and pays it; `unknown` when the payment's fate is not known. */
async function pay(context: JourneyContext, orderId: string, notes: string[]): Promise<Outcome> {
  const session = await until(context, async () => {
    const checkout = await lookUpCheckout(context.gateway, context.gatewayUrl, orderId);
    if (checkout.kind === 'failed') notes.push(checkout.reason);
    return checkout.kind === 'open' ? checkout.sessionId : undefined;
  }, 120_000);
  if (!session) {
    notes.push('no checkout session before the deadline');
    return 'no';
  }
  for (let i = 0; i < RETRIES; i++) {
    try {
      // After a lost answer the session may be paid already; Stripe then delivers its webhook.
      if (i > 0 && (await completed(context, session))) return 'yes';
      const payment = await payCheckout(context.simulators, context.simulatorsUrl, session);
      if (payment.kind === 'accepted') return 'yes';
      notes.push(payment.problem);
      // Paid: Stripe (the simulator) sends a refused webhook again until billing accepts it.
      if (payment.kind === 'refused') return 'yes';
    } catch (error) {
      notes.push(`pay: ${describe(error)}`);
    }
    await sleep(1_000 * 2 ** Math.min(i, 3));
  }
  return 'unknown';
}

/** Whether the session's checkout.session.completed event exists: the customer's payment went through at Stripe. */
async function completed(context: JourneyContext, sessionId: string): Promise<boolean> {
  const answer = await context.simulators.get('stripe/_sim/webhooks', { responseType: 'json' });
  const { events } = answer.body as { events: { id: string; type: string; event: { data: { object: { id: string } } } }[] };
  return events.some((e) => e.type === 'checkout.session.completed' && e.event.data.object.id === sessionId);
}

