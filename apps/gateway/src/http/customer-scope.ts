import { DomainError } from '@platform/contracts/errors';
import type { Upstream } from '../adapters/upstream';
import { actorHeaders, mayActFor, type Principal } from '../domain/api-keys';
import type { PartyScope } from './route-table';

/** What a scoped request may carry on to the service after the customer checks. */
export interface ScopedRequest {
  params: Record<string, string>;
  /** Query string with its `?`, or ''. */
  query: string;
  body: unknown;
}

export const orderNotFound = () => new DomainError('not_found', 'ORDER_NOT_FOUND', 'Order not found');
const subOrderNotFound = () => new DomainError('not_found', 'SUB_ORDER_NOT_FOUND', 'Sub-order not found');
const notYours = (what: string) => new DomainError('forbidden', 'FORBIDDEN', `A customer key can only ${what} for its own customer`);
const notForRole = (role: string) => new DomainError('forbidden', 'FORBIDDEN', `A ${role} key cannot use this route`);

/**
 * Keeps a customer key inside its own customer's data and a vendor key inside its own
 * sub-orders. Someone else's order, invoice or sub-order answers exactly like one that does
 * not exist (404), so ids cannot be probed.
 */
export class CustomerScopes {
  constructor(
    private readonly orders: Upstream,
    private readonly billing: Upstream,
  ) {}

  /** The order as the orders service answers it, when `principal` may see it; else ORDER_NOT_FOUND. */
  async ownedOrder(orderId: string, principal: Principal | undefined, requestId: string): Promise<unknown> {
    const answer = await this.orders.request(`/orders/${encodeURIComponent(orderId)}`, { headers: actorHeaders(principal), requestId });
    if (answer.status === 404) throw orderNotFound();
    if (answer.status !== 200) {
      throw new DomainError('unavailable', 'UPSTREAM_UNAVAILABLE', `The orders service could not confirm the order (HTTP ${answer.status})`);
    }
    const order = JSON.parse(answer.body) as { customer?: { id?: string } };
    if (!mayActFor(principal, order.customer?.id)) throw orderNotFound();
    return order;
  }

  /** The sub-order as the orders service answers it, when `principal` (a customer or vendor) may see it; else SUB_ORDER_NOT_FOUND. */
  private async ownedSubOrder(number: string, principal: Principal, requestId: string): Promise<void> {
    const answer = await this.orders.request(`/sub-orders/${encodeURIComponent(number)}`, { headers: actorHeaders(principal), requestId });
    if (answer.status === 404) throw subOrderNotFound();
    if (answer.status !== 200) {
      throw new DomainError('unavailable', 'UPSTREAM_UNAVAILABLE', `The orders service could not confirm the sub-order (HTTP ${answer.status})`);
    }
    const subOrder = JSON.parse(answer.body) as { orderId?: string; vendor?: { id?: string } };
    if (principal.role === 'vendor') {
      if (subOrder.vendor?.id !== principal.vendorId) throw subOrderNotFound();
      return;
    }
    await this.ownedOrder(subOrder.orderId ?? '', principal, requestId).catch((error: unknown) => {
      throw error instanceof DomainError && error.code === 'ORDER_NOT_FOUND' ? subOrderNotFound() : error;
    });
  }

  /** Checks (and for lists and quotes, narrows) a customer's or vendor's request; ops and admin pass untouched. */
  async apply(scope: PartyScope, principal: Principal | undefined, request: ScopedRequest, requestId: string): Promise<ScopedRequest> {
    if (principal?.role === 'vendor') return this.applyToVendor(scope, principal, request, requestId);
    if (principal?.role !== 'customer') return request;
    const customerId = principal.customerId!;
    switch (scope) {
      case 'sub-order':
        await this.ownedSubOrder(request.params.number!, principal, requestId);
        return request;
      case 'own-vendor':
        throw notForRole('customer');
      case 'order':
        await this.ownedOrder(request.params.id!, principal, requestId);
        return request;
      case 'invoice': {
        const answer = await this.billing.request(`/invoices/${encodeURIComponent(request.params.id!)}`, { headers: actorHeaders(principal), requestId });
        const invoiceNotFound = new DomainError('not_found', 'INVOICE_NOT_FOUND', 'Invoice not found');
        if (answer.status !== 200) throw answer.status === 404 ? invoiceNotFound : new DomainError('unavailable', 'UPSTREAM_UNAVAILABLE', `The billing service could not confirm the invoice (HTTP ${answer.status})`);
        const { orderId } = JSON.parse(answer.body) as { orderId?: string };
        if (!orderId) throw invoiceNotFound;
        await this.ownedOrder(orderId, principal, requestId).catch((error: unknown) => {
          throw error instanceof DomainError && error.code === 'ORDER_NOT_FOUND' ? invoiceNotFound : error;
        });
        return request;
      }
      case 'customer':
        if (request.params.customerId !== customerId) throw notYours('read or change preferences, devices and the feed');
        return request;
      case 'own-orders': {
        const query = new URLSearchParams(request.query);
        query.set('customerId', customerId);
        return { ...request, query: `?${query}` };
      }
      case 'new-order': {
        const body = request.body as { customer?: { id?: string } };
        if (body.customer?.id !== customerId) throw notYours('place orders');
        return request;
      }
      case 'own-quote': {
        const body = request.body as { customerId?: string };
        if (body.customerId !== undefined && body.customerId !== customerId) throw notYours('ask for quotes');
        return { ...request, body: { ...body, customerId } };
      }
    }
  }

  /** A vendor key reaches its own sub-orders (and lists narrowed to its vendor), nothing scoped to a customer. */
  private async applyToVendor(scope: PartyScope, principal: Principal, request: ScopedRequest, requestId: string): Promise<ScopedRequest> {
    switch (scope) {
      case 'sub-order':
        await this.ownedSubOrder(request.params.number!, principal, requestId);
        return request;
      case 'own-vendor': {
        const query = new URLSearchParams(request.query);
        query.set('vendorId', principal.vendorId!);
        return { ...request, query: `?${query}` };
      }
      default:
        throw notForRole('vendor');
    }
  }
}
