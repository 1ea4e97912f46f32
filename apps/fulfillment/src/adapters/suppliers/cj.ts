import type { PlacementResult, SupplierClient, SupplierOrderRequest, SupplierOrderStatus } from './supplier-client';
import { SupplierUnavailableError } from './supplier-client';
import { neverReachedSupplier, type SupplierAnswer, type SupplierHttp, type SupplierRequest, type Verdict } from './supplier-http';

/**
 * CJ Dropshipping API 2.0 (docs/providers/cj.md). An access token from
 * `authentication/getAccessToken` (valid 15 days; CJ allows one token request per 5 minutes)
 * goes in the `CJ-Access-Token` header; every answer is the envelope
 * `{code, result, message, data, requestId}`.
 *
 * Item mapping (ours): a CJ item's `variantId` is CJ's variant id (`vid`).
 */

export interface CjConfig {
  apiKey: string;
  /** CJ logistics product; "CJPacket Ordinary" is CJ's standard tracked service. */
  logisticName?: string;
  /** Warehouse country the order ships from. */
  fromCountryCode?: string;
  /** Wall clock for token expiry and the auth rate limit (injectable for tests). */
  now?: () => number;
}

/** CJ allows one `getAccessToken` call per 5 minutes. */
export const CJ_AUTH_INTERVAL_MS = 5 * 60_000;
const TOKEN_LIFETIME_MS = 15 * 24 * 3_600_000;
/** Renew a little before the documented expiry so a call never carries a token that just lapsed. */
const TOKEN_RENEW_MARGIN_MS = 3_600_000;

/**
 * Envelope codes we act on. Not on CJ's order pages (ASSUMED from CJ's error-code table, docs/providers/cj.md#errors):
 * 1600001 invalid API key / access token, 1600200 too many requests.
 */
const TOKEN_REFUSED_CODES = new Set([1600001, 1600003]);
const RATE_LIMITED_CODE = 1600200;

/** `orderStatus` of getOrderDetail → our status (docs/providers/cj.md#what-we-expect-back). */
const ORDER_STATUS: Record<string, SupplierOrderStatus['status']> = {
  CREATED: 'placed',
  IN_CART: 'placed',
  UNPAID: 'placed',
  UNSHIPPED: 'confirmed',
  SHIPPED: 'shipped',
  DELIVERED: 'delivered',
  CANCELLED: 'cancelled',
};

interface Envelope {
  code: number | null;
  result: boolean;
  message: string | null;
  data: Record<string, unknown> | string | null;
}

function envelope(body: unknown): Envelope {
  const object = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const data = object.data;
  const code = object.code == null ? Number.NaN : Number(object.code);
  return {
    code: Number.isFinite(code) ? code : null,
    result: object.result === true,
    message: typeof object.message === 'string' ? object.message : null,
    data: typeof data === 'string' ? data : data && typeof data === 'object' ? (data as Record<string, unknown>) : null,
  };
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : null);
const isTokenRefused = (answer: SupplierAnswer) => answer.status === 401 || TOKEN_REFUSED_CODES.has(envelope(answer.body).code ?? 0);
const succeeded = (body: unknown) => {
  const reply = envelope(body);
  return reply.result && reply.code === 200;
};
const judgeEnvelope = (answer: SupplierAnswer): Verdict => {
  if (succeeded(answer.body)) return { outcome: 'ok' };
  const reply = envelope(answer.body);
  return { outcome: 'rejected', error: `${reply.code ?? answer.status}: ${reply.message ?? 'no message'}` };
};

export function cjOrderStatus(data: Record<string, unknown>): SupplierOrderStatus {
  const raw = text(data.orderStatus) ?? 'UNKNOWN';
  const status = ORDER_STATUS[raw] ?? 'placed';
  const shipped = status === 'shipped' || status === 'delivered';
  return {
    status,
    trackingNumber: shipped ? text(data.trackNumber) : null,
    carrier: shipped ? (text(data.logisticName) ?? text(data.logisticsName)) : null,
    reason: status === 'cancelled' ? 'Cancelled at CJ' : ORDER_STATUS[raw] ? null : `CJ order status ${raw}`,
  };
}

