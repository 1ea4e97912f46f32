import type { PlatformHttpServer } from '@platform/runtime/http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Upstream, UpstreamResponse } from '../adapters/upstream';
import { actorHeaders } from '../domain/api-keys';
import type { CustomerScopes } from './customer-scope';
import { FORWARD_ROUTES, type ForwardRoute, type ServiceName, targetPath } from './route-table';

export type Upstreams = Record<ServiceName, Upstream>;

/**
 * Sends a service's answer as it came: the body is already serialized JSON, so Fastify passes
 * the string through instead of serializing it again against the route's response schema.
 * A `Location` names the public path.
 */
export function relay(reply: FastifyReply, answer: UpstreamResponse): FastifyReply {
  const location = answer.headers.location;
  return reply
    .code(answer.status)
    .headers({ ...answer.headers, ...(location?.startsWith('/') && { location: `/v1${location}` }) })
    .send(answer.body);
}

/** The request's query string as the client wrote it, with its `?`, or ''. */
export function rawQuery(request: FastifyRequest): string {
  const at = request.url.indexOf('?');
  return at === -1 ? '' : request.url.slice(at);
}

/** OpenAPI fields every route shares: tag, summary, and `security: []` on public routes. */
export function documentation(route: Pick<ForwardRoute, 'tag' | 'summary' | 'access'>) {
  return { tags: [route.tag], summary: route.summary, ...(route.access === 'public' && { security: [] }) };
}

function passedHeaders(request: FastifyRequest, names: readonly string[] = []): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of names) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return headers;
}

/** Registers the plain forwards of the route table: checks, customer scope, then the service answers. */
export function registerForwardRoutes(
  app: PlatformHttpServer,
  upstreams: Upstreams,
  scopes: CustomerScopes,
  routes: readonly ForwardRoute[] = FORWARD_ROUTES,
): void {
  for (const route of routes) {
    const { response, ...input } = route.schemas;
    app.route({
      method: route.method,
      url: route.path,
      config: { access: route.access },
      schema: { ...documentation(route), ...input, ...(response && { response }) },
      handler: async (request, reply) => {
        const requestId = String(request.id);
        const scoped = route.scope
          ? await scopes.apply(route.scope, request.principal, { params: request.params as Record<string, string>, query: rawQuery(request), body: request.body }, requestId)
          : { params: request.params as Record<string, string>, query: rawQuery(request), body: request.body };
        const answer = await upstreams[route.service].request(`${targetPath(route.target, scoped.params)}${scoped.query}`, {
          method: route.method,
          ...(scoped.body !== undefined && { json: scoped.body }),
          headers: { ...actorHeaders(request.principal), ...passedHeaders(request, route.passHeaders) },
          requestId,
        });
        return relay(reply, answer);
      },
    });
  }
}
