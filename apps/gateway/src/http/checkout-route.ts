import type { PlatformHttpServer } from '@platform/runtime/http';
import { checkoutCompleteQuerySchema, checkoutCompleteSchema } from '@platform/contracts/api/gateway';
import { documentation } from './forward-routes';

/**
 * `GET /v1/checkout/complete`: where the payment page sends the customer back. Payment is
 * confirmed by the provider's webhook, not by this visit, so the page only says so.
 */
export function registerCheckoutRoute(app: PlatformHttpServer): void {
  app.get(
    '/v1/checkout/complete',
    {
      config: { access: 'public' },
      schema: {
        ...documentation({ tag: 'Checkout', summary: 'Landing page after payment', access: 'public' }),
        querystring: checkoutCompleteQuerySchema,
        response: { 200: checkoutCompleteSchema },
      },
    },
    async (request) => ({
      status: 'received' as const,
      sessionId: request.query.session_id ?? null,
      message: 'Thank you. Your payment is being confirmed; the order confirmation follows by email.',
    }),
  );
}
