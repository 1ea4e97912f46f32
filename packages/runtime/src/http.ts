import { randomUUID } from 'node:crypto';
import { type Link, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { PROBLEM_CONTENT_TYPE, type Problem, type ProblemField } from '@platform/contracts/api/problem';
import { findUnstorableText } from '@platform/contracts/api/text';
import Fastify, { LogController, type FastifyError, type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { AdmissionLimiter, type AdmissionLimits, admissionLimitsFor, RETRY_AFTER_SECONDS } from './admission';
import { enterFlow } from './context';
import { DomainError, statusOf } from '@platform/contracts/errors';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import { DEFAULT_DATABASE_POOL_SIZE } from '@platform/config/env';
import { isDatabaseBusy } from './prisma';
import { CORRELATION_ATTRIBUTE, extractTraceContext, recordCarrier, tracer } from './telemetry';
import { callerTrust } from '@platform/config/trusted-proxies';

export type ReadinessCheck = () => Promise<void>;

export interface HttpServerOptions {
  log: Logger;
  metrics: Metrics;
  /** Named dependencies `/readyz` checks (database, ...): one failing answers 503. */
  readiness: Record<string, ReadinessCheck>;
  /**
   * Dependencies `/readyz` reports without failing on (NATS, which the outbox rides out):
   * shown under `degraded` when down, so an operator sees them, while the load balancer keeps
   * routing to a replica that still serves every request. docs/probes.md says which is which.
   */
  reported?: Record<string, ReadinessCheck>;
  /** Serve `/metrics` here (default); false when a management listener serves it instead. */
  serveMetrics?: boolean;
  bodyLimit?: number;
  /** Requests handled at once and waiting; default sized to the default database pool. */
  admission?: AdmissionLimits;
  /** CIDR ranges whose request, correlation and trace headers are continued; default every caller. */
  trustedProxies?: readonly string[];
}

const kebab = (code: string) => code.toLowerCase().replaceAll('_', '-');

/** Sends an RFC 9457 problem document. */
export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: string,
  title: string,
  detail?: string,
  errors?: ProblemField[],
): FastifyReply {
  // Overload and rate limits always say when to come back.
  if ((status === 503 || status === 429) && !reply.hasHeader('retry-after')) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  const body: Problem = {
    type: `/problems/${kebab(code)}`,
    title,
    status,
    code,
    ...(detail && { detail }),
    instance: request.url,
    requestId: String(request.id),
    ...(errors && errors.length > 0 && { errors }),
  };
  return reply.code(status).type(PROBLEM_CONTENT_TYPE).send(body);
}

/** 503 for a request refused under overload (Retry-After is added by `sendProblem`). */
function sendOverloaded(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(request, reply, 503, 'OVERLOADED', 'Too many requests in progress', 'The service is at capacity; retry after the time in Retry-After.');
}

const SILENT_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/** Fastify's client-error codes, as the platform's own. */
const FASTIFY_CLIENT_ERRORS: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_BAD_URL: 'MALFORMED_URL',
  FST_ERR_MAX_PARAM_LENGTH: 'URI_TOO_LONG',
};

/** A header value usable as an id in logs, events and NATS headers, or undefined. */
function headerToken(value: string | string[] | undefined): string | undefined {
  const token = Array.isArray(value) ? value[0] : value;
  return token && /^[A-Za-z0-9._:-]{1,128}$/.test(token) ? token : undefined;
}

/**
 * The Fastify instance every service starts from: request ids, trace and correlation
 * context, zod validation, problem+json errors, `/healthz`, `/readyz`, `/metrics`.
 */
