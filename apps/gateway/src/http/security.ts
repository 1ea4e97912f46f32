import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import { DomainError } from '@platform/contracts/errors';
import type { PlatformHttpServer } from '@platform/runtime/http';
import type { ApiKeyring } from '../domain/api-keys';
import { identify } from './auth';
import { FORWARD_ROUTES } from './route-table';

/** Every method a route answers, so a browser on an allowed origin can use the whole API. */
const CORS_METHODS = [...new Set(['GET', 'HEAD', 'POST', ...FORWARD_ROUTES.map((route) => route.method)])];

/** What a browser may send: the key, the body's type, a request id, and each header a route reads. */
const CORS_REQUEST_HEADERS = [...new Set(['authorization', 'content-type', 'x-request-id', ...FORWARD_ROUTES.flatMap((route) => route.passHeaders ?? [])])];

export interface SecurityOptions {
  keyring: ApiKeyring;
  ratePerMinute: number;
  corsOrigins: string[];
  publicBaseUrl: string;
  /** Where the counts live: shared by every replica (`sharedRateLimitStore`). */
  rateLimitStore: RateLimitStore;
}

/** A `@fastify/rate-limit` store class (the plugin constructs it). */
type RateLimitStore = NonNullable<Parameters<typeof rateLimit>[1]>['store'];

/**
 * Helmet's headers: the pages (customer pages, the docs page) load only their own scripts and
 * styles, so 'self' is enough. Upgrading to https only makes sense when served over https.
 */
export function securityHeaders(baseUrl: string) {
  return { contentSecurityPolicy: { directives: { upgradeInsecureRequests: baseUrl.startsWith('https:') ? [] : null } } };
}

/**
 * Security headers, CORS and rate limiting, for every route registered after this. Limits
 * count per API key (a valid one), else per client IP, so rotating made-up keys gains nothing.
 * The client IP is `request.ip`: the socket's peer, or behind a proxy in TRUSTED_PROXIES the
 * address that proxy saw (X-Forwarded-For is read only from a trusted peer, right to left).
 */
export async function registerSecurity(app: PlatformHttpServer, options: SecurityOptions): Promise<void> {
  await app.register(helmet, securityHeaders(options.publicBaseUrl));
  await app.register(cors, {
    origin: options.corsOrigins.length > 0 ? options.corsOrigins : false,
    methods: CORS_METHODS,
    allowedHeaders: CORS_REQUEST_HEADERS,
    exposedHeaders: [
      'x-request-id',
      'x-correlation-id',
      'x-client-request-id',
      'etag',
      'location',
      'retry-after',
      'idempotent-replayed',
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
    ],
    // Browsers may cache a preflight this long (seconds).
    maxAge: 600,
  });
  await app.register(rateLimit, {
    global: true,
    store: options.rateLimitStore,
    // The store failed (NATS away): the request goes ahead uncounted; the store logs and counts it.
    skipOnError: true,
    max: options.ratePerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => {
      const { principal } = identify(request, options.keyring);
      return principal ? `key:${principal.keyId}` : `ip:${request.ip}`;
    },
    errorResponseBuilder: (_request, context) =>
      new DomainError('rate_limited', 'RATE_LIMITED', `Rate limit of ${context.max} requests per minute reached; retry in ${context.after}`),
  });
}
