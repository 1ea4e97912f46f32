import type { PlatformHttpServer } from '@platform/runtime/http';
import { z } from 'zod';
import { documentation, rawQuery, relay, type Upstreams } from './forward-routes';
import type { ServiceName } from './route-table';

/** A provider's webhook: where it goes and the headers its signature check needs. */
export interface WebhookRoute {
  path: string;
  provider: string;
  service: ServiceName;
  target: string;
  /** Lower-case header names forwarded unchanged (the signature and what it covers). */
  signatureHeaders: readonly string[];
}

export const WEBHOOK_ROUTES: readonly WebhookRoute[] = [
  { path: '/v1/webhooks/stripe', provider: 'Stripe', service: 'billing', target: '/webhooks/stripe', signatureHeaders: ['stripe-signature'] },
  { path: '/v1/webhooks/17track', provider: '17TRACK', service: 'tracking', target: '/webhooks/17track', signatureHeaders: ['sign'] },
  {
    path: '/v1/webhooks/aftership',
    provider: 'AfterShip',
    service: 'tracking',
    target: '/webhooks/aftership',
    signatureHeaders: ['aftership-hmac-sha256', 'as-webhook-version'],
  },
  // TikTok Shop signs with a bare `Authorization` header (no scheme): it is the signature, not an API key.
  { path: '/v1/webhooks/tiktok-shop', provider: 'TikTok Shop', service: 'orders', target: '/webhooks/tiktok-shop', signatureHeaders: ['authorization'] },
  // SMS status callbacks; the query names the notification and is part of what Twilio signs.
  { path: '/v1/webhooks/twilio', provider: 'Twilio', service: 'notifications', target: '/webhooks/twilio', signatureHeaders: ['x-twilio-signature'] },
];

/**
 * Webhook ingress (GW-04). Signatures cover the exact bytes the provider sent, so the body is
 * never parsed here: it travels as a Buffer, byte for byte, with its signature headers, content
 * type and query string (Twilio signs the URL too), and the owning service verifies it. Public, and rate-limited apart (`rateLimit`).
 */
export function registerWebhookRoutes(app: PlatformHttpServer, upstreams: Upstreams, rateLimit: { max: number }): void {
  app.register(async (scope) => {
    // Only in this plugin's scope: every content type arrives as raw bytes.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    for (const route of WEBHOOK_ROUTES) {
      scope.route({
        method: 'POST',
        url: route.path,
        config: { access: 'public', rateLimit: { max: rateLimit.max, timeWindow: 60_000 } },
        schema: {
          ...documentation({ tag: 'Webhooks', summary: `${route.provider} webhook, forwarded raw to ${route.service}`, access: 'public' }),
          description: `The raw body and ${route.signatureHeaders.join(', ')} go to the ${route.service} service unchanged; it verifies the signature.`,
          headers: z.looseObject(Object.fromEntries(route.signatureHeaders.map((name) => [name, z.string().optional()]))),
        },
        handler: async (request, reply) => {
          const headers: Record<string, string> = {};
          for (const name of ['content-type', ...route.signatureHeaders]) {
            const value = request.headers[name];
            if (typeof value === 'string') headers[name] = value;
          }
          const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
          const answer = await upstreams[route.service].request(`${route.target}${rawQuery(request)}`, { method: 'POST', body, headers, requestId: String(request.id) });
          return relay(reply, answer);
        },
      });
    }
  });
}
