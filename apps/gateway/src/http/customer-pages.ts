import { signOrderLink, verifyOrderLink } from '@platform/config/order-links';
import { DomainError } from '@platform/contracts/errors';
import { orderBillingSchema } from '@platform/contracts/api/billing';
import { orderTrackingSchema, publicTrackingSchema, trackingNumberParamsSchema } from '@platform/contracts/api/tracking';
import type { PlatformHttpServer } from '@platform/runtime/http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Upstream } from '../adapters/upstream';
import type { PageOptions, PageRenderer } from '../adapters/page-renderer';
import { type OrderSource, orderPageView, safeLink, trackingPageView } from '../domain/customer-views';
import { localeFromAcceptLanguage, type PageLocale, pageLocale } from '../domain/page-locale';
import type { CustomerScopes } from './customer-scope';
import type { Upstreams } from './forward-routes';

/** How long a link made from an API key (the key form) opens the order page: a working day. */
const KEY_LINK_TTL_MS = 12 * 60 * 60 * 1000;

export interface CustomerPagesOptions {
  /** `ORDER_LINK_SECRET`; without it no signed link opens a page (only API keys do). */
  orderLinkSecret: string | undefined;
  /** How long the order page waits for the parcels before showing the order without them. */
  composeTimeoutMs: number;
  /** The gateway clock: link expiry as the live routes see it. */
  now: () => Date;
}

const orderIdSchema = z.uuid();
const visitorLocale = (request: FastifyRequest) => localeFromAcceptLanguage(request.headers['accept-language']);

/** The order as the orders service has it, for a visitor already allowed to see it; null when there is none. */
async function fetchOrder(orders: Upstream, orderId: string, requestId: string): Promise<(OrderSource & { id: string }) | null> {
  const answer = await orders.request(`/orders/${orderId}`, { requestId });
  if (answer.status === 404) return null;
  if (answer.status !== 200) throw new DomainError('unavailable', 'UPSTREAM_UNAVAILABLE', `The orders service answered HTTP ${answer.status}`);
  return JSON.parse(answer.body) as OrderSource & { id: string };
}

/** The payment page still open for the order, to go back to after giving up on it; null when there is none. */
async function openCheckoutUrl(billing: Upstream, orderId: string, requestId: string): Promise<string | null> {
  const answer = await billing.request(`/orders/${orderId}/billing`, { requestId });
  if (answer.status !== 200) return null;
  const { payments } = orderBillingSchema.parse(JSON.parse(answer.body));
  const open = payments.flatMap((payment) => payment.checkoutSessions).find((session) => session.status === 'open' && session.url);
  return open?.url ?? null;
}

/**
 * The pages people use (docs/customer-pages.md), served without a build step: the order page
 * (`/orders/:orderId?t=<signed link>`, or the key form that trades a customer's API key for
 * such a link), the public tracking page, and where the payment page returns. Every answer is a
 * page in the visitor's language, errors included; nothing here answers JSON but the key trade.
 */
