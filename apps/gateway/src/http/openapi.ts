import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import helmet from '@fastify/helmet';
import type { ManagementServer, PlatformHttpServer } from '@platform/runtime/http';
import { PROBLEM_CONTENT_TYPE, problemSchema } from '@platform/contracts/api/problem';
import type { FastifySchema } from 'fastify';
import { z } from 'zod';
import type { Access } from '../domain/api-keys';
import type { OpenApiTag } from './route-table';
import { securityHeaders } from './security';

type JsonObject = Record<string, unknown>;

/**
 * A zod schema as JSON Schema 2020-12, the dialect of OpenAPI 3.1. Requests are described as
 * the client writes them (`input`: defaults optional), answers as the services send them.
 */
export function jsonSchemaOf(schema: unknown, io: 'input' | 'output'): unknown {
  if (!(schema instanceof z.ZodType)) return schema;
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' });
  return json;
}

const problemRef = { $ref: '#/components/schemas/Problem' };
const problem = (description: string) => ({ description, content: { [PROBLEM_CONTENT_TYPE]: { schema: problemRef } } });

/** The problem answers a route can give, from what it takes and who may call it. */
export function problemResponses(schema: FastifySchema, access: Access | undefined): Record<string, unknown> {
  const takesInput = Boolean(schema.body || schema.querystring || schema.params || schema.headers);
  return {
    ...(takesInput && { 400: problem('The request is invalid (VALIDATION_FAILED names every field)') }),
    ...(access !== 'public' && {
      401: problem('No API key, or an unknown one (UNAUTHENTICATED)'),
      403: problem("The key's role is not enough (FORBIDDEN)"),
    }),
    ...(schema.params !== undefined && { 404: problem('Not found (for a customer or vendor key, also what belongs to another customer or vendor)') }),
    429: problem('Rate limit reached (RATE_LIMITED); see Retry-After'),
    502: problem('The owning service failed (UPSTREAM_FAILED)'),
    503: problem('The owning service is unavailable (UPSTREAM_UNAVAILABLE)'),
    504: problem('The owning service did not answer in time (UPSTREAM_TIMEOUT)'),
    default: problem('Any other error, as RFC 9457 problem+json with the request id'),
  };
}

interface TransformInput {
  schema?: FastifySchema & { hide?: boolean };
  url: string;
  route: { config?: { access?: Access } };
}

/** @fastify/swagger's transform: zod schemas to JSON Schema, plus the problem answers every route shares. */
function transform({ schema, url, route }: TransformInput): { schema: JsonObject; url: string } {
  if (!schema || schema.hide || !url.startsWith('/v1/')) return { schema: { hide: true }, url };
  const { body, querystring, params, headers, response, ...documentation } = schema as JsonObject & FastifySchema;
  const success = Object.fromEntries(
    Object.entries((response ?? {}) as JsonObject).map(([status, part]) => [status, jsonSchemaOf(part, 'output')]),
  );
  return {
    url,
    schema: {
      ...documentation,
      ...(body !== undefined && { body: jsonSchemaOf(body, 'input') }),
      ...(querystring !== undefined && { querystring: jsonSchemaOf(querystring, 'input') }),
      ...(params !== undefined && { params: jsonSchemaOf(params, 'input') }),
      ...(headers !== undefined && { headers: jsonSchemaOf(headers, 'input') }),
      response: { ...problemResponses(schema, route.config?.access), ...success },
    },
  };
}

const TAGS: Array<{ name: OpenApiTag; description: string }> = [
  { name: 'Orders', description: "Placing, reading, changing and cancelling orders, and vendors' sub-orders (orders service; the detail is composed)" },
  { name: 'Pricing', description: 'Price book and quotes (orders service)' },
  { name: 'Billing', description: 'Payments, invoices and refunds (billing service)' },
  { name: 'Fulfillment', description: 'Workflow, suppliers, hubs and shipments (fulfillment service)' },
  { name: 'Tracking', description: 'Carriers and shipment tracking (tracking service)' },
  { name: 'Notifications', description: 'Notification log, preferences, devices and templates (notifications service)' },
  { name: 'Webhooks', description: 'Provider webhooks, forwarded raw to the owning service, which verifies the signature' },
  { name: 'Checkout', description: 'Where the payment page sends the customer back' },
  { name: 'Operations', description: "Every service's dead letters and lag, for the ops console (docs/console.md)" },
];

/**
 * Collects the OpenAPI 3.1 document from the public routes: register before them (the document
 * lists the routes registered after it). It is served only on the management listener
 * (`registerDocs`), like the metrics: the public listener carries the API and the pages people use.
 */
export async function registerOpenApi(app: PlatformHttpServer, publicBaseUrl: string): Promise<void> {
  const { $schema: _dialect, ...problemJson } = z.toJSONSchema(problemSchema, { target: 'draft-2020-12' });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Order fulfillment platform API',
        version: '1.0.0',
        description:
          'One REST API over the orders, billing, fulfillment, tracking and notifications services. ' +
          'Authenticate with an API key (`Authorization: Bearer <key>` or `X-Api-Key`). A customer key reaches only ' +
          "its own customer's orders; a vendor key only its own sub-orders (`/v1/vendor/sub-orders`, `/v1/sub-orders/:number`); " +
          'ops and admin keys reach everything their role allows. Errors are RFC 9457 ' +
          '`application/problem+json` documents carrying the request id.',
      },
      servers: [{ url: publicBaseUrl }],
      tags: TAGS,
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'API key as a bearer token' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'API key in its own header' },
        },
        schemas: { Problem: problemJson as JsonObject },
      },
      security: [{ bearerAuth: [] }, { apiKey: [] }],
    },
    transform: transform as never,
  });
}

/**
 * The document collected on the public server (`publicApp`, once ready) as `GET /openapi.json`,
 * and its docs page (`GET /docs`), on the management listener.
 */
export async function registerDocs(management: ManagementServer, publicApp: PlatformHttpServer): Promise<void> {
  const document = publicApp.swagger();
  await management.register(helmet, securityHeaders('http:'));
  await management.register(swagger, { mode: 'static', specification: { document: document as never } });
  await management.register(swaggerUi, {
    routePrefix: '/docs',
    // No badge from validator.swagger.io: the page loads only its own scripts and styles, which the
    // Content-Security-Policy (`securityHeaders`) allows.
    uiConfig: { validatorUrl: null, deepLinking: true },
  });
  management.get('/openapi.json', { schema: { hide: true } }, async () => document);
}
