import { DomainError } from '@platform/contracts/errors';
import type { Upstream } from '../adapters/upstream';
import { actorHeaders, mayActFor, type Principal } from '../domain/api-keys';
import type { CustomerScope } from './route-table';

/** What a scoped request may carry on to the service after the customer checks. */
export interface ScopedRequest {
  params: Record<string, string>;
  /** Query string with its `?`, or ''. */
  query: string;
  body: unknown;
}

export const orderNotFound = () => new DomainError('not_found', 'ORDER_NOT_FOUND', 'Order not found');
const notYours = (what: string) => new DomainError('forbidden', 'FORBIDDEN', `A customer key can only ${what} for its own customer`);

/**
 * Keeps a customer key inside its own customer's data. Someone else's order or invoice
 * answers exactly like one that does not exist (404), so ids cannot be probed.
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

  /** Checks (and for lists and quotes, narrows) a customer's request; ops and admin pass untouched. */
  async apply(scope: CustomerScope, principal: Principal | undefined, request: ScopedRequest, requestId: string): Promise<ScopedRequest> {
    if (principal?.role !== 'customer') return request;
    const customerId = principal.customerId!;
    switch (scope) {
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
        if (request.params.customerId !== customerId) throw notYours('read or change preferences and devices');
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
}
