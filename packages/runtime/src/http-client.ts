import got, { type Got } from 'got';
import { currentFlow } from './context';
import { injectTraceContext } from './telemetry';

/**
 * Outbound HTTP with the platform's defaults: bounded timeouts, trace context and
 * correlation id on every request, no automatic retries (callers decide what is safe).
 */
export function createHttpClient(options: { prefixUrl?: string; timeoutMs?: number; userAgent: string }): Got {
  return got.extend({
    ...(options.prefixUrl && { prefixUrl: options.prefixUrl }),
    timeout: { request: options.timeoutMs ?? 5_000 },
    retry: { limit: 0 },
    throwHttpErrors: false,
    headers: { 'user-agent': options.userAgent },
    hooks: {
      beforeRequest: [
        (request) => {
          const flow = currentFlow();
          if (flow) request.headers['x-correlation-id'] = flow.correlationId;
          injectTraceContext({
            get: (key) => request.headers[key] as string | undefined,
            set: (key, value) => {
              request.headers[key] = value;
            },
          });
        },
      ],
    },
  });
}
