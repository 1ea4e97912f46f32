import type { PlacementResult, SupplierClient, SupplierOrderRequest, SupplierOrderStatus } from './supplier-client';
import { SupplierUnavailableError } from './supplier-client';
import type { SupplierAnswer, SupplierHttp, Verdict } from './supplier-http';

/**
 * Spocket. ASSUMPTION, NOT A DOCUMENTED API: Spocket publishes no order API
 * (docs/providers/spocket.md), so this is our own small REST shape, mirrored by the simulator:
 * - `Authorization: Bearer <api key>`
 * - `POST orders {external_id, line_items[{variant_id, quantity}], shipping_address, customer}`
 *   → 201 `{id, external_id, status, ...}`; a refusal is 422 `{error: {code, message}}`
 * - `GET orders/:id` → `{id, status: pending|confirmed|shipped|delivered|cancelled|rejected,
 *   tracking_number, carrier, reason}`
 * - `POST orders/:id/cancel` → 200 `{id, status: 'cancelled'}` or 409 `{error: {code, message}}`
 * Item mapping (ours): a Spocket item's `variantId` is the Spocket variant id.
 */

export interface SpocketConfig {
  apiKey: string;
}

const ORDER_STATUS: Record<string, SupplierOrderStatus['status']> = {
  pending: 'placed',
  confirmed: 'confirmed',
  shipped: 'shipped',
  delivered: 'delivered',
  cancelled: 'cancelled',
  rejected: 'rejected',
};

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {});
const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : null);
const apiError = (body: unknown) => {
  const error = asObject(asObject(body).error);
  return { code: text(error.code), message: text(error.message) };
};
const judge = (answer: SupplierAnswer): Verdict =>
  answer.status < 300 ? { outcome: 'ok' } : { outcome: 'rejected', error: `HTTP ${answer.status}: ${apiError(answer.body).message ?? 'no message'}` };

export function spocketOrderStatus(order: Json): SupplierOrderStatus {
  const raw = text(order.status) ?? 'unknown';
  const status = ORDER_STATUS[raw] ?? 'placed';
  const shipped = status === 'shipped' || status === 'delivered';
  return {
    status,
    trackingNumber: shipped ? text(order.tracking_number) : null,
    carrier: shipped ? text(order.carrier) : null,
    reason: status === 'rejected' || status === 'cancelled' ? (text(order.reason) ?? `Spocket order ${raw}`) : ORDER_STATUS[raw] ? null : `Spocket order status ${raw}`,
  };
}

export class SpocketClient implements SupplierClient {
  readonly supplier = 'spocket' as const;

  constructor(
    private readonly transport: SupplierHttp,
    private readonly config: SpocketConfig,
  ) {}

  private get headers() {
    return { authorization: `Bearer ${this.config.apiKey}` };
  }

  async placeOrder(request: SupplierOrderRequest): Promise<PlacementResult> {
    const address = request.shippingAddress;
    const answer = await this.transport.send(
      {
        operation: 'place',
        reference: request.reference,
        method: 'POST',
        path: 'orders',
        headers: this.headers,
        json: {
          external_id: request.reference,
          line_items: request.items.map((item) => ({ variant_id: item.variantId, quantity: item.quantity })),
          shipping_address: {
            name: address.name,
            address1: address.line1,
            address2: address.line2 ?? null,
            city: address.city,
            province: address.state ?? null,
            zip: address.postalCode,
            country_code: address.country,
            phone: address.phone ?? request.customer.phone ?? null,
          },
          customer: { name: request.customer.name, email: request.customer.email },
        },
      },
      judge,
    );
    const id = text(asObject(answer.body).id);
    if (answer.status < 300 && id) return { outcome: 'placed', externalOrderId: id };
    const error = apiError(answer.body);
    return { outcome: 'rejected', reason: error.message ?? `Spocket refused the order (HTTP ${answer.status})`, code: error.code ?? String(answer.status) };
  }

  async getOrderStatus(externalOrderId: string): Promise<SupplierOrderStatus> {
    const answer = await this.transport.send(
      { operation: 'status', reference: null, method: 'GET', path: `orders/${encodeURIComponent(externalOrderId)}`, headers: this.headers },
      judge,
    );
    if (answer.status >= 300) {
      throw new SupplierUnavailableError('spocket', `Spocket order ${externalOrderId}: HTTP ${answer.status} ${apiError(answer.body).message ?? ''}`.trim());
    }
    return spocketOrderStatus(asObject(answer.body));
  }

  async cancelOrder(externalOrderId: string): Promise<{ cancelled: boolean; reason: string | null }> {
    const answer = await this.transport.send(
      { operation: 'cancel', reference: null, method: 'POST', path: `orders/${encodeURIComponent(externalOrderId)}/cancel`, headers: this.headers },
      judge,
    );
    if (answer.status === 401 || answer.status === 403) {
      throw new SupplierUnavailableError('spocket', `Spocket cancel: API key refused (HTTP ${answer.status})`);
    }
    if (answer.status < 300) return { cancelled: true, reason: null };
    return { cancelled: false, reason: apiError(answer.body).message ?? `Spocket refused the cancellation (HTTP ${answer.status})` };
  }
}
