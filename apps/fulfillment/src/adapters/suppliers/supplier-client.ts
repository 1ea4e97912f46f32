import { DependencyUnavailableError } from '@platform/contracts/errors';
import type { SupplierName } from '@platform/contracts';
import type { Address } from '@platform/contracts/primitives';

export interface SupplierOrderRequest {
  /**
   * Our supplier-order id, sent as the supplier's own reference field (AliExpress
   * `out_order_id`, CJ `orderNumber`, Spocket `external_id`) so a retried placement is recognisable.
   */
  reference: string;
  orderId: string;
  items: Array<{ sku: string; variantId: string; name: string; quantity: number }>;
  shippingAddress: Address;
  customer: { name: string; email: string; phone?: string };
}

export type PlacementResult =
  | { outcome: 'placed'; externalOrderId: string }
  /** A business refusal (out of stock, address refused): retrying the same request now won't help. */
  | { outcome: 'rejected'; reason: string; code: string | null };

export interface SupplierOrderStatus {
  status: 'placed' | 'confirmed' | 'shipped' | 'delivered' | 'cancelled' | 'rejected';
  trackingNumber: string | null;
  /** The carrier or logistics service as the supplier names it (`CAINIAO_STANDARD`, `CJPacket Ordinary`). */
  carrier: string | null;
  reason: string | null;
}

/** One outbound call, as recorded in the supplier call log (FUL-05: every call logged). */
export interface SupplierCall {
  supplier: SupplierName;
  operation: 'place' | 'status' | 'cancel' | 'authenticate';
  reference: string | null;
  request: unknown;
  response: unknown;
  httpStatus: number | null;
  durationMs: number;
  outcome: 'ok' | 'rejected' | 'error';
  error: string | null;
}

/**
 * A supplier's API behind one interface. Transport failures (timeouts, 5xx, connection
 * refused) throw `SupplierUnavailableError`; the caller retries those later. Refusals are
 * answers, not errors.
 */
export interface SupplierClient {
  readonly supplier: SupplierName;
  placeOrder(request: SupplierOrderRequest): Promise<PlacementResult>;
  getOrderStatus(externalOrderId: string): Promise<SupplierOrderStatus>;
  cancelOrder(externalOrderId: string): Promise<{ cancelled: boolean; reason: string | null }>;
}

/** Transport failure (timeout, 5xx, refused): retried with backoff, never a refusal. */
export class SupplierUnavailableError extends DependencyUnavailableError {
  constructor(
    readonly supplier: SupplierName,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SupplierUnavailableError';
  }
}

/** Persists a call record; adapters call it for every request, whatever the outcome. Never rejects (`supplierCallLog`). */
export type RecordSupplierCall = (call: SupplierCall) => Promise<void>;
