import { verifyOrderLink } from '@platform/config/order-links';
import { type EventOf, streams, timelineEntryRecorded } from '@platform/contracts';
import { orderIdParamsSchema } from '@platform/contracts/api/orders';
import { timelineResponseSchema } from '@platform/contracts/api/timeline';
import { DomainError } from '@platform/contracts/errors';
import type { Clock } from '@platform/runtime/clock';
import type { PlatformHttpServer } from '@platform/runtime/http';
import type { FollowFrom, Following, StreamFollower } from '@platform/runtime/stream-follower';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { actorHeaders, type ApiKeyring, type Principal } from '../domain/api-keys';
import { customerGrant, type LiveGrant, orderGrantForKey, orderGrantForLink, resumeCursor, serverSentEvent, stillAllowed, visibleTo } from '../domain/live-access';
import { identify } from './auth';
import { type CustomerScopes, orderNotFound } from './customer-scope';
import { documentation, relay, type Upstreams } from './forward-routes';

/**
 * One timeline (`GET /v1/orders/:id/timeline`) and live updates by server-sent events, per order
 * and per customer (GW-03, docs/live-updates.md). The order routes take an API key or, for the
 * customer's page (an EventSource cannot send headers), the signed order link `?t=`.
 */
export interface LiveOptions {
  upstreams: Upstreams;
  scopes: CustomerScopes;
  keyring: ApiKeyring;
  follower: StreamFollower;
  clock: Clock;
  orderLinkSecret: string | undefined;
  heartbeatMs: number;
  maxStreams: number;
}

const linkQuerySchema = z.object({
  /** A signed order link (from the customer's emails): the credential for this one order. */
  t: z.string().max(200).optional(),
});
const customerParamsSchema = z.object({ customerId: z.string().min(1).max(100) });

type Caller = { principal: Principal } | { link: Date };

const unauthenticated = (presented: boolean) =>
  new DomainError(
    'unauthorized',
    'UNAUTHENTICATED',
    presented ? 'The API key is not recognized' : 'An API key is required: send `Authorization: Bearer <key>` or `X-Api-Key: <key>`, or open a signed order link',
  );
const vendorRefused = () => new DomainError('forbidden', 'FORBIDDEN', 'A vendor key cannot use this route');

/** The caller of an order route: their key, else the order's signed link; refused without either. */
function orderCaller(request: FastifyRequest, options: LiveOptions, orderId: string, token: string | undefined): Caller {
  const { presented, principal } = identify(request, options.keyring);
  if (principal) {
    if (principal.role === 'vendor') throw vendorRefused();
    return { principal };
  }
  if (token === undefined || presented) throw unauthenticated(presented);
  const check = options.orderLinkSecret === undefined ? ({ ok: false, reason: 'forged' } as const) : verifyOrderLink(options.orderLinkSecret, orderId, token, options.clock.now());
  if (!check.ok) {
    throw new DomainError('unauthorized', check.reason === 'expired' ? 'LINK_EXPIRED' : 'LINK_INVALID', check.reason === 'expired' ? 'The order link has expired' : 'The order link is not valid', [
      { pointer: '/query/t', detail: check.reason },
    ]);
  }
  return { link: check.expiresAt };
}

