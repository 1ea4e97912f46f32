import type { SupplierName } from '@platform/contracts';
import type {
  PlacementResult,
  RecordSupplierCall,
  SupplierClient,
  SupplierOrderRequest,
  SupplierOrderStatus,
} from '../../src/adapters/suppliers/supplier-client';
import { SupplierUnavailableError } from '../../src/adapters/suppliers/supplier-client';

export type PlaceBehaviour = 'accept' | 'reject' | 'unavailable';

/**
 * A scripted supplier behind our own `SupplierClient` interface (the real adapters are
 * tested against the simulators in suppliers.test.ts). Logs each call like an adapter does.
 */
export class FakeSupplier implements SupplierClient {
  /** Answers for the next placements, in order; then `accept`. */
  placeScript: PlaceBehaviour[] = [];
  /** What a status call answers. */
  status: SupplierOrderStatus = { status: 'placed', trackingNumber: null, carrier: null, reason: null };
  /** `true`: a status call fails as when the supplier's API is down. */
  statusUnavailable = false;
  /** Set: a cancel is refused with this reason (the supplier already shipped, say). */
  cancelRefusal: string | null = null;
  readonly placed: SupplierOrderRequest[] = [];
  readonly cancelled: string[] = [];

  constructor(
    readonly supplier: SupplierName,
    private readonly recordCall: RecordSupplierCall,
  ) {}

  async placeOrder(request: SupplierOrderRequest): Promise<PlacementResult> {
    const behaviour = this.placeScript.shift() ?? 'accept';
    const log = (outcome: 'ok' | 'rejected' | 'error', response: unknown, error: string | null) =>
      this.recordCall({ supplier: this.supplier, operation: 'place', reference: request.reference, request, response, httpStatus: outcome === 'error' ? 503 : 200, durationMs: 3, outcome, error });
    if (behaviour === 'unavailable') {
      await log('error', null, 'service unavailable');
      throw new SupplierUnavailableError(this.supplier, `${this.supplier} is unavailable`);
    }
    if (behaviour === 'reject') {
      await log('rejected', { reason: 'out of stock' }, null);
      return { outcome: 'rejected', reason: 'Product out of stock', code: 'OUT_OF_STOCK' };
    }
    this.placed.push(request);
    const externalOrderId = `${this.supplier.toUpperCase()}-${request.reference.slice(0, 8)}`;
    await log('ok', { externalOrderId }, null);
    return { outcome: 'placed', externalOrderId };
  }

  async getOrderStatus(externalOrderId: string): Promise<SupplierOrderStatus> {
    if (this.statusUnavailable) {
      await this.recordCall({ supplier: this.supplier, operation: 'status', reference: externalOrderId, request: { externalOrderId }, response: null, httpStatus: 503, durationMs: 2, outcome: 'error', error: 'service unavailable' });
      throw new SupplierUnavailableError(this.supplier, `${this.supplier} is unavailable`);
    }
    await this.recordCall({ supplier: this.supplier, operation: 'status', reference: externalOrderId, request: { externalOrderId }, response: this.status, httpStatus: 200, durationMs: 2, outcome: 'ok', error: null });
    return this.status;
  }

  async cancelOrder(externalOrderId: string): Promise<{ cancelled: boolean; reason: string | null }> {
    if (this.cancelRefusal) {
      await this.recordCall({ supplier: this.supplier, operation: 'cancel', reference: externalOrderId, request: { externalOrderId }, response: { cancelled: false }, httpStatus: 200, durationMs: 2, outcome: 'rejected', error: null });
      return { cancelled: false, reason: this.cancelRefusal };
    }
    this.cancelled.push(externalOrderId);
    await this.recordCall({ supplier: this.supplier, operation: 'cancel', reference: externalOrderId, request: { externalOrderId }, response: { cancelled: true }, httpStatus: 200, durationMs: 2, outcome: 'ok', error: null });
    return { cancelled: true, reason: 'Cancelled by the buyer' };
  }
}
