import { DomainError } from '@platform/contracts/errors';
import type { PlatformHttpServer } from '@platform/runtime/http';
import type { FastifyRequest } from 'fastify';
import { type Access, type ApiKeyring, checkAccess, type Principal, presentedKey } from '../domain/api-keys';

const IDENTIFIED = Symbol('identified');

interface IdentifiedRequest {
  [IDENTIFIED]?: { presented: boolean; principal: Principal | undefined };
}

/** The caller behind a request's key, looked up once per request (the rate limiter asks first). */
export function identify(request: FastifyRequest, keyring: ApiKeyring): { presented: boolean; principal: Principal | undefined } {
  const cached = (request as IdentifiedRequest)[IDENTIFIED];
  if (cached) return cached;
  const key = presentedKey(request.headers as Parameters<typeof presentedKey>[0]);
  const identity = { presented: key !== undefined, principal: key === undefined ? undefined : keyring.identify(key) };
  (request as IdentifiedRequest)[IDENTIFIED] = identity;
  return identity;
}

const CHALLENGE = 'Bearer realm="platform"';

/**
 * Checks every request against its route's `config.access`, after the rate limiter and
 * before the body is parsed. A `/v1` route that forgot to name its access is admin-only
 * (fail closed); other routes (health, docs) and unmatched paths are public.
 */
export function registerAuthentication(app: PlatformHttpServer, keyring: ApiKeyring): void {
  app.decorateRequest('principal', undefined);
  app.addHook('preParsing', async (request, reply) => {
    const route = request.routeOptions.url;
    const access: Access = request.routeOptions.config.access ?? (route?.startsWith('/v1/') ? 'admin' : 'public');
    const { presented, principal } = identify(request, keyring);
    request.principal = principal;
    const verdict = checkAccess(access, principal);
    if (verdict === 'unauthenticated') {
      reply.header('www-authenticate', presented ? `${CHALLENGE}, error="invalid_token"` : CHALLENGE);
      throw new DomainError(
        'unauthorized',
        'UNAUTHENTICATED',
        presented ? 'The API key is not recognized' : 'An API key is required: send `Authorization: Bearer <key>` or `X-Api-Key: <key>`',
      );
    }
    if (verdict === 'forbidden') throw new DomainError('forbidden', 'FORBIDDEN', `This route needs the ${access} role`);
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, when a valid API key came with the request. */
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Who may call the route; see `checkAccess`. */
    access?: Access;
  }
}
