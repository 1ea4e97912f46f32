import { trace } from '@opentelemetry/api';
import { type DestinationStream, pino, type Logger } from 'pino';
import { activeTraceContext, currentFlow } from './context';

export type { DestinationStream, Logger };

/**
 * JSON logs; every line inside a flow carries its correlation id (and timer), and the active
 * trace/span ids. To stdout unless `destination` is given (a test reading a service's lines).
 */
export function createLogger(service: string, level: string, destination?: DestinationStream): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const flow = currentFlow();
      const span = trace.getSpan(activeTraceContext())?.spanContext();
      return {
        ...(flow && { correlationId: flow.correlationId }),
        ...(flow?.timer && { timer: flow.timer }),
        ...(span && { traceId: span.traceId, spanId: span.spanId }),
      };
    },
  }, destination);
}
