import { consumerService } from '@platform/contracts/consumers';
import {
  deadLetterOutcomeSchema,
  deadLetterParamsSchema,
  platformDeadLettersSchema,
  platformLagSchema,
  platformMetricsSchema,
  platformTimersSchema,
} from '@platform/contracts/api/ops';
import { DomainError } from '@platform/contracts/errors';
import type { PlatformHttpServer } from '@platform/runtime/http';
import { parseExposition } from '@platform/runtime/prometheus-text';
import type { z } from 'zod';
import { actorHeaders } from '../domain/api-keys';
import { businessSeries } from '../domain/business-metrics';
import { fetchPart } from './order-detail';
import { documentation, relay, type Upstreams } from './forward-routes';
import type { ServiceName } from './route-table';

const SERVICES: readonly ServiceName[] = ['orders', 'billing', 'fulfillment', 'tracking', 'notifications'];

/**
 * The operators' views over every service (docs/console.md): each service answers for its own
 * consumers and timers (`/ops/dead-letters`, `/ops/lag`, `/ops/timers`); a view lists every service, a service that does
 * not answer marked unavailable. Retry and purge go to the service owning the consumer, named by
 * the durable's `<service>--` prefix, with the acting key as `x-actor` (the service logs it).
 */
export function registerOpsRoutes(app: PlatformHttpServer, upstreams: Upstreams, composeTimeoutMs: number, now: () => Date): void {
  const fanOut = (path: string, summary: string, answer: z.ZodType) =>
    app.route({
      method: 'GET',
      url: `/v1${path}`,
      config: { access: 'ops' },
      schema: {
        ...documentation({ tag: 'Operations', access: 'ops', summary }),
        response: { 200: answer },
      },
      handler: async (request, reply) => {
        const results = await Promise.all(
          SERVICES.map((service) => fetchPart(upstreams[service], path, request.principal, String(request.id), composeTimeoutMs)),
        );
        const services = SERVICES.map((service, index) => {
          const result = results[index]!;
          return 'value' in result && result.value
            ? { service, available: true, ...(result.value as object) }
            : { service, available: false, error: 'unavailable' in result ? result.unavailable : 'not found' };
        });
        // Serialized here like a relayed answer: the parts are the services' own documents.
        return relay(reply, { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ services }) });
      },
    });
  fanOut('/ops/lag', "Every service's consumer lag (pending, ack pending per durable) and outbox lag", platformLagSchema);
  fanOut('/ops/dead-letters', "Every service's consumers' dead letters, oldest first", platformDeadLettersSchema);
  fanOut('/ops/timers', "Every service's pending durable timers, soonest first", platformTimersSchema);

  app.route({
    method: 'GET',
    url: '/v1/ops/metrics',
    config: { access: 'ops' },
    schema: {
      ...documentation({ tag: 'Operations', access: 'ops', summary: 'The business metrics now (counters since each service started), summed over the services' }),
      response: { 200: platformMetricsSchema },
    },
    handler: async (request) => {
      // The services' own /metrics (Prometheus text): one replica each, the one the service's address reaches.
      const scrapes = await Promise.all(
        SERVICES.map(async (service) => {
          try {
            const answer = await upstreams[service].request('/metrics', { requestId: String(request.id), timeout: { request: composeTimeoutMs } });
            return answer.status === 200 ? { samples: parseExposition(answer.body) } : { error: `HTTP ${answer.status}` };
          } catch (error) {
            return { error: error instanceof DomainError ? error.kind : 'unreadable answer' };
          }
        }),
      );
      return {
        at: now().toISOString(),
        services: SERVICES.map((service, index) => {
          const scrape = scrapes[index]!;
          return scrape.samples ? { service, available: true as const } : { service, available: false as const, error: scrape.error ?? 'unavailable' };
        }),
        series: businessSeries(scrapes.flatMap((scrape) => (scrape.samples ? [scrape.samples] : []))),
      };
    },
  });

  const owner = (consumer: string): ServiceName => {
    const service = consumerService(consumer) as ServiceName;
    if (!SERVICES.includes(service)) throw new DomainError('not_found', 'CONSUMER_NOT_FOUND', `No service owns a consumer named ${consumer}`);
    return service;
  };
  for (const action of [
    { method: 'POST' as const, suffix: '/retry', summary: "Retry a dead letter: its consumer handles the event again (once: applied events are skipped), then it is deleted" },
    { method: 'DELETE' as const, suffix: '', summary: 'Purge a dead letter without retrying it' },
  ]) {
    app.route({
      method: action.method,
      url: `/v1/ops/dead-letters/:consumer/:seq${action.suffix}`,
      config: { access: 'ops' },
      schema: { ...documentation({ tag: 'Operations', access: 'ops', summary: action.summary }), params: deadLetterParamsSchema, response: { 200: deadLetterOutcomeSchema } },
      handler: async (request, reply) => {
        const { consumer, seq } = request.params as { consumer: string; seq: number };
        const answer = await upstreams[owner(consumer)].request(`/ops/dead-letters/${consumer}/${seq}${action.suffix}`, {
          method: action.method,
          headers: actorHeaders(request.principal),
          requestId: String(request.id),
        });
        return relay(reply, answer);
      },
    });
  }
}