export function registerLiveRoutes(app: PlatformHttpServer, options: LiveOptions): void {
  const { upstreams, scopes } = options;
  const open = new Set<() => void>();
  // Streams end when the server closes, without `event: end`: the client reconnects to another replica.
  app.addHook('preClose', async () => {
    for (const close of open) close();
  });

  app.route({
    method: 'GET',
    url: '/v1/orders/:id/timeline',
    config: { access: 'public' },
    schema: {
      ...documentation({ tag: 'Orders', summary: "An order's timeline: status changes, workflow steps, payments and refunds, carrier scans, notifications, in time order", access: 'customer' }),
      params: orderIdParamsSchema,
      querystring: linkQuerySchema,
      response: { 200: timelineResponseSchema },
    },
    handler: async (request, reply) => {
      const { id } = request.params;
      const caller = orderCaller(request, options, id, request.query.t);
      const answer =
        'principal' in caller
          ? await upstreams.orders.request(`/orders/${id}/timeline`, { headers: actorHeaders(caller.principal), requestId: String(request.id) })
          : await upstreams.orders.request(`/orders/${id}/timeline?audience=customer`, { requestId: String(request.id) });
      // Someone else's order answers exactly like a missing one, without echoing its id.
      if (answer.status === 404) throw orderNotFound();
      return relay(reply, answer);
    },
  });

  app.route({
    method: 'GET',
    url: '/v1/orders/:id/live',
    config: { access: 'public', streaming: true },
    schema: {
      ...documentation({ tag: 'Orders', summary: "The order's timeline entries as they happen (server-sent events; resume with Last-Event-ID)", access: 'customer' }),
      params: orderIdParamsSchema,
      querystring: linkQuerySchema,
    },
    handler: async (request, reply) => {
      const { id } = request.params;
      const caller = orderCaller(request, options, id, request.query.t);
      let grant: LiveGrant;
      if ('principal' in caller) {
        // Someone else's order answers like a missing one; staff learn whether it exists.
        await scopes.ownedOrder(id, caller.principal, String(request.id));
        grant = orderGrantForKey(caller.principal, id);
      } else {
        grant = orderGrantForLink(id, caller.link);
      }
      // Without a cursor an order's stream starts with its whole story (the page may have none yet).
      await stream(request, reply, grant, 'principal' in caller ? caller.principal : undefined, 'all');
    },
  });

  app.route({
    method: 'GET',
    url: '/v1/customers/:customerId/live',
    config: { access: 'customer', streaming: true },
    schema: {
      ...documentation({ tag: 'Orders', summary: "The timeline entries of every order of the customer as they happen (server-sent events; resume with Last-Event-ID)", access: 'customer' }),
      params: customerParamsSchema,
    },
    handler: async (request, reply) => {
      const principal = request.principal!;
      const grant = customerGrant(principal, request.params.customerId);
      if (!grant) {
        if (principal.role === 'vendor') throw vendorRefused();
        throw new DomainError('forbidden', 'FORBIDDEN', 'A customer key can only follow its own customer');
      }
      // A customer's stream starts with what happens next: their orders' histories are at their timelines.
      await stream(request, reply, grant, principal, 'new');
    },
  });

  /**
   * The stream itself: entries the grant lets through (`id:` = stream sequence, the cursor a
   * reconnecting client sends back as Last-Event-ID), a comment every heartbeat, and
   * `event: end` when the caller's access no longer holds. The reader (a JetStream ordered
   * consumer) is deleted when the client goes.
   */
  async function stream(request: FastifyRequest, reply: FastifyReply, grant: LiveGrant, principal: Principal | undefined, fresh: FollowFrom): Promise<void> {
    const cursor = resumeCursor(request.headers['last-event-id']);
    if (cursor === null) {
      throw new DomainError('invalid', 'VALIDATION_FAILED', 'Request is invalid', [{ pointer: '/headers/last-event-id', detail: 'must be the id of an event this stream sent' }]);
    }
    if (open.size >= options.maxStreams) throw new DomainError('unavailable', 'LIVE_BUSY', 'Too many live streams are open; retry after the time in Retry-After');
    if (!options.follower.available) throw new DomainError('unavailable', 'LIVE_UNAVAILABLE', 'Live updates are unavailable for the moment; retry after the time in Retry-After');
    if (!stillAllowed(grant, principal, options.clock.now())) throw new DomainError('unauthorized', 'ACCESS_EXPIRED', 'The access to this stream has expired');

    const raw = reply.raw;
    let started = false;
    let closed = false;
    const waiting: string[] = [];
    const write = (text: string) => (started ? raw.write(text) : waiting.push(text));
    const ended = () => !stillAllowed(grant, principal, options.clock.now());
    const end = () => {
      write(serverSentEvent({ event: 'end', data: { reason: 'access_expired' } }));
      close();
    };
    // Declared before the reader starts: a reader that fails at once closes through them.
    let heartbeat: NodeJS.Timeout | undefined;
    let following: Following | undefined;
    following = await options.follower
      .follow(streams.TIMELINE.name, grant.filter, cursor === undefined ? fresh : { afterSequence: cursor }, ({ sequence, event }) => {
        if (closed || event.type !== timelineEntryRecorded.type) return;
        if (ended()) return end();
        const { entry } = (event as EventOf<typeof timelineEntryRecorded>).data;
        if (visibleTo(grant, entry)) write(serverSentEvent({ id: sequence, event: 'entry', data: entry }));
      }, close)
      .catch((error: unknown) => {
        request.log.warn({ err: error }, 'live stream could not start');
        throw new DomainError('unavailable', 'LIVE_UNAVAILABLE', 'Live updates are unavailable for the moment; retry after the time in Retry-After');
      });
    heartbeat = setInterval(() => (ended() ? end() : write(': heartbeat\n\n')), options.heartbeatMs);
    function close() {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      open.delete(close);
      void following?.stop();
      if (started) raw.end();
    }
    open.add(close);
    raw.once('close', close);
    // A client gone while the reader started has no 'close' left to come.
    if (raw.destroyed || request.raw.socket?.destroyed) close();

    reply.hijack();
    raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Proxies such as nginx would otherwise hold entries back in a buffer.
      'x-accel-buffering': 'no',
    });
    started = true;
    // The starting cursor first: a client that reconnects before any entry resumes from it.
    raw.write(`retry: 2000\nid: ${following.startedAfter}\n\n${waiting.join('')}`);
    if (closed) raw.end();
    request.log.info({ filter: grant.filter, audience: grant.audience, resumeAfter: cursor ?? fresh }, 'live stream opened');
  }
}
