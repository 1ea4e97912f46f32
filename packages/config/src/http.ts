import { randomUUID } from 'node:crypto';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { PROBLEM_CONTENT_TYPE, type Problem, type ProblemField } from '@platform/contracts/api/problem';
import { findUnstorableText } from '@platform/contracts/api/text';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { enterFlow } from './context';
import { DomainError, statusOf } from './errors';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import { extractTraceContext, recordCarrier, tracer } from './telemetry';

export type ReadinessCheck = () => Promise<void>;

export interface HttpServerOptions {
  log: Logger;
  metrics: Metrics;
  /** Named dependencies `/readyz` checks (database, nats, ...). */
  readiness: Record<string, ReadinessCheck>;
  bodyLimit?: number;
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
  let shuttingDown = false;
  const app = Fastify({
    loggerInstance: log,
    // One line per response comes from the onResponse hook below, with the route and timing.
    logController: new LogController({ disableRequestLogging: true }),
    // A caller's X-Request-Id is kept when it is a plain token; anything else gets a fresh id.
    requestIdHeader: false,
    genReqId: (request) => headerToken(request.headers['x-request-id']) ?? randomUUID(),
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
    const parent = extractTraceContext(recordCarrier(request.headers));
    const route = request.routeOptions.url ?? 'unmatched';
    const span = tracer().startSpan(
      `${request.method} ${route}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'url.path': request.url.split('?')[0], 'http.route': route } },
      parent,
    );
    const correlationId = headerToken(request.headers['x-correlation-id']) ?? String(request.id);
    enterFlow({ correlationId, causationId: String(request.id), trace: trace.setSpan(parent, span) });
    request.span = span;
    reply.header('x-request-id', request.id);
    reply.header('x-correlation-id', correlationId);
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
        { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
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

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    if (shuttingDown) return reply.code(503).send({ status: 'shutting_down' });
    const results = await Promise.all(
      Object.entries(options.readiness).map(async ([name, check]) => {
        try {
          await withTimeout(check(), 2_000);
          return [name, 'ok'] as const;
        } catch (error) {
          return [name, (error as Error).message || 'failed'] as const;
        }
      }),
    );
    const checks = Object.fromEntries(results);
    const ready = results.every(([, state]) => state === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks });
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  return Object.assign(app, {
    /** Readiness goes to 503 at once, so load balancers stop routing before connections close. */
    markShuttingDown() {
      shuttingDown = true;
    },
  });
}

export type PlatformHttpServer = ReturnType<typeof createHttpServer>;

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
  }
}