export function registerCustomerPages(app: PlatformHttpServer, upstreams: Upstreams, scopes: CustomerScopes, renderer: PageRenderer, options: CustomerPagesOptions): void {
  const { now } = options;

  /**
   * A page as the answer. `script`: the data the page's script reads (with the locale's strings);
   * absent, the page has no script.
   */
  function send(reply: FastifyReply, status: number, page: string, locale: PageLocale, view: Record<string, unknown>, title: PageOptions['title'], script?: object) {
    const pageData = script && { locale, strings: renderer.catalogue(locale), ...script };
    return reply
      .code(status)
      .header('content-type', 'text/html; charset=utf-8')
      // Pages carry a customer's order and a link's token: never stored by a browser or proxy.
      .header('cache-control', 'no-store')
      .send(renderer.render(page, locale, view, { title, pageData }));
  }
  const message = (reply: FastifyReply, status: number, locale: PageLocale, name: string) =>
    send(reply, status, 'message', locale, { titleKey: `${name}.title`, textKey: `${name}.text` }, { key: `${name}.title` });
  const accessPage = (reply: FastifyReply, status: number, locale: PageLocale, orderId: string, problem?: 'link.invalid' | 'link.expired') =>
    send(
      reply,
      status,
      'access',
      locale,
      { orderId, problem: problem ? { titleKey: `${problem}.title`, textKey: `${problem}.text` } : null },
      { key: problem ? `${problem}.title` : 'access.title' },
      {},
    );

  const linkCheck = (orderId: string, token: string) =>
    options.orderLinkSecret ? verifyOrderLink(options.orderLinkSecret, orderId, token, now()) : ({ ok: false, reason: 'forged' } as const);

  /** Answers a page for people when an upstream is down, instead of the API's problem document. */
  async function orUnavailable(request: FastifyRequest, reply: FastifyReply, work: () => Promise<unknown>) {
    try {
      return await work();
    } catch (error) {
      request.log.warn({ err: error }, 'customer page could not be built');
      return message(reply, 503, visitorLocale(request), 'unavailable');
    }
  }

  app.get('/orders/:orderId', { config: { access: 'public' } }, async (request, reply) => {
    const { orderId } = request.params as { orderId: string };
    const { t: token } = request.query as { t?: unknown };
    if (!orderIdSchema.safeParse(orderId).success) return message(reply, 404, visitorLocale(request), 'notFound');
    if (typeof token !== 'string' || token === '') return accessPage(reply, 200, visitorLocale(request), orderId);
    const check = linkCheck(orderId, token);
    if (!check.ok) return accessPage(reply, 403, visitorLocale(request), orderId, check.reason === 'expired' ? 'link.expired' : 'link.invalid');

    return orUnavailable(request, reply, async () => {
      const requestId = String(request.id);
      const [order, parcels] = await Promise.all([
        fetchOrder(upstreams.orders, orderId, requestId),
        upstreams.tracking
          .request(`/orders/${orderId}/tracking`, { requestId, timeout: { request: options.composeTimeoutMs } })
          .then((answer) => {
            if (answer.status === 404) return [];
            if (answer.status !== 200) throw new Error(`tracking answered HTTP ${answer.status}`);
            return orderTrackingSchema.parse(JSON.parse(answer.body)).shipments;
          })
          .catch((error: unknown) => {
            // The order is still worth showing; the page says its parcels cannot be shown now.
            request.log.warn({ err: error, orderId }, 'order page without parcels: tracking did not answer');
            return null;
          }),
      ]);
      if (!order) return message(reply, 404, visitorLocale(request), 'notFound');
      const locale = pageLocale(order.customer.locale, request.headers['accept-language']);
      const view = orderPageView(order, parcels ?? [], locale);
      return send(
        reply,
        200,
        'order',
        locale,
        { order: view, parcelsUnavailable: parcels === null },
        { key: 'order.title', params: { number: view.number } },
        { orderId, token, timeZone: view.timeZone },
      );
    });
  });

  // The key form's trade: a customer's API key (header) for a signed link to their own order.
  app.post('/orders/:orderId/link', { config: { access: 'customer' } }, async (request) => {
    const { orderId } = request.params as { orderId: string };
    if (!orderIdSchema.safeParse(orderId).success) throw new DomainError('not_found', 'ORDER_NOT_FOUND', 'Order not found');
    if (!options.orderLinkSecret) throw new DomainError('unavailable', 'ORDER_LINKS_DISABLED', 'Order links are not configured (ORDER_LINK_SECRET)');
    await scopes.ownedOrder(orderId, request.principal, String(request.id));
    const token = signOrderLink(options.orderLinkSecret, orderId, new Date(now().getTime() + KEY_LINK_TTL_MS));
    return { url: `/orders/${orderId}?t=${encodeURIComponent(token)}` };
  });

  app.get('/track/:trackingNumber', { config: { access: 'public' } }, async (request, reply) => {
    const locale = visitorLocale(request);
    const parsed = trackingNumberParamsSchema.safeParse({ number: (request.params as { trackingNumber: string }).trackingNumber });
    if (!parsed.success) return message(reply, 404, locale, 'track.unknown');
    return orUnavailable(request, reply, async () => {
      const answer = await upstreams.tracking.request(`/tracking/${encodeURIComponent(parsed.data.number)}`, { requestId: String(request.id) });
      if (answer.status === 404) return message(reply, 404, locale, 'track.unknown');
      if (answer.status !== 200) throw new DomainError('unavailable', 'UPSTREAM_UNAVAILABLE', `The tracking service answered HTTP ${answer.status}`);
      // Parsed by the public contract, so only its fields (none personal) can reach the page.
      const view = trackingPageView(publicTrackingSchema.parse(JSON.parse(answer.body)), locale);
      return send(reply, 200, 'track', locale, { tracking: view }, { key: 'track.title', params: { trackingNumber: view.trackingNumber } });
    });
  });

  for (const outcome of ['complete', 'cancelled'] as const) {
    app.get(`/pay/${outcome}`, { config: { access: 'public' } }, async (request, reply) => {
      const { order: orderId, t: token } = request.query as { order?: unknown; t?: unknown };
      const view = { titleKey: `pay.${outcome}.title`, textKey: `pay.${outcome}.text` };
      const title = { key: `pay.${outcome}.title` };
      const knownOrder = typeof orderId === 'string' && orderIdSchema.safeParse(orderId).success ? orderId : null;
      // With a valid link: the order's language and a link to it by number.
      if (knownOrder && typeof token === 'string' && linkCheck(knownOrder, token).ok) {
        const [order, checkoutUrl] = await Promise.all([
          fetchOrder(upstreams.orders, knownOrder, String(request.id)).catch(() => null),
          // Given up on the payment page: the way back to it while it is open (the order waits for its payment).
          outcome === 'cancelled' ? openCheckoutUrl(upstreams.billing, knownOrder, String(request.id)).catch(() => null) : null,
        ]);
        if (order) {
          const locale = pageLocale(order.customer.locale, request.headers['accept-language']);
          const payAgain = order.status === 'pending' ? safeLink(checkoutUrl) : null;
          return send(reply, 200, 'pay', locale, { ...view, orderLink: `/orders/${knownOrder}?t=${encodeURIComponent(token)}`, orderNumber: order.number, payAgain }, title);
        }
      }
      // Otherwise the visitor's language; the script offers the link when the tab holds a key that may open the order.
      return send(reply, 200, 'pay', visitorLocale(request), { ...view, orderLink: null, orderId: knownOrder }, title, knownOrder === null ? undefined : {});
    });
  }

  // A link followed from a message (docs/notification-admin.md): notifications checks the signed token, counts the click and names the target.
  app.get('/c/:token', { config: { access: 'public' } }, async (request, reply) => {
    const { token } = request.params as { token: string };
    return orUnavailable(request, reply, async () => {
      // The 302 is the answer to pass on, not one to follow here.
      const answer = await upstreams.notifications.request(`/c/${encodeURIComponent(token)}`, { requestId: String(request.id), followRedirect: false });
      if (answer.status === 302 && answer.headers.location) return reply.code(302).header('location', answer.headers.location).header('cache-control', 'no-store').send();
      if (answer.status === 400 || answer.status === 404) return message(reply, 400, visitorLocale(request), 'click.invalid');
      throw new Error(`notifications answered HTTP ${answer.status}`);
    });
  });

  app.get('/pages/assets/:name', { config: { access: 'public' } }, async (request, reply) => {
    const asset = renderer.asset((request.params as { name: string }).name);
    if (!asset) return message(reply, 404, visitorLocale(request), 'notFound');
    return reply.header('content-type', asset.type).header('cache-control', 'public, max-age=300').send(asset.body);
  });
}