export function createHttpServer(options: HttpServerOptions) {
  const { log, metrics } = options;
  const trusts = callerTrust(options.trustedProxies);
  const admission = new AdmissionLimiter(options.admission ?? admissionLimitsFor(DEFAULT_DATABASE_POOL_SIZE));
  const app = Fastify({
    loggerInstance: log,
    // One line per response comes from the onResponse hook below, with the route and timing.
    logController: new LogController({ disableRequestLogging: true }),
    // A trusted caller's X-Request-Id is kept when it is a plain token; anything else gets a fresh id.
    requestIdHeader: false,
    genReqId: (request) => (trusts(request.socket.remoteAddress) && headerToken(request.headers['x-request-id'])) || randomUUID(),
    ...(options.trustedProxies && { trustProxy: (address: string) => trusts(address) }),
    // Well below NATS' 1 MiB payload limit: a request's data may travel on as an event.
    bodyLimit: options.bodyLimit ?? 256 * 1024,
    return503OnClosing: true,
    // The router's refusals come before any hook or error handler: a path that is not valid
    // percent-encoded UTF-8, or a parameter over `maxParamLength`. Problem+json like the rest.
    frameworkErrors: (error, request, reply) =>
      sendProblem(request, reply, error.statusCode ?? 400, FASTIFY_CLIENT_ERRORS[error.code] ?? 'BAD_REQUEST', error.message),
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // Fastify's own JSON parsing (prototype poisoning refused), then every string and member name
  // must be text PostgreSQL can store: a lone surrogate escape or NUL is a 400 naming the field.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    parseJson(request, body as string, (error, document) => {
      const unstorable = error ? undefined : findUnstorableText(document);
      if (unstorable) {
        done(new DomainError('invalid', 'VALIDATION_FAILED', 'Request is invalid', [unstorable]), undefined);
      } else if (error) {
        done(error, undefined);
      } else {
        done(null, document);
      }
    });
  });

  app.addHook('onRequest', async (request, reply) => {
    const trusted = trusts(request.socket.remoteAddress);
    const sent = extractTraceContext(recordCarrier(request.headers));
    // An untrusted caller's trace is not continued, only linked to.
    const parent = trusted ? sent : ROOT_CONTEXT;
    const sentSpan = trusted ? undefined : trace.getSpanContext(sent);
    const links: Link[] = sentSpan ? [{ context: sentSpan }] : [];
    const route = request.routeOptions.url ?? 'unmatched';
    const correlationId = (trusted && headerToken(request.headers['x-correlation-id'])) || String(request.id);
    const span = tracer().startSpan(
      `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        links,
        attributes: { 'http.request.method': request.method, 'url.path': request.url.split('?')[0], 'http.route': route, [CORRELATION_ATTRIBUTE]: correlationId },
      },
      parent,
    );
    enterFlow({ correlationId, causationId: String(request.id), trace: trace.setSpan(parent, span) });
    request.span = span;
    reply.header('x-request-id', request.id);
    reply.header('x-correlation-id', correlationId);
    if (!trusted) {
      // What the client called it stays the client's: logged and echoed, never an event's id.
      request.clientIds = {
        clientRequestId: headerToken(request.headers['x-request-id']),
        clientCorrelationId: headerToken(request.headers['x-correlation-id']),
      };
      if (request.clientIds.clientRequestId) reply.header('x-client-request-id', request.clientIds.clientRequestId);
    }
  });

  // Back-pressure after the body is read, so a slow upload holds no turn; probes are never shed.
  app.addHook('preHandler', async (request, reply) => {
    const route = request.routeOptions.url;
    // A stream (server-sent events) lasts as long as its client stays: it would hold a turn for
    // hours, so its route bounds its streams itself (`config.streaming`).
    if (route === undefined || SILENT_ROUTES.has(route) || request.routeOptions.config.streaming) return;
    const turn = await admission.acquire();
    if ('shed' in turn) {
      metrics.httpRequestsShed.inc({ reason: turn.shed });
      return sendOverloaded(request, reply);
    }
    // 'close' comes after the answer is sent, or when the client goes away before it; a client
    // that left while queued gives its turn back at once.
    if (reply.raw.destroyed || request.raw.socket?.destroyed) turn.release();
    else reply.raw.once('close', turn.release);
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    request.span?.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) request.span?.setStatus({ code: SpanStatusCode.ERROR });
    request.span?.end();
    metrics.httpRequestDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    if (!SILENT_ROUTES.has(route)) {
      request.log.info(
        { method: request.method, url: withoutSecrets(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime), ...request.clientIds },
        'request',
      );
    }
  });

  app.setErrorHandler((error: FastifyError | DomainError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      // Body fields are JSON Pointers into the body; other places are prefixed: /params, /query, /headers.
      const context = error.validationContext ?? 'body';
      const root = context === 'body' ? '' : `/${context === 'querystring' ? 'query' : context}`;
      const fields = error.validation.map((issue) => ({
        pointer: `${root}${issue.instancePath === '/' ? '' : issue.instancePath}` || '/',
        detail: issue.message ?? 'is invalid',
      }));
      return sendProblem(request, reply, 400, 'VALIDATION_FAILED', 'Request is invalid', fields.map((f) => `${f.pointer}: ${f.detail}`).join('; '), fields);
    }
    if (error instanceof DomainError) {
      return sendProblem(request, reply, statusOf(error.kind), error.code, error.message, undefined, error.fields);
    }
    if (isDatabaseBusy(error)) {
      metrics.httpRequestsShed.inc({ reason: 'database_busy' });
      request.log.warn({ err: error }, 'database busy: request shed');
      return sendOverloaded(request, reply);
    }
    const status = (error as FastifyError).statusCode ?? 500;
    if (status < 500) {
      // Fastify's own client errors: bad JSON, wrong content type, body too large.
      const code = FASTIFY_CLIENT_ERRORS[(error as FastifyError).code] ?? 'BAD_REQUEST';
      return sendProblem(request, reply, status, code, error.message);
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(request, reply, 500, 'INTERNAL', 'Internal server error', 'The error was logged with this request id.');
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, 404, 'ROUTE_NOT_FOUND', 'No such route', `${request.method} ${request.url.split('?')[0]}`),
  );

  const probe = probes(options);
  void app.register(probe.routes);
  if (options.serveMetrics ?? true) void app.register(metricsRoute(metrics));

  return Object.assign(app, {
    /** Readiness goes to 503 at once, so load balancers stop routing before connections close. */
    markShuttingDown() {
      probe.state.shuttingDown = true;
    },
  });
}

export type PlatformHttpServer = ReturnType<typeof createHttpServer>;

/** Runs each check with a time limit: `ok`, or why not. */
async function runChecks(checks: Record<string, ReadinessCheck>): Promise<Array<readonly [string, string]>> {
  return Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await withTimeout(check(), 2_000);
        return [name, 'ok'] as const;
      } catch (error) {
        return [name, (error as Error).message || 'failed'] as const;
      }
    }),
  );
}

/**
 * `/healthz` (the process answers) and `/readyz` (503 while shutting down or when a `readiness`
 * check fails; `reported` checks only show under `degraded`). Returned: the shutting-down switch.
 */
function probes(options: Pick<HttpServerOptions, 'readiness' | 'reported'>): { routes: FastifyPluginAsync; state: { shuttingDown: boolean } } {
  const state = { shuttingDown: false };
  const routes: FastifyPluginAsync = async (scope) => {
    scope.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
    scope.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
      if (state.shuttingDown) return reply.code(503).send({ status: 'shutting_down' });
      const [results, reported] = await Promise.all([runChecks(options.readiness), runChecks(options.reported ?? {})]);
      const ready = results.every(([, outcome]) => outcome === 'ok');
      const degraded = Object.fromEntries(reported.filter(([, outcome]) => outcome !== 'ok'));
      return reply.code(ready ? 200 : 503).send({
        status: ready ? 'ok' : 'unavailable',
        checks: Object.fromEntries([...results, ...reported]),
        ...(Object.keys(degraded).length > 0 && { degraded }),
      });
    });
  };
  return { routes, state };
}

/** `/metrics`, Prometheus' text format. */
function metricsRoute(metrics: Metrics): FastifyPluginAsync {
  return async (scope) => {
    scope.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
      reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
    );
  };
}

/**
 * A second listener for operators only (the gateway's MANAGEMENT_PORT): `/metrics`, `/healthz`,
 * `/readyz`, and whatever the service adds (the gateway's docs page). Never exposed publicly, so
 * no admission limits or rate limits; shares the readiness of the public server it sits beside.
 */
export function createManagementServer(options: Pick<HttpServerOptions, 'log' | 'metrics' | 'readiness' | 'reported'>) {
  const app = Fastify({ loggerInstance: options.log, logController: new LogController({ disableRequestLogging: true }), return503OnClosing: true });
  const probe = probes(options);
  void app.register(probe.routes);
  void app.register(metricsRoute(options.metrics));
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, 404, 'ROUTE_NOT_FOUND', 'No such route', `${request.method} ${request.url.split('?')[0]}`),
  );
  return Object.assign(app, {
    markShuttingDown() {
      probe.state.shuttingDown = true;
    },
  });
}

export type ManagementServer = ReturnType<typeof createManagementServer>;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    span?: import('@opentelemetry/api').Span;
    /** The ids an untrusted caller sent, kept apart from the flow's own. */
    clientIds?: { clientRequestId?: string; clientCorrelationId?: string };
  }
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A long-lived response (server-sent events): not counted by the admission limiter; the route bounds its streams. */
    streaming?: boolean;
  }
}

/** Query parameters that carry a credential (a signed order link's `t`): never written to the log. */
const SECRET_QUERY_PARAMETERS = ['t'];

/** The request URL as logged: a credential in the query is replaced by `redacted`. */
export function withoutSecrets(url: string): string {
  const at = url.indexOf('?');
  if (at === -1) return url;
  const query = new URLSearchParams(url.slice(at + 1));
  let redacted = false;
  for (const name of SECRET_QUERY_PARAMETERS) {
    if (query.has(name)) {
      query.set(name, 'redacted');
      redacted = true;
    }
  }
  return redacted ? `${url.slice(0, at)}?${query.toString()}` : url;
}