/** CJ refused our API key: a configuration problem, not an outage. */
class CjAuthRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const countryNames = new Intl.DisplayNames(['en'], { type: 'region' });

export class CjClient implements SupplierClient {
  readonly supplier = 'cj' as const;
  private token: { value: string; renewAt: number } | null = null;
  private lastAuthAt: number | null = null;
  /** One token request at a time: concurrent calls share it. */
  private pendingAuth: Promise<string> | null = null;
  private readonly now: () => number;

  constructor(
    private readonly transport: SupplierHttp,
    private readonly config: CjConfig,
  ) {
    this.now = config.now ?? Date.now;
  }

  async placeOrder(request: SupplierOrderRequest): Promise<PlacementResult> {
    const address = request.shippingAddress;
    const body = {
      orderNumber: request.reference,
      shippingZip: address.postalCode,
      shippingCountry: countryNames.of(address.country) ?? address.country,
      shippingCountryCode: address.country,
      shippingProvince: address.state ?? '',
      shippingCity: address.city,
      shippingCounty: '',
      shippingPhone: address.phone ?? request.customer.phone ?? '',
      shippingCustomerName: address.name,
      shippingAddress: address.line1,
      shippingAddress2: address.line2 ?? '',
      email: request.customer.email,
      remark: `Order ${request.orderId}`,
      payType: 2, // balance pay: the order is paid from our CJ balance at creation
      logisticName: this.config.logisticName ?? 'CJPacket Ordinary',
      fromCountryCode: this.config.fromCountryCode ?? 'CN',
      products: request.items.map((item) => ({ vid: item.variantId, quantity: item.quantity })),
    };
    let answer: SupplierAnswer;
    try {
      answer = await this.authorized({ operation: 'place', reference: request.reference, method: 'POST', path: 'shopping/order/createOrderV2', json: body }, judgeEnvelope);
    } catch (error) {
      if (error instanceof CjAuthRefused) return { outcome: 'rejected', reason: error.message, code: error.code };
      throw error;
    }
    const reply = envelope(answer.body);
    const orderId = reply.data && typeof reply.data === 'object' ? text(reply.data.orderId) : reply.data;
    if (succeeded(answer.body) && orderId) return { outcome: 'placed', externalOrderId: orderId };
    return { outcome: 'rejected', reason: reply.message ?? `CJ refused the order (HTTP ${answer.status})`, code: reply.code === null ? null : String(reply.code) };
  }

  async getOrderStatus(externalOrderId: string): Promise<SupplierOrderStatus> {
    const answer = await this.authorizedOrUnavailable({
      operation: 'status',
      reference: null,
      method: 'GET',
      path: 'shopping/order/getOrderDetail',
      searchParams: { orderId: externalOrderId },
    });
    const reply = envelope(answer.body);
    if (!succeeded(answer.body) || !reply.data || typeof reply.data !== 'object') {
      throw new SupplierUnavailableError('cj', `CJ order detail for ${externalOrderId} refused: ${reply.code ?? answer.status} ${reply.message ?? ''}`.trim());
    }
    return cjOrderStatus(reply.data);
  }

  /** `DELETE shopping/order/deleteOrder?orderId=`: CJ deletes orders it has not started on. */
  async cancelOrder(externalOrderId: string): Promise<{ cancelled: boolean; reason: string | null }> {
    const answer = await this.authorizedOrUnavailable({
      operation: 'cancel',
      reference: null,
      method: 'DELETE',
      path: 'shopping/order/deleteOrder',
      searchParams: { orderId: externalOrderId },
    });
    if (succeeded(answer.body)) return { cancelled: true, reason: null };
    return { cancelled: false, reason: envelope(answer.body).message ?? `CJ refused the cancellation (HTTP ${answer.status})` };
  }

