/**
 * Driving orders through a running platform as a client and the simulated customer do: the
 * pieces `pnpm bench` and `pnpm chaos` share (checkout session lookup, paying at the Stripe
 * simulator, reading the SMTP sink, a worker pool, failure descriptions, plain-text tables).
 */
import type { OrderBilling } from '@platform/contracts/api/billing';
import type { Got } from 'got';
import type { SinkMessage } from './smtp-sink';
import type { WebhookDelivery } from '@platform/simulators/providers/stripe';

/** `fn(i)` for i in [0, count) with at most `concurrency` running at once. */
export async function runPool(count: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

export function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}`;
  }
  return String(error);
}

/** An HTTP failure that groups well: status and problem code/title (numbers masked), no per-request ids. */
export function httpFailure(what: string, response: { statusCode: number; body: unknown }): string {
  const { code, title, instance } = (response.body ?? {}) as { code?: unknown; title?: unknown; instance?: unknown };
  const detail =
    typeof title === 'string' ? `${typeof code === 'string' ? `${code} ` : ''}${title.replace(/\d+/g, 'N')}` : JSON.stringify(response.body).slice(0, 300);
  // The problem's `instance` is the path of the service that wrote it: the gateway passes a
  // service's problem through unchanged, so `/orders` says the orders service refused, `/v1/orders` the gateway.
  const by = typeof instance === 'string' ? ` (from ${instance.split('?')[0]!.replace(/\/[0-9a-f-]{36}(?=\/|$)/gi, '/:id')})` : '';
  return `${what}: HTTP ${response.statusCode} ${detail}${by}`;
}

export type CheckoutLookup =
  | { kind: 'open'; sessionId: string; createdAt: string }
  | { kind: 'not-yet' }
  | { kind: 'failed'; reason: string };

/**
 * One look at the order's checkout session through the gateway (`GET /v1/orders/:id/billing`, a
 * 404 while billing has not handled orders.order.created yet).
 */
export async function lookUpCheckout(gatewayClient: Got, gateway: string, orderId: string): Promise<CheckoutLookup> {
  const response = await gatewayClient.get(`${gateway}/v1/orders/${orderId}/billing`, { responseType: 'json' });
  if (response.statusCode === 404) return { kind: 'not-yet' };
  if (response.statusCode !== 200) return { kind: 'failed', reason: httpFailure('GET /v1/orders/:id/billing', response) };
  const payment = (response.body as OrderBilling).payments[0];
  if (payment?.status === 'failed') return { kind: 'failed', reason: `payment failed at billing: ${payment.failureReason ?? 'no reason given'}` };
  const session = payment?.checkoutSessions[0];
  return session ? { kind: 'open', sessionId: session.providerSessionId, createdAt: session.createdAt } : { kind: 'not-yet' };
}

/**
 * A payment from the customer's side: `failed` when the customer could not pay (the simulator's
 * answer was not 200); `refused` when they paid but billing did not accept the first delivery of
 * the webhook, which Stripe (the simulator) then sends again until billing does.
 */
export type Payment = { kind: 'accepted' } | { kind: 'refused' | 'failed'; problem: string };

/** The simulated customer pays the session; the simulator answers once its signed webhook went through the gateway to billing. */
export async function payCheckout(client: Got, simulatorsUrl: string, sessionId: string): Promise<Payment> {
  const response = await client.post(`${simulatorsUrl}/stripe/_sim/checkout/sessions/${sessionId}/complete`, { json: {}, responseType: 'json' });
  if (response.statusCode !== 200) return { kind: 'failed', problem: httpFailure('pay', response) };
  const { delivery } = response.body as { delivery?: WebhookDelivery };
  if (delivery?.status && delivery.status < 300) return { kind: 'accepted' };
  return { kind: 'refused', problem: `Stripe webhook not accepted: ${delivery?.error ?? `HTTP ${delivery?.status}`}` };
}

/** The Stripe simulator's automatic resends of refused webhooks so far (sent, then accepted, given up) and the events waiting for one. */
export interface WebhookRetries {
  sent: number;
  accepted: number;
  abandoned: number;
  pending: number;
}

export async function webhookRetries(client: Got, simulatorsUrl: string): Promise<WebhookRetries> {
  const response = await client.get(`${simulatorsUrl}/stripe/_sim/webhooks/retries`, { responseType: 'json' });
  if (response.statusCode !== 200) throw new Error(httpFailure('GET /stripe/_sim/webhooks/retries', response));
  return response.body as WebhookRetries;
}

/** Every message in the SMTP sink (its JSON API). */
export async function fetchSink(client: Got, sinkUrl: string): Promise<SinkMessage[]> {
  const response = await client.get(`${sinkUrl}/api/messages`, { responseType: 'json', timeout: { request: 30_000 } });
  if (response.statusCode !== 200) throw new Error(`GET ${sinkUrl}/api/messages answered ${response.statusCode}`);
  return response.body as SinkMessage[];
}

export function renderTable(header: string[], rows: string[][], rightAligned: boolean[]): string {
  const widths = header.map((title, c) => Math.max(title.length, ...rows.map((row) => (row[c] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((cell, c) => (rightAligned[c] ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0))).join('  ').trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}
