import type { PlatformHttpServer } from '@platform/runtime/http';
import { z } from 'zod';
import { type ChannelDeps, receiveChannelWebhook } from '../application/channel-orders';

/** A TikTok Shop webhook is a few hundred bytes; this is generous. */
const WEBHOOK_BODY_LIMIT = 64 * 1024;

/**
 * `POST /webhooks/tiktok-shop` (the gateway forwards the raw body from `/v1/webhooks/tiktok-shop`,
 * GW-04). The signature covers the exact bytes, so this route alone reads the body as a Buffer.
 * A wrong or missing signature is 401 and nothing is recorded; a verified one is answered at
 * once, the order being pulled afterwards (`orders.channel-order-sync`).
 */
export function registerChannelWebhookRoutes(app: PlatformHttpServer, deps: ChannelDeps): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    scope.post(
      '/webhooks/tiktok-shop',
      { schema: { hide: true, response: { 200: z.object({ received: z.number().int() }) } }, bodyLimit: WEBHOOK_BODY_LIMIT },
      async (request) => {
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const authorization = request.headers.authorization;
        const { orders } = await receiveChannelWebhook(deps, 'tiktok_shop', raw, { authorization: typeof authorization === 'string' ? authorization : undefined });
        return { received: orders };
      },
    );
  });
}
