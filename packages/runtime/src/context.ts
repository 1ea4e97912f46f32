import { AsyncLocalStorage } from 'node:async_hooks';
import { type Context, context as otelContext } from '@opentelemetry/api';

/** What ties log lines and events of one business flow together, across HTTP and NATS hops. */
export interface FlowContext {
  correlationId: string;
  /** Id of the event or request that caused the work in progress. */
  causationId: string | null;
  /** The OpenTelemetry context (active span) of this flow. */
  trace?: Context;
}

const storage = new AsyncLocalStorage<FlowContext>();

export function runInFlow<T>(context: FlowContext, fn: () => T): T {
  return storage.run(context, fn);
}

/**
 * Enters a flow for the rest of the current async execution. Fastify hooks cannot wrap the
 * handler in a callback, so the HTTP server uses this from `onRequest`.
 */
export function enterFlow(context: FlowContext): void {
  storage.enterWith(context);
}

export function currentFlow(): FlowContext | undefined {
  return storage.getStore();
}

/** The trace context to parent new spans and outgoing headers on. */
export function activeTraceContext(): Context {
  return storage.getStore()?.trace ?? otelContext.active();
}