  private async authorizedOrUnavailable(request: Omit<SupplierRequest, 'headers'>): Promise<SupplierAnswer> {
    try {
      const answer = await this.authorized(request, judgeEnvelope);
      if (isTokenRefused(answer)) throw new CjAuthRefused(String(envelope(answer.body).code ?? answer.status), 'CJ refused the access token');
      return answer;
    } catch (error) {
      if (error instanceof CjAuthRefused) throw new SupplierUnavailableError('cj', `CJ ${request.operation}: ${error.message}`, { cause: error });
      throw error;
    }
  }

  /** Sends with the access token; a refused token is dropped and the call repeated once with a new one. */
  private async authorized(request: Omit<SupplierRequest, 'headers'>, judge: (answer: SupplierAnswer) => Verdict): Promise<SupplierAnswer> {
    for (let attempt = 1; ; attempt += 1) {
      const token = await this.accessToken();
      const answer = await this.transport.send({ ...request, headers: { 'CJ-Access-Token': token } }, (reply) =>
        isTokenRefused(reply) ? { outcome: 'rejected', error: 'access token refused' } : judge(reply),
      );
      if (envelope(answer.body).code === RATE_LIMITED_CODE) {
        throw new SupplierUnavailableError('cj', `CJ ${request.operation}: rate limited (${envelope(answer.body).message ?? RATE_LIMITED_CODE})`);
      }
      if (!isTokenRefused(answer) || attempt === 2) return answer;
      this.token = null;
    }
  }

  private accessToken(): Promise<string> {
    if (this.token && this.now() < this.token.renewAt) return Promise.resolve(this.token.value);
    this.pendingAuth ??= this.authenticate().finally(() => {
      this.pendingAuth = null;
    });
    return this.pendingAuth;
  }

  private async authenticate(): Promise<string> {
    const now = this.now();
    if (this.lastAuthAt !== null && now - this.lastAuthAt < CJ_AUTH_INTERVAL_MS) {
      const retryAt = new Date(this.lastAuthAt + CJ_AUTH_INTERVAL_MS).toISOString();
      throw new SupplierUnavailableError('cj', `CJ allows one token request per 5 minutes; next possible at ${retryAt}`);
    }
    const previousAuthAt = this.lastAuthAt;
    this.lastAuthAt = now;
    let answer: SupplierAnswer;
    try {
      answer = await this.transport.send(
        { operation: 'authenticate', reference: null, method: 'POST', path: 'authentication/getAccessToken', json: { apiKey: this.config.apiKey } },
        judgeEnvelope,
      );
    } catch (error) {
      // A request CJ never received (no connection) used none of its one-per-5-minutes budget:
      // the next call may ask again at once. A timeout may have reached CJ, so it still counts.
      if (neverReachedSupplier(error)) this.lastAuthAt = previousAuthAt;
      throw error;
    }
    const reply = envelope(answer.body);
    const data = reply.data && typeof reply.data === 'object' ? reply.data : {};
    const token = text(data.accessToken);
    if (!succeeded(answer.body) || !token) {
      if (reply.code === RATE_LIMITED_CODE) throw new SupplierUnavailableError('cj', `CJ token request rate limited: ${reply.message ?? ''}`.trim());
      throw new CjAuthRefused(String(reply.code ?? answer.status), `CJ refused the API key: ${reply.message ?? `HTTP ${answer.status}`}`);
    }
    const expiresAt = Date.parse(text(data.accessTokenExpiryDate) ?? '');
    this.token = { value: token, renewAt: (Number.isFinite(expiresAt) ? expiresAt : now + TOKEN_LIFETIME_MS) - TOKEN_RENEW_MARGIN_MS };
    return token;
  }
}
